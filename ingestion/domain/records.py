"""Records that cross module boundaries inside intake (and out to loading, GX and alerts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
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
    parsed: EmailMessage | None = field(default=None, repr=False, compare=False)  # the MIME tree, parsed once


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
    key: str = ""  # where the source holds it (a Maildir file name, an IMAP UID)

    @property
    def decided(self) -> Assessment:
        if self.assessment is None:
            raise ValueError(f"message {self.message.message_hash} has not been assessed")
        return self.assessment


@dataclass(frozen=True)
class PlannedMessage:
    """A message the source holds that the ledger may not know: where it is and when it was received (no bytes)."""

    key: str  # Maildir: file name under the Maildir (``new/…``, ``cur/…``); IMAP: the UID
    received_at: datetime | None
    message_hash: str | None = None  # when the plan had to read the bytes anyway (Maildir)


@dataclass
class SourcePlan:
    """What a source holds that the ledger may not know, in no particular order, and what it skipped."""

    planned: list[PlannedMessage]
    skipped: int = 0  # messages the source knows were read before (not read again)
    uidvalidity: int | None = None  # IMAP: the folder's UIDVALIDITY and the highest UID planned
    last_uid: int | None = None


@dataclass(frozen=True)
class IntakeBatch:
    """One batch of an intake run's plan: small enough for XCom (keys, never bytes)."""

    index: int
    source: str
    planned_at: datetime  # the warehouse's clock when the run was planned: what was accepted before it
    keys: tuple[str, ...]
    uidvalidity: int | None = None  # IMAP: the folder's UIDVALIDITY the keys belong to

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "source": self.source,
            "planned_at": self.planned_at.isoformat(),
            "keys": list(self.keys),
            "uidvalidity": self.uidvalidity,
        }

    @classmethod
    def from_dict(cls, data: dict) -> IntakeBatch:
        return cls(
            index=int(data["index"]),
            source=str(data["source"]),
            planned_at=datetime.fromisoformat(str(data["planned_at"])),
            keys=tuple(str(key) for key in data["keys"]),
            uidvalidity=int(data["uidvalidity"]) if data.get("uidvalidity") is not None else None,
        )


@dataclass(frozen=True)
class DeferredNotice:
    """A "same as" notice a batch could not confirm (its previous month may be another batch's report): the
    finishing step decides it once every batch has loaded."""

    message_hash: str
    key: str
    source: str
    received_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "message_hash": self.message_hash,
            "key": self.key,
            "source": self.source,
            "received_at": self.received_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> DeferredNotice:
        return cls(
            str(data["message_hash"]),
            str(data["key"]),
            str(data["source"]),
            datetime.fromisoformat(str(data["received_at"])),
        )
