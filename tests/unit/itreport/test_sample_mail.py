"""The sample mailbox: deterministic, parseable, shaped like real clients' mail, and its ground truth right."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import random
import re
import shutil
import unicodedata
import zipfile
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from ingestion.documents.values import normalise_value, parse_number
from ingestion.domain.catalogue import Indicator, default_catalogue
from ingestion.domain.periods import FIRST_PERIOD, DeadlineRule, add_months, format_period
from ingestion.domain.records import SubmissionKind
from ingestion.domain.registry import ReportingUnit, default_registry
from itreport.demo.sample_mail import (
    Context,
    GroundTruth,
    form_values,
    generate_mailbox,
    read_ground_truth,
    slip,
    warning_pairs,
)
from itreport.demo.sample_mail.values import value_profiles

pytestmark = pytest.mark.xdist_group("sample_mail")  # one worker generates each module-scoped mailbox

MX = "mx.baocao-cntt.gov.example"
JUNE, JULY, AUGUST = date(2009, 6, 1), date(2009, 7, 1), date(2009, 8, 1)
RULE = DeadlineRule()
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)
BAD_MESSAGES = {
    "unknown_sender": ("quarantined", "unknown_sender"),
    "corrupt_attachment": ("quarantined", "unreadable_attachment"),
    "wrong_period": ("quarantined", "wrong_period"),
    "forgotten_attachment": ("ignored", "not_a_submission"),
}
WARNING_STORIES = {"on_time_report_typo": "jump", "on_time_report_unchanged": "same_as_last_month"}


def _files(maildir: Path, period: date) -> dict[str, Path]:
    return {p.name: p for sub in ("new", "cur") for p in sorted((maildir / sub).glob(f"{format_period(period)}.*"))}


def _parse(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def _top_receipt(msg: EmailMessage) -> datetime:
    """The receipt time from the topmost Received header, which must be our server's."""
    top = " ".join(str(msg.get_all("Received")[0]).split())
    assert f"by {MX} " in top, top
    return parsedate_to_datetime(top.rsplit(";", 1)[1].strip()).astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[date, GroundTruth]]:
    """Two periods of 20 units in one Maildir, as the demo writes them (.docx only: fast)."""
    maildir = tmp_path_factory.mktemp("mail") / "inbox"
    truths = {p: generate_mailbox(maildir, p, units=20, with_doc=False) for p in (JUNE, JULY)}
    return maildir, truths


@pytest.fixture(scope="module")
def all_units(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    """Every expected unit of 2009-07, with .doc reports when LibreOffice is installed."""
    maildir = tmp_path_factory.mktemp("all") / "inbox"
    return maildir, generate_mailbox(maildir, JULY)


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    """Byte for byte, .doc conversions included when LibreOffice is installed."""
    runs = {}
    for name, seed in (("a", 2009), ("b", 2009), ("c", 7)):
        maildir = tmp_path / name / "inbox"
        generate_mailbox(maildir, JULY, units=20, seed=seed, with_doc=None if seed == 2009 else False)
        files = _files(maildir, JULY)
        truth = (tmp_path / name / "ground_truth-2009-07.csv").read_bytes()
        ledger = (tmp_path / name / "messages-2009-07.csv").read_bytes()
        runs[name] = ({n: p.read_bytes() for n, p in files.items()}, truth, ledger)
    assert runs["a"] == runs["b"]
    assert b",jump:" in runs["a"][2] and b",same_as_last_month:*" in runs["a"][2]
    assert set(runs["a"][0]) != set(runs["c"][0])
    assert runs["a"][1] != runs["c"][1]


def test_maildir_layout_and_names(mailbox) -> None:
    maildir, truths = mailbox
    assert all((maildir / sub).is_dir() for sub in ("new", "cur", "tmp"))
    for period, truth in truths.items():
        names = _files(maildir, period)
        assert sorted(names) == sorted(m.file for m in truth.messages)
        for name in names:
            assert re.fullmatch(rf"{format_period(period)}\.\d{{4}}\.[0-9a-f]{{12}}(:2,S)?", name), name


def test_regenerating_a_period_replaces_only_its_files(tmp_path: Path) -> None:
    maildir = tmp_path / "inbox"
    generate_mailbox(maildir, JUNE, units=5, with_doc=False)
    june = set(_files(maildir, JUNE))
    generate_mailbox(maildir, JULY, units=5, with_doc=False)
    generate_mailbox(maildir, JULY, units=6, seed=3, with_doc=False)
    assert set(_files(maildir, JUNE)) == june
    assert {r["file"] for r in read_ground_truth(tmp_path / "messages-2009-07.csv")} == set(_files(maildir, JULY))


def test_every_file_parses_with_the_default_policy(mailbox) -> None:
    maildir, truths = mailbox
    for period in truths:
        for name, path in _files(maildir, period).items():
            msg = _parse(path)
            assert msg.defects == [], (name, msg.defects)
            assert msg["From"].addresses and msg["Date"].datetime is not None
            assert re.fullmatch(rf"<{format_period(period)}\.\d{{4}}\.[0-9a-f]{{10}}@[\w.-]+>", msg["Message-ID"])
            assert 2 <= len(msg.get_all("Received")) <= 3
            assert msg.get_body(preferencelist=("plain",)).get_content().strip()
            for part in msg.walk():
                assert part.defects == [], (name, part.get_content_type(), part.defects)


def test_top_received_header_is_the_receipt_and_decides_the_status(mailbox) -> None:
    maildir, truths = mailbox
    for period, truth in truths.items():
        files = _files(maildir, period)
        receipts = {m.file: _top_receipt(_parse(files[m.file])) for m in truth.messages}
        for row in truth.messages:
            assert _iso(receipts[row.file]) == row.received_at
        for unit in truth.units:
            if unit.expected_status == "missing":
                assert unit.received_at == "" and unit.submission_kind == ""
                continue
            counted = [
                receipts[m.file]
                for m in truth.messages
                if m.unit_code == unit.unit_code and m.expected_state == "accepted"
            ]
            first = min(counted)
            assert _iso(first) == unit.received_at
            assert RULE.is_on_time(first, period) == (unit.expected_status == "on_time"), unit


def test_receipt_times_stay_in_the_month_or_the_next(mailbox) -> None:
    """Intake accepts a report for the month of receipt or the month before: late ones arrive within 9 days."""
    _, truths = mailbox
    for period, truth in truths.items():
        due = RULE.deadline(period)
        for row in truth.messages:
            received = datetime.fromisoformat(row.received_at.replace("Z", "+00:00"))
            assert RULE.receipt_period(received) in (period, add_months(period, 1))
            assert received - due <= timedelta(days=9)


def test_boundary_cases_and_sender_clocks(mailbox) -> None:
    maildir, truths = mailbox
    for period, truth in truths.items():
        due, files = RULE.deadline(period), _files(maildir, period)
        by_scenario = {m.scenario: m for m in truth.messages}
        before, at = by_scenario["boundary_before_deadline"], by_scenario["boundary_at_deadline"]
        assert _top_receipt(_parse(files[before.file])) == due - timedelta(seconds=1)
        assert _top_receipt(_parse(files[at.file])) == due
        status = {u.unit_code: u.expected_status for u in truth.units}
        assert status[before.unit_code] == "on_time" and status[at.unit_code] == "late"
        early = _parse(files[by_scenario["late_report_early_date_header"].file])
        assert early["Date"].datetime < due <= _top_receipt(early)
        assert status[by_scenario["late_report_early_date_header"].unit_code] == "late"
        ahead = _parse(files[by_scenario["on_time_report_clock_ahead"].file])
        assert _top_receipt(ahead) < due <= ahead["Date"].datetime
        for row in truth.messages:
            msg = _parse(files[row.file])
            hops = [parsedate_to_datetime(" ".join(str(h).split()).rsplit(";", 1)[1]) for h in msg.get_all("Received")]
            assert hops == sorted(hops, reverse=True), row.file


def test_ground_truth_covers_exactly_the_selected_expected_units(mailbox, all_units) -> None:
    _, truths = mailbox
    registry = default_registry()
    for period, truth in truths.items():
        codes = [u.unit_code for u in truth.units]
        assert len(codes) == len(set(codes)) == 20
        assert set(codes) <= {u.unit_code for u in registry.expected(period)}
        assert {u.period for u in truth.units} == {format_period(period)}
    _, everything = all_units
    assert {u.unit_code for u in everything.units} == {u.unit_code for u in registry.expected(JULY)}
    rows = read_ground_truth(everything.ground_truth_path)
    assert list(rows[0]) == ["unit_code", "period", "expected_status", "submission_kind", "received_at"]
    assert len(rows) == len(everything.units)


def test_bad_messages_have_their_reason_and_do_not_count(mailbox) -> None:
    _, truths = mailbox
    for truth in truths.values():
        rows = {m.scenario: m for m in truth.messages}
        for scenario, (state, reason) in BAD_MESSAGES.items():
            assert (rows[scenario].expected_state, rows[scenario].reason_code) == (state, reason)
        assert rows["unknown_sender"].unit_code == ""
        assert {m.reason_code for m in truth.messages if m.expected_state == "accepted"} == {"accepted"}
        status = {u.unit_code: u.expected_status for u in truth.units}
        assert status[rows["wrong_period"].unit_code] == "missing"
        assert rows["duplicate_resend"].expected_state == "accepted"
        first = next(u for u in truth.units if u.unit_code == rows["duplicate_first"].unit_code)
        assert first.received_at == rows["duplicate_first"].received_at


def test_notices_only_after_the_first_period(mailbox, all_units) -> None:
    maildir, truths = mailbox
    june = truths[JUNE]
    assert JUNE == FIRST_PERIOD
    assert not any(m.scenario.startswith("same_as") for m in june.messages)
    assert not any(u.submission_kind == "same_as_notice" for u in june.units)
    _, july = all_units
    notices = [m for m in july.messages if m.scenario.startswith("same_as")]
    assert len(notices) >= 4 and {"same_as_notice_late", "same_as_notice_reply"} <= {m.scenario for m in notices}
    assert any(u.submission_kind == "same_as_notice" and u.expected_status == "late" for u in july.units)
    for row in truths[JULY].messages:
        if row.scenario.startswith("same_as"):
            msg = _parse(_files(maildir, JULY)[row.file])
            assert not list(msg.iter_attachments())
            text = msg.get_body(preferencelist=("plain",)).get_content()
            assert re.search(r"(?i)gi[oố]ng th[aá]ng (6|06/2009|s[aá]u)\b", text), text


def test_attachment_names_decode_to_nfc_vietnamese(mailbox) -> None:
    maildir, truths = mailbox
    names = []
    for period in truths:
        for path in _files(maildir, period).values():
            names += [part.get_filename() for part in _parse(path).iter_attachments()]
    assert names and all(names)
    assert all(unicodedata.is_normalized("NFC", n) and "=?" not in n for n in names)
    assert any(VIETNAMESE.search(n) for n in names)
    assert all(n.endswith((".doc", ".docx")) for n in names)


def test_messages_look_like_the_clients_that_sent_them(mailbox) -> None:
    maildir, truths = mailbox
    seen: dict[str, int] = {}
    for period in truths:
        for path in _files(maildir, period).values():
            raw = path.read_bytes()
            msg = _parse(path)
            client = str(msg.get("X-Mailer") or msg.get("User-Agent") or "")
            if "Outlook" in client:
                seen["outlook"] = seen.get("outlook", 0) + 1
                if list(msg.iter_attachments()):
                    assert b"filename*" in raw or b'filename="' in raw
            elif "Thunderbird" in client:
                seen["thunderbird"] = seen.get("thunderbird", 0) + 1
            elif "Zimbra" in client:
                seen["webmail"] = seen.get("webmail", 0) + 1
                assert b"Content-Transfer-Encoding: base64" in raw
            if b"Subject: =?" in raw:
                seen["encoded_subject"] = seen.get("encoded_subject", 0) + 1
            elif str(msg["Subject"]).isascii():
                seen["ascii_subject"] = seen.get("ascii_subject", 0) + 1
    assert {"outlook", "thunderbird", "webmail", "encoded_subject", "ascii_subject"} <= set(seen), seen


def _word_kind(payload: bytes) -> str | None:
    if payload.startswith(OLE2_MAGIC):
        return "doc"
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as package:
            return "docx" if "word/document.xml" in package.namelist() else None
    except zipfile.BadZipFile:
        return None


def _attachment_kinds(maildir: Path, truth: GroundTruth, period: date) -> dict[str, set[str | None]]:
    files, kinds = _files(maildir, period), {}
    for row in truth.messages:
        payloads = [p.get_content() for p in _parse(files[row.file]).iter_attachments()]
        kinds[row.file] = {_word_kind(p) for p in payloads}
    return kinds


def test_accepted_reports_carry_valid_word_files(mailbox, all_units) -> None:
    for maildir, truth, period in [(mailbox[0], t, p) for p, t in mailbox[1].items()] + [(*all_units, JULY)]:
        kinds = _attachment_kinds(maildir, truth, period)
        for row in truth.messages:
            if row.expected_state == "accepted" and not row.scenario.startswith("same_as"):
                assert kinds[row.file] and None not in kinds[row.file], row
            if row.scenario == "corrupt_attachment":
                assert kinds[row.file] == {None}


def test_some_reports_are_sent_as_doc_when_libreoffice_is_installed(all_units) -> None:
    from ingestion.documents.doc_convert import libreoffice_available

    if not libreoffice_available():
        pytest.fail("LibreOffice (soffice) is required: `make test` installs it as root (libreoffice-writer-nogui)")
    maildir, truth = all_units
    kinds = _attachment_kinds(maildir, truth, JULY)
    assert sum("doc" in k for k in kinds.values()) >= 5
    for path in _files(maildir, JULY).values():
        for part in _parse(path).iter_attachments():
            if part.get_content().startswith(OLE2_MAGIC):
                assert part.get_content_type() == "application/msword"
                assert part.get_filename().endswith(".doc")


def test_mix_of_a_whole_month(all_units) -> None:
    _, truth = all_units
    status, total = truth.status_counts(), len(truth.units)
    assert 0.55 <= status["on_time"] / total <= 0.8
    assert 0.08 <= status["late"] / total <= 0.18
    assert 0.05 <= status["missing"] / total <= 0.15
    kinds = [u.submission_kind for u in truth.units if u.submission_kind]
    assert 0.04 <= kinds.count("same_as_notice") / total <= 0.12
    assert set(truth.state_counts()) == {"accepted", "quarantined", "ignored"}


def test_form_values_are_plausible_and_consistent() -> None:
    catalogue, registry = default_catalogue(), default_registry()
    ctx = Context(JUNE, 2009, MX, "baocao.cntt@mic.gov.example", RULE, catalogue, False, random.Random(0))
    for unit in registry.expected(JUNE):
        values = form_values(ctx, unit, JUNE)
        assert set(values) == set(catalogue.codes)
        numbers = {}
        for indicator in catalogue.indicators:
            text = values[indicator.indicator_code]
            number, problem = normalise_value(indicator, text)
            assert problem is None, (unit.unit_code, indicator.indicator_code, text)
            if indicator.value_type == "yes_no":
                assert text in ("Có", "Không")
            elif indicator.value_type == "text":
                assert text.startswith("http://")
            else:
                assert number is not None and indicator.min_value <= number <= indicator.max_value
                numbers[indicator.indicator_code] = number
        for rule in catalogue.rules:
            assert rule.holds(numbers[rule.left_indicator], numbers[rule.right_indicator]), (unit.unit_code, rule)


def test_value_profiles_are_about_catalogue_indicators() -> None:
    """Every realism hint in ``value_profiles.csv`` names an indicator of the catalogue, fitting its value type;
    a share is of an indicator filled in before it."""
    catalogue = default_catalogue()
    position = {i.indicator_code: n for n, i in enumerate(catalogue.in_form_order())}
    assert value_profiles()
    for code, profile in value_profiles().items():
        assert code in position, code
        value_type = catalogue.get(code).value_type
        if profile.always_yes:
            assert value_type == "yes_no", code
        if profile.low is not None or profile.high is not None:
            assert value_type in ("count", "percent", "money"), code
            assert profile.low is not None and profile.high is not None and profile.low <= profile.high, code
        if profile.share_of:
            assert position[profile.share_of] < position[code], code
            assert 0 <= profile.share_low <= profile.share_high, code


def test_an_indicator_without_a_profile_gets_a_value_by_its_type() -> None:
    """The catalogue drives the form: an indicator added to it (none of them in ``value_profiles.csv``) is filled
    in too, with a value its type accepts."""
    catalogue = default_catalogue()
    group = catalogue.in_form_order()[-1].group_code
    kinds = [
        ("count", 0.0, None),
        ("percent", 0.0, 100.0),
        ("money", 0.0, None),
        ("yes_no", None, None),
        ("text", None, None),
    ]
    added = tuple(
        Indicator(f"9.{n}", group, 90 + n, f"Chỉ tiêu mới {n}", f"New indicator {n}", "", "", kind, False, low, high)
        for n, (kind, low, high) in enumerate(kinds, start=1)
    )
    assert not {i.indicator_code for i in added} & set(value_profiles())
    extended = dataclasses.replace(catalogue, indicators=catalogue.indicators + added)
    ctx = Context(JULY, 2009, MX, "baocao.cntt@mic.gov.example", RULE, extended, False, random.Random(0))
    for unit in default_registry().expected(JULY)[:10]:
        values = form_values(ctx, unit, JULY)
        assert set(values) == set(extended.codes)
        for indicator in added:
            text = values[indicator.indicator_code]
            number, problem = normalise_value(indicator, text)
            assert problem is None, (indicator.value_type, text)
            if indicator.value_type in ("count", "percent", "money"):
                assert number is not None and number >= 0, (indicator.value_type, text)
            elif indicator.value_type == "yes_no":
                assert text in ("Có", "Không")
            else:
                assert text.startswith("http://")


def test_the_intake_reaches_the_expected_states(mailbox) -> None:
    """The generator's ledger agrees with today's intake rules, message by message."""
    from ingestion.decide.classify import assess
    from ingestion.mailbox.headers import to_inbound

    maildir, truths = mailbox
    registry, catalogue = default_registry(), default_catalogue()
    received = []
    for period, truth in truths.items():
        files = _files(maildir, period)
        for row in truth.messages:
            received.append((to_inbound(files[row.file].read_bytes(), source=row.file, mx_host=MX), row))
    accepted: set = set()  # the ledger, in receipt order, as run_intake keeps it
    for message, row in sorted(received, key=lambda item: item[0].received_at):
        assessment = assess(message, registry=registry, catalogue=catalogue, deadline=RULE, accepted=accepted)
        decision = assessment.decision
        assert decision.state.value == row.expected_state, (row, decision.reason_en)
        if row.expected_state != "accepted":
            assert decision.reason_code == row.reason_code, row
        if assessment.submission:
            accepted.add((assessment.submission.unit_code, assessment.submission.period))


@pytest.fixture(scope="module")
def three_months(mailbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[date, GroundTruth]]:
    """The mailbox's two months and 2009-08, when July's slip is corrected."""
    maildir, truths = mailbox
    copy = tmp_path_factory.mktemp("three") / "inbox"
    shutil.copytree(maildir, copy)
    return copy, truths | {AUGUST: generate_mailbox(copy, AUGUST, units=20, with_doc=False)}


@pytest.mark.parametrize(
    ("typed", "comma_moved", "digit_dropped"),
    [("85", "8,5", "8"), ("62,5%", "6,25%", "6,5%"), ("100", "10,0", "10")],
)
def test_slips_of_a_percentage(typed: str, comma_moved: str, digit_dropped: str) -> None:
    assert slip(typed, dropped_digit=False) == comma_moved
    assert slip(typed, dropped_digit=True) == digit_dropped


def test_warning_stories_from_the_second_period_on(mailbox, all_units) -> None:
    """Never in 2009-06; in 2009-07 one typo and one unchanged report, on time and accepted, each with its
    one warning, from units whose June report was accepted before July began."""
    _, truths = mailbox
    assert not set(WARNING_STORIES) & set(truths[JUNE].scenario_counts())
    assert truths[JUNE].expected_warnings() == []
    june = {u.unit_code: u for u in truths[JUNE].units}
    for truth in (truths[JULY], all_units[1]):
        warned = [m for m in truth.messages if m.expected_warnings]
        assert sorted(m.scenario for m in warned) == sorted(WARNING_STORIES)
        status = {u.unit_code: u.expected_status for u in truth.units}
        for row in warned:
            [(code, indicator)] = warning_pairs(row.expected_warnings)
            assert code == WARNING_STORIES[row.scenario]
            assert (indicator == "*") == (code == "same_as_last_month")
            assert (row.expected_state, status[row.unit_code]) == ("accepted", "on_time")
            if truth is truths[JULY]:
                before = june[row.unit_code]
                assert before.submission_kind == "report"
                assert RULE.receipt_period(datetime.fromisoformat(before.received_at)) == JUNE


def _report_texts(maildir: Path, period: date, file: str) -> dict[str, str]:
    from ingestion.documents.docx_reader import parse_report

    [attachment] = _parse(_files(maildir, period)[file]).iter_attachments()
    return {code: v.value_text or "" for code, v in parse_report(attachment.get_content()).values.items()}


def _first_report(truth: GroundTruth, unit_code: str) -> str:
    return next(m.file for m in truth.messages if m.unit_code == unit_code and m.expected_state == "accepted")


def test_the_forms_carry_the_slip_and_the_copy(mailbox) -> None:
    maildir, truths = mailbox
    stories = {m.scenario: m for m in truths[JULY].messages if m.scenario in WARNING_STORIES}
    for scenario, row in stories.items():
        july = _report_texts(maildir, JULY, row.file)
        june = _report_texts(maildir, JUNE, _first_report(truths[JUNE], row.unit_code))
        if scenario == "on_time_report_unchanged":
            assert july == june
            continue
        [(_, code)] = warning_pairs(row.expected_warnings)
        slips = {parse_number(slip(june[code], dropped_digit=d), "percent") for d in (False, True)}
        assert parse_number(july[code], "percent") in slips, (june[code], july[code])


def _numbers(ctx: Context, unit: ReportingUnit, period: date) -> dict[str, float | None]:
    texts = form_values(ctx, unit, period)
    return {i.indicator_code: normalise_value(i, texts[i.indicator_code])[0] for i in ctx.catalogue.indicators}


def test_ordinary_reports_change_monthly_figures_only() -> None:
    """Percentages are standing figures (no jump) and some monthly count always changes (never identical)."""
    catalogue, registry = default_catalogue(), default_registry()
    ctx = Context(JULY, 2009, MX, "baocao.cntt@mic.gov.example", RULE, catalogue, False, random.Random(0))
    percents = [i.indicator_code for i in catalogue.indicators if i.value_type == "percent"]
    for period in (JULY, AUGUST):
        for unit in registry.expected(period):
            now, before = _numbers(ctx, unit, period), _numbers(ctx, unit, add_months(period, -1))
            assert now != before, unit.unit_code
            assert [now[c] for c in percents] == [before[c] for c in percents], unit.unit_code


def _rule_warnings(maildir: Path, truths: dict[date, GroundTruth]) -> dict[str, list[tuple[str, str]]]:
    """Each accepted report's warnings by today's intake and warning rules (history: the latest report of each
    earlier month), by message file."""
    from expectations.outliers import value_warnings
    from expectations.value_warnings import submission_values
    from ingestion.decide.classify import assess
    from ingestion.mailbox.headers import to_inbound

    registry, catalogue = default_registry(), default_catalogue()
    rows = [(period, m) for period, truth in truths.items() for m in truth.messages]
    inbound = [(to_inbound(_files(maildir, p)[m.file].read_bytes(), source=m.file, mx_host=MX), m) for p, m in rows]
    accepted, reports = set(), []
    for message, row in sorted(inbound, key=lambda item: item[0].received_at):
        assessment = assess(message, registry=registry, catalogue=catalogue, deadline=RULE, accepted=accepted)
        submission = assessment.submission
        if submission is None:
            continue
        accepted.add((submission.unit_code, submission.period))
        if submission.kind == SubmissionKind.REPORT:
            reports.append((submission, row.file))
    latest = {(s.unit_code, s.period): submission_values(s) for s, _ in reports}  # in receipt order: last wins
    found = {}
    for s, file in reports:
        history = {p: values for (unit, p), values in latest.items() if unit == s.unit_code and p < s.period}
        warnings = value_warnings(s.message_hash, s.period, submission_values(s), history, catalogue)
        found[file] = sorted((w.warning_code, w.indicator_code) for w in warnings)
    return found


def test_expected_warnings_are_what_the_intake_rules_give(three_months) -> None:
    """Message by message over three months: the typo, the unchanged report and, in August, the jump back
    when July's typo is corrected; no other report gets a warning."""
    maildir, truths = three_months
    found = _rule_warnings(maildir, truths)
    expected = {m.file: sorted(warning_pairs(m.expected_warnings)) for t in truths.values() for m in t.messages}
    assert found == {file: expected[file] for file in found}
    assert not any(expected[file] for file in set(expected) - set(found))
    july_typo = next(m for m in truths[JULY].messages if m.scenario == "on_time_report_typo")
    corrected = [m for m in truths[AUGUST].messages if m.unit_code == july_typo.unit_code and m.expected_warnings]
    assert corrected and all(m.expected_warnings == july_typo.expected_warnings for m in corrected)
