"""Records that cross module boundaries inside intake (and out to loading, GX and alerts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path


class MessageState(StrEnum):
    ACCEPTED = "accepted"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"


class SubmissionKind(StrEnum):
    REPORT = "report"
    SAME_AS_NOTICE = "same_as_notice"


@dataclass(frozen=True)
class ReportValue:
    """One indicator as read from a form: the text the agency typed and its normalised value."""

    indicator_code: str
    value_text: str | None
    value_number: float | None = None


@dataclass
class ParsedReport:
    """What a filled report form says, before any check against sender, mailbox or catalogue."""

    unit_code: str | None
    unit_name: str | None
    period: date | None
    values: dict[str, ReportValue] = field(default_factory=dict)
    difficulties: str = ""
    proposals: str = ""
    reporter: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class FetchedMessage:
    """Raw bytes as a mail source hands them over, with the receipt time the source itself knows."""

    raw: bytes
    source: str  # maildir:<path> or imap:<host>/<folder>
    received_at: datetime | None = None  # the server's receipt time (IMAP INTERNALDATE); wins over any header
    delivered_at: float | None = None  # Maildir delivery (file mtime): used when no Received: of ours says


@dataclass(frozen=True)
class InboundMessage:
    """A received message: its raw bytes' hash, where they are archived, and the headers that matter."""

    message_hash: str
    raw: bytes
    message_id: str | None
    sender: str | None
    subject: str
    date_header: datetime | None
    received_at: datetime | None
    source: str


@dataclass
class Decision:
    """The one final state of a message, with a reason a person can act on."""

    message_hash: str
    state: MessageState
    reason_code: str
    reason_vi: str
    reason_en: str
    unit_code: str | None = None
    period: date | None = None
    kind: SubmissionKind | None = None


@dataclass
class Submission:
    """An accepted report or "same as" notice, ready to load."""

    message_hash: str
    unit_code: str
    period: date
    kind: SubmissionKind
    received_at: datetime
    filename: str | None = None
    same_as_period: date | None = None
    values: list[ReportValue] = field(default_factory=list)
    difficulties: str = ""
    proposals: str = ""


@dataclass
class Assessment:
    """What intake decided about one message: the decision, and the submission (and parsed form) when accepted."""

    decision: Decision
    submission: Submission | None = None
    report: ParsedReport | None = None


@dataclass
class ReceivedMessage:
    """One new message on its way through intake's stages: archived, then assessed, checked and loaded."""

    message: InboundMessage
    archive_path: Path
    assessment: Assessment | None = None

    @property
    def decided(self) -> Assessment:
        if self.assessment is None:
            raise ValueError(f"message {self.message.message_hash} has not been assessed")
        return self.assessment
