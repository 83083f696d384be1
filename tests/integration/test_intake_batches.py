"""Intake in batches on a mailbox that keeps earlier months: files whose message the ledger holds are remembered
and not read again; a second month in small batches lands as in one batch (its value warnings too); nothing new
still finishes."""

from __future__ import annotations

import dataclasses
import os
from datetime import date

import psycopg
import pytest
from support.scratch import scratch_settings

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


def test_remembered_files_are_not_read_again(scratch):
    from itreport.orchestration.intake_run import run_intake

    first = run_intake(scratch)
    files = sorted(f for sub in ("new", "cur") for f in (scratch.maildir / sub).iterdir())
    assert first.seen == len(files) == len(_ledger(scratch.warehouse_url))
    # Same size and mtime, other bytes: a run that read the file again would find a new message.
    victim = files[0]
    stat = victim.stat()
    victim.write_bytes(b"x" * stat.st_size)
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = run_intake(scratch)
    assert (second.seen, second.already_processed, sum(second.states.values())) == (len(files), len(files), 0)
    # A file touched since it was read is read again (and its bytes are a message the ledger does not know).
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    third = run_intake(scratch)
    assert (third.already_processed, sum(third.states.values())) == (len(files) - 1, 1)


def test_a_month_in_small_batches_lands_as_in_one_batch(scratch, settings, tmp_path):
    from itreport.demo.sample_mail import generate_mailbox
    from itreport.orchestration.intake_run import plan_intake, run_intake

    run_intake(scratch)
    generate_mailbox(scratch.maildir, JULY, units=6, with_doc=False)
    assert len(plan_intake(scratch).batches) >= 2
    july = run_intake(scratch)
    single = dataclasses.replace(
        scratch_settings(settings, tmp_path / "single", "batches_single_reference"),
        maildir=scratch.maildir,
        intake_batch_size=10_000,
    )
    run_intake(single)
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
    assert counts.seen == counts.already_processed > 0 and not counts.states
