"""Attachments judged by their content before any parser sees them: kind, size, zip bombs, macros, encryption.

The file name and the declared MIME type are never trusted for safety; they only help to tell a Word file the
agency meant to send from an inline logo. Every refusal carries a reason code from ``ingestion.decide.reasons``
and a detail the agency can act on.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage

from ingestion.domain.records import Attachment

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1024 * 1024  # small parts compress well legitimately; judge the ratio of big ones only
MACRO_CONTENT_TYPE = "macroenabled"
OLE_ENCRYPTED_STREAMS = ("EncryptedPackage", "EncryptionInfo")
OLE_MACRO_STORAGES = ("Macros", "_VBA_PROJECT")


@dataclass(frozen=True)
class AttachmentProblem(Exception):
    """Why an attachment is refused: a reason code and a short detail in Vietnamese and English."""

    code: str
    filename: str
    detail_vi: str
    detail_en: str

    def __str__(self) -> str:
        return f"{self.code}: {self.filename}: {self.detail_en}"


def decode_filename(raw_name: str | None) -> str:
    """A file name as a person reads it: RFC 2047 words decoded (RFC 2231 is decoded by ``email``), no folders,
    no control characters, NFC."""
    name = raw_name or ""
    if "=?" in name:
        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            name = str(make_header(decode_header(name)))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return unicodedata.normalize("NFC", name)


def attachments(msg: EmailMessage) -> list[Attachment]:
    """Every leaf part that is a file: named, or marked as an attachment."""
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # a broken transfer encoding: judged as an unreadable file
            payload = b""
        found.append(Attachment(decode_filename(filename), part.get_content_type(), payload))
        if is_tnef(found[-1]):
            found.extend(tnef_attachments(found[-1].payload))
    return found


TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
MAX_TNEF_FILES = 50


def is_tnef(attachment: Attachment) -> bool:
    """Outlook's Transport Neutral Encapsulation (winmail.dat, application/ms-tnef): judged by its signature."""
    return attachment.payload.startswith(TNEF_SIGNATURE)


def tnef_attachments(payload: bytes) -> list[Attachment]:
    """The files inside a winmail.dat (at most MAX_TNEF_FILES); none when it cannot be read."""
    from tnefparse import TNEF

    try:
        tnef = TNEF(payload, do_checksum=False)
    except Exception:  # a broken winmail.dat holds nothing we can use; the caller says so to the agency
        return []
    found = []
    for inner in tnef.attachments[:MAX_TNEF_FILES]:
        try:
            name = inner.long_filename() or inner.name
        except Exception:
            name = ""
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        data = inner.data if isinstance(inner.data, bytes) else b""
        found.append(Attachment(decode_filename(str(name or "")), "application/octet-stream", data))
    return found


def word_kind(payload: bytes) -> str | None:
    """'docx' or 'doc' decided by content, never by name; None when it is neither."""
    if payload.startswith(OLE2_MAGIC):
        return "doc"
    if payload.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
    return None


def check_attachment(attachment: Attachment) -> str:
    """The attachment's kind ('doc' or 'docx') when it is safe to open; raises ``AttachmentProblem`` otherwise."""
    payload, name = attachment.payload, attachment.filename
    if len(payload) > MAX_ATTACHMENT_BYTES:
        size = f"{len(payload) / 1024 / 1024:.1f} MB"
        limit = f"{MAX_ATTACHMENT_BYTES // 1024 // 1024} MB"
        raise AttachmentProblem(
            "attachment_too_large",
            name,
            f"tệp nặng {size}, vượt giới hạn {limit}",
            f"the file is {size}, over the {limit} limit",
        )
    if payload.startswith(OLE2_MAGIC):
        _check_ole(payload, name)
        return "doc"
    if payload.startswith(b"PK"):
        return _check_zip(payload, name)
    raise AttachmentProblem(
        "unreadable_attachment",
        name,
        "tệp không phải văn bản Word (.doc/.docx)",
        "not a Word document (.doc/.docx)",
    )


def _ole_names(payload: bytes, names: tuple[str, ...]) -> bool:
    return any(n.encode("utf-16-le") + b"\0\0" in payload for n in names)


def _check_ole(payload: bytes, name: str) -> None:
    if _ole_names(payload, OLE_ENCRYPTED_STREAMS):
        raise _encrypted(name)
    if _ole_names(payload, OLE_MACRO_STORAGES):
        raise AttachmentProblem(
            "macro_attachment",
            name,
            "tệp có chứa macro",
            "the file contains macros",
        )


def _check_zip(payload: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            entries = archive.infolist()
            encrypted = any(e.flag_bits & 0x1 for e in entries)
            content_types = "" if encrypted else _small_entry(archive, "[Content_Types].xml")
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError, EOFError) as error:
        raise AttachmentProblem(
            "unreadable_attachment",
            name,
            "tệp bị hỏng (không phải gói .docx hợp lệ)",
            f"the file is damaged (not a valid .docx package: {error})",
        ) from error
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _too_complex(name, f"{len(entries)} entries")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _too_complex(name, f"{total} bytes uncompressed")
    for entry in entries:
        if entry.file_size >= RATIO_CHECK_FROM_BYTES and entry.file_size > MAX_COMPRESSION_RATIO * max(
            1, entry.compress_size
        ):
            raise _too_complex(name, f"{entry.filename} compressed {entry.file_size // max(1, entry.compress_size)}:1")
    if encrypted:
        raise _encrypted(name)
    names = {e.filename.lower() for e in entries}
    if any(n.endswith("vbaproject.bin") for n in names) or MACRO_CONTENT_TYPE in content_types.lower():
        raise AttachmentProblem("macro_attachment", name, "tệp có chứa macro (.docm)", "it contains macros (.docm)")
    if "word/document.xml" not in names:
        raise AttachmentProblem(
            "unreadable_attachment",
            name,
            "tệp không phải văn bản Word (.docx)",
            "not a Word document (.docx)",
        )
    return "docx"


def _small_entry(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> str:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return ""
    if info.file_size > limit:
        return ""
    return archive.read(info).decode("utf-8", errors="replace")


def _too_complex(name: str, what: str) -> AttachmentProblem:
    return AttachmentProblem(
        "attachment_too_complex",
        name,
        "tệp nén bất thường (quá nhiều thành phần hoặc dung lượng giải nén quá lớn)",
        f"the file's package is abnormal ({what})",
    )


def _encrypted(name: str) -> AttachmentProblem:
    return AttachmentProblem(
        "encrypted_attachment",
        name,
        "tệp được đặt mật khẩu nên không mở được",
        "the file is protected by a password and cannot be opened",
    )
