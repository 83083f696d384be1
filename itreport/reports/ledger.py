"""The reports ledger (``raw.reports``): every version of every document the product writes for people — the
Government's monthly briefing, the annual evaluation — with its archived file, sha256 and the decision a person took
at the approval gate.

Generic on purpose: a report is a ``report_kind`` (``government_monthly``, ``annual_evaluation``…) and a
``report_key`` (the period ``YYYY-MM`` or the year ``YYYY``). Registering the same bytes again returns the version
that has them; other bytes (a late correction changed the marts) make the next version. Archived files are never
overwritten: ``<ITREPORT_HOME>/reports/<kind>/<key>/v<version>-<file name>``, owner-only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from ingestion.domain.private_files import write_private

APPROVED, REJECTED = "approved", "rejected"

_COLUMNS = (
    "report_kind, report_key, version, sha256, archive_path, created_at, dag_run_id, decision, decided_by, comment,"
    " decided_at, sent_to, sent_at"
)


@dataclass(frozen=True)
class ReportVersion:
    report_kind: str
    report_key: str
    version: int
    sha256: str
    archive_path: Path
    created_at: datetime
    dag_run_id: str | None
    decision: str | None  # None: waiting for a person
    decided_by: str | None
    comment: str | None
    decided_at: datetime | None
    sent_to: str | None
    sent_at: datetime | None

    @property
    def file_name(self) -> str:
        return self.archive_path.name.split("-", 1)[1]

    def as_dict(self) -> dict[str, object]:
        return {
            "report_kind": self.report_kind,
            "report_key": self.report_key,
            "version": self.version,
            "sha256": self.sha256,
            "archive_path": str(self.archive_path),
            "decision": self.decision,
            "decided_by": self.decided_by,
            "comment": self.comment,
            "sent_to": self.sent_to,
        }


def _version(row: tuple) -> ReportVersion:
    values = list(row)
    values[4] = Path(values[4])
    return ReportVersion(*values)


def register(
    conn: psycopg.Connection,
    archive_root: Path,
    report_kind: str,
    report_key: str,
    file_name: str,
    content: bytes,
    dag_run_id: str | None = None,
) -> tuple[ReportVersion, bool]:
    """(the version holding ``content``, whether it is new): same bytes → the existing version, else the next one,
    archived before it is recorded."""
    digest = hashlib.sha256(content).hexdigest()
    existing = find(conn, report_kind, report_key, sha256=digest)
    if existing:
        return existing, False
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"{report_kind}/{report_key}",))
        existing = find(conn, report_kind, report_key, sha256=digest)
        if existing:
            return existing, False
        row = conn.execute(
            "select coalesce(max(version), 0) + 1 from raw.reports where report_kind = %s and report_key = %s",
            (report_kind, report_key),
        ).fetchone()
        version = row[0] if row else 1
        path = write_private(archive_root / report_kind / report_key / f"v{version}-{file_name}", content)
        created = conn.execute(
            f"insert into raw.reports (report_kind, report_key, version, sha256, archive_path, dag_run_id) "
            f"values (%s, %s, %s, %s, %s, %s) returning {_COLUMNS}",
            (report_kind, report_key, version, digest, str(path), dag_run_id),
        ).fetchone()
    return _version(created), True


def find(
    conn: psycopg.Connection,
    report_kind: str,
    report_key: str,
    *,
    sha256: str | None = None,
    version: int | None = None,
) -> ReportVersion | None:
    """The version with this sha256 or number, else the latest one (None when the report has none)."""
    row = conn.execute(
        f"select {_COLUMNS} from raw.reports where report_kind = %s and report_key = %s"
        " and (%s::text is null or sha256 = %s) and (%s::int is null or version = %s) order by version desc limit 1",
        (report_kind, report_key, sha256, sha256, version, version),
    ).fetchone()
    return _version(row) if row else None


def history(conn: psycopg.Connection, report_kind: str, report_key: str | None = None) -> list[ReportVersion]:
    rows = conn.execute(
        f"select {_COLUMNS} from raw.reports where report_kind = %s and (%s::text is null or report_key = %s)"
        " order by report_key, version",
        (report_kind, report_key, report_key),
    ).fetchall()
    return [_version(row) for row in rows]


def record_decision(
    conn: psycopg.Connection,
    report_kind: str,
    report_key: str,
    version: int,
    decision: str,
    decided_by: str | None,
    comment: str | None,
) -> ReportVersion:
    """Record the person's decision on a version once (a later call keeps the first decision)."""
    if decision not in (APPROVED, REJECTED):
        raise ValueError(f"decision must be {APPROVED} or {REJECTED}, not {decision!r}")
    conn.execute(
        "update raw.reports set decision = %s, decided_by = %s, comment = %s, decided_at = now()"
        " where report_kind = %s and report_key = %s and version = %s and decision is null",
        (decision, decided_by, comment or None, report_kind, report_key, version),
    )
    found = find(conn, report_kind, report_key, version=version)
    if found is None:
        raise KeyError(f"{report_kind} {report_key} v{version}")
    return found


def mark_sent(conn: psycopg.Connection, report_kind: str, report_key: str, version: int, recipients: str) -> None:
    conn.execute(
        "update raw.reports set sent_to = %s, sent_at = coalesce(sent_at, now())"
        " where report_kind = %s and report_key = %s and version = %s",
        (recipients, report_kind, report_key, version),
    )
