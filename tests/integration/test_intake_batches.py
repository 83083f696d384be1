"""Intake in batches on a mailbox that keeps earlier months: a recorded file is filed into the Maildir's processed
folder once its transaction committed, so a later run reads only the new mail; a file recorded but not filed (a
crash between the commit and the move) is filed without being read again; a second month in small batches lands
as in one batch (its value warnings too, a report scored before a later batch brought its unit's last month
included); batches load one at a time; nothing new still finishes."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from datetime import date
from pathlib import Path

import psycopg
import pytest
from support.mail_builders import at, form, message
from support.scratch import filed_name, mail_files, processed, scratch_settings, unprocessed

JUNE, JULY = date(2009, 6, 1), date(2009, 7, 1)


@pytest.fixture
def scratch(settings, tmp_path, request):
    from itreport.demo.sample_mail import generate_mailbox

    name = "batches_" + request.node.name[5:40].lower()
    scratch = scratch_settings(settings, tmp_path / "home", name, intake_batch_size=4)
    generate_mailbox(scratch.maildir, JUNE, units=6, with_doc=False)
    return scratch


def _ledger(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select message_hash, state, reason_code from raw.messages order by 1").fetchall()


def _warnings(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select message_hash, indicator_code, warning_code, value, expected_low, expected_high "
            "from raw.value_warnings order by 1, 2, 3"
        ).fetchall()


def _committed_hashes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:  # a connection of its own: only what intake committed
        return {row[0] for row in conn.execute("select message_hash from raw.messages")}


def test_recorded_files_are_filed_as_processed(scratch):
    from ingestion.mailbox.archive import message_hash
    from ingestion.mailbox.maildir import PROCESSED
    from itreport.orchestration.intake_run import run_intake

    (scratch.maildir / "new" / "2009-06.9999.junk").write_bytes(b"")  # not an email: ignored
    seen = unprocessed(scratch.maildir)[0]  # one a mail client showed: moved to cur/, flagged seen
    os.rename(seen, scratch.maildir / "cur" / f"{seen.name}:2,S")
    files = unprocessed(scratch.maildir)
    # filed as Maildir names a file in cur/: with its info, empty (not seen) for one from new/
    names = {f.name + (":2," if f.parent.name == "new" else "") for f in files}
    assert {f.parent.name for f in files} == {"new", "cur"} and all(":2," in n for n in names)
    early: list[str] = []

    def check() -> None:  # while a batch decides: a file filed is one whose message is committed
        committed = _committed_hashes(scratch.warehouse_url)
        early.extend(f.name for f in processed(scratch.maildir) if message_hash(f.read_bytes()) not in committed)

    first = run_intake(scratch, on_message=check)
    assert early == []
    assert first.seen == len(files) == len(_ledger(scratch.warehouse_url))
    assert {"accepted", "quarantined", "ignored"} <= set(first.states)  # every verdict is filed
    assert unprocessed(scratch.maildir) == []
    assert {f.name for f in processed(scratch.maildir)} == names
    assert all((scratch.maildir / PROCESSED / sub).is_dir() for sub in ("new", "cur", "tmp"))
    # A processed file is not looked at again, whatever becomes of it.
    victim = processed(scratch.maildir)[0]
    victim.write_bytes(b"x" * 10)
    second = run_intake(scratch)
    assert (second.seen, second.already_processed, sum(second.states.values())) == (0, 0, 0)


def test_a_file_recorded_but_not_filed_is_filed_without_being_read(scratch):
    from ingestion.mailbox.maildir import PROCESSED
    from itreport.orchestration.intake_run import run_intake

    back = next(f for f in unprocessed(scratch.maildir) if f.parent.name == "new")
    run_intake(scratch)
    ledger = _ledger(scratch.warehouse_url)
    # As if the worker died between the commit and the move: the file is back where it was read.
    victim = scratch.maildir / PROCESSED / "cur" / filed_name(back)
    os.rename(victim, back)
    # Same size and mtime, other bytes: a run that read the file again would find a new message.
    stat = back.stat()
    back.write_bytes(b"x" * stat.st_size)
    os.utime(back, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = run_intake(scratch)
    assert (second.seen, second.already_processed, sum(second.states.values())) == (1, 1, 0)
    assert unprocessed(scratch.maildir) == [] and _ledger(scratch.warehouse_url) == ledger
    # One changed since it was recorded (touched) is read again: its bytes are a message the ledger does not know.
    os.rename(victim, back)
    os.utime(back, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    third = run_intake(scratch)
    assert (third.seen, third.already_processed, sum(third.states.values())) == (1, 0, 1)
    assert unprocessed(scratch.maildir) == [] and len(_ledger(scratch.warehouse_url)) == len(ledger) + 1


class Crash(BaseException):
    pass


def test_a_crash_before_the_commit_leaves_the_files_to_read_again(scratch):
    from itreport.orchestration.intake_run import intake_batch, plan_intake, run_intake

    plan = plan_intake(scratch)
    files = unprocessed(scratch.maildir)
    first, second = ({Path(key).name + ":2," for key in batch.keys} for batch in plan.batches[:2])  # all in new/
    intake_batch(scratch, plan.batches[0])
    assert {f.name for f in processed(scratch.maildir)} == first  # committed, then filed

    def crash() -> None:
        raise Crash  # not an Exception: it goes through decide() as a dying worker would

    with pytest.raises(Crash):
        intake_batch(scratch, plan.batches[1], on_message=crash)
    assert {f.name for f in processed(scratch.maildir)} == first  # the second batch's files stay where they were
    assert second <= {f"{f.name}:2," for f in unprocessed(scratch.maildir)}
    again = run_intake(scratch)
    assert again.seen == len(files) - len(first) and again.already_processed == 0
    assert len(_ledger(scratch.warehouse_url)) == len(files) and unprocessed(scratch.maildir) == []


def test_a_copy_already_recorded_is_filed_too(scratch, tmp_path):
    from itreport.orchestration.intake_run import run_intake

    run_intake(scratch)
    copy = scratch.maildir / "new" / ("copy." + processed(scratch.maildir)[0].name)
    shutil.copy2(processed(scratch.maildir)[0], copy)
    again = run_intake(scratch)
    assert (again.seen, again.already_processed, sum(again.states.values())) == (1, 1, 0)
    assert unprocessed(scratch.maildir) == [] and copy.name in {f.name for f in processed(scratch.maildir)}


def test_a_copy_delivered_with_its_original_is_filed_once_the_original_is_recorded(scratch):
    from itreport.orchestration.intake_run import run_intake

    original = unprocessed(scratch.maildir)[0]
    copy = original.with_name("copy." + original.name)
    shutil.copy2(original, copy)
    first = run_intake(scratch)
    assert first.seen == len(_ledger(scratch.warehouse_url)) + 1 and first.already_processed == 1
    assert unprocessed(scratch.maildir) == [] and {filed_name(original), filed_name(copy)} <= {
        f.name for f in processed(scratch.maildir)
    }


def _copy_mailbox(maildir: Path, target: Path) -> Path:
    """Every message of ``maildir`` (processed or not) unread in a Maildir of its own, mtimes kept."""
    for sub in ("tmp", "new", "cur"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    for file in mail_files(maildir):
        shutil.copy2(file, target / "new" / file.name)
    return target


def _in_one_batch(scratch, settings, tmp_path: Path, database: str):
    """The settings of a warehouse of its own that took every message of ``scratch``'s mailbox in one batch."""
    from itreport.orchestration.intake_run import run_intake

    single = dataclasses.replace(
        scratch_settings(settings, tmp_path / "single", database),
        maildir=_copy_mailbox(scratch.maildir, tmp_path / "single-mail"),
        intake_batch_size=10_000,
    )
    run_intake(single)
    return single


def test_a_month_in_small_batches_lands_as_in_one_batch(scratch, settings, tmp_path):
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration.intake_run import plan_intake, run_intake

    run_intake(scratch)
    generate_mailbox(scratch.maildir, JULY, units=6, with_doc=False)
    july_files = unprocessed(scratch.maildir)
    assert july_files and all(f.name.startswith("2009-07.") for f in july_files)
    assert len(plan_intake(scratch).batches) >= 2
    july = run_intake(scratch)
    assert july.seen == len(july_files)  # June's files were filed: only July's are read
    single = _in_one_batch(scratch, settings, tmp_path, "batches_single_reference")
    assert _ledger(scratch.warehouse_url) == _ledger(single.warehouse_url)
    # the run's value warnings are recorded a batch's worth of reports at a time: the same as all at once
    assert _warnings(scratch.warehouse_url) == _warnings(single.warehouse_url)
    assert sum(july.states.values()) == july.seen - july.already_processed > 0


def test_nothing_new_still_finishes(scratch):
    from itreport.orchestration.intake_run import finish_intake, plan_intake, run_intake

    run_intake(scratch)
    plan = plan_intake(scratch)
    assert plan.batches == []
    counts = finish_intake(scratch, plan, [])
    assert counts.seen == counts.already_processed == 0 and not counts.states


def _late_month_mailbox(settings, tmp_path, name: str, batch_size: int):
    """Unit BTP's July report, then (in receipt order, so in a later batch of 2) its late June report with the same
    figures: a report unchanged from the month before, which only a history read after both loaded can tell."""
    scratch = scratch_settings(settings, tmp_path / name, "batches_" + name, intake_batch_size=batch_size)
    for sub in ("tmp", "new", "cur"):
        (scratch.maildir / sub).mkdir(parents=True, exist_ok=True)
    mail = [("BTP", JULY, 25), ("BTC", JULY, 26), ("BTP", JUNE, 28), ("BYT", JULY, 29)]  # June's after the 22nd
    for number, (unit, period, day) in enumerate(mail):
        raw = message(unit, at(day), attachment=form(unit, period, seed=12 + (unit != "BTP")))
        (scratch.maildir / "new" / f"{number}.{unit}.{period:%Y-%m}.eml").write_bytes(raw)
    return scratch


def _unit_warnings(url: str, unit: str, period: date) -> set[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select w.indicator_code, w.warning_code from raw.value_warnings w "
            "join raw.submissions s using (message_hash) where s.unit_code = %s and s.period_month = %s",
            (unit, period),
        ).fetchall()
    return set(rows)


def test_a_report_a_later_batch_brought_history_for_is_scored_again(settings, tmp_path):
    from itreport.orchestration.intake_run import finish_intake, intake_batch, plan_intake

    scratch = _late_month_mailbox(settings, tmp_path, "late_month", batch_size=2)
    plan = plan_intake(scratch)
    assert len(plan.batches) == 2
    outcomes = [intake_batch(scratch, batch) for batch in plan.batches]
    assert ("*", "same_as_last_month") not in _unit_warnings(scratch.warehouse_url, "BTP", JULY)  # June not in yet
    counts = finish_intake(scratch, plan, outcomes)
    assert counts.states["accepted"] == 4
    july = _unit_warnings(scratch.warehouse_url, "BTP", JULY)
    assert ("*", "same_as_last_month") in july
    assert counts.rows_inserted["value_warnings"] == len(_warnings(scratch.warehouse_url))
    single = _in_one_batch(scratch, settings, tmp_path, "batches_late_month_single")
    assert _warnings(scratch.warehouse_url) == _warnings(single.warehouse_url)
    assert finish_intake(scratch, plan, outcomes).rows_inserted["value_warnings"] == 0  # a re-run changes nothing
    assert _unit_warnings(scratch.warehouse_url, "BTP", JULY) == july


def test_batches_load_one_at_a_time(settings, tmp_path):
    """A batch waits for the load lock of one loading before it, and stamps its rows after that one committed: the
    order of ``loaded_at`` is the order batches saw each other in (what the finishing step's re-scoring reads)."""
    from ingestion.load import LOAD_LOCK, begin_loading
    from itreport.orchestration.intake_run import intake_batch, plan_intake

    scratch = _late_month_mailbox(settings, tmp_path, "load_lock", batch_size=10)
    plan = plan_intake(scratch)
    done: list[BaseException | None] = []

    def run() -> None:
        try:
            intake_batch(scratch, plan.batches[0])
            done.append(None)
        except BaseException as error:  # handed to the test's thread
            done.append(error)

    with psycopg.connect(scratch.warehouse_url) as other, psycopg.connect(scratch.warehouse_url) as watch:
        watch.autocommit = True
        begin_loading(other)
        batch = threading.Thread(target=run)
        batch.start()
        waiting = "select count(*) from pg_locks where locktype = 'advisory' and objid = %s and not granted"
        # until the batch waits for the lock (it decides its four messages first) or ends without waiting for it
        while batch.is_alive() and not watch.execute(waiting, (LOAD_LOCK,)).fetchone()[0]:
            threading.Event().wait(0.01)
        assert batch.is_alive() and done == []
        assert watch.execute("select count(*) from raw.submissions").fetchone()[0] == 0
        released = other.execute("select clock_timestamp()").fetchone()[0]
        other.commit()
        batch.join()
    assert done == [None]
    with psycopg.connect(scratch.warehouse_url) as conn:
        stamps = {row[0] for row in conn.execute("select loaded_at from raw.submissions")}
    assert len(stamps) == 1 and stamps.pop() > released
