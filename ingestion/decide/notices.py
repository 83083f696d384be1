""" "Same as" notices: "Báo cáo của (cơ quan) giống tháng (tháng)" in the ways people really write it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ingestion.domain.periods import add_months
from ingestion.domain.text import fold_words

_MONTH_WORDS = {
    "muoi mot": 11,
    "muoi hai": 12,
    "gieng": 1,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "tu": 4,
    "bon": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
    "chap": 12,
}
_MONTH = r"(?P<month>\d{1,2}|" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")\b"
_YEAR = r"(?:\s*(?:/|-|\.|nam)\s*(?P<year>\d{4}))?"
_NOTICE = re.compile(
    r"bao\s+cao\s+(?:cua\s+(?P<agency>.+?)\s+)?giong\s+(?:voi\s+)?(?:bao\s+cao\s+)?(?:thang\s+|t)" + _MONTH + _YEAR
)


@dataclass(frozen=True)
class Notice:
    agency: str | None
    month: int
    year: int | None

    def same_as_period(self, received: date) -> date:
        """The referenced month: with no year, the latest such month before the month of receipt."""
        if self.year:
            return date(self.year, self.month, 1)
        candidate = date(received.year, self.month, 1)
        return candidate if candidate < received.replace(day=1) else add_months(candidate, -12)


def own_text(body: str) -> str:
    """The part of a reply its sender wrote: quoted lines (``>``) and everything after a quote header go."""
    lines = []
    for line in body.splitlines():
        if line.lstrip().startswith(">") or re.match(r"^-{2,}\s*(original message|thu goc)", fold_words(line)):
            break
        lines.append(line)
    return "\n".join(lines)


def find_notice(body: str) -> Notice | None:
    match = _NOTICE.search(fold_words(own_text(body))) or _NOTICE.search(fold_words(body))
    if not match:
        return None
    token = match["month"]
    month = int(token) if token.isdigit() else _MONTH_WORDS[token]
    if not 1 <= month <= 12:
        return None
    return Notice(agency=match["agency"], month=month, year=int(match["year"]) if match["year"] else None)
