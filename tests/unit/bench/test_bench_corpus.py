"""The bench's corpora are real mail the product reads as a real month: the national month's reports are accepted
(but for the few it must quarantine), and the templated forms are the product's form, byte for byte."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bench import corpus, form_template, synthetic
from ingestion.decide.classify import assess
from ingestion.documents.form import build_form
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import MessageState
from ingestion.domain.registry import default_registry, load_registry
from ingestion.mailbox.headers import to_inbound
from ingestion.mailbox.maildir import iter_maildir
from itreport.demo.sample_mail.records import Context
from itreport.demo.sample_mail.values import form_values

MX = "mx.baocao-cntt.gov.example"


def test_the_national_month_is_a_realistic_month_the_product_accepts(tmp_path):
    from expectations.validate import validate_submissions

    units = 200
    month = synthetic.build_month(tmp_path, units, workers=1)
    registry = load_registry(month.seeds_dir)
    assert len(registry.units) == units
    assert not {u.unit_code for u in registry.units} & {u.unit_code for u in default_registry().units}
    assert sum(month.plan.values()) == units and month.messages == units - month.plan["missing"]
    assert month.plan["on_time"] > 0.8 * units and month.plan["late"] and month.plan["blank_required"]
    decided, submissions = Counter(), []
    deadline = DeadlineRule()
    for _, raw, _ in iter_maildir(month.maildir):
        message = to_inbound(raw, source="bench", mx_host=MX)
        result = assess(message, registry=registry, catalogue=default_catalogue(), deadline=deadline, mx_host=MX)
        assert result.decision.state is MessageState.ACCEPTED, result.decision.reason_en
        decided["late" if message.received_at >= deadline.deadline(date(2009, 6, 1)) else "on_time"] += 1
        submissions.append(result.submission)
    assert decided["late"] == month.plan["late"]
    failing = validate_submissions(submissions, default_catalogue(), home=tmp_path / "home")
    assert len(failing) == month.plan["blank_required"]  # a required figure left blank: GX quarantines it
    assert all("required" in p.message_en for found in failing.values() for p in found)
    assert synthetic.build_month(tmp_path, units).maildir == month.maildir  # cached: the same folder again


@pytest.mark.parametrize("case", ["filled", "some blank", "escaped text", "no reporter, several lines"])
def test_a_templated_form_is_the_product_form_byte_for_byte(case):
    catalogue = default_catalogue()
    period = date(2011, 3, 1)
    unit = default_registry().expected(period)[7]
    ctx = Context(period, 2009, "", "", DeadlineRule(), catalogue, False, random.Random(0))
    values = form_values(ctx, unit, period)
    texts = {"difficulties": "Thiếu kinh phí", "proposals": "Bổ sung biên chế", "reporter": "Nguyễn Văn An"}
    if case == "some blank":
        values = {code: value for index, (code, value) in enumerate(values.items()) if index % 3}
    elif case == "escaped text":
        values[next(iter(values))] = "A & B <C>"
        texts["proposals"] = "Hạ tầng & mạng <LAN>"
    elif case == "no reporter, several lines":
        texts = {"difficulties": "Dòng một\n\nDòng hai\n", "proposals": "", "reporter": ""}
    expected = build_form(unit, period, values, catalogue=catalogue, **texts)
    assert form_template.build_form(unit, period, values, catalogue=catalogue, **texts) == expected


def _two_months(source: Path) -> Path:
    """A corpus Maildir: two messages of 2009-06 (one in ``new/``, one read in ``cur/``) and one of 2009-07."""
    for sub, name in (("new", "2009-06.0001.aa"), ("cur", "2009-06.0002.bb:2,S"), ("new", "2009-07.0001.cc")):
        (source / sub).mkdir(parents=True, exist_ok=True)
        (source / sub / name).write_bytes(name.encode())
    return source


def test_a_month_is_delivered_by_its_file_names_and_other_months_stay_out(tmp_path):
    source = _two_months(tmp_path / "corpus")
    target = corpus.copy_months(source, ["2009-06"], tmp_path / "inbox")
    assert sorted(p.name for p in target.rglob("*") if p.is_file()) == ["2009-06.0001.aa", "2009-06.0002.bb:2,S"]
    assert (target / "new" / "2009-06.0001.aa").read_bytes() == b"2009-06.0001.aa"


def test_a_month_filed_as_processed_is_not_delivered_again_and_a_snapshot_restores_the_mailbox(tmp_path):
    from ingestion.mailbox.maildir import PROCESSED, file_processed

    source = _two_months(tmp_path / "corpus")
    target = corpus.copy_months(source, ["2009-06"], tmp_path / "inbox")
    assert file_processed(target, ["new/2009-06.0001.aa", "cur/2009-06.0002.bb:2,S"]) == 2  # as intake leaves it
    corpus.deliver(source, ["2009-06"], target)  # the month's close delivers it again: nothing arrives
    assert [p.name for p in target.rglob("*") if p.is_file() and PROCESSED not in p.parts] == []
    saved = corpus.snapshot(target, tmp_path / "saved")
    corpus.deliver(source, ["2009-07"], target)
    file_processed(target, ["new/2009-07.0001.cc"])
    restored = corpus.snapshot(saved, target)
    filed = sorted(p.name for p in (restored / PROCESSED / "cur").iterdir())
    assert filed == ["2009-06.0001.aa:2,", "2009-06.0002.bb:2,S"] and list((restored / "new").iterdir()) == []
    assert (restored / PROCESSED / "cur" / "2009-06.0001.aa:2,").stat().st_ino == (
        source / "new" / "2009-06.0001.aa"
    ).stat().st_ino
