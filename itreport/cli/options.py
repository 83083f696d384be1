"""Options the commands share."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from ingestion.domain.periods import parse_period

PeriodOption = Annotated[str, typer.Option("--period", help="Reporting period, YYYY-MM.")]


def period_value(text: str) -> date:
    """``YYYY-MM`` → the period's first day; a clear usage error otherwise."""
    try:
        return parse_period(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
