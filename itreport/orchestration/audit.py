"""The audit: the ledger's promises checked against the archive and the warehouse.

- every archived message (``archive/xx/<sha256>.eml``) is in the ledger ``raw.messages`` and every ledger row's
  archive file exists and still hashes to its key;
- every message ends in exactly one state (the table's constraint) and every message of a known unit that was
  accepted or quarantined has its one reply decision (``raw.replies``: sent or withheld);
- no email is left ``claimed`` (a sender died mid-send: it may or may not have gone out, and is never resent
  by itself) or ``failed`` without a later send of the same email.

``itreport audit`` prints what is wrong and exits non-zero; ``monthly_close`` runs it after dbt, before the alert.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from ingestion.domain.periods import format_period
from ingestion.load import ensure_raw_schema
from ingestion.mailbox.archive import archived_path
from itreport.config import warehouse
from itreport.config.settings import Settings

SHOWN = 20  # problems of one kind listed; the rest counted


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str


@dataclass
class AuditReport:
    period: date | None
    messages: int = 0
    archived: int = 0
    states: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        scope = format_period(self.period) if self.period else "all periods"
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items())) or "none"
        lines = [
            f"audit ({scope}): {self.messages} messages in the ledger ({states}), {self.archived} archived, "
            f"{self.replies} reply decisions"
        ]
        by_code: dict[str, list[Problem]] = {}
        for problem in self.problems:
            by_code.setdefault(problem.code, []).append(problem)
        for code, found in by_code.items():
            lines.append(f"PROBLEM {code} ({len(found)}):")
            lines += [f"  {p.detail}" for p in found[:SHOWN]]
            if len(found) > SHOWN:
                lines.append(f"  … and {len(found) - SHOWN} more")
        lines.append("OK" if self.ok else f"{len(self.problems)} problems")
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "period": format_period(self.period) if self.period else None,
            "messages": self.messages,
            "archived": self.archived,
            "states": self.states,
            "replies": self.replies,
            "problems": [f"{p.code}: {p.detail}" for p in self.problems],
        }


def audit(settings: Settings, period: date | None = None) -> AuditReport:
    """Check the ledger, the archive, the replies and the outbox (of ``period``'s messages, or all)."""
    report = AuditReport(period)
    with warehouse.connect(settings, autocommit=True) as conn:
        ensure_raw_schema(conn)
        rows = _ledger(conn, period)
        report.messages = len(rows)
        report.states = _count(state for _, state, _, _ in rows)
        _check_archive(settings.archive_dir, rows, period, report)
        _check_replies(conn, period, report)
        _check_outbox(conn, report)
    return report


def _of_period(period: date | None, column: str = "period_month") -> tuple[str, tuple[date, ...]]:
    """The condition (and its parameters) keeping ``period``'s rows, or every row: a plain equality when there is a
    period, so the index on ``period_month`` serves it (``%s is null or …`` would read the whole table)."""
    return ("true", ()) if period is None else (f"{column} = %s", (period,))


def _ledger(conn: psycopg.Connection, period: date | None) -> list[tuple[str, str, str, str | None]]:
    where, params = _of_period(period)
    return conn.execute(
        f"select message_hash, state, archive_path, unit_code from raw.messages where {where}",
        params,
    ).fetchall()


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _check_archive(archive_dir: Path, rows, period: date | None, report: AuditReport) -> None:
    known = {digest for digest, *_ in rows}
    for digest, _state, archive_path, _unit in rows:
        path = Path(archive_path)
        if not path.is_file():
            report.problems.append(Problem("archive_missing", f"{digest}: {path} is gone"))
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            report.problems.append(Problem("archive_changed", f"{digest}: {path} no longer has these bytes"))
    if period is not None:  # the period's messages in the archive, found by name: the archive is not listed
        report.archived = sum(archived_path(digest, archive_dir).is_file() for digest in known)
        return
    archived = sorted(archive_dir.glob("*/*.eml")) if archive_dir.is_dir() else []
    report.archived = len(archived)
    for path in archived:  # an archived message that never reached the ledger (a run died between the two)
        if path.stem not in known:
            report.problems.append(Problem("not_in_ledger", f"{path.stem}: archived, never decided"))


_UNANSWERED = """
select m.message_hash, m.state, m.reason_code, m.unit_code from raw.messages m
left join raw.replies r using (message_hash)
left join raw.outbox o on o.kind = 'reply' and o.key = m.message_hash
where r.message_hash is null and o.key is null and m.unit_code is not null
  and m.state in ('accepted', 'quarantined') and m.reason_code <> 'already_processed'
  and {period}
"""


def _check_replies(conn: psycopg.Connection, period: date | None, report: AuditReport) -> None:
    where, params = _of_period(period, "m.period_month")
    report.replies = conn.execute(
        f"select count(*) from raw.replies r join raw.messages m using (message_hash) where {where}",
        params,
    ).fetchone()[0]  # type: ignore[index]
    for digest, state, reason, unit in conn.execute(_UNANSWERED.format(period=where), params):
        report.problems.append(Problem("reply_pending", f"{digest}: {state} ({reason}) of {unit}, no reply decided"))


def _check_outbox(conn: psycopg.Connection, report: AuditReport) -> None:
    rows = conn.execute(
        "select kind, key, state, subject, recipients, coalesce(error, '') from raw.outbox o "
        "where state in ('claimed', 'failed')"  # the partial index raw.outbox_unsent: never the sent ones
        " and (state = 'claimed' or not exists (select 1 from raw.outbox s "
        "where s.kind = o.kind and s.key = o.key and s.state = 'sent')) order by claimed_at"
    ).fetchall()
    for kind, key, state, subject, recipients, error in rows:
        if state == "claimed":
            detail = f"{kind} {key} to {recipients} («{subject}»): claimed, never confirmed sent; check the SMTP log"
            report.problems.append(Problem("email_unconfirmed", detail))
        else:
            report.problems.append(Problem("email_failed", f"{kind} {key} to {recipients}: {error}"))
