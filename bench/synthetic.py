"""A national-scale month for the bench: a synthetic registry of communes and departments and their reports.

Not the product's registry (``dbt_project/seeds/reporting_units.csv`` is untouched): the bench writes its own
``reporting_units.csv`` under the cache folder and loads it with :func:`ingestion.domain.registry.load_registry`.
Every unit's form carries the sample generator's plausible figures for it (``form_values``: every indicator
filled, the catalogue's rules holding) and is made by :mod:`bench.form_template`. The month is realistic in its
mix: most units report on time, some late, some not at all, and a few leave a required figure blank (GX
quarantines those). The Maildir is cached between runs, keyed by ``FORMAT``, the unit count and the template.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from ingestion.domain.periods import DeadlineRule, format_period
from ingestion.domain.registry import ReportingUnit

PROVINCES = 34
FORMAT = 3  # bump when the way the month is written changes (the cache is keyed by it)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHARE_MISSING, SHARE_LATE, SHARE_BLANK = 0.04, 0.08, 0.01  # the rest report on time
SEED = 2009


@dataclass(frozen=True)
class SyntheticMonth:
    maildir: Path
    seeds_dir: Path  # holds reporting_units.csv of the synthetic registry
    units: int
    messages: int
    plan: dict[str, int]  # how many units were written as on_time, late, blank_required, missing


def synthetic_units(count: int) -> list[ReportingUnit]:
    """``count`` units: 34 provinces, then communes and provincial departments spread over them."""
    units = []
    for index in range(count):
        province = index % PROVINCES + 1
        if index < PROVINCES:
            code, name, kind = f"SP{province:02d}", f"Tỉnh tổng hợp {province}", "province"
        elif index % 4:
            code, name, kind = f"SX{index:05d}", f"Xã tổng hợp {index} tỉnh {province}", "province"
        else:
            code, name, kind = f"SS{index:05d}", f"Sở tổng hợp {index} tỉnh {province}", "government_agency"
        units.append(
            ReportingUnit(
                unit_code=code,
                official_code=None,
                name_vi=name,
                name_en=f"Synthetic unit {index}",
                unit_type=kind,
                valid_from=date(2009, 1, 1),
                valid_to=None,
                successor_code=None,
                contact_email=f"vanthu@{code.lower()}.bench.gov.example",
            )
        )
    return units


def write_registry(units: list[ReportingUnit], seeds_dir: Path) -> None:
    seeds_dir.mkdir(parents=True, exist_ok=True)
    fields = ["unit_code", "official_code", "name_vi", "name_en", "unit_type", "valid_from", "valid_to"]
    fields += ["successor_code", "contact_email"]
    with (seeds_dir / "reporting_units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for u in units:
            writer.writerow(
                [u.unit_code, "", u.name_vi, u.name_en, u.unit_type, u.valid_from.isoformat(), "", "", u.contact_email]
            )


def fate(unit: ReportingUnit) -> str:
    """What the unit does this month: ``on_time``, ``late``, ``blank_required`` (on time) or ``missing``."""
    draw = random.Random(f"{SEED}:{unit.unit_code}:fate").random()
    if draw < SHARE_MISSING:
        return "missing"
    if draw < SHARE_MISSING + SHARE_LATE:
        return "late"
    if draw < SHARE_MISSING + SHARE_LATE + SHARE_BLANK:
        return "blank_required"
    return "on_time"


def report(unit: ReportingUnit, period: date, blank_required: bool) -> bytes:
    """The unit's filled form (.docx), as the sample generator fills it, optionally with a required figure blank."""
    from bench.form_template import build_form
    from ingestion.domain.catalogue import default_catalogue
    from itreport.demo.sample_mail.records import Context
    from itreport.demo.sample_mail.texts import DIFFICULTIES, PROPOSALS
    from itreport.demo.sample_mail.values import form_values

    catalogue = default_catalogue()
    ctx = Context(period, SEED, "", "", DeadlineRule(), catalogue, False, random.Random(0))
    values = form_values(ctx, unit, period)
    rng = random.Random(f"{SEED}:{unit.unit_code}:{format_period(period)}:texts")
    if blank_required:
        values[rng.choice([i.indicator_code for i in catalogue.indicators if i.is_required])] = ""
    return build_form(
        unit,
        period,
        values,
        catalogue=catalogue,
        difficulties="\n".join(rng.sample(DIFFICULTIES, rng.randint(1, 2))),
        proposals="\n".join(rng.sample(PROPOSALS, rng.randint(1, 2))),
        reporter=f"Cán bộ {unit.unit_code}",
    )


def _message(unit: ReportingUnit, period: date, received: datetime, docx: bytes, mx_host: str, to: str) -> bytes:
    stamp = format_datetime(received)
    body = base64.encodebytes(docx).decode("ascii")
    label = format_period(period)
    return (
        f"Received: from mail.{unit.email_domain} by {mx_host}; {stamp}\r\n"
        f"From: <{unit.contact_email}>\r\nTo: <{to}>\r\nSubject: Bao cao ung dung CNTT thang {label}\r\n"
        f"Date: {stamp}\r\nMessage-ID: <{unit.unit_code}.{label}@bench.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nKinh gui Bo, xin gui bao cao.\r\n"
        f'--b1\r\nContent-Type: {DOCX_TYPE}; name="bao-cao-{label}.docx"\r\n'
        f'Content-Disposition: attachment; filename="bao-cao-{label}.docx"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}--b1--\r\n"
    ).encode("ascii")


def _write_messages(
    maildir: str, units: list[ReportingUnit], start: int, period: date, mx_host: str, ministry: str
) -> Counter[str]:
    """Write the messages of ``units`` (numbered from ``start``); returns how many units had each fate."""
    deadline = DeadlineRule().deadline(period)
    fates: Counter[str] = Counter()
    for index, unit in enumerate(units, start):
        what = fate(unit)
        fates[what] += 1
        if what == "missing":
            continue
        rng = random.Random(f"{SEED}:{unit.unit_code}:received")
        if what == "late":
            received = deadline + timedelta(days=rng.randint(0, 8), seconds=rng.randint(1, 86399))
        else:
            received = deadline - timedelta(days=rng.randint(1, 20), seconds=rng.randint(0, 86399))
        received = received.astimezone(UTC)
        docx = report(unit, period, blank_required=what == "blank_required")
        path = Path(maildir) / "new" / f"{index:06d}.bench"
        path.write_bytes(_message(unit, period, received, docx, mx_host, ministry))
        os.utime(path, (received.timestamp(), received.timestamp()))
    return fates


def build_month(
    cache: Path,
    units: int,
    period: date = date(2009, 6, 1),
    *,
    mx_host: str = "mx.baocao-cntt.gov.example",
    ministry: str = "baocao.cntt@mic.gov.example",
    workers: int | None = None,
) -> SyntheticMonth:
    """The Maildir of ``units``' mail for ``period`` (cached under ``cache``), written by ``workers`` processes."""
    from bench.form_template import FormTemplate
    from ingestion.domain.catalogue import default_catalogue

    template = FormTemplate.build(period, default_catalogue(), DeadlineRule().day)
    key = hashlib.sha256(f"{FORMAT}:{units}:{period}:{template!r}".encode()).hexdigest()
    root = cache / f"month-{units}-{key[:12]}"
    maildir, seeds = root / "inbox", root / "seeds"
    done = root / "complete"
    if done.exists():
        messages, *counts = done.read_text().split()
        plan = {name: int(count) for name, count in (item.split("=") for item in counts)}
        return SyntheticMonth(maildir, seeds, units, int(messages), plan)
    registry = synthetic_units(units)
    write_registry(registry, seeds)
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    size = -(-len(registry) // workers)
    fates: Counter[str] = Counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunks = [
            pool.submit(_write_messages, str(maildir), registry[i : i + size], i, period, mx_host, ministry)
            for i in range(0, len(registry), size)
        ]
        for chunk in chunks:
            fates.update(chunk.result())
    messages = len(registry) - fates["missing"]
    done.write_text(f"{messages} " + " ".join(f"{name}={count}" for name, count in sorted(fates.items())))
    return SyntheticMonth(maildir, seeds, units, messages, dict(fates))
