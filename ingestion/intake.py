"""One received message → one decision: accepted (with a submission), quarantined or ignored, with a reason.

Pure of I/O beyond the message bytes: the registry, the catalogue and the deadline rule come in as
arguments. Data-quality checks (Great Expectations) run afterwards on the accepted reports.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from ingestion.catalogue import Catalogue
from ingestion.mail_reader import parse_bytes
from ingestion.models import (
    Attachment,
    Decision,
    InboundMessage,
    ParsedReport,
    Submission,
    SubmissionKind,
)
from ingestion.notices import Notice, find_notice
from ingestion.periods import FIRST_PERIOD, DeadlineRule, add_months, format_period
from ingestion.reasons import explain
from ingestion.registry import Registry, ReportingUnit

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORDISH_NAME = re.compile(r"\.(docx?|docm|rtf)$", re.IGNORECASE)
WORDISH_TYPES = ("msword", "wordprocessingml", "ms-word")


@dataclass
class Assessment:
    decision: Decision
    submission: Submission | None = None
    report: ParsedReport | None = None


class UnreadableAttachment(Exception):
    def __init__(self, filename: str, detail: str) -> None:
        super().__init__(detail)
        self.filename = filename
        self.detail = detail


def word_kind(payload: bytes) -> str | None:
    """'docx' or 'doc' decided by content, never by name; None when it is neither."""
    if payload.startswith(OLE2_MAGIC):
        return "doc"
    if payload.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                return "docx" if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    return None


def attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
        found.append(Attachment(name, part.get_content_type(), part.get_payload(decode=True) or b""))
    return found


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?i)<br\s*/?>|</p>", "\n", text)))
    return unicodedata.normalize("NFC", text)


def _looks_like_word(attachment: Attachment) -> bool:
    return bool(WORDISH_NAME.search(attachment.filename)) or any(t in attachment.content_type for t in WORDISH_TYPES)


def payload_key(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def doc_payloads(raw: bytes) -> dict[str, bytes]:
    """The .doc attachments of a message by content hash, so a run can convert them all in one batch."""
    return {payload_key(a.payload): a.payload for a in attachments(parse_bytes(raw)) if word_kind(a.payload) == "doc"}


def _parse_attachment(attachment: Attachment, catalogue: Catalogue, converted: Mapping[str, bytes]) -> ParsedReport:
    from ingestion.doc_convert import doc_to_docx_bytes
    from ingestion.docx_reader import parse_report

    kind = word_kind(attachment.payload)
    try:
        if kind == "docx":
            return parse_report(attachment.payload, catalogue=catalogue)
        if kind == "doc":
            docx = converted.get(payload_key(attachment.payload)) or doc_to_docx_bytes(attachment.payload)
            return parse_report(docx, catalogue=catalogue)
    except Exception as error:  # any parser failure is the file's problem, reported to the agency
        raise UnreadableAttachment(attachment.filename, f"{type(error).__name__}: {error}") from error
    raise UnreadableAttachment(attachment.filename, "not a Word document (.doc/.docx)")


def _decision(message: InboundMessage, code: str, unit: ReportingUnit | None = None, **fields: object) -> Decision:
    state, vi, en = explain(code, unit=unit.name_vi if unit else "", sender=message.sender or "", **fields)
    return Decision(message.message_hash, state, code, vi, en, unit_code=unit.unit_code if unit else None)


def assess(
    message: InboundMessage,
    *,
    registry: Registry,
    catalogue: Catalogue,
    deadline: DeadlineRule,
    converted: Mapping[str, bytes] | None = None,
) -> Assessment:
    """Decide one message. A rejected message of a known unit is filed under the period it concerns: the form's
    period when that period is open, else the month of receipt. ``converted`` holds .doc attachments already
    converted to .docx (by :func:`doc_payloads` hash)."""
    assessment = _assess(message, registry=registry, catalogue=catalogue, deadline=deadline, converted=converted or {})
    decision, received = assessment.decision, message.received_at
    if decision.period is None and decision.unit_code and received is not None:
        form_period = assessment.report.period if assessment.report else None
        open_period = form_period and deadline.accepts_period(form_period, received)
        decision.period = form_period if open_period else deadline.receipt_period(received)
    return assessment


def _assess(
    message: InboundMessage,
    *,
    registry: Registry,
    catalogue: Catalogue,
    deadline: DeadlineRule,
    converted: Mapping[str, bytes],
) -> Assessment:
    received = message.received_at
    assert received is not None, "intake always sets a receipt time"
    unit = registry.for_sender(message.sender or "", received.date())
    if unit is None:
        return Assessment(_decision(message, "unknown_sender"))
    msg = parse_bytes(message.raw)
    word_files = [a for a in attachments(msg) if word_kind(a.payload) or _looks_like_word(a)]
    if word_files:
        return _assess_report(message, unit, word_files[0], catalogue=catalogue, deadline=deadline, converted=converted)
    notice = find_notice(body_text(msg)) or find_notice(message.subject)
    if notice is not None:
        return _assess_notice(message, unit, notice, deadline=deadline)
    return Assessment(_decision(message, "not_a_submission", unit))


def _assess_report(
    message: InboundMessage,
    unit: ReportingUnit,
    attachment: Attachment,
    *,
    catalogue: Catalogue,
    deadline: DeadlineRule,
    converted: Mapping[str, bytes],
) -> Assessment:
    received = message.received_at
    assert received is not None
    try:
        report = _parse_attachment(attachment, catalogue, converted)
    except UnreadableAttachment as error:
        return Assessment(
            _decision(message, "unreadable_attachment", unit, filename=error.filename, detail=error.detail)
        )
    if report.unit_code and report.unit_code.strip().upper() != unit.unit_code.upper():
        return Assessment(_decision(message, "unit_mismatch", unit, form_unit=report.unit_code), report=report)
    if report.period is None:
        return Assessment(_decision(message, "missing_period", unit), report=report)
    if not deadline.accepts_period(report.period, received):
        decision = _decision(
            message,
            "wrong_period",
            unit,
            form_period=format_period(report.period),
            received=_local_day(received, deadline),
        )
        return Assessment(decision, report=report)
    if report.problems:
        return Assessment(_decision(message, "invalid_values", unit, detail="; ".join(report.problems)), report=report)
    decision = _decision(message, "accepted", unit, period=format_period(report.period))
    decision.period, decision.kind = report.period, SubmissionKind.REPORT
    submission = Submission(
        message_hash=message.message_hash,
        unit_code=unit.unit_code,
        period=report.period,
        kind=SubmissionKind.REPORT,
        received_at=received,
        filename=attachment.filename,
        values=list(report.values.values()),
        difficulties=report.difficulties,
        proposals=report.proposals,
    )
    return Assessment(decision, submission, report)


def _assess_notice(
    message: InboundMessage, unit: ReportingUnit, notice: Notice, *, deadline: DeadlineRule
) -> Assessment:
    received = message.received_at
    assert received is not None
    same_as = notice.same_as_period(deadline.receipt_period(received))
    period = add_months(same_as, 1)
    if period <= FIRST_PERIOD:
        return Assessment(_decision(message, "notice_in_first_period", unit, period=format_period(FIRST_PERIOD)))
    if not deadline.accepts_period(period, received):
        decision = _decision(
            message,
            "notice_wrong_period",
            unit,
            same_as=format_period(same_as),
            received=_local_day(received, deadline),
        )
        return Assessment(decision)
    decision = _decision(message, "accepted_notice", unit, period=format_period(period), same_as=format_period(same_as))
    decision.period, decision.kind = period, SubmissionKind.SAME_AS_NOTICE
    submission = Submission(
        message_hash=message.message_hash,
        unit_code=unit.unit_code,
        period=period,
        kind=SubmissionKind.SAME_AS_NOTICE,
        received_at=received,
        same_as_period=same_as,
    )
    return Assessment(decision, submission)


def _local_day(moment: datetime, deadline: DeadlineRule) -> str:
    return moment.astimezone(ZoneInfo(deadline.timezone)).strftime("%d/%m/%Y %H:%M")


def quarantine_invalid(assessment: Assessment, problems: list[str], unit: ReportingUnit) -> Assessment:
    """Turn an accepted report into a quarantined one because its values failed the data-quality checks."""
    message_hash = assessment.decision.message_hash
    state, vi, en = explain("invalid_values", detail="; ".join(problems))
    decision = Decision(message_hash, state, "invalid_values", vi, en, unit_code=unit.unit_code)
    decision.period = assessment.decision.period
    return Assessment(decision, None, assessment.report)
