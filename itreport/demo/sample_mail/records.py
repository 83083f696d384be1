"""The records the sample mailbox is planned and rendered with, and the names of its clients and contents."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from ingestion.domain.catalogue import Catalogue
from ingestion.domain.periods import DeadlineRule, format_period
from ingestion.domain.records import MessageState
from ingestion.domain.registry import ReportingUnit

VN = timezone(timedelta(hours=7))  # our server's and most senders' clocks (no DST in Vietnam)
OUTLOOK, THUNDERBIRD, WEBMAIL, YAHOO = "outlook", "thunderbird", "webmail", "yahoo"
REPORT, NOTICE, CORRUPT, NO_ATTACHMENT = "report", "notice", "corrupt", "no_attachment"


@dataclass(frozen=True)
class Profile:
    """How one unit writes mail: its client, its reporter, its habits (the same in every period)."""

    unit: ReportingUnit
    style: str
    prefers_doc: bool
    reporter: str
    name_pattern: int
    octet_stream: bool
    lan_ip: str


@dataclass
class MailPlan:
    """One message to write: who, what, when, and what the pipeline must decide about it."""

    scenario: str
    profile: Profile
    sender: str
    content: str  # REPORT | NOTICE | CORRUPT | NO_ATTACHMENT
    received_at: datetime
    date_header: datetime
    state: MessageState
    reason_code: str
    style: str
    form_period: date
    notice_phrase: int = 0
    reply: bool = False
    resend: str = ""
    index: int = 0
    message_id: str = ""
    values_period: date | None = None  # whose figures the form carries (None: its own period's)
    typed: tuple[tuple[str, str], ...] = ()  # (indicator, text) typed instead of the figure
    warnings: tuple[str, ...] = ()  # "warning_code:indicator_code" the intake must give the report

    @property
    def counts_for_unit(self) -> bool:
        return self.state == MessageState.ACCEPTED and self.sender == self.profile.unit.contact_email


@dataclass(frozen=True)
class Rendered:
    file: str
    raw: bytes
    plan: MailPlan


@dataclass
class Context:
    period: date
    seed: int
    mx_host: str
    ministry_address: str
    deadline: DeadlineRule
    catalogue: Catalogue
    with_doc: bool
    rng: random.Random
    forms: dict[tuple[str, date, date, tuple[tuple[str, str], ...]], bytes] = field(default_factory=dict)
    docs: dict[str, bytes] = field(default_factory=dict)
    # unit → its first accepted submission of the previous month, if received before this month began
    last_month: dict[str, MailPlan] = field(default_factory=dict)

    @property
    def previous_accepted(self) -> frozenset[str]:
        return frozenset(self.last_month)

    @property
    def label(self) -> str:
        return format_period(self.period)

    @property
    def due(self) -> datetime:
        return self.deadline.deadline(self.period)


Story = Callable[[Context, Profile], list[MailPlan]]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()
