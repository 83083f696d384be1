"""Real-shaped parsed submissions for the data-quality tests: what units type into the form (the sample-mail
generator's plausible, consistent values), as a ``Submission`` intake would hand to Great Expectations."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from ingestion.documents.values import normalise_value
from ingestion.domain.catalogue import default_catalogue
from ingestion.domain.periods import DeadlineRule
from ingestion.domain.records import ReportValue, Submission, SubmissionKind
from ingestion.domain.registry import default_registry
from itreport.demo.sample_mail import Context, form_values

CATALOGUE = default_catalogue()
PERIOD = date(2009, 7, 1)


def real_texts(unit_code: str = "P02", period: date = PERIOD, seed: int = 2009) -> dict[str, str]:
    """What a unit types into the form (the sample-mail generator's plausible, consistent values)."""
    ctx = Context(
        period=period,
        seed=seed,
        mx_host="mx.example",
        ministry_address="baocao@example",
        deadline=DeadlineRule(),
        catalogue=CATALOGUE,
        with_doc=False,
        rng=random.Random(seed),
    )
    return form_values(ctx, default_registry().get(unit_code), period)


def submission_from_texts(key: str, texts: dict[str, str | None], unit_code: str = "P02") -> Submission:
    values = []
    for indicator in CATALOGUE.indicators:
        text = texts.get(indicator.indicator_code)
        number, _problem = normalise_value(indicator, text)
        values.append(ReportValue(indicator.indicator_code, text, number))
    return Submission(key, unit_code, PERIOD, SubmissionKind.REPORT, datetime(2009, 7, 10, tzinfo=UTC), values=values)


def real_submission(key: str, unit_code: str = "P02", **overrides: str | None) -> Submission:
    """A real-shaped report; ``overrides`` replace typed texts (key ``3_3`` for indicator 3.3)."""
    texts: dict[str, str | None] = dict(real_texts(unit_code))
    texts.update({code.replace("_", "."): text for code, text in overrides.items()})
    return submission_from_texts(key, texts, unit_code)
