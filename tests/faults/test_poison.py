"""Poison, hostile and odd messages (issue 11, items 2, 3, 5, 6 and the smaller ones): each lands in the ledger
with one state and a reason, the others go on, and nobody the registry does not know gets mail."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest
from fault_support import (
    JULY,
    SmtpSender,
    address,
    assert_invariant,
    database_name,
    deliver,
    form_docx,
    message,
    received_emails,
    scratch,
    smtp_server,
    tnef,
)
from support.scratch import processed, unprocessed

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def home(settings, tmp_path, request):
    return scratch(settings, tmp_path / "home", database_name(request))


def _intake(home):
    from itreport.orchestration.intake_run import run_intake

    return run_intake(home)


def _rows(home, sql: str, params=()):
    with psycopg.connect(home.warehouse_url) as conn:
        return conn.execute(sql, params).fetchall()


def _reply_all(home, tmp_path):
    from itreport.notify.replies import send_pending_replies

    outbox = tmp_path / "smtp"
    with smtp_server(outbox) as url:
        counts = send_pending_replies(home, SmtpSender(url))
    return counts, received_emails(outbox), outbox


def test_nul_in_an_encoded_subject_stops_nothing(home, tmp_path):
    """``=?utf-8?q?Bao_cao=00_thang_7?=`` made PostgreSQL refuse the insert and every run after it failed."""
    poison = message(address("P02"), "placeholder").replace(
        b"Subject: placeholder", b"Subject: =?utf-8?q?Bao_cao=00_thang_7?="
    )
    deliver(home.maildir, "1.poison", poison)
    deliver(home.maildir, "2.other", message(address("BTC"), "Bao cao thang 7", body="Xin chao"))
    counts = _intake(home)
    assert counts.seen == 2 and sum(counts.states.values()) == 2
    (subject,) = _rows(home, "select subject from raw.messages where sender = %s", (address("P02"),))[0]
    assert subject == "Bao cao thang 7"
    assert_invariant(home)
    assert {f.name for f in processed(home.maildir)} == {"1.poison:2,", "2.other:2,"}
    assert unprocessed(home.maildir) == []
    again = _intake(home)  # the next run goes on too, with nothing left to read
    assert (again.seen, again.already_processed, sum(again.states.values())) == (0, 0, 0)


def test_a_message_the_warehouse_refuses_becomes_processing_error_and_the_others_land(home, tmp_path):
    """One failed insert (a row PostgreSQL refuses: here a trigger, as a corrupt row would) is quarantined as
    ``processing_error`` under its savepoint; the run commits the others."""
    _intake(home)  # creates the raw schema
    with psycopg.connect(home.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "create function raw.refuse_poison() returns trigger language plpgsql as $$ begin "
            "if new.subject like '%%POISON%%' then raise exception 'refused row'; end if; return new; end $$"
        )
        conn.execute(
            "create trigger refuse_poison before insert on raw.messages for each row execute function "
            "raw.refuse_poison()"
        )
    deliver(home.maildir, "1.poison", message(address("P02"), "POISON báo cáo", body="Xin gửi"))
    deliver(home.maildir, "2.other", message(address("BTC"), "Báo cáo tháng 7", body="Xin gửi"))
    counts = _intake(home)
    assert counts.reasons["processing_error"] == 1 and sum(counts.states.values()) == 2
    rows = dict(_rows(home, "select reason_code, reason_en from raw.messages"))
    assert "refused row" in rows["processing_error"] and "not_a_submission" in rows
    assert {f.name for f in processed(home.maildir)} >= {"1.poison:2,", "2.other:2,"}  # recorded: filed as processed
    assert unprocessed(home.maildir) == []
    assert_invariant(home)
    _, sent, _ = _reply_all(home, tmp_path)
    rejection = [m for m in sent if m["To"] == address("P02")]
    assert len(rejection) == 1
    text = rejection[0].get_body().get_content()
    assert "refused row" not in text and "Error" not in text and "cán bộ quản trị" in text


def test_unknown_senders_get_no_reply_and_their_text_is_never_mailed(home, tmp_path):
    """Backscatter: a rejection quoting the subject went to any unregistered address."""
    deliver(home.maildir, "1.spoof", message("victim@elsewhere.example", "Buy cheap pills at evil.example"))
    deliver(home.maildir, "2.known", message(address("P02"), "Báo cáo", attachments=[("bc.docm", b"x", DOCX)]))
    _intake(home)
    _, sent, outbox = _reply_all(home, tmp_path)
    assert [m["To"] for m in sent] == [address("P02")]
    assert not any("evil.example" in m.as_string() for m in sent)
    assert_invariant(home, outbox)


def test_a_subdomain_sender_is_answered_at_the_registered_address():
    """Mail from another address of a unit's domain is accepted, but replies go to addresses the registry has."""
    from datetime import UTC, datetime

    from ingestion.domain.periods import DeadlineRule
    from itreport.notify.replies import LedgerEntry, compose_reply

    registered = address("P02")
    other = "anyone@" + registered.rsplit("@", 1)[1]
    entry = LedgerEntry(
        "h", None, other, "s" * 10_000, "quarantined", "invalid_values", "x", "P02", JULY,
        datetime(2009, 7, 3, tzinfo=UTC), None, None, None, 0,
    )  # fmt: skip
    reply = compose_reply(entry, DeadlineRule())
    assert reply is not None and reply.to in (other, registered)
    assert len(reply.html) < 2_000  # a 10,000-character subject is not echoed in full


def test_ten_thousand_junk_rows_give_a_short_reason_and_rejection(home, tmp_path):
    from ingestion.decide.reasons import PROBLEMS_LISTED, problem_list

    problems = [f"Dòng {i}: giá trị rác {'x' * 60}" for i in range(10_000)]
    text = problem_list(problems)
    assert len(text) < 5_000 and "9990 lỗi khác" in text
    assert text.count("Dòng") == PROBLEMS_LISTED
    from docx import Document

    path = tmp_path / "junk.docx"
    document = Document(__import__("io").BytesIO(form_docx(tmp_path)))
    table = next(t for t in document.tables if any(c.text.strip() == "1.1" for c in t.column_cells(0)))
    for i in range(3_000):  # rows naming indicators the catalogue does not have: a problem each
        for cell in table.add_row().cells:
            cell.text = f"99.{i}"
    document.save(path)
    deliver(
        home.maildir, "1.junk", message(address("P02"), "Báo cáo", attachments=[("bc.docx", path.read_bytes(), DOCX)])
    )
    _intake(home)
    ((reason_vi, reason_en),) = _rows(home, "select reason_vi, reason_en from raw.messages")
    more = re.search(r"và (\d+) lỗi khác", reason_vi)
    assert more and int(more[1]) >= 3_000 - PROBLEMS_LISTED and " more" in reason_en
    assert len(reason_vi) < 10_000 and len(reason_en) < 10_000
    _, sent, _ = _reply_all(home, tmp_path)
    assert len(sent) == 1 and len(sent[0].as_bytes()) < 50_000


def test_a_report_inside_winmail_dat_is_read(home, tmp_path):
    from itreport.demo.sample_mail import generate_mailbox

    generate_mailbox(home.maildir, JULY, units=3, with_doc=False)
    _intake(home)
    # the accepted form of one generated report, sent again through Outlook's TNEF
    ((_digest, archive_path),) = _rows(
        home, "select m.message_hash, m.archive_path from raw.messages m join raw.submissions s using "
        "(message_hash) where s.submission_kind = 'report' order by m.received_at limit 1"
    )  # fmt: skip
    import email
    import email.policy

    original = email.message_from_bytes(Path(archive_path).read_bytes(), policy=email.policy.default)
    form = next(p for p in original.iter_attachments() if (p.get_filename() or "").endswith(".docx"))
    raw = message(
        original["From"],
        "Báo cáo (Outlook)",
        attachments=[("winmail.dat", tnef([(form.get_filename(), form.get_content())]), "application/ms-tnef")],
        received=__import__("datetime").datetime.fromisoformat("2009-07-15T03:00:00+00:00"),
    )
    deliver(home.maildir, "9.tnef", raw)
    _intake(home)
    rows = _rows(home, "select state, reason_code from raw.messages where subject = 'Báo cáo (Outlook)'")
    assert rows == [("accepted", "accepted")]
    assert_invariant(home)


def test_winmail_dat_with_nothing_usable_is_quarantined_with_a_reason_and_a_reply(home, tmp_path):
    raw = message(
        address("P02"),
        "Báo cáo",
        attachments=[("winmail.dat", tnef([("logo.png", b"\x89PNG....")]), "application/ms-tnef")],
    )
    deliver(home.maildir, "1.tnef", raw)
    _intake(home)
    assert _rows(home, "select state, reason_code from raw.messages") == [("quarantined", "tnef_without_report")]
    _, sent, _ = _reply_all(home, tmp_path)
    assert len(sent) == 1 and "winmail.dat" in sent[0].get_body().get_content()


def test_random_bytes_and_empty_files_say_what_they_are(home):
    deliver(home.maildir, "1.empty", b"")
    deliver(home.maildir, "2.random", os.urandom(4096).replace(b":", b"."))
    _intake(home)
    rows = _rows(home, "select state, reason_code, reason_en from raw.messages order by reason_en")
    assert [(state, code) for state, code, _ in rows] == [("ignored", "not_an_email")] * 2
    texts = " ".join(en for *_, en in rows)
    assert "empty file" in texts and "4096 bytes" in texts and "sender  is" not in texts
    assert_invariant(home)


def test_a_message_moved_while_read_is_skipped_and_read_next_time(home, monkeypatch):
    """A mail client marks a message read (new/ → cur/) after intake listed the folder: the listed path is gone
    when the batch comes to read it."""
    from itreport.orchestration import intake_run

    deliver(home.maildir, "1.stays", message(address("BTC"), "Báo cáo", body="y"))
    moving = deliver(home.maildir, "2.moving", message(address("P02"), "Báo cáo", body="x"))
    plan = intake_run.plan_intake

    def plan_then_client_moves(*args, **kwargs):  # the real listing, then the real rename a client does
        planned = plan(*args, **kwargs)
        moving.rename(home.maildir / "cur" / (moving.name + ":2,S"))
        return planned

    monkeypatch.setattr(intake_run, "plan_intake", plan_then_client_moves)
    first = _intake(home)
    monkeypatch.undo()
    assert first.seen == 1
    second = _intake(home)  # 1.stays was filed as processed: only the moved file is listed, under its new name
    assert (second.seen, second.already_processed, sum(second.states.values())) == (1, 0, 1)
    assert unprocessed(home.maildir) == []
    assert_invariant(home)


@pytest.mark.parametrize(
    "subject",
    [
        "'); drop table raw.messages; --",
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "../../../../etc/passwd",
    ],
)
def test_injection_through_subject_file_name_and_values(home, tmp_path, subject):
    name = subject.replace("/", "_") + ".docx"
    form = form_docx(tmp_path, values={"1.1": "<b>1</b>'; drop table raw.submissions; --"})
    deliver(home.maildir, "1.hostile", message(address("P02"), subject, attachments=[(name, form, DOCX)]))
    deliver(home.maildir, "2.path", message(address("BTC"), "x", attachments=[("../../evil.docx", form, DOCX)]))
    _intake(home)
    assert _rows(home, "select count(*) from raw.messages") == [(2,)]
    assert not list(tmp_path.glob("**/evil.docx")) and not (home.home.parent / "evil.docx").exists()
    _, sent, _ = _reply_all(home, tmp_path)
    for email_message in sent:
        body = email_message.get_body().get_content()
        assert "<script>" not in body and "<img" not in body and "<b>1</b>" not in body
    assert_invariant(home)


def test_oversize_many_attachments_and_deep_nesting_are_decided(home):
    many = message(address("P02"), "200 tệp", attachments=[(f"a{i}.txt", b"x" * 100, "text/plain") for i in range(200)])
    deep_inner = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for depth in range(1000):
        boundary = f"b{depth}".encode()
        deep_inner = (
            b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n"
            + deep_inner + b"\r\n--" + boundary + b"--\r\n"
        )  # fmt: skip
    deep = message(address("BTC"), "sâu").split(b"\n\n", 1)[0].split(b"Content-Type")[0] + deep_inner
    big = message(address("P08"), "lớn", attachments=[("big.docx", b"PK" + b"\0" * (21 * 1024 * 1024), DOCX)])
    for name, raw in (("1.many", many), ("2.deep", deep), ("3.big", big)):
        deliver(home.maildir, name, raw)
    counts = _intake(home)
    assert sum(counts.states.values()) == 3
    assert_invariant(home)


def test_archive_mail_and_outbox_are_owner_only(home, tmp_path):
    deliver(home.maildir, "1.any", message(address("P02"), "Báo cáo", attachments=[("bc.docm", b"x", DOCX)]))
    _intake(home)
    _, _, outbox = _reply_all(home, tmp_path)
    files = [*home.archive_dir.rglob("*.eml"), *outbox.glob("*.eml")]
    folders = [home.archive_dir, *home.archive_dir.iterdir(), outbox]
    assert len(files) == 2
    assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}
    assert {oct(f.stat().st_mode & 0o777) for f in folders} == {"0o700"}
