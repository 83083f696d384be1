"""A national-scale month for the bench: a synthetic registry of communes and departments and their reports.

Not the product's registry (``dbt_project/seeds/reporting_units.csv`` is untouched): the bench writes its own
``reporting_units.csv`` under the cache folder and loads it with :func:`ingestion.domain.registry.load_registry`.
Forms are made by templating one form's ``word/document.xml`` (built once with python-docx), so 12,000 of them
take seconds; the Maildir is cached between runs, keyed by the unit count and the template's bytes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from ingestion.domain.periods import DeadlineRule, format_period
from ingestion.domain.registry import ReportingUnit

PROVINCES = 34
TEMPLATE_CODE = "ZZTPLCODEZZ"
TEMPLATE_NAME = "ZZTPLNAMEZZ"
FORMAT = 2  # bump when the way the month is written changes (the cache is keyed by it)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class SyntheticMonth:
    maildir: Path
    seeds_dir: Path  # holds reporting_units.csv of the synthetic registry
    units: int
    messages: int


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


def template_form(period: date) -> tuple[dict[str, bytes], str]:
    """The members of one filled form whose unit code and name are placeholders, and its document.xml."""
    from ingestion.documents.form import build_form
    from ingestion.domain.catalogue import default_catalogue

    catalogue = default_catalogue()
    values = {}
    for indicator in catalogue.indicators:
        if indicator.value_type == "count":
            values[indicator.indicator_code] = "12"
    placeholder = ReportingUnit(TEMPLATE_CODE, None, TEMPLATE_NAME, "", "province", date(2009, 1, 1), None, None, "")
    docx = build_form(placeholder, period, values, catalogue=catalogue)
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        members = {name: package.read(name) for name in package.namelist()}
    xml = members.pop("word/document.xml").decode("utf-8")
    if TEMPLATE_CODE not in xml or TEMPLATE_NAME not in xml:
        raise RuntimeError("the form's document.xml does not carry the unit code and name as plain text")
    return members, xml


def _docx(members: dict[str, bytes], document_xml: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(_member(name), data)
            if name == "[Content_Types].xml":
                package.writestr(_member("word/document.xml"), document_xml)
    return out.getvalue()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2009, 6, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED  # a ZipInfo is stored uncompressed unless told
    return info


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


def build_month(
    cache: Path,
    units: int,
    period: date = date(2009, 6, 1),
    *,
    mx_host: str = "mx.baocao-cntt.gov.example",
    ministry: str = "baocao.cntt@mic.gov.example",
) -> SyntheticMonth:
    """The Maildir of ``units`` on-time .docx reports for ``period`` (cached under ``cache``)."""
    members, xml = template_form(period)
    key = hashlib.sha256(f"{FORMAT}:{units}:{xml}:{sorted(members.items())!r}".encode()).hexdigest()
    root = cache / f"month-{units}-{key[:12]}"
    maildir, seeds = root / "inbox", root / "seeds"
    done = root / "complete"
    if done.exists():
        return SyntheticMonth(maildir, seeds, units, int(done.read_text()))
    registry = synthetic_units(units)
    write_registry(registry, seeds)
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    deadline = DeadlineRule().deadline(period)
    rng = random.Random(units)
    for index, unit in enumerate(registry):
        docx = _docx(members, xml.replace(TEMPLATE_CODE, unit.unit_code).replace(TEMPLATE_NAME, unit.name_vi))
        received = (deadline - timedelta(days=rng.randint(1, 20), seconds=rng.randint(0, 86399))).astimezone(UTC)
        path = maildir / "new" / f"{index:06d}.bench"
        path.write_bytes(_message(unit, period, received, docx, mx_host, ministry))
        os.utime(path, (received.timestamp(), received.timestamp()))
    done.write_text(str(len(registry)))
    return SyntheticMonth(maildir, seeds, units, len(registry))
