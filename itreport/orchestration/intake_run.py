"""Intake, the pipeline's spine, as named stages over :class:`ReceivedMessage` records, in three steps so a large
mailbox is streamed in batches (and Airflow can map the batches over workers):

1. **plan** (:func:`plan_intake`): list what the source holds that the ledger may not know (names or UIDs and
   receipt times, no bytes kept) and split it, in receipt order, into batches of ``ITREPORT_INTAKE_BATCH_SIZE``;
2. **batch** (:func:`intake_batch`), each in its own short transaction: fetch and archive its messages, decide each
   new one (accepted / quarantined / ignored, with a reason), validate accepted reports with Great Expectations,
   load the ledger, submissions and values, and record the value warnings of its reports against the history it
   sees (batches load one at a time: :func:`ingestion.load.begin_loading`); a "same as" notice whose previous month
   is not known to be accepted yet is left to the finishing step (it may be another batch's report);
3. **finish** (:func:`finish_intake`): decide those notices against everything accepted before them in receipt
   order, load them, score again the reports a later batch added history to, and move the source's read mark.
   The outcome is the one a single batch would have had.

A crash anywhere loses nothing: every message is archived before it is recorded, and a re-run skips what the
ledger has (keys are message hashes). Each step calls the source's ``committed()`` after its commit, never before:
the Maildir source then files the messages that transaction recorded into its ``.Processed`` folder, so a crash
before the commit leaves them to be read again. :func:`run_intake` runs the three steps in one process.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import psycopg

from ingestion.accepted import AcceptedPairs
from ingestion.decide.classify import (
    assess,
    confirm_notices,
    may_hold_word_file,
    processing_error,
    quarantine_invalid,
)
from ingestion.decide.workers import DecideContext, Deciders
from ingestion.domain.catalogue import Catalogue, default_catalogue
from ingestion.domain.records import (
    DeferredNotice,
    IntakeBatch,
    PlannedMessage,
    ReceivedMessage,
    SourcePlan,
    SubmissionKind,
)
from ingestion.domain.registry import Registry, default_registry
from ingestion.load import (
    accepted_since,
    begin_loading,
    database_now,
    ensure_raw_schema,
    iter_reports,
    known_among,
    load,
)
from ingestion.mailbox.archive import ArchiveWriter, archived_path, message_hash
from ingestion.mailbox.headers import fetched_to_inbound, to_inbound
from ingestion.mailbox.imap import ImapSource
from ingestion.mailbox.maildir import MaildirSource, MailSource
from itreport.config import warehouse
from itreport.config.settings import Settings
from itreport.orchestration.heap import settle_heap, unscanned_imports

log = logging.getLogger(__name__)

DEFERRED_REASON = "notice_without_previous"  # a batch's verdict the finishing step may still turn around
_EPOCH = datetime.min.replace(tzinfo=UTC)


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

    @classmethod
    def from_dict(cls, data: dict) -> IntakeCounts:
        return cls(
            seen=int(data.get("seen", 0)),
            already_processed=int(data.get("already_processed", 0)),
            states=Counter(data.get("states", {})),
            reasons=Counter(data.get("reasons", {})),
            rows_inserted=dict(data.get("rows_inserted", {})),
            source=str(data.get("source", "")),
            notes=list(data.get("notes", [])),
        )

    def add(self, other: IntakeCounts) -> None:
        self.seen += other.seen
        self.already_processed += other.already_processed
        self.states.update(other.states)
        self.reasons.update(other.reasons)
        for key, value in other.rows_inserted.items():
            self.rows_inserted[key] = self.rows_inserted.get(key, 0) + value
        self.source = self.source or other.source
        self.notes += [note for note in other.notes if note not in self.notes]

    def decided(self, received: Iterable[ReceivedMessage]) -> None:
        for item in received:
            self.states[item.decided.decision.state.value] += 1
            self.reasons[item.decided.decision.reason_code] += 1


@dataclass
class IntakePlan:
    """What :func:`plan_intake` found: the batches, what it counted, and the read mark to store at the end."""

    batches: list[IntakeBatch]
    counts: IntakeCounts
    source: SourcePlan
    planned_at: datetime | None = None  # the warehouse's clock at planning: what was accepted before the run
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (key, hash): a copy of a message of this run

    def as_dict(self, *, with_batches: bool = True) -> dict[str, object]:
        """For XCom; ``with_batches=False``: what the finishing step needs (the batches travel on their own)."""
        data: dict[str, object] = {
            "counts": self.counts.as_dict(),
            "uidvalidity": self.source.uidvalidity,
            "last_uid": self.source.last_uid,
            "planned_at": self.planned_at.isoformat() if self.planned_at else None,
            "duplicates": [list(pair) for pair in self.duplicates],
        }
        if with_batches:
            data["batches"] = [batch.as_dict() for batch in self.batches]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> IntakePlan:
        source = SourcePlan([], uidvalidity=data.get("uidvalidity"), last_uid=data.get("last_uid"))
        batches = [IntakeBatch.from_dict(batch) for batch in data.get("batches", [])]
        planned_at = datetime.fromisoformat(data["planned_at"]) if data.get("planned_at") else None
        duplicates = [(str(key), str(digest)) for key, digest in data.get("duplicates", [])]
        return cls(batches, IntakeCounts.from_dict(data.get("counts", {})), source, planned_at, duplicates)


@dataclass
class BatchOutcome:
    """What one batch did: its counts and the notices left to the finishing step (small, for XCom)."""

    counts: IntakeCounts
    deferred: list[DeferredNotice] = field(default_factory=list)
    gx_results: list[tuple[str, ...]] = field(default_factory=list)  # stored GX results, rendered by the finish

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts.as_dict(),
            "deferred": [notice.as_dict() for notice in self.deferred],
            "gx_results": [list(key) for key in self.gx_results],
        }

    @classmethod
    def from_dict(cls, data: dict) -> BatchOutcome:
        return cls(
            IntakeCounts.from_dict(data.get("counts", {})),
            [DeferredNotice.from_dict(notice) for notice in data.get("deferred", [])],
            [tuple(key) for key in data.get("gx_results", [])],
        )


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
    """Read the mailbox: archive every message, decide each new one, check values with GX, load the raw tables;
    batch by batch (:func:`plan_intake`, :func:`intake_batch`, :func:`finish_intake`) in this process.
    A mailbox that cannot be read raises (``ImapError``): the task fails rather than read nothing."""
    registry = registry or default_registry()
    catalogue = catalogue or default_catalogue()
    with deciders_for(settings, registry, catalogue) as deciders:  # forked once, before anything else starts
        plan = plan_intake(settings)
        outcomes = [
            intake_batch(
                settings, batch, registry=registry, catalogue=catalogue, on_message=on_message, deciders=deciders
            )
            for batch in plan.batches
        ]
    return finish_intake(settings, plan, outcomes, registry=registry, catalogue=catalogue)


def deciders_for(settings: Settings, registry: Registry, catalogue: Catalogue) -> Deciders:
    """Worker processes deciding messages (``ITREPORT_INTAKE_PROCESSES``), to enter before intake's stages."""
    context = DecideContext(registry, catalogue, settings.deadline, settings.authserv_id, settings.mx_host)
    return Deciders(context, settings.intake_processes)


def plan_intake(settings: Settings, *, batch_size: int | None = None) -> IntakePlan:
    """The new messages of the source in receipt order, split into batches (keys only). Files whose message the
    ledger already holds are remembered and skipped (a Maildir files them as processed once this commits), so they
    are not read again by the batches or the next run."""
    size = max(1, batch_size or settings.intake_batch_size)
    with warehouse.connect(settings, autocommit=True) as setup:
        ensure_raw_schema(setup)  # its own short transaction: no DDL lock is held through the intake
    counts = IntakeCounts()
    with warehouse.connect(settings) as conn, mail_source(settings) as source:
        found = source.plan(conn, settings.mx_host)
        counts.seen = counts.already_processed = found.skipped
        known = known_among(conn, {p.message_hash for p in found.planned if p.message_hash})
        new: list[PlannedMessage] = []
        remember, duplicates, hashes = [], [], set()
        for planned in found.planned:
            if planned.message_hash in known or planned.message_hash in hashes:
                counts.seen += 1
                counts.already_processed += 1
                if planned.message_hash in known:
                    remember.append((planned.key, planned.message_hash))
                else:  # its first copy is in a batch: remembered once the finishing step finds it recorded
                    duplicates.append((planned.key, planned.message_hash))
                continue
            if planned.message_hash:
                hashes.add(planned.message_hash)
            new.append(planned)
        source.remember(conn, remember)
        planned_at = database_now(conn)
        conn.commit()
        source.committed()  # only now: a crash before the commit leaves the files to be read again
        counts.source, counts.notes = source.name, list(source.notes)
    new.sort(key=lambda p: (p.received_at is None, p.received_at or _EPOCH, p.message_hash or "", p.key))
    batches = [
        IntakeBatch(index, source.name, planned_at, tuple(p.key for p in new[start : start + size]), found.uidvalidity)
        for index, start in enumerate(range(0, len(new), size))
    ]
    found.planned = []
    return IntakePlan(batches, counts, found, planned_at, duplicates)


def intake_batch(
    settings: Settings,
    batch: IntakeBatch,
    *,
    registry: Registry | None = None,
    catalogue: Catalogue | None = None,
    on_message: Callable[[], None] | None = None,
    deciders: Deciders | None = None,
) -> BatchOutcome:
    """One batch in one transaction: archive, decide, check with GX, load, remember what was read. ``deciders``:
    started workers (:func:`deciders_for`; by default the batch starts its own)."""
    registry = registry or default_registry()
    catalogue = catalogue or default_catalogue()
    counts = IntakeCounts()
    with (
        contextlib.nullcontext(deciders) if deciders else deciders_for(settings, registry, catalogue) as deciders,
        warehouse.connect(settings) as conn,
        mail_source(settings) as source,
        ArchiveWriter(settings.archive_dir) as archive,
    ):
        received = fetch_and_archive(conn, source, batch, settings, counts, archive)
        accepted_before = AcceptedPairs(conn, batch.planned_at)
        decide(received, settings, deciders, on_message)
        archive.wait()  # the batch is on disk (written while it was decided) before anything else is stored
        gx_results: list[tuple[str, ...]] = []
        validate(received, registry, catalogue, settings, stored=gx_results)
        confirm(received, accepted_before, registry)
        now, deferred = _split_deferred(received)
        loaded_at = begin_loading(conn)  # held until the commit: batches loading side by side take turns
        counts.rows_inserted = load(conn, now, loaded_at=loaded_at)
        counts.rows_inserted["value_warnings"] = record_batch_warnings(conn, loaded_at, catalogue, settings)
        counts.decided(now)  # after loading: a message the warehouse refused is counted as processing_error
        source.remember(conn, [(item.key, item.message.message_hash) for item in now])
        conn.commit()
        source.committed()
    return BatchOutcome(counts, deferred, gx_results)


def finish_intake(
    settings: Settings,
    plan: IntakePlan,
    outcomes: Sequence[BatchOutcome],
    *,
    registry: Registry | None = None,
    catalogue: Catalogue | None = None,
) -> IntakeCounts:
    """After every batch: the deferred "same as" notices decided in receipt order against what was accepted
    before each, loaded; the value warnings of reports a later batch added history to, scored again; the source's
    read mark stored; the run's counts."""
    registry = registry or default_registry()
    catalogue = catalogue or default_catalogue()
    counts = IntakeCounts()
    counts.add(plan.counts)
    for outcome in outcomes:
        counts.add(outcome.counts)
    deferred = sorted((n for o in outcomes for n in o.deferred), key=lambda n: (n.received_at, n.message_hash))
    with warehouse.connect(settings) as conn, mail_source(settings) as source:
        if deferred and plan.planned_at is not None:
            received = _decide_deferred(conn, deferred, plan.planned_at, settings, registry, catalogue)
            counts.add(IntakeCounts(rows_inserted=load(conn, received)))
            counts.decided(received)
            source.remember(conn, [(item.key, item.message.message_hash) for item in received])
        if plan.duplicates:  # copies of this run's messages: remembered (and filed) once their first copy is in
            recorded = known_among(conn, {digest for _, digest in plan.duplicates})
            source.remember(conn, [(key, digest) for key, digest in plan.duplicates if digest in recorded])
        if plan.planned_at is not None:
            counts.add(
                IntakeCounts(
                    rows_inserted={"value_warnings": rescore_run_warnings(conn, plan.planned_at, catalogue, settings)}
                )
            )
        source.mark_read(conn, plan.source)
        conn.commit()
        source.committed()
    from expectations.validate import update_data_docs

    update_data_docs(settings.home, [key for outcome in outcomes for key in outcome.gx_results])
    return counts


def _split_deferred(received: Sequence[ReceivedMessage]) -> tuple[list[ReceivedMessage], list[DeferredNotice]]:
    now, deferred = [], []
    for item in received:
        message = item.message
        if item.decided.decision.reason_code == DEFERRED_REASON and message.received_at is not None:
            deferred.append(DeferredNotice(message.message_hash, item.key, message.source, message.received_at))
        else:
            now.append(item)
    return now, deferred


def _decide_deferred(
    conn: psycopg.Connection,
    deferred: Sequence[DeferredNotice],
    planned_at: datetime,
    settings: Settings,
    registry: Registry,
    catalogue: Catalogue,
) -> list[ReceivedMessage]:
    """Each deferred notice against what was accepted before the run, and what this run accepted (reports and
    notices) before it in receipt order: the verdict one batch of the whole run would have given."""
    accepted = AcceptedPairs(conn, planned_at)
    since = accepted_since(conn, planned_at)
    decided: list[ReceivedMessage] = []
    position = 0
    for notice in deferred:
        while position < len(since) and since[position][:2] < (notice.received_at, notice.message_hash):
            accepted.add(since[position][2:])
            position += 1
        path = archived_path(notice.message_hash, settings.archive_dir)
        message = to_inbound(
            path.read_bytes(), source=notice.source, mx_host=settings.mx_host, received_at=notice.received_at
        )
        item = ReceivedMessage(message, path, key=notice.key)
        try:
            item.assessment = assess(
                message,
                registry=registry,
                catalogue=catalogue,
                deadline=settings.deadline,
                accepted=accepted,
                authserv_id=settings.authserv_id,
                mx_host=settings.mx_host,
            )
        except Exception as error:
            log.exception("message %s could not be processed", message.message_hash)
            item.assessment = processing_error(message.message_hash, error)
        submission = item.decided.submission
        if submission is not None:
            accepted.add((submission.unit_code, submission.period))
        decided.append(item)
    return decided


def fetch_and_archive(
    conn: psycopg.Connection,
    source: MailSource,
    batch: IntakeBatch,
    settings: Settings,
    counts: IntakeCounts,
    archive: ArchiveWriter,
) -> list[ReceivedMessage]:
    """Start archiving every message of the batch (``archive.wait()`` before storing anything about them); the
    ones the ledger does not know yet, in receipt order."""
    read = list(source.read(conn, batch))
    counts.seen += len(read)
    digests = [message_hash(message.raw) for _, message in read]
    fetched = [
        (key, archive.add(message.raw, digest), message, digest)
        for (key, message), digest in zip(read, digests, strict=True)
    ]
    known = known_among(conn, {digest for *_, digest in fetched})
    received = []
    for key, path, message, digest in fetched:
        if digest in known:
            counts.already_processed += 1
            source.remember(conn, [(key, digest)])
            continue
        known.add(digest)
        received.append(ReceivedMessage(fetched_to_inbound(message, settings.mx_host, digest=digest), path, key=key))
    counts.source, counts.notes = source.name, list(source.notes)
    received.sort(
        key=lambda item: (item.message.received_at is None, item.message.received_at, item.message.message_hash)
    )
    return received


def decide(
    received: Sequence[ReceivedMessage],
    settings: Settings,
    deciders: Deciders,
    on_message: Callable[[], None] | None = None,
) -> None:
    """Assess each message (on the deciders' workers); one that fails unexpectedly becomes ``processing_error``
    and the others go on. A "same as" notice is decided as if its previous month were accepted: :func:`confirm`
    checks that in receipt order. The .doc files antiword cannot place are converted in one LibreOffice batch,
    or read from the conversions kept by content hash (none without LibreOffice: antiword's text is read)."""
    from ingestion.documents.doc_reader import convert_cached

    cache_dir = settings.home / "cache" / "doc-to-docx"
    decisions = deciders.decide(
        [item.message for item in received],
        convert=lambda documents: convert_cached(documents, cache_dir),
        # GX checks the reports after: its import (most of a batch's time) runs while the workers decide
        meanwhile=_import_gx if any(may_hold_word_file(item.message.raw) for item in received) else None,
    )
    for item, decided in zip(received, decisions, strict=True):
        if decided.failure:
            log.error("message %s could not be processed:\n%s", item.message.message_hash, decided.failure)
        item.assessment = decided.assessment
        item.message = replace(item.message, raw=b"", parsed=None)  # archived and decided: free the batch's bytes
        if on_message:
            on_message()


def validate(
    received: Sequence[ReceivedMessage],
    registry: Registry,
    catalogue: Catalogue,
    settings: Settings,
    *,
    stored: list[tuple[str, ...]] | None = None,
) -> None:
    """Great Expectations on every accepted report; a failing one is quarantined with what to fix. ``stored`` gets
    the keys of the results kept in the GX project (their Data Docs pages are rendered once per run)."""
    from expectations.validate import validate_submissions

    reports = [
        item.decided.submission
        for item in received
        if item.decided.submission and item.decided.submission.kind == SubmissionKind.REPORT
    ]
    if reports:
        _import_gx()
    problems = validate_submissions(reports, catalogue, home=settings.home, stored=stored)
    if reports:
        _settle_after_gx()
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


@functools.cache
def _import_gx() -> None:
    with unscanned_imports():
        import great_expectations  # noqa: F401  (imported here, before it is needed, for unscanned_imports)


@functools.cache
def _settle_after_gx() -> None:
    """The heap settled (:func:`settle_heap`) once GX has validated a batch in this process: the task's heap was
    settled before GX was imported, so every full collection of the later batches walked GX's objects again."""
    settle_heap()


def confirm(received: Sequence[ReceivedMessage], accepted_before: AcceptedPairs, registry: Registry) -> None:
    """A notice whose previous month was only a report of this run that the checks quarantined is quarantined."""
    confirmed = confirm_notices([item.decided for item in received], accepted_before, registry)
    for item, assessment in zip(received, confirmed, strict=True):
        item.assessment = assessment


def record_batch_warnings(
    conn: psycopg.Connection, loaded_at: datetime, catalogue: Catalogue, settings: Settings
) -> int:
    """Value warnings of the reports the batch just loaded (stamped ``loaded_at``), each against the history of its
    unit that is loaded: the warehouse's and the batches' loaded before this one. Returns rows stored."""
    from expectations.value_warnings import record_value_warnings

    return sum(
        record_value_warnings(conn, reports, catalogue, jump_points=settings.jump_points)
        for reports in iter_reports(conn, "loaded_at = %s", (loaded_at,), settings.intake_batch_size)
    )


def rescore_run_warnings(
    conn: psycopg.Connection, planned_at: datetime, catalogue: Catalogue, settings: Settings
) -> int:
    """The run's reports whose unit got a report for one of their history's months from a batch loaded after
    theirs (a late report in a later batch), scored again against their whole history, as one batch of the whole
    run would have: a batch's worth at a time. Returns rows added less rows removed."""
    from expectations.value_warnings import history_added_later, replace_value_warnings

    stale = history_added_later(conn, planned_at)
    if not stale:
        return 0
    return sum(
        replace_value_warnings(conn, reports, catalogue, jump_points=settings.jump_points)
        for reports in iter_reports(conn, "message_hash = any(%s)", (stale,), settings.intake_batch_size)
    )
