"""Write the intake corpus: real-shaped agency messages (.eml) and ``expected.csv`` (what intake must decide).

    .venv/bin/python tests/corpus/make_corpus.py                 # writes missing messages, rewrites expected.csv
    .venv/bin/python tests/corpus/make_corpus.py 06_tcvn3_form   # also rewrites the messages named
    .venv/bin/python tests/corpus/make_corpus.py --all           # rewrites every message

Messages already written are kept unless named: forms, MIME boundaries and LibreOffice output differ on every
build, so rewriting them all would change every file for nothing.

Every bad input the intake guards against has a message here, next to good reports in the shapes agencies
send (.docx, .doc, a form typed in TCVN3 as .docx and as .doc, a form re-typed by hand and saved by LibreOffice,
notices in text and HTML). The 50 MB attachment is not committed: ``oversized_message`` builds it at test time.
Messages carry the ``Authentication-Results`` our server (authserv-id ``MX``) would write; the corpus test runs
with the check on.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ingestion.documents.form import build_form  # noqa: E402
from ingestion.domain.catalogue import default_catalogue  # noqa: E402
from ingestion.domain.registry import default_registry  # noqa: E402

HERE = Path(__file__).resolve().parent
MAIL_DIR = HERE / "mail"
EXPECTED = HERE / "expected.csv"
MX = "mx.baocao-cntt.gov.example"
JUNE, JULY = date(2009, 6, 1), date(2009, 7, 1)
JULY_DEADLINE = datetime(2009, 7, 21, 17, 0, tzinfo=UTC)  # 22/07/2009 00:00 ICT
FIELDS = ("file", "expected_state", "reason_code", "unit_code", "period", "values")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class Case:
    name: str
    state: str
    reason: str
    unit: str = ""
    period: date | None = None
    values: dict[str, str] = field(default_factory=dict)  # a few loaded values to check (code=text)


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
) -> bytes:
    """A message as our server stores it: its Authentication-Results and Received on top."""
    sender = unit_or_sender if "@" in unit_or_sender else address(unit_or_sender)
    msg = EmailMessage()
    for header in below:
        name, value = header.split(": ", 1)
        msg[name] = value
    msg["From"] = sender
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = "Báo cáo ứng dụng CNTT"
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


def cases() -> list[tuple[Case, Callable[[], bytes]]]:
    notice = "Kính gửi Cục,\n\nBáo cáo của {} giống tháng 6.\n\nTrân trọng."
    a = {"5.1": "12"}
    return [
        (Case("01_june_report", "accepted", "accepted", "BNV", JUNE, a), lambda: message("BNV", at(10, month=6),
            attachment=form("BNV", JUNE))),
        (Case("02_july_notice_after_june", "accepted", "accepted_notice", "BNV", JULY),
            lambda: message("BNV", at(8), body=notice.format("Bộ Nội vụ"))),
        (Case("03_notice_without_june", "quarantined", "notice_without_previous", "BTC", JULY),
            lambda: message("BTC", at(8), body=notice.format("Bộ Tài chính"))),
        (Case("04_report_and_notice", "quarantined", "ambiguous", "BCT", JULY),
            lambda: message("BCT", at(9), body=notice.format("Bộ Công Thương"), attachment=form("BCT", JULY))),
        (Case("05_doc_report", "accepted", "accepted", "BTP", JULY, {"5.1": "14"}), lambda: message("BTP", at(9),
            attachment=_doc(form("BTP", JULY, 14)), filename="bao cao thang 7.doc", content_type="application/msword")),
        (Case("06_tcvn3_form", "accepted", "accepted", "BNG", JULY, {"5.1": "21", "1.3": "61,5"}),
            lambda: message("BNG", at(9, 4), attachment=tcvn3_form("BNG", JULY))),
        (Case("07_retyped_form", "accepted", "accepted", "BXD", JULY, {"5.1": "33", "1.3": "73,5"}),
            lambda: message("BXD", at(9, 5), attachment=retyped_form("BXD", JULY), filename="BC thang 7.doc",
                            content_type="application/msword")),
        (Case("08_zip_bomb", "quarantined", "attachment_too_complex", "BGTVT", JULY), lambda: message("BGTVT", at(10),
            attachment=rezip(form("BGTVT", JULY), add={"word/media/image1.bin": bytes(40 * 1024 * 1024)}))),
        (Case("09_xxe", "accepted", "accepted", "BTP", JULY, {"5.1": "15"}), lambda: message("BTP", at(10, 6),
            attachment=xxe(form("BTP", JULY, 15)))),
        (Case("10_docm", "quarantined", "macro_attachment", "BTNMT", JULY), lambda: message("BTNMT", at(10),
            attachment=docm(form("BTNMT", JULY)), filename="BaoCao.docm")),
        (Case("11_password_docx", "quarantined", "encrypted_attachment", "BLDTBXH", JULY),
            lambda: message("BLDTBXH", at(10), attachment=ole_with("EncryptedPackage"), filename="BaoCao.docx")),
        (Case("12_encrypted_zip", "quarantined", "encrypted_attachment", "BQP", JULY),
            lambda: message("BQP", at(10), attachment=encrypted_zip(form("BQP", JULY)))),
        (Case("13_corrupt", "quarantined", "unreadable_attachment", "BCA", JULY),
            lambda: message("BCA", at(10), attachment=b"PK\x03\x04 truncated by the webmail")),
        (Case("14_pdf_only", "ignored", "not_a_submission", "BKHDT", JULY), lambda: message("BKHDT", at(10),
            attachment=b"%PDF-1.4\n%...", filename="scan.pdf", content_type="application/pdf")),
        (Case("15_unknown_sender", "quarantined", "unknown_sender"), lambda: message("vanthu.hagiang@yahoo.example",
            at(11), attachment=form("P02", JULY))),
        (Case("16_forged_auth_results", "quarantined", "sender_not_authenticated", "BNNPTNT", JULY),
            lambda: message("BNNPTNT", at(11), attachment=form("BNNPTNT", JULY), auth=None, below=(
                "Received: from pc by smtp.spoof.example; Sat, 11 Jul 2009 09:00:00 +0700",
                f"Authentication-Results: {MX}; dmarc=pass header.from=bnnptnt.gov.example"))),
        (Case("17_unaligned_dkim", "quarantined", "sender_not_authenticated", "BTTTT", JULY),
            lambda: message("BTTTT", at(11), attachment=form("BTTTT", JULY),
                            auth="dkim=pass header.d=bulk-mailer.example; dmarc=fail")),
        (Case("18_date_before_receipt_after", "accepted", "accepted", "BNNPTNT", JULY), lambda: message("BNNPTNT",
            JULY_DEADLINE + timedelta(hours=2), sent=JULY_DEADLINE - timedelta(hours=5), attachment=form("BNNPTNT",
                                                                                                            JULY))),
        (Case("19_last_second", "accepted", "accepted", "BTTTT", JULY), lambda: message("BTTTT",
            JULY_DEADLINE - timedelta(seconds=1), attachment=form("BTTTT", JULY))),
        (Case("20_first_late_second", "accepted", "accepted", "BGTVT", JULY), lambda: message("BGTVT", JULY_DEADLINE,
            attachment=form("BGTVT", JULY))),
        (Case("21_duplicate_a", "accepted", "accepted", "BCA", JULY), _same_bytes),
        (Case("21_duplicate_b", "accepted", "duplicate", "BCA", JULY), _same_bytes),
        (Case("22_message_id_first", "accepted", "accepted", "BQP", JULY), lambda: message("BQP", at(13),
            attachment=form("BQP", JULY, 16), message_id="<same-id@bqp.gov.example>")),
        (Case("23_message_id_again_corrected", "accepted", "accepted", "BQP", JULY, {"5.1": "17"}),
            lambda: message("BQP", at(14), attachment=form("BQP", JULY, 17), message_id="<same-id@bqp.gov.example>")),
        (Case("24_no_message_id", "accepted", "accepted", "BLDTBXH", JULY), lambda: message("BLDTBXH", at(14),
            attachment=form("BLDTBXH", JULY), message_id=None)),
        (Case("25_wrong_period", "quarantined", "wrong_period", "BTNMT", JULY), lambda: message("BTNMT", at(14),
            attachment=form("BTNMT", date(2009, 3, 1)))),
        (Case("26_unit_mismatch", "quarantined", "unit_mismatch", "BKHDT", JULY), lambda: message("BKHDT", at(14),
            attachment=form("BTC", JULY))),
        (Case("27_invalid_percent", "quarantined", "invalid_values", "BKHDT", JULY), lambda: message("BKHDT", at(15),
            attachment=form("BKHDT", JULY, **{"1.3": "150"}))),
        (Case("28_html_notice_after_june", "accepted", "accepted_notice", "BCT", JULY), lambda: _html_notice()),
        (Case("29_thanks", "ignored", "not_a_submission", "BNV", JULY), lambda: message("BNV", at(15),
            body="Xin cảm ơn Cục đã hướng dẫn.")),
        (Case("30_notice_in_june", "quarantined", "notice_in_first_period", "BXD", JUNE), lambda: message("BXD",
            at(12, month=6), body=notice.format("Bộ Xây dựng").replace("tháng 6", "tháng 5"))),
        (Case("31_rfc2231_name_octet_stream", "accepted", "accepted", "BKHDT", JULY), lambda: message("BKHDT",
            at(16), attachment=form("BKHDT", JULY), filename="Báo cáo tình hình ứng dụng CNTT tháng 07 năm 2009.docx",
            content_type="application/octet-stream")),
        (Case("32_doc_with_macros", "quarantined", "macro_attachment", "BTC", JULY), lambda: message("BTC", at(16),
            attachment=ole_with("Macros"), filename="BaoCao.doc", content_type="application/msword")),
        (Case("33_june_report_for_notice", "accepted", "accepted", "BCT", JUNE), lambda: message("BCT",
            at(18, month=6), attachment=form("BCT", JUNE))),
        (Case("35_tcvn3_doc", "accepted", "accepted", "BYT", JULY, {"5.1": "24", "1.3": "64,5", "1.1": "Có"}),
            lambda: message("BYT", at(9, 7), attachment=_doc(tcvn3_form("BYT", JULY, 24, TCVN3_DIFFICULTIES)),
                            filename="BC CNTT thang 7 (VnTime).doc", content_type="application/msword")),
    ]  # fmt: skip


TCVN3_DIFFICULTIES = "Thiếu kinh phí nâng cấp máy chủ; mạng nội bộ chậm."
_CACHE: dict[str, bytes] = {}


def _doc(docx: bytes) -> bytes:
    from ingestion.documents.doc_convert import docx_to_doc_bytes

    return docx_to_doc_bytes(docx)


def _same_bytes() -> bytes:
    if "dup" not in _CACHE:
        _CACHE["dup"] = message("BCA", at(12), attachment=form("BCA", JULY))
    return _CACHE["dup"]


def _html_notice() -> bytes:
    return message("BCT", at(15), body="Kính gửi Cục,\nBáo cáo của Bộ Công Thương giống tháng 06/2009.", html=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the intake corpus (missing messages and expected.csv).")
    parser.add_argument("names", nargs="*", help="cases to rewrite, e.g. 06_tcvn3_form")
    parser.add_argument("--all", action="store_true", help="rewrite every message")
    args = parser.parse_args(argv)
    all_cases = cases()
    unknown = set(args.names) - {case.name for case, _ in all_cases}
    if unknown:
        parser.error(f"no such case: {', '.join(sorted(unknown))}")
    MAIL_DIR.mkdir(parents=True, exist_ok=True)
    for stale in set(MAIL_DIR.glob("*.eml")) - {MAIL_DIR / f"{case.name}.eml" for case, _ in all_cases}:
        stale.unlink()
    # cases sharing a builder (the duplicate pair) are written together, so their bytes stay equal
    rebuild = {build for case, build in all_cases if args.all or case.name in args.names}
    rebuild |= {build for case, build in all_cases if not (MAIL_DIR / f"{case.name}.eml").exists()}
    rows, written = [], 0
    for case, build in all_cases:
        if build in rebuild:
            (MAIL_DIR / f"{case.name}.eml").write_bytes(build())
            written += 1
        values = ";".join(f"{code}={text}" for code, text in case.values.items())
        period = f"{case.period:%Y-%m}" if case.period else ""
        rows.append((f"{case.name}.eml", case.state, case.reason, case.unit, period, values))
    with EXPECTED.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    print(f"wrote {written} of {len(rows)} messages to {MAIL_DIR}, and {EXPECTED.name}")


if __name__ == "__main__":
    main()
