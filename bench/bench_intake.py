"""Benchmarks (`make bench`): form parsing and the decision of a generated month, timed over repeats.

Not tests: numbers to compare between commits on the same machine (2 cores here).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ingestion.decide.classify import assess
from ingestion.documents.docx_reader import parse_report
from ingestion.documents.form import build_form
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.registry import default_registry
from ingestion.mailbox.headers import to_inbound
from ingestion.mailbox.maildir import iter_maildir
from itreport.demo.sample_mail import generate_mailbox


def _timed(action: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    catalogue, registry, rule = default_catalogue(), default_registry(), DeadlineRule()
    unit = registry.get("P02")
    values = {i.indicator_code: "12" for i in catalogue.indicators if i.value_type == "count"}
    form = build_form(unit, date(2009, 6, 1), values)
    rows = [
        ("build one form (python-docx)", _timed(lambda: build_form(unit, date(2009, 6, 1), values), 50)),
        ("parse one form (XML walk)", _timed(lambda: parse_report(form, catalogue=catalogue), 200)),
    ]
    with tempfile.TemporaryDirectory() as work:
        maildir = Path(work) / "inbox"
        generate_mailbox(maildir, date(2009, 6, 1), with_doc=False)
        messages = [
            to_inbound(raw, source="bench", mx_host="mx.baocao-cntt.gov.example") for _, raw, _ in iter_maildir(maildir)
        ]

        def decide_month() -> None:
            for message in messages:
                assess(message, registry=registry, catalogue=catalogue, deadline=rule)

        rows.append((f"decide a month of .docx mail ({len(messages)} messages)", _timed(decide_month, 5)))
    table = Table(title="itreport benchmarks")
    for column in ("what", "median", "min", "runs"):
        table.add_column(column)
    for name, times in rows:
        table.add_row(name, f"{statistics.median(times) * 1000:.1f} ms", f"{min(times) * 1000:.1f} ms", str(len(times)))
    Console().print(table)


if __name__ == "__main__":
    main()
