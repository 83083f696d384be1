"""run_intake against a real IMAP server (pymap, on loopback): INTERNALDATE is the receipt time, each message is
read once, a new message is picked up by the next run, a UIDVALIDITY change re-reads the folder without counting
anything twice, nothing on the server is flagged or deleted, and an unreachable mailbox fails the run."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import pytest
from support.imap_server import PASSWORD, USER, ImapTestServer, free_port
from support.scratch import scratch_settings

from ingestion.mailbox.archive import message_hash
from ingestion.mailbox.imap import ImapAccount, ImapError

pytestmark = pytest.mark.xdist_group("imap")

SCRATCH_DB = "itreport_imap"
JULY = date(2009, 7, 1)
JULY_DEADLINE = datetime(2009, 7, 21, 17, 0, tzinfo=UTC)  # 22/07/2009 00:00 ICT
ICT = timezone(timedelta(hours=7))


def _message(unit: str | None, sent: datetime, *, sender: str | None = None, report: bool = True) -> bytes:
    """A message as the agency's client sent it, with CRLF line ends (as IMAP stores them)."""
    from ingestion.documents.form import build_form
    from ingestion.domain.catalogue import default_catalogue
    from ingestion.domain.registry import default_registry

    registry = default_registry()
    msg = EmailMessage()
    msg["From"] = sender or registry.get(unit).contact_email
    msg["To"] = "baocao.cntt@mic.gov.example"
    msg["Subject"] = "Báo cáo ứng dụng CNTT tháng 7"
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<{int(sent.timestamp())}.{unit or 'x'}@imap.test>"
    if report:
        msg.set_content("Kính gửi Cục,\n\nĐơn vị gửi báo cáo tháng 7 (tệp đính kèm).")
        kinds = {"yes_no": "Có", "text": "https://cong.gov.example", "percent": "55,5"}
        values = {i.indicator_code: kinds.get(i.value_type, "12") for i in default_catalogue().indicators}
        form = build_form(registry.get(unit or "P02"), JULY, values)
        msg.add_attachment(
            form,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename="BaoCao_CNTT.docx",
        )
    else:
        msg.set_content("Xin cảm ơn Cục đã hướng dẫn.")
    return msg.as_bytes(policy=SMTP)


def _mailbox() -> dict[str, tuple[bytes, datetime]]:
    """Named messages and the INTERNALDATE each is appended with."""
    on_time = _message("BNV", datetime(2009, 7, 10, 9, 57, tzinfo=ICT))
    return {
        "on_time": (on_time, datetime(2009, 7, 10, 10, 0, 0, tzinfo=ICT)),
        # the sender's Date: is before the deadline, the server received it after
        "date_before_internaldate_after": (
            _message("BNNPTNT", JULY_DEADLINE - timedelta(minutes=30)),
            JULY_DEADLINE + timedelta(seconds=5),
        ),
        "unknown_sender": (
            _message(None, datetime(2009, 7, 11, 2, 0, tzinfo=UTC), sender="vanthu@yahoo.example"),
            datetime(2009, 7, 11, 2, 1, tzinfo=UTC),
        ),
        "thanks": (
            _message("BNV", datetime(2009, 7, 12, 2, 0, tzinfo=UTC), report=False),
            datetime(2009, 7, 12, 2, 1, tzinfo=UTC),
        ),
        "on_time_again": (on_time, datetime(2009, 7, 12, 5, 0, tzinfo=UTC)),  # the same bytes delivered twice
        "appended_later": (
            _message("BTP", datetime(2009, 7, 15, 1, 0, tzinfo=UTC)),
            datetime(2009, 7, 15, 1, 0, 30, tzinfo=UTC),
        ),
        "after_migration": (
            _message("BCT", datetime(2009, 7, 16, 1, 0, tzinfo=UTC)),
            datetime(2009, 7, 16, 1, 0, 30, tzinfo=UTC),
        ),
    }


FIRST = ["on_time", "date_before_internaldate_after", "unknown_sender", "thanks", "on_time_again"]


def _ledger(url: str) -> dict[str, tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select m.message_hash, m.state, m.reason_code, m.received_at, m.date_header, m.source, s.received_at "
            "from raw.messages m left join raw.submissions s using (message_hash)"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _mark(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("select uidvalidity, last_uid from raw.imap_state").fetchone()


def _server_view(server: ImapTestServer) -> tuple[int, list[tuple]]:
    client = server.client()
    try:
        client.select_folder("INBOX", readonly=True)
        flags = client.fetch(client.search("ALL"), ["FLAGS"])
        return len(flags), [data[b"FLAGS"] for data in flags.values()]
    finally:
        client.logout()


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    server = ImapTestServer(tmp_path_factory.mktemp("pymap"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def imap_run(settings, imap_server, tmp_path_factory):
    from itreport.orchestration.intake_run import run_intake

    scratch = scratch_settings(settings, tmp_path_factory.mktemp("imap-home"), SCRATCH_DB)
    account = ImapAccount(host="127.0.0.1", port=imap_server.port, user=USER, password=PASSWORD, security="plain")
    scratch = dataclasses.replace(scratch, imap=account)
    mailbox = _mailbox()
    url = scratch.warehouse_url

    imap_server.append([mailbox[name] for name in FIRST])
    first = run_intake(scratch)
    after_first, mark_first = _ledger(url), _mark(url)
    second = run_intake(scratch)
    after_second = _ledger(url)

    imap_server.append([mailbox["appended_later"]])
    third = run_intake(scratch)
    after_third, mark_third = _ledger(url), _mark(url)
    server_after_reads = _server_view(imap_server)

    old_uidvalidity = imap_server.uidvalidity()
    imap_server.restart()
    imap_server.append([mailbox[name] for name in [*FIRST, "appended_later", "after_migration"]])
    new_uidvalidity = imap_server.uidvalidity()
    fourth = run_intake(scratch)
    after_fourth, mark_fourth = _ledger(url), _mark(url)
    fifth = run_intake(scratch)
    return {
        "settings": scratch,
        "mailbox": mailbox,
        "runs": [first, second, third, fourth, fifth],
        "ledgers": [after_first, after_second, after_third, after_fourth, _ledger(url)],
        "marks": [mark_first, mark_third, mark_fourth],
        "uidvalidity": (old_uidvalidity, new_uidvalidity),
        "server_after_reads": server_after_reads,
    }


def test_receipt_time_is_internaldate_not_the_date_header(imap_run):
    mailbox, ledger = imap_run["mailbox"], imap_run["ledgers"][0]
    for name in FIRST[:4]:
        raw, internaldate = mailbox[name]
        state, reason, received_at, date_header, source, submitted_at = ledger[message_hash(raw)]
        assert received_at == internaldate, name
        assert source == "imap:127.0.0.1/INBOX"
    raw, internaldate = mailbox["date_before_internaldate_after"]
    state, reason, received_at, date_header, _, submitted_at = ledger[message_hash(raw)]
    assert (state, reason) == ("accepted", "accepted")
    assert date_header < JULY_DEADLINE <= received_at == submitted_at == internaldate
    assert received_at.utcoffset() is not None


def test_first_run_decides_every_message_once(imap_run):
    first, mailbox, ledger = imap_run["runs"][0], imap_run["mailbox"], imap_run["ledgers"][0]
    assert (first.seen, first.already_processed) == (5, 1)  # "on_time_again" is the same bytes as "on_time"
    assert dict(first.states) == {"accepted": 2, "quarantined": 1, "ignored": 1}
    assert ledger[message_hash(mailbox["unknown_sender"][0])][:2] == ("quarantined", "unknown_sender")
    assert ledger[message_hash(mailbox["thanks"][0])][:2] == ("ignored", "not_a_submission")
    assert first.source == "imap:127.0.0.1/INBOX" and first.notes == []


def test_a_second_run_reads_nothing(imap_run):
    second = imap_run["runs"][1]
    assert (second.seen, second.already_processed, sum(second.states.values())) == (0, 0, 0)
    assert imap_run["ledgers"][1] == imap_run["ledgers"][0]


def test_a_new_message_is_read_by_the_next_run(imap_run):
    third, mailbox = imap_run["runs"][2], imap_run["mailbox"]
    assert (third.seen, dict(third.states)) == (1, {"accepted": 1})
    added = set(imap_run["ledgers"][2]) - set(imap_run["ledgers"][1])
    assert added == {message_hash(mailbox["appended_later"][0])}
    (uidvalidity, first_uid), (same_uidvalidity, last_uid) = imap_run["marks"][:2]
    assert same_uidvalidity == uidvalidity and last_uid == first_uid + 1


def test_the_server_is_only_read(imap_run):
    count, flags = imap_run["server_after_reads"]
    assert count == 6
    assert all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags), flags


def test_a_new_uidvalidity_rereads_the_folder_without_counting_twice(imap_run):
    old, new = imap_run["uidvalidity"]
    assert old != new
    fourth, fifth, mailbox = imap_run["runs"][3], imap_run["runs"][4], imap_run["mailbox"]
    assert fourth.notes and f"UIDVALIDITY of imap:127.0.0.1/INBOX changed from {old} to {new}" in fourth.notes[0]
    assert (fourth.seen, fourth.already_processed, dict(fourth.states)) == (7, 6, {"accepted": 1})
    ledgers = imap_run["ledgers"]
    assert set(ledgers[3]) - set(ledgers[2]) == {message_hash(mailbox["after_migration"][0])}
    assert {h: row for h, row in ledgers[3].items() if h in ledgers[2]} == ledgers[2]
    uidvalidity, last_uid = imap_run["marks"][2]
    assert uidvalidity == new and last_uid >= 7
    assert (fifth.seen, fifth.notes, sum(fifth.states.values())) == (0, [], 0)


def test_messages_in_equal_archived_equal_decided(imap_run):
    distinct = {message_hash(raw) for raw, _ in imap_run["mailbox"].values()}
    archived = list(imap_run["settings"].archive_dir.rglob("*.eml"))
    decided = sum(sum(run.states.values()) for run in imap_run["runs"])
    states = sum((run.states for run in imap_run["runs"]), start=Counter())
    assert len(distinct) == 6 == len(archived) == len(imap_run["ledgers"][-1]) == decided
    assert decided == states["accepted"] + states["quarantined"] + states["ignored"]
    assert {p.stem for p in archived} == distinct


def test_an_unreachable_server_fails_the_run(imap_run):
    from itreport.orchestration.intake_run import run_intake

    scratch = imap_run["settings"]
    closed = dataclasses.replace(scratch.imap, port=free_port())
    with pytest.raises(ImapError, match=f"cannot connect to IMAP server 127.0.0.1:{closed.port}"):
        run_intake(dataclasses.replace(scratch, imap=closed))


def test_a_wrong_password_or_folder_fails_the_run(imap_run):
    from itreport.orchestration.intake_run import run_intake

    scratch = imap_run["settings"]
    with pytest.raises(ImapError, match=r"IMAP login as .* failed"):
        run_intake(dataclasses.replace(scratch, imap=dataclasses.replace(scratch.imap, password="sai")))
    with pytest.raises(ImapError, match="cannot open IMAP folder 'BaoCao'"):
        run_intake(dataclasses.replace(scratch, imap=dataclasses.replace(scratch.imap, folder="BaoCao")))
    assert _ledger(scratch.warehouse_url) == imap_run["ledgers"][-1]


def test_settings_choose_the_source():
    from itreport.config.settings import Settings
    from itreport.orchestration.intake_run import mail_source

    maildir = Settings.from_env({"ITREPORT_HOME": "/tmp/itreport-settings"})
    assert maildir.imap is None
    assert mail_source(maildir).name == "maildir:/tmp/itreport-settings/mail/inbox"
    imap = Settings.from_env({"ITREPORT_HOME": "/tmp/itreport-settings", "ITREPORT_IMAP_HOST": "imap.mic.example"})
    assert imap.imap == ImapAccount("imap.mic.example", 993, "baocao.cntt@mic.gov.example", "", "INBOX", "ssl", None)
    assert mail_source(imap).name == "imap:imap.mic.example/INBOX"
    plain = Settings.from_env(
        {
            "ITREPORT_IMAP_HOST": "127.0.0.1",
            "ITREPORT_IMAP_SECURITY": "plain",
            "ITREPORT_IMAP_USER": "u",
            "ITREPORT_IMAP_PASSWORD": "bi-mat",
            "ITREPORT_IMAP_FOLDER": "BaoCao",
        }
    )
    assert (plain.imap.port, plain.imap.security, plain.imap.folder) == (143, "plain", "BaoCao")
    assert "bi-mat" not in repr(plain)


def _imap(**variables: str) -> ImapAccount:
    from itreport.config.settings import Settings

    env = {"ITREPORT_IMAP_HOST": "imap.mic.example"}
    env.update({f"ITREPORT_IMAP_{name.upper()}": value for name, value in variables.items()})
    return Settings.from_env(env).imap


def test_settings_choose_the_connection_security():
    assert (_imap().security, _imap().port, _imap().ca_file) == ("ssl", 993, None)
    starttls = _imap(security=" STARTTLS ", ca_file="/etc/itreport/ca-bo.pem")
    assert (starttls.security, starttls.port, starttls.ca_file) == ("starttls", 143, "/etc/itreport/ca-bo.pem")
    assert (_imap(security="starttls", port="1143").port, _imap(security="ssl", port="10993").port) == (1143, 10993)
    assert (_imap(security="plain").security, _imap(security="plain").port) == ("plain", 143)
    with pytest.raises(ValueError, match="ITREPORT_IMAP_SECURITY must be ssl, starttls or plain, not 'tls'"):
        _imap(security="tls")
    with pytest.raises(ValueError, match="IMAP security must be one of ssl, starttls, plain"):
        ImapAccount("imap.mic.example", 993, USER, PASSWORD, security="tls")


def test_the_older_ssl_flag_still_works():
    """ITREPORT_IMAP_SSL (before ITREPORT_IMAP_SECURITY): true is ssl, false is plain; never contradicted."""
    assert (_imap(ssl="true").security, _imap(ssl="true").port) == ("ssl", 993)
    assert (_imap(ssl="false").security, _imap(ssl="false").port) == ("plain", 143)
    assert _imap(ssl="false", security="plain").security == "plain"
    with pytest.raises(ValueError, match="ITREPORT_IMAP_SSL"):
        _imap(ssl="maybe")
    with pytest.raises(ValueError, match="ITREPORT_IMAP_SECURITY=starttls contradicts ITREPORT_IMAP_SSL=false"):
        _imap(ssl="false", security="starttls")


def test_fetches_are_batched_by_count_and_size():
    from ingestion.mailbox.imap import BATCH_BYTES, BATCH_MESSAGES, _batches

    uids = list(range(1, 2 * BATCH_MESSAGES + 2))
    assert [len(b) for b in _batches(uids, {})] == [BATCH_MESSAGES, BATCH_MESSAGES, 1]
    sizes = {1: BATCH_BYTES // 2, 2: BATCH_BYTES // 2, 3: 2 * BATCH_BYTES, 4: 10}
    assert list(_batches([1, 2, 3, 4], sizes)) == [[1, 2], [3], [4]]


def test_a_uidnext_below_the_mark_rereads_the_folder():
    from ingestion.mailbox.imap import ImapSource, ReadMark

    source = ImapSource(ImapAccount("imap.mic.example", 993, USER, PASSWORD))
    assert source._start_after(None, 7, 10) == 0
    assert source._start_after(ReadMark(7, 200), 7, 201) == 200
    assert source.notes == []
    assert source._start_after(ReadMark(7, 200), 7, 150) == 0
    assert "UIDNEXT of imap:imap.mic.example/INBOX is 150" in source.notes[0]
