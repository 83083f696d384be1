"""Intake, the pipeline's spine, as named stages over :class:`ReceivedMessage` records:

1. fetch and archive every message of the mailbox (new ones only go on);
2. decide each new message (accepted / quarantined / ignored, with a reason);
3. validate accepted reports with Great Expectations (failures are quarantined with the agency's words);
4. confirm "same as" notices whose previous month was only a report of this run;
5. load the ledger, submissions, values and value warnings, and move the source's read mark, in one transaction.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from ingestion.decide.classify import assess, confirm_notices, doc_payloads, quarantine_invalid
from ingestion.decide.reasons import explain
from ingestion.domain.catalogue import Catalogue, default_catalogue
from ingestion.domain.records import Assessment, Decision, ReceivedMessage, SubmissionKind
from ingestion.domain.registry import Registry, default_registry
from ingestion.load import accepted_pairs, ensure_raw_schema, known_hashes, load
from ingestion.mailbox.archive import archive, message_hash
from ingestion.mailbox.headers import fetched_to_inbound
from ingestion.mailbox.imap import ImapSource
from ingestion.mailbox.maildir import MaildirSource, MailSource
from itreport.config import warehouse
from itreport.config.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class IntakeCounts:
    seen: int = 0
    already_processed: int = 0
    states: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    rows_inserted: dict[str, int] = field(default_factory=dict)
    source: str = ""
    notes: list[str] = field(default_factory=list)  # what the source reported, e.g. a UIDVALIDITY change

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "notes": self.notes,
            "seen": self.seen,
            "already_processed": self.already_processed,
            "states": dict(self.states),
            "reasons": dict(self.reasons),
            "rows_inserted": self.rows_inserted,
        }


def mail_source(settings: Settings) -> MailSource:
    """The IMAP folder when ITREPORT_IMAP_HOST is set, else the Maildir."""
    return ImapSource(settings.imap) if settings.imap else MaildirSource(settings.maildir)


def run_intake(
    settings: Settings,
    *,
    registry: Registry | None = None,
    catalogue: Catalogue | None = None,
    on_message: Callable[[], None] | None = None,
) -> IntakeCounts:
    """Read the mailbox: archive every message, decide each new one, check values with GX, load the raw tables.
    A mailbox that cannot be read raises (``ImapError``): the task fails rather than read nothing."""
    registry = registry or default_registry()
    catalogue = catalogue or default_catalogue()
    counts = IntakeCounts()
    with warehouse.connect(settings, autocommit=True) as setup:
        ensure_raw_schema(setup)  # its own short transaction: no DDL lock is held through the intake
    with warehouse.connect(settings) as conn, mail_source(settings) as source:
        received = fetch_and_archive(conn, source, settings, counts)
        accepted_before = accepted_pairs(conn)
        decide(received, settings, registry, catalogue, accepted_before, on_message)
        validate(received, registry, catalogue, settings)
        confirm(received, accepted_before, registry)
        counts.rows_inserted = load_all(conn, received, catalogue, settings)
        for item in received:  # after loading: a message the warehouse refused is counted as processing_error
            counts.states[item.decided.decision.state.value] += 1
            counts.reasons[item.decided.decision.reason_code] += 1
        source.mark_read(conn)
        conn.commit()
    return counts


def fetch_and_archive(
    conn: psycopg.Connection, source: MailSource, settings: Settings, counts: IntakeCounts
) -> list[ReceivedMessage]:
    """Archive every message the source holds; the ones the ledger does not know yet, in receipt order."""
    known = known_hashes(conn)
    received = []
    for fetched in source.fetch(conn):
        counts.seen += 1
        path = archive(fetched.raw, settings.archive_dir)
        digest = message_hash(fetched.raw)
        if digest in known:
            counts.already_processed += 1
            continue
        known.add(digest)
        received.append(ReceivedMessage(fetched_to_inbound(fetched, settings.mx_host), path))
    counts.source, counts.notes = source.name, list(source.notes)
    received.sort(
        key=lambda item: (item.message.received_at is None, item.message.received_at, item.message.message_hash)
    )
    return received


def decide(
    received: Sequence[ReceivedMessage],
    settings: Settings,
    registry: Registry,
    catalogue: Catalogue,
    accepted_before: set[tuple[str, date]],
    on_message: Callable[[], None] | None = None,
) -> None:
    """Assess each message; one that fails unexpectedly becomes ``processing_error`` and the others go on."""
    converted = convert_docs(received, catalogue=catalogue, cache_dir=settings.home / "cache" / "doc-to-docx")
    accepted_now = set(accepted_before)  # "same as" notices need the previous month, also from this run
    for item in received:
        try:
            item.assessment = assess(
                item.message,
                registry=registry,
                catalogue=catalogue,
                deadline=settings.deadline,
                converted=converted,
                accepted=accepted_now,
                authserv_id=settings.authserv_id,
                mx_host=settings.mx_host,
            )
        except Exception as error:
            log.exception("message %s could not be processed", item.message.message_hash)
            item.assessment = processing_error(item.message.message_hash, error)
        submission = item.decided.submission
        if submission is not None:
            accepted_now.add((submission.unit_code, submission.period))
        if on_message:
            on_message()


def validate(received: Sequence[ReceivedMessage], registry: Registry, catalogue: Catalogue, settings: Settings) -> None:
    """Great Expectations on every accepted report; a failing one is quarantined with what to fix."""
    from expectations.validate import validate_submissions

    reports = [
        item.decided.submission
        for item in received
        if item.decided.submission and item.decided.submission.kind == SubmissionKind.REPORT
    ]
    problems = validate_submissions(reports, catalogue, home=settings.home)
    for item in received:
        submission = item.decided.submission
        if submission and submission.message_hash in problems:
            found = problems[submission.message_hash]
            item.assessment = quarantine_invalid(
                item.decided,
                [p.message_vi for p in found],
                [p.message_en for p in found],
                registry.get(submission.unit_code),
            )


def confirm(received: Sequence[ReceivedMessage], accepted_before: set[tuple[str, date]], registry: Registry) -> None:
    """A notice whose previous month was only a report of this run that the checks quarantined is quarantined."""
    confirmed = confirm_notices([item.decided for item in received], accepted_before, registry)
    for item, assessment in zip(received, confirmed, strict=True):
        item.assessment = assessment


def load_all(
    conn: psycopg.Connection, received: Sequence[ReceivedMessage], catalogue: Catalogue, settings: Settings
) -> dict[str, int]:
    """The ledger, submissions and values, then the value warnings of what was accepted (not committed here)."""
    from expectations.value_warnings import record_value_warnings

    rows = load(conn, received)
    accepted = [item.decided.submission for item in received if item.decided.submission]
    rows["value_warnings"] = record_value_warnings(conn, accepted, catalogue, jump_points=settings.jump_points)
    return rows


def processing_error(digest: str, error: Exception) -> Assessment:
    """Staff read the exception (``reason_en``); the agency's text (``reason_vi``) says only that staff will check."""
    state, vi, en = explain("processing_error", detail_en=f"{type(error).__name__}: {error}")
    return Assessment(Decision(digest, state, "processing_error", vi, en))


def convert_docs(
    received: Iterable[ReceivedMessage], *, catalogue: Catalogue | None = None, cache_dir: Path | None = None
) -> dict[str, bytes]:
    """The .doc attachments of a run that antiword's text cannot place, converted to .docx in one LibreOffice
    batch, or read from ``cache_dir`` where converted before (none without LibreOffice)."""
    from ingestion.documents.doc_convert import libreoffice_available
    from ingestion.documents.doc_reader import antiword_report, convert_cached

    catalogue = catalogue or default_catalogue()
    documents: dict[str, bytes] = {}
    for item in received:
        with contextlib.suppress(Exception):  # a message that cannot even be split is judged by assess()
            documents.update(doc_payloads(item.message.raw))
    documents = {key: doc for key, doc in documents.items() if antiword_report(doc, catalogue) is None}
    if not documents or not libreoffice_available():
        return {}
    return convert_cached(documents, cache_dir)
