"""Builders of real-shaped agency mail for tests: filled forms (also in TCVN3, re-typed by hand), broken
packages (macro-enabled, encrypted, XXE, OLE2 streams) and messages as our mail server stores them, with its
``Authentication-Results`` and ``Received`` on top. ``tests/corpus/make_corpus.py`` writes the committed corpus
with them; tests build their one-off messages with the same functions."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from ingestion.documents.form import build_form
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.registry import default_registry

MX = "mx.baocao-cntt.gov.example"
TCVN3_DIFFICULTIES = "Thiếu kinh phí nâng cấp máy chủ; mạng nội bộ chậm."  # typed in .VnTime in the corpus
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def values_for(seed: int = 12) -> dict[str, str]:
    kinds = {"yes_no": "Có", "text": "https://cong.gov.example", "percent": f"{seed + 40},5"}
    return {i.indicator_code: kinds.get(i.value_type, str(seed)) for i in default_catalogue().indicators}


def form(unit: str, period: date, seed: int = 12, **overrides: str) -> bytes:
    values = values_for(seed) | overrides
    return build_form(default_registry().get(unit), period, values)


def address(unit: str) -> str:
    return default_registry().get(unit).contact_email


def message(
    unit_or_sender: str,
    received: datetime,
    *,
    body: str = "Kính gửi Cục Ứng dụng CNTT,\n\nĐơn vị xin gửi báo cáo tháng (tệp đính kèm).\n\nTrân trọng.",
    attachment: bytes | None = None,
    filename: str = "BaoCao_CNTT.docx",
    content_type: str = DOCX,
    sent: datetime | None = None,
    message_id: str | None = "auto",
    auth: str | None = "dmarc=pass",
    html: bool = False,
    extra_top: tuple[str, ...] = (),
    below: tuple[str, ...] = (),
    subject: str = "Báo cáo ứng dụng CNTT",
    display_name: str = "",
) -> bytes:
    """A message as our server stores it: its Authentication-Results and Received on top."""
    sender = unit_or_sender if "@" in unit_or_sender else address(unit_or_sender)
    msg = EmailMessage()
    for header in below:
        name, value = header.split(": ", 1)
        msg[name] = value
    msg["From"] = f"{display_name} <{sender}>" if display_name else sender
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime((sent or received - timedelta(minutes=3)).astimezone(UTC))
    if message_id == "auto":
        message_id = f"<{int(received.timestamp())}.{sender.split('@')[0]}@{sender.split('@')[1]}>"
    if message_id:
        msg["Message-ID"] = message_id
    if html:
        msg.set_content(body)
        msg.add_alternative("<html><body><p>" + body.replace("\n", "<br>") + "</p></body></html>", subtype="html")
    else:
        msg.set_content(body)
    if attachment is not None:
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    top = [*extra_top]
    if auth is not None:
        top.append(f"Authentication-Results: {MX}; spf=pass smtp.mailfrom={sender.split('@')[1]}; {auth}")
    top.append(f"Received: from mail.{sender.split('@')[1]} by {MX} with ESMTPS; {format_datetime(received)}")
    return "\r\n".join(top).encode() + b"\r\n" + msg.as_bytes()


def rezip(docx: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def docm(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        types = package.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
        )
    return rezip(docx, replace={"[Content_Types].xml": types}, add={"word/vbaProject.bin": b"\xd0\xcf" + bytes(510)})


def encrypted_zip(docx: bytes) -> bytes:
    data = bytearray(docx)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    return bytes(data)


def ole_with(stream: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + stream.encode("utf-16-le") + b"\0\0" + bytes(2048)


def xxe(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        document = package.read("word/document.xml").decode("utf-8")
    head, rest = document.split("?>", 1)
    doctype = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rest = rest.replace("Bộ Tư pháp", "&xxe;", 1)
    return rezip(docx, replace={"word/document.xml": (head + "?>" + doctype + rest).encode("utf-8")})


def tcvn3_form(unit: str, period: date, seed: int = 21, difficulties: str = "") -> bytes:
    """The form as an agency still typing in .VnTime makes it: TCVN3 codes shown as Windows-1252 characters."""
    import docx

    from ingestion.documents.legacy_text import TCVN3_TABLE

    reverse: dict[str, str] = {}
    for shown, letter in TCVN3_TABLE.items():
        if ord(shown) >= 0xA0:
            reverse.setdefault(letter, shown)
    filled = build_form(default_registry().get(unit), period, values_for(seed), difficulties=difficulties)
    document = docx.Document(io.BytesIO(filled))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for paragraph in paragraphs:
        for run in paragraph.runs:
            run.text = "".join(reverse.get(c, c) for c in run.text)
            run.font.name = ".VnTime"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def retyped_form(unit: str, period: date) -> bytes:
    """A form typed again by hand in a fresh document (own column widths, blank rows), saved by LibreOffice."""
    import docx
    from docx.shared import Cm

    from ingestion.documents.doc_convert import docx_to_doc_bytes

    registry_unit = default_registry().get(unit)
    document = docx.Document()
    document.add_paragraph("BÁO CÁO ỨNG DỤNG CNTT")
    info = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(
        info.rows,
        [("Cơ quan báo cáo", registry_unit.name_vi), ("Mã đơn vị", unit), ("Kỳ báo cáo", f"{period:%m/%Y}")],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = label, value
    document.add_paragraph("")
    catalogue = default_catalogue()
    values = values_for(33)
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, ["Mã", "Chỉ tiêu", "ĐVT", "Giá trị", "Ghi chú"], strict=True):
        cell.text = header
    for index, indicator in enumerate(catalogue.indicators):
        if index % 7 == 3:
            table.add_row()  # blank rows people leave behind
        cells = table.add_row().cells
        cells[0].text = f" {indicator.indicator_code} "
        cells[1].text = indicator.name_vi
        cells[3].text = values[indicator.indicator_code]
    for width, column in zip((Cm(1.2), Cm(9), Cm(2), Cm(3.5), Cm(1.5)), table.columns, strict=True):
        for cell in column.cells:
            cell.width = width
    out = io.BytesIO()
    document.save(out)
    return docx_to_doc_bytes(out.getvalue())


def oversized_message() -> bytes:
    """50 MB of attachment, built at test time (never committed)."""
    received = datetime(2009, 7, 10, 2, 0, tzinfo=UTC)
    sender = address("BCT")
    head = (
        f"Authentication-Results: {MX}; dmarc=pass header.from=bct.gov.example\r\n"
        f"Received: from mail.bct.gov.example by {MX} with ESMTPS; {format_datetime(received)}\r\n"
        f"From: {sender}\r\nTo: baocao.cntt@mic.gov.example\r\nSubject: Bao cao CNTT thang 7\r\n"
        f"Date: {format_datetime(received - timedelta(minutes=9))}\r\nMessage-ID: <large.1@bct.gov.example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="LARGE"\r\n\r\n'
        "--LARGE\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGui bao cao day du.\r\n"
        "--LARGE\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="BaoCao_day_du.docx"\r\n\r\n'
    )
    payload = base64.encodebytes(b"PK\x03\x04" + bytes(50 * 1024 * 1024)).replace(b"\n", b"\r\n")
    return head.encode() + payload + b"--LARGE--\r\n"


def at(day: int, hour: int = 3, minute: int = 0, second: int = 0, month: int = 7) -> datetime:
    return datetime(2009, month, day, hour, minute, second, tzinfo=UTC)
