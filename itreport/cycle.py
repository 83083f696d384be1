"""The work of one monthly cycle, as plain functions: the DAGs call these, tests call them without Airflow."""

from __future__ import annotations

import contextlib
import hashlib
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from ingestion.catalogue import Catalogue, default_catalogue
from ingestion.imap_source import ImapSource
from ingestion.intake import Assessment, assess, confirm_notices, doc_payloads, quarantine_invalid
from ingestion.load import accepted_pairs, ensure_raw_schema, known_hashes, load, record_closure
from ingestion.mail_reader import MaildirSource, MailSource, archive, fetched_to_inbound, message_hash
from ingestion.models import Decision, InboundMessage, SubmissionKind
from ingestion.reasons import explain
from ingestion.registry import Registry, default_registry
from itreport import warehouse
from itreport.alerts import Alert, compose_alert
from itreport.compliance import PeriodCompliance, period_compliance
from itreport.settings import Settings


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


def prepare_warehouse(settings: Settings) -> dict[str, str]:
    """Start the embedded warehouse when needed, create the raw schema; returns dbt's connection env (no secret)."""
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
    env = warehouse.dbt_env(settings)
    env.pop("ITREPORT_PGPASSWORD", None)
    return env


def _processing_error(digest: str, error: Exception) -> Assessment:
    state, vi, en = explain("processing_error", detail=f"{type(error).__name__}: {error}")
    return Assessment(Decision(digest, state, "processing_error", vi, en))


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
    from expectations.validate import validate_submissions
    from expectations.value_warnings import record_value_warnings

    registry = registry or default_registry()
    catalogue = catalogue or default_catalogue()
    counts = IntakeCounts()
    with warehouse.connect(settings) as conn, mail_source(settings) as source:
        ensure_raw_schema(conn)
        known = known_hashes(conn)
        new_messages = []
        for fetched in source.fetch(conn):
            counts.seen += 1
            path = archive(fetched.raw, settings.archive_dir)
            digest = message_hash(fetched.raw)
            if digest in known:
                counts.already_processed += 1
                continue
            known.add(digest)
            new_messages.append((fetched_to_inbound(fetched, settings.mx_host), path))
        counts.source, counts.notes = source.name, list(source.notes)
        converted = _convert_docs(message for message, _ in new_messages)
        new_messages.sort(key=lambda item: (item[0].received_at is None, item[0].received_at, item[0].message_hash))
        accepted_before = accepted_pairs(conn)
        accepted_now = set(accepted_before)  # "same as" notices need the previous month, also from this run
        results = []
        for message, path in new_messages:
            try:
                assessment = assess(
                    message,
                    registry=registry,
                    catalogue=catalogue,
                    deadline=settings.deadline,
                    converted=converted,
                    accepted=accepted_now,
                    authserv_id=settings.authserv_id,
                    mx_host=settings.mx_host,
                )
            except Exception as error:  # one bad message never stops the others
                traceback.print_exc()
                assessment = _processing_error(message.message_hash, error)
            if assessment.submission is not None:
                accepted_now.add((assessment.submission.unit_code, assessment.submission.period))
            results.append((message, path, assessment))
            if on_message:
                on_message()

        reports = [a.submission for _, _, a in results if a.submission and a.submission.kind == SubmissionKind.REPORT]
        problems = validate_submissions(reports, catalogue, home=settings.home)
        checked = []
        for message, path, assessment in results:
            if assessment.submission and assessment.submission.message_hash in problems:
                unit = registry.get(assessment.submission.unit_code)
                found = problems[assessment.submission.message_hash]
                assessment = quarantine_invalid(
                    assessment, [p.message_vi for p in found], [p.message_en for p in found], unit
                )
            checked.append((message, path, assessment))
        confirmed = confirm_notices([a for _, _, a in checked], accepted_before, registry)
        checked = [(message, path, a) for (message, path, _), a in zip(checked, confirmed, strict=True)]
        for _, _, assessment in checked:
            counts.states[assessment.decision.state.value] += 1
            counts.reasons[assessment.decision.reason_code] += 1
        counts.rows_inserted = load(conn, checked)
        accepted = [a.submission for _, _, a in checked if a.submission]
        counts.rows_inserted["value_warnings"] = record_value_warnings(
            conn, accepted, catalogue, jump_points=settings.jump_points
        )
        source.mark_read(conn)
        conn.commit()
    return counts


def _convert_docs(messages: Iterable[InboundMessage]) -> dict[str, bytes]:
    """All .doc attachments of a run converted to .docx in one LibreOffice batch (none without LibreOffice)."""
    from ingestion.doc_convert import convert_many, libreoffice_available

    documents: dict[str, bytes] = {}
    for message in messages:
        with contextlib.suppress(Exception):  # a message that cannot even be split is judged by assess()
            documents.update(doc_payloads(message.raw))
    if not documents or not libreoffice_available():
        return {}
    return convert_many(documents, suffix=".doc", to="docx")


def close_period(settings: Settings, period: date, run_id: str | None) -> None:
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        record_closure(conn, period, run_id)


def compliance(settings: Settings, period: date) -> PeriodCompliance:
    with warehouse.connect(settings) as conn:
        return period_compliance(conn, period)


def compliance_alert(settings: Settings, period: date) -> Alert:
    return compose_alert(compliance(settings, period), settings.deadline)


class EmailSender(Protocol):
    def send_email_smtp(
        self, *, to: list[str], subject: str, html_content: str, from_email: str, files: list[str]
    ) -> None: ...


def send_compliance_alert(
    settings: Settings, period: date, sender: EmailSender, *, resend: bool = False, now: datetime | None = None
) -> dict[str, object]:
    """Compose the alert for ``period`` and send it (Airflow's SmtpHook in the DAG) unless the same alert went to
    the same people already (``raw.alerts``) or the period closed too long ago to alert anyone (a backfill);
    ``resend`` sends it regardless. Returns what was (not) sent."""
    alert = compliance_alert(settings, period)
    recipients = sorted(settings.alert_to)
    digest = _alert_digest(alert, recipients)
    result: dict[str, object] = {"subject": alert.subject, "to": recipients, "content_sha256": digest}
    closed_ago = (now or datetime.now(UTC)) - settings.deadline.deadline(period)
    if not resend and settings.notify_max_age_days is not None and closed_ago > timedelta(settings.notify_max_age_days):
        return result | {"sent": False, "withheld": f"deadline passed {closed_ago.days} days ago (a backfill)"}
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        already = conn.execute(
            "select sent_at from raw.alerts where period_month = %s and content_sha256 = %s", (period, digest)
        ).fetchone()
        if already and not resend:
            return result | {"sent": False, "already_sent_at": already[0].isoformat()}
        files = []
        for name, text in alert.attachments:  # the compliance CSV, then the value warnings CSV
            path = settings.home / "alerts" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        sender.send_email_smtp(
            to=recipients, subject=alert.subject, html_content=alert.html, from_email=settings.ministry_address,
            files=files,
        )  # fmt: skip
        conn.execute(
            "insert into raw.alerts (period_month, content_sha256, subject, recipients) values (%s, %s, %s, %s) "
            "on conflict (period_month, content_sha256) do update set sent_at = now()",
            (period, digest, alert.subject, ", ".join(recipients)),
        )
    return result | {"sent": True, "attachments": files}


def _alert_digest(alert: Alert, recipients: list[str]) -> str:
    content = [alert.subject, alert.html, *(f"{name}\n{text}" for name, text in alert.attachments), *recipients]
    return hashlib.sha256("\x00".join(content).encode()).hexdigest()
