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
import csv
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from support.mail_builders import (  # noqa: E402
    MX,
    TCVN3_DIFFICULTIES,
    at,
    docm,
    encrypted_zip,
    form,
    message,
    ole_with,
    retyped_form,
    rezip,
    tcvn3_form,
    xxe,
)

HERE = Path(__file__).resolve().parent
MAIL_DIR = HERE / "mail"
EXPECTED = HERE / "expected.csv"
JUNE, JULY = date(2009, 6, 1), date(2009, 7, 1)
JULY_DEADLINE = datetime(2009, 7, 21, 17, 0, tzinfo=UTC)  # 22/07/2009 00:00 ICT
FIELDS = ("file", "expected_state", "reason_code", "unit_code", "period", "values")


@dataclass
class Case:
    name: str
    state: str
    reason: str
    unit: str = ""
    period: date | None = None
    values: dict[str, str] = field(default_factory=dict)  # a few loaded values to check (code=text)


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
