"""A scratch warehouse with a small hand-written reporting history for the annual evaluation, built by dbt.

Closed months: 2010-11, 2010-12, 2011-10, 2011-11, 2011-12, 2025-06, 2025-12. Every unit valid in a month
reports in it with values drawn from its own seeded generator, except the planted cases:

- ties: Tỉnh Hà Giang (P02) reports exactly Tỉnh Cao Bằng's (P04) values, Bộ Tư pháp (BTP) Bộ Ngoại giao's (BNG);
- a weight test pair: Bộ Công Thương (BCT) scores 1 on information provision and 0 elsewhere, Bộ Y tế (BYT)
  1 on infrastructure and 0 elsewhere;
- Tỉnh Điện Biên (P11) never reports (no_reports); Tỉnh Lai Châu (P12) reports once in 2011 (too_few_reports);
- 2025: the provinces merged on 1 July report in June only, their successors in December only.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[3]
DBT_DIR = REPO / "dbt_project"
BIN = Path(sys.executable).parent

CLOSED = [date(2010, 11, 1), date(2010, 12, 1), date(2011, 10, 1), date(2011, 11, 1), date(2011, 12, 1)]
CLOSED_2025 = [date(2025, 6, 1), date(2025, 12, 1)]
TIES = {"P02": "P04", "BTP": "BNG"}
SILENT = {"P11"}
ONCE = {"P12": date(2011, 12, 1)}
INFORMATION_ONLY, INFRASTRUCTURE_ONLY = "BCT", "BYT"
ZEROS = {
    "1.1": 0, "1.3": 0, "2.1": 100, "2.4": 0, "2.5": 0, "3.1": 500, "3.2": 0, "3.3": 0, "3.4": 10, "3.5": 0,
    "3.6": 0, "3.7": 0, "4.1": 0, "4.2": 0, "5.1": 0, "5.2": 0, "5.3": 0, "5.4": 0, "5.5": 0,
}  # fmt: skip


def units() -> list[dict[str, str]]:
    with (DBT_DIR / "seeds" / "reporting_units.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def valid_on(unit: dict[str, str], month: date) -> bool:
    start = date.fromisoformat(unit["valid_from"])
    end = date.fromisoformat(unit["valid_to"]) if unit["valid_to"] else None
    return start <= month and (end is None or month < end)


def values_for(unit_code: str, year: int) -> dict[str, float]:
    """One unit's report for a year (the same every month of it)."""
    if unit_code == INFORMATION_ONLY:
        return ZEROS | {"1.1": 1, "1.3": 100}
    if unit_code == INFRASTRUCTURE_ONLY:
        return ZEROS | {"5.1": 500, "5.2": 100, "5.3": 100, "5.4": 1, "5.5": 1}
    rng = random.Random(f"{TIES.get(unit_code, unit_code)}-{year}")
    officials, departments, procedures = rng.randint(200, 2000), rng.randint(10, 40), rng.randint(100, 400)
    return {
        "1.1": 1, "1.3": rng.randint(10, 100), "2.1": procedures, "2.4": rng.randint(0, 40), "2.5": rng.randint(0, 10),
        "3.1": officials, "3.2": rng.randint(0, officials), "3.3": rng.randint(0, 100), "3.4": departments,
        "3.5": rng.randint(0, departments), "3.6": rng.randint(0, 100), "3.7": rng.randint(0, 1),
        "4.1": rng.randint(0, 1), "4.2": rng.randint(0, 1), "5.1": rng.randint(0, officials),
        "5.2": rng.randint(0, 100), "5.3": rng.randint(0, 100), "5.4": rng.randint(0, 1), "5.5": rng.randint(0, 1),
    }  # fmt: skip


def submissions() -> list[tuple[str, date, dict[str, float]]]:
    rows = []
    registry = units()
    for month in CLOSED + CLOSED_2025:
        for unit in registry:
            code = unit["unit_code"]
            if not valid_on(unit, month) or code in SILENT or (code in ONCE and ONCE[code] != month):
                continue
            if month.year == 2025 and month.month == 6 and not unit["successor_code"]:
                continue  # 2025: those that stay report in December only
            rows.append((code, month, values_for(code, month.year)))
    return rows


def load_history(conn: psycopg.Connection) -> None:
    conn.execute((REPO / "ingestion" / "raw_schema.sql").read_text(encoding="utf-8"))
    for code, month, values in submissions():
        digest = f"{code}-{month:%Y-%m}"
        received = f"{month:%Y-%m}-10 03:00:00+00"
        conn.execute(
            "insert into raw.messages (message_hash, source, sender, received_at, archive_path, state, reason_code,"
            " reason_vi, reason_en, unit_code, period_month, submission_kind)"
            " values (%s, 'test', %s, %s, %s, 'accepted', 'accepted', 'Đã nhận', 'Accepted', %s, %s, 'report')",
            (digest, f"{code.lower()}@example", received, f"/archive/{digest}.eml", code, month),
        )
        conn.execute(
            "insert into raw.submissions (message_hash, unit_code, period_month, submission_kind, received_at,"
            " filename) values (%s, %s, %s, 'report', %s, 'bao-cao.docx')",
            (digest, code, month, received),
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into raw.submission_values (message_hash, indicator_code, value_text, value_number)"
                " values (%s, %s, %s, %s)",
                [(digest, indicator, str(value), value) for indicator, value in values.items()],
            )
    for month in CLOSED + CLOSED_2025:
        conn.execute("insert into raw.period_closures (period_month, dag_run_id) values (%s, 'test')", (month,))


def create_database(settings, database: str) -> dict[str, str]:
    """A fresh database on the session's embedded server; returns dbt's environment for it."""
    from itreport.config.warehouse import dbt_env, warehouse_url

    with psycopg.connect(warehouse_url(settings), autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    return dbt_env(settings) | {"ITREPORT_PGDATABASE": database}


def conninfo(env: dict[str, str]) -> str:
    return (
        f"host={env['ITREPORT_PGHOST']} port={env['ITREPORT_PGPORT']} dbname={env['ITREPORT_PGDATABASE']}"
        f" user={env['ITREPORT_PGUSER']}"
    )


def dbt(env: dict[str, str], project: Path, work: Path, *args: str) -> str:
    """Run the dbt CLI on ``project`` against the database of ``env``; fails the test with dbt's output."""
    command = [str(BIN / "dbt"), *args, "--profiles-dir", str(project), "--target-path", str(work / "target")]
    result = subprocess.run(
        command,
        cwd=project,
        env=os.environ | env | {"DBT_LOG_PATH": str(work / "logs")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result.stdout


def copy_project(target: Path) -> Path:
    shutil.copytree(DBT_DIR, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return target


def set_weights(project: Path, weights: dict[str, str]) -> None:
    path = project / "seeds" / "scoring_weights.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["weight"] = weights.get(row["group_code"], row["weight"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def mart_rows(conn: psycopg.Connection, year: int) -> dict[str, dict[str, object]]:
    """The ranking mart's rows of ``year`` by unit name."""
    cursor = conn.execute("select * from marts.rpt_annual_ranking where ranking_year = %s", (year,))
    names = [column.name for column in cursor.description]
    return {row["unit_name"]: row for row in (dict(zip(names, r, strict=True)) for r in cursor)}


def vars_json() -> str:
    return json.dumps({"lookback_months": 1})
