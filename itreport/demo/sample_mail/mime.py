"""The MIME body a 2009-era client built: text and HTML parts, the attached report, RFC 2047/2231 names."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import quopri
import textwrap
import urllib.parse
from collections.abc import Sequence
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

from ingestion.domain.records import Attachment

from .records import CORRUPT, OUTLOOK, REPORT, THUNDERBIRD, YAHOO, Context, MailPlan, digest
from .texts import attachment_name
from .values import report_for

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC_TYPE = "application/msword"
OCTET_STREAM = "application/octet-stream"
PREAMBLE = "This is a multi-part message in MIME format."


# ---------------------------------------------------------------- attachments


def _sends_doc(ctx: Context, plan: MailPlan) -> bool:
    return ctx.with_doc and plan.content == REPORT and plan.profile.prefers_doc and plan.style != YAHOO


def attachment_for(ctx: Context, plan: MailPlan) -> Attachment | None:
    if plan.content == CORRUPT:
        return Attachment(attachment_name(plan.profile, ctx.period, "docx"), DOCX_TYPE, _corrupt_bytes(ctx))
    if plan.content != REPORT:
        return None
    docx = report_for(ctx, plan)
    if _sends_doc(ctx, plan):
        return Attachment(attachment_name(plan.profile, ctx.period, "doc"), DOC_TYPE, ctx.docs[_sha(docx)])
    kind = OCTET_STREAM if plan.profile.octet_stream else DOCX_TYPE
    return Attachment(attachment_name(plan.profile, ctx.period, "docx"), kind, docx)


def _corrupt_bytes(ctx: Context) -> bytes:
    """Random bytes that are neither a zip (PK) nor an OLE2 file, as a broken upload leaves them."""
    return b"\x00\x13" + ctx.rng.randbytes(ctx.rng.randint(4000, 24000))


def convert_docs(ctx: Context, plans: Sequence[MailPlan]) -> None:
    """The .doc versions of the reports sent as .doc, made by one LibreOffice run for the whole period."""
    wanted: dict[str, bytes] = {}
    for plan in plans:
        if _sends_doc(ctx, plan):
            docx = report_for(ctx, plan)
            wanted.setdefault(_sha(docx), docx)
    if wanted:
        ctx.docs.update(_to_doc(wanted))


def _to_doc(documents: dict[str, bytes]) -> dict[str, bytes]:
    from ingestion.documents.doc_convert import ConversionError, convert_many

    converted = convert_many(documents, suffix=".docx", to="doc")
    if len(converted) != len(documents):
        raise ConversionError(f"LibreOffice converted {len(converted)} of {len(documents)} sample forms to .doc")
    return converted


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- encodings


def encoded_words(text: str, encoding: str = "B", charset: str = "utf-8", fold: str = "\n ") -> str:
    """RFC 2047 encoded words, split between characters, each at most 75 characters; ASCII stays as is."""
    if text.isascii():
        return text
    words, chunk = [], ""
    for char in text:
        if chunk and len(_encoded_word(chunk + char, encoding, charset)) > 75:
            words.append(_encoded_word(chunk, encoding, charset))
            chunk = ""
        chunk += char
    words.append(_encoded_word(chunk, encoding, charset))
    return fold.join(words)


def _encoded_word(text: str, encoding: str, charset: str) -> str:
    data = text.encode("utf-8")
    if encoding.upper() == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        payload = "".join(chr(b) if chr(b).isalnum() and b < 128 else "_" if b == 32 else f"={b:02X}" for b in data)
    return f"=?{charset}?{encoding}?{payload}?="


def rfc2231_filename(name: str, width: int = 50) -> str:
    """``filename*0*=utf-8''...;`` continuations as Outlook 2007 writes them (plain quoted when ASCII)."""
    if name.isascii():
        return f'filename="{name}"'
    pieces, current = [], ""
    for char in name:
        quoted = urllib.parse.quote(char, safe="")
        if current and len(current) + len(quoted) > width:
            pieces.append(current)
            current = ""
        current += quoted
    pieces.append(current)
    if len(pieces) == 1:
        return f"filename*=utf-8''{pieces[0]}"
    charset = "utf-8''"
    return ";\n\t".join(f"filename*{i}*={charset if i == 0 else ''}{piece}" for i, piece in enumerate(pieces))


def quoted_printable(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def base64_lines(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def flowed(text: str, width: int = 72) -> str:
    """RFC 3676 format=flowed as Thunderbird writes it: long lines broken after a space (a soft break),
    quoted lines keep their '>' prefix, the signature separator stays '-- '."""
    lines = []
    for line in text.split("\n"):
        prefix = "> " if line.startswith("> ") else ""
        if len(line) <= width or line == "-- ":
            lines.append(line)
            continue
        wrapped = textwrap.wrap(
            line[len(prefix) :], width - len(prefix), break_long_words=False, break_on_hyphens=False
        )
        lines += [prefix + piece + " " for piece in wrapped[:-1]] + [prefix + wrapped[-1]]
    return "\n".join(lines)


# ---------------------------------------------------------------- parts


def _leaf(headers: Sequence[tuple[str, str]], payload: str) -> Message:
    part = Message(policy=compat32)
    for name, value in headers:
        part[name] = value
    part.set_payload(payload)
    return part


def _multipart(subtype: str, boundary: str, parts: Sequence[Message], preamble: str | None = None) -> Message:
    message = Message(policy=compat32)
    message["Content-Type"] = f'multipart/{subtype};\n\tboundary="{boundary}"'
    for part in parts:
        message.attach(part)
    message.preamble = preamble
    return message


def serialize(message: Message) -> bytes:
    """Bytes exactly as built: headers are pre-folded, so the generator must not refold them."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0, policy=compat32.clone(linesep="\n")).flatten(message)
    return buffer.getvalue()


def _plain_qp(text: str) -> Message:
    headers = [("Content-Type", 'text/plain;\n\tcharset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")]
    return _leaf(headers, quoted_printable(text))


def _plain_8bit(text: str) -> Message:
    headers = [("Content-Type", "text/plain; charset=UTF-8; format=flowed"), ("Content-Transfer-Encoding", "8bit")]
    return _leaf(headers, flowed(text).encode("utf-8").decode("ascii", "surrogateescape"))


def _plain_base64(text: str) -> Message:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")]
    return _leaf(headers, base64_lines(text.encode("utf-8")))


def _html_qp(markup: str) -> Message:
    headers = [("Content-Type", 'text/html;\n\tcharset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")]
    return _leaf(headers, quoted_printable(markup))


def outlook_html(text: str) -> str:
    span = '<span style=\'font-size:13.0pt;font-family:"Times New Roman","serif"\'>'
    paragraphs = "\n".join(
        f"<p class=MsoNormal>{span}{html.escape(line) or '&nbsp;'}<o:p></o:p></span></p>" for line in text.splitlines()
    )
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns="http://www.w3.org/TR/REC-html40">\n'
        '<head>\n<meta http-equiv=Content-Type content="text/html; charset=utf-8">\n'
        '<meta name=Generator content="Microsoft Word 12 (filtered medium)">\n</head>\n'
        f"<body lang=EN-US link=blue vlink=purple>\n<div class=Section1>\n{paragraphs}\n</div>\n</body>\n</html>\n"
    )


def webmail_html(text: str) -> str:
    lines = "<br>".join(html.escape(line) for line in text.splitlines())
    return (
        "<html><head><style type='text/css'>p { margin: 0; }</style></head><body>"
        f"<div style='font-family: Times New Roman; font-size: 12pt; color: #000000'>{lines}</div></body></html>\n"
    )


def _attachment_part(style: str, attachment: Attachment) -> Message:
    """Outlook: RFC 2231 filename; Thunderbird: RFC 2047 encoded word (B); webmail: encoded word (Q)."""
    name, kind = attachment.filename, attachment.content_type
    if style == OUTLOOK:
        content_type = f'{kind};\n\tname="{encoded_words(name, "B", "utf-8", " ")}"'
        disposition = f"attachment;\n\t{rfc2231_filename(name)}"
    elif style == THUNDERBIRD:
        content_type = f'{kind};\n name="{encoded_words(name, "B", "UTF-8", " ")}"'
        disposition = f'attachment;\n filename="{encoded_words(name, "B", "UTF-8", " ")}"'
    else:
        content_type = f'{kind}; name="{encoded_words(name, "Q", "utf-8", " ")}"'
        disposition = f'attachment; filename="{encoded_words(name, "Q", "utf-8", " ")}"'
    headers = [("Content-Type", content_type), ("Content-Transfer-Encoding", "base64")]
    return _leaf([*headers, ("Content-Disposition", disposition)], base64_lines(attachment.payload))


def mime_body(plan: MailPlan, text: str, attachment: Attachment | None) -> Message:
    """The MIME tree the sender's client builds, with boundaries derived from the Message-ID."""
    key = digest(plan.message_id)
    if plan.style == OUTLOOK:
        mark = f"{int(key[:4], 16) % 10000:04d}_01C9{key[4:8].upper()}.{key[8:16].upper()}"
        text_parts = [_plain_qp(text), _html_qp(outlook_html(text))]
        if attachment is None:
            return _multipart("alternative", f"----=_NextPart_000_{mark}", text_parts, PREAMBLE + "\n")
        alternative = _multipart("alternative", f"----=_NextPart_001_{mark}", text_parts)
        parts = [alternative, _attachment_part(plan.style, attachment)]
        return _multipart("mixed", f"----=_NextPart_000_{mark}", parts, PREAMBLE + "\n")
    if plan.style == THUNDERBIRD:
        if attachment is None:
            return _plain_8bit(text)
        boundary = "------------" + str(int(key[:24], 16))[:24].rjust(24, "0")
        return _multipart("mixed", boundary, [_plain_8bit(text), _attachment_part(plan.style, attachment)], PREAMBLE)
    stamp = f"{int(key[:6], 16)}_{int(key[6:12], 16)}.{int(key[12:24], 16) % 10**13:013d}"
    text_parts = [_plain_base64(text), _html_qp(webmail_html(text))]
    alternative = _multipart("alternative", f"----=_Part_{stamp}_alt", text_parts)
    if attachment is None:
        return alternative
    return _multipart("mixed", f"----=_Part_{stamp}", [alternative, _attachment_part(plan.style, attachment)])
