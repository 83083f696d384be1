"""One received message → one decision: accepted (with a submission), quarantined or ignored, with a reason.

Pure of I/O beyond the message bytes: the registry, the catalogue and the deadline rule come in as
arguments. Data-quality checks (Great Expectations) run afterwards on the accepted reports.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from ingestion.decide.notices import Notice, find_notice
from ingestion.decide.reasons import explain, problem_list
from ingestion.documents.attachments import (
    OLE2_MAGIC,
    AttachmentProblem,
    attachments,
    check_attachment,
    is_tnef,
    word_kind,
)
from ingestion.domain.catalogue import Catalogue
from ingestion.domain.periods import FIRST_PERIOD, DeadlineRule, add_months, format_period
from ingestion.domain.records import (
    Assessment,
    Attachment,
    Decision,
    InboundMessage,
    ParsedReport,
    Submission,
    SubmissionKind,
)
from ingestion.domain.registry import Registry, ReportingUnit
from ingestion.mailbox.headers import authentication_failure, parse_bytes

__all__ = [
    "OLE2_MAGIC",
    "Assessment",
    "ConversionNeeded",
    "assess",
    "attachments",
    "may_hold_doc",
    "processing_error",
    "quarantine_invalid",
    "word_kind",
]

WORDISH_NAME = re.compile(r"\.(docx?|docm|rtf)$", re.IGNORECASE)
WORDISH_TYPES = ("msword", "wordprocessingml", "ms-word")


class ConversionNeeded(Exception):
    """A .doc attachment antiword's text cannot place, met while deciding with ``defer_conversion``: the run
    converts every such file of a batch in one LibreOffice batch, then decides its message again."""

    def __init__(self, payload: bytes) -> None:
        super().__init__("a .doc attachment to convert with LibreOffice")
        self.key = payload_key(payload)
        self.payload = payload


class UnreadableAttachment(Exception):
    def __init__(self, filename: str, detail: str) -> None:
        super().__init__(detail)
        self.filename = filename
        self.detail = detail


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


# How an OLE2 (.doc) file's first bytes look in a message: base64 (the usual), quoted-printable, 8bit/binary.
_OLE2_SIGNS = (b"0M8R4KGxGu", b"=D0=CF=11=E0", OLE2_MAGIC[:4])


def may_hold_doc(raw: bytes) -> bool:
    """Whether a message shows a sign of an OLE2 (.doc) file (only speed depends on it: a worker deciding a
    message without it is not sent the batch's converted files)."""
    return any(sign in raw for sign in _OLE2_SIGNS)


_ZIP_SIGNS = (b"UEsDB",)  # a zip package's first bytes (PK\x03\x04), base64-encoded from an attachment's start


def may_hold_word_file(raw: bytes) -> bool:
    """Whether a message shows a sign of a .doc or .docx file, so possibly a report (only speed depends on it)."""
    return may_hold_doc(raw) or any(sign in raw for sign in _ZIP_SIGNS)


def _parse_attachment(
    attachment: Attachment, catalogue: Catalogue, converted: Mapping[str, bytes], defer_conversion: bool = False
) -> ParsedReport:
    from ingestion.documents.doc_convert import doc_text_with_antiword, doc_to_docx_bytes, libreoffice_available
    from ingestion.documents.doc_text_reader import parse_doc_text
    from ingestion.documents.docx_reader import parse_report

    kind = check_attachment(attachment)
    try:
        if kind == "docx":
            return parse_report(attachment.payload, catalogue=catalogue)
        if kind == "doc":
            from ingestion.documents.doc_reader import antiword_report

            quick = antiword_report(attachment.payload, catalogue)  # LibreOffice only when antiword cannot place it
            if quick is not None:
                return quick
            docx = converted.get(payload_key(attachment.payload))
            if docx is None and not libreoffice_available():  # antiword's text is the fallback
                return parse_doc_text(doc_text_with_antiword(attachment.payload), catalogue=catalogue)
            if docx is None and defer_conversion:
                raise ConversionNeeded(attachment.payload)
            report = parse_report(docx or doc_to_docx_bytes(attachment.payload), catalogue=catalogue)
            if not report.values:  # LibreOffice flattened the table (seen with hand-made tables): ask antiword
                fallback = parse_doc_text(doc_text_with_antiword(attachment.payload), catalogue=catalogue)
                return fallback if fallback.values else report
            return report
    except ConversionNeeded:
        raise
    except Exception as error:  # any parser failure is the file's problem, reported to the agency
        raise UnreadableAttachment(attachment.filename, f"{type(error).__name__}: {error}") from error
    raise UnreadableAttachment(attachment.filename, "not a Word document (.doc/.docx)")


def processing_error(digest: str, error: Exception) -> Assessment:
    """Staff read the exception (``reason_en``); the agency's text (``reason_vi``) says only that staff will check."""
    state, vi, en = explain("processing_error", detail_en=f"{type(error).__name__}: {error}")
    return Assessment(Decision(digest, state, "processing_error", vi, en))


def _decision(
    message: InboundMessage,
    code: str,
    unit: ReportingUnit | None = None,
    detail_en: str | None = None,
    **fields: object,
) -> Decision:
    state, vi, en = explain(
        code, detail_en=detail_en, unit=unit.name_vi if unit else "", sender=message.sender or "", **fields
    )
    return Decision(message.message_hash, state, code, vi, en, unit_code=unit.unit_code if unit else None)


@dataclass(frozen=True)
class IntakeContext:
    """What deciding a message needs beyond the message itself."""

    registry: Registry
    catalogue: Catalogue
    deadline: DeadlineRule
    converted: Mapping[str, bytes]
    accepted: Container[tuple[str, date]]
    authserv_id: str | None
    mx_host: str | None
    defer_conversion: bool = False


def assess(
    message: InboundMessage,
    *,
    registry: Registry,
    catalogue: Catalogue,
    deadline: DeadlineRule,
    converted: Mapping[str, bytes] | None = None,
    accepted: Container[tuple[str, date]] = frozenset(),
    authserv_id: str | None = None,
    mx_host: str | None = None,
    defer_conversion: bool = False,
) -> Assessment:
    """Decide one message. A rejected message of a known unit is filed under the period it concerns: the form's
    period when that period is open, else the month of receipt. ``converted`` holds .doc attachments already
    converted to .docx (by :func:`payload_key`); with ``defer_conversion``, a .doc that needs converting and is not
    there raises :class:`ConversionNeeded` (the run converts a batch's together) instead of being converted alone.
    ``accepted`` holds the (unit code, period) pairs with an accepted submission before this message (a "same as"
    notice needs its previous month there).
    ``authserv_id`` set: the message must pass our server's DKIM/DMARC check (written ``by mx_host``)."""
    ctx = IntakeContext(
        registry, catalogue, deadline, converted or {}, accepted, authserv_id, mx_host, defer_conversion
    )
    assessment = _assess(message, ctx)
    decision, received = assessment.decision, message.received_at
    if decision.period is None and decision.unit_code and received is not None:
        form_period = assessment.report.period if assessment.report else None
        open_period = form_period and deadline.accepts_period(form_period, received)
        decision.period = form_period if open_period else deadline.receipt_period(received)
    return assessment


def _assess(message: InboundMessage, ctx: IntakeContext) -> Assessment:
    received = message.received_at
    assert received is not None, "intake always sets a receipt time"
    unit = ctx.registry.for_sender(message.sender or "", received.date())
    msg = message.parsed if message.parsed is not None else parse_bytes(message.raw)
    if ctx.authserv_id:
        failure = authentication_failure(msg, ctx.authserv_id, ctx.mx_host or "", message.sender)
        if failure:
            return Assessment(_decision(message, "sender_not_authenticated", unit, detail=failure))
    if not message.sender:
        vi, en = _what_it_is(message.raw, msg)
        return Assessment(_decision(message, "not_an_email", detail=vi, detail_en=en))
    if unit is None:
        return Assessment(_decision(message, "unknown_sender"))
    files = attachments(msg)
    word_files = [a for a in files if _looks_like_word(a) or a.payload.startswith((OLE2_MAGIC, b"PK"))]
    notice = find_notice(body_text(msg)) or find_notice(message.subject)
    if word_files and notice is not None:
        same_as = format_period(notice.same_as_period(ctx.deadline.receipt_period(received)))
        return Assessment(_decision(message, "ambiguous", unit, filename=word_files[0].filename, same_as=same_as))
    if word_files:
        return _assess_report(message, unit, word_files[0], ctx)
    if notice is not None:
        return _assess_notice(message, unit, notice, ctx)
    tnef = [a for a in files if is_tnef(a)]
    if tnef:  # Outlook's winmail.dat with no form inside: the agency thinks it reported, so tell it
        inside = ", ".join(a.filename for a in files if a.filename and not is_tnef(a)) or "không có tệp nào"
        return Assessment(
            _decision(
                message,
                "tnef_without_report",
                unit,
                detail=f"trong winmail.dat: {inside}",
                detail_en=f"inside winmail.dat: {inside.replace('không có tệp nào', 'no files')}",
            )
        )
    return Assessment(_decision(message, "not_a_submission", unit))


def _what_it_is(raw: bytes, msg: EmailMessage) -> tuple[str, str]:
    """What a mailbox file with no sender is, in Vietnamese and English."""
    if not raw.strip():
        return f"tệp rỗng, {len(raw)} byte", f"an empty file, {len(raw)} bytes"
    if not msg.keys():
        return f"{len(raw)} byte không có phần đầu thư", f"{len(raw)} bytes with no mail headers"
    return f"{len(raw)} byte, không có địa chỉ người gửi (From)", f"{len(raw)} bytes with no sender (From) address"


def _assess_report(
    message: InboundMessage,
    unit: ReportingUnit,
    attachment: Attachment,
    ctx: IntakeContext,
) -> Assessment:
    received, deadline = message.received_at, ctx.deadline
    assert received is not None
    try:
        report = _parse_attachment(attachment, ctx.catalogue, ctx.converted, ctx.defer_conversion)
    except AttachmentProblem as problem:
        return Assessment(_attachment_decision(message, unit, problem))
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
        decision = _decision(
            message,
            "invalid_values",
            unit,
            detail=problem_list(report.problems),
            detail_en=problem_list(report.problems, lang="en"),
        )
        return Assessment(decision, report=report)
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


def _attachment_decision(message: InboundMessage, unit: ReportingUnit, problem: AttachmentProblem) -> Decision:
    state, vi, en = explain(
        problem.code, filename=problem.filename, detail=problem.detail_vi, detail_en=problem.detail_en
    )
    return Decision(message.message_hash, state, problem.code, vi, en, unit_code=unit.unit_code)


def _assess_notice(message: InboundMessage, unit: ReportingUnit, notice: Notice, ctx: IntakeContext) -> Assessment:
    received, deadline = message.received_at, ctx.deadline
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
    if (unit.unit_code, same_as) not in ctx.accepted:
        return Assessment(_notice_without_previous(message.message_hash, unit, same_as, period))
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


def quarantine_invalid(
    assessment: Assessment, problems_vi: list[str], problems_en: list[str], unit: ReportingUnit
) -> Assessment:
    """Turn an accepted report into a quarantined one because its values failed the data-quality checks."""
    message_hash = assessment.decision.message_hash
    state, vi, en = explain(
        "invalid_values", detail=problem_list(problems_vi), detail_en=problem_list(problems_en, lang="en")
    )
    decision = Decision(message_hash, state, "invalid_values", vi, en, unit_code=unit.unit_code)
    decision.period = assessment.decision.period
    return Assessment(decision, None, assessment.report)


def _notice_without_previous(message_hash: str, unit: ReportingUnit, same_as: date, period: date) -> Decision:
    state, vi, en = explain(
        "notice_without_previous", unit=unit.name_vi, same_as=format_period(same_as), period=format_period(period)
    )
    decision = Decision(message_hash, state, "notice_without_previous", vi, en, unit_code=unit.unit_code)
    decision.period = period
    return decision


def confirm_notices(
    results: list[Assessment], accepted_before: Container[tuple[str, date]], registry: Registry
) -> list[Assessment]:
    """Re-check "same as" notices in receipt order once the data-quality checks have run: a notice whose previous
    month was only a report of this run that the checks then quarantined is quarantined in turn."""
    accepted_now: set[tuple[str, date]] = set()  # what this run accepted; accepted_before may be a ledger lookup
    confirmed = []
    for assessment in results:
        submission = assessment.submission
        if submission is not None and submission.kind == SubmissionKind.SAME_AS_NOTICE:
            same_as = submission.same_as_period
            previous = (submission.unit_code, same_as)
            if same_as is not None and previous not in accepted_now and previous not in accepted_before:
                unit = registry.get(submission.unit_code)
                decision = _notice_without_previous(submission.message_hash, unit, same_as, submission.period)
                assessment = Assessment(decision, None, assessment.report)
        if assessment.submission is not None:
            accepted_now.add((assessment.submission.unit_code, assessment.submission.period))
        confirmed.append(assessment)
    return confirmed
