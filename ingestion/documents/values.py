"""Values as agencies type them → numbers, one rule set for every parser (.docx tables, .doc text).

Vietnamese writing uses ``.`` to group thousands and ``,`` for decimals; agencies also use the English
habit. Counts and money read a single ``.`` followed by exactly three digits as a thousands group
(``1.234`` → 1234); percentages, which cannot reach a thousand, read it as a decimal point. A single
``,`` is a decimal comma (``55,5`` → 55.5), except in counts where ``1,234`` (three digits) is 1234.
"""

from __future__ import annotations

import re
from datetime import date

from ingestion.domain.catalogue import NUMERIC_TYPES, Indicator
from ingestion.domain.text import fold, nfc

BLANKS = frozenset({"", "-", "–", "—", "--", "…", "..."})
YES_WORDS = frozenset({"co", "x", "yes", "y", "1", "true", "da co"})
NO_WORDS = frozenset({"khong", "no", "n", "0", "false", "chua", "chua co", "khong co"})

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")
_WORDS = re.compile(r"[^\W_]+")
_PERIOD_MONTH_FIRST = re.compile(r"(?<!\d)(\d{1,2})\s*(?:[/.\-]|\s+nam\s+|\s+)\s*(\d{4})(?!\d)")
_PERIOD_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})\s*[/.\-]\s*(\d{1,2})(?!\d)")


def clean_text(text: str | None) -> str | None:
    """The text as typed: NFC, stripped; ``None`` when blank."""
    if text is None:
        return None
    text = nfc(text).strip()
    return text or None


def normalise_value(indicator: Indicator, text: str | None) -> tuple[float | None, str | None]:
    """``(number, problem)`` for what an agency typed for ``indicator``; blank or ``-`` gives no number."""
    text = clean_text(text)
    if text is None or text in BLANKS or indicator.value_type == "text":
        return None, None
    if indicator.value_type == "yes_no":
        return _yes_no(indicator, text)
    if indicator.value_type in NUMERIC_TYPES:
        number = parse_number(_drop_unit(text, indicator), indicator.value_type)
        if number is None:
            return None, _problem(indicator, text, "không phải là số")
        return number, None
    raise ValueError(f"indicator {indicator.indicator_code} has unknown value type {indicator.value_type!r}")


def _problem(indicator: Indicator, text: str, what: str) -> str:
    return f'chỉ tiêu {indicator.indicator_code} ({indicator.name_vi}): giá trị "{text}" {what}'


def _yes_no(indicator: Indicator, text: str) -> tuple[float | None, str | None]:
    words = _WORDS.findall(fold(text))
    if words[:2] == ["co", "khong"]:
        return None, _problem(indicator, text, 'phải là "Có" hoặc "Không"')
    for size in (2, 1):
        answer = " ".join(words[:size])
        if answer in YES_WORDS:
            return 1.0, None
        if answer in NO_WORDS:
            return 0.0, None
    return None, _problem(indicator, text, 'phải là "Có" hoặc "Không"')


def _drop_unit(text: str, indicator: Indicator) -> str:
    unit = nfc(indicator.measure_unit_vi).strip()
    if unit and unit != "%" and fold(text).endswith(fold(unit)) and len(text) > len(unit):
        return text[: -len(unit)].strip()
    return text


def parse_number(text: str, value_type: str = "count") -> float | None:
    """A number written the Vietnamese or the English way (see the module doc); ``None`` if it is not one."""
    compact = _SPACES.sub("", text)
    if value_type == "percent":
        compact = compact.removesuffix("%")
    if not _PLAIN_NUMBER.fullmatch(compact):
        return None
    has_dot, has_comma = "." in compact, "," in compact
    if has_dot and has_comma:
        return _mixed_separators(compact)
    if not (has_dot or has_comma):
        return float(compact)
    separator = "." if has_dot else ","
    if compact.count(separator) > 1:
        return _grouped(compact, separator)
    if _is_thousands_group(compact, separator, value_type):
        return float(compact.replace(separator, ""))
    return float(compact.replace(separator, "."))


def _mixed_separators(text: str) -> float | None:
    decimal = "." if text.rfind(".") > text.rfind(",") else ","
    group = "," if decimal == "." else "."
    if text.count(decimal) > 1:
        return None
    whole, fraction = text.split(decimal)
    number = _grouped(whole, group)
    if number is None:
        return None
    return float(f"{whole.replace(group, '')}.{fraction}")


def _grouped(text: str, separator: str) -> float | None:
    pattern = rf"[+-]?[1-9]\d{{0,2}}(?:{re.escape(separator)}\d{{3}})+"
    return float(text.replace(separator, "")) if re.fullmatch(pattern, text) else None


def _is_thousands_group(text: str, separator: str, value_type: str) -> bool:
    if not re.fullmatch(rf"[+-]?[1-9]\d{{0,2}}{re.escape(separator)}\d{{3}}", text):
        return False
    return value_type == "count" or (value_type == "money" and separator == ".")


def parse_form_period(text: str | None) -> date | None:
    """``06/2009``, ``6/2009``, ``tháng 6/2009``, ``tháng 6 năm 2009``, ``06-2009``, ``2009-06`` → June."""
    if not text:
        return None
    folded = fold(text)
    for pattern, month_group, year_group in ((_PERIOD_MONTH_FIRST, 1, 2), (_PERIOD_YEAR_FIRST, 2, 1)):
        match = pattern.search(folded)
        if match:
            month, year = int(match[month_group]), int(match[year_group])
            if 1 <= month <= 12 and 1900 <= year <= 2200:
                return date(year, month, 1)
    return None
