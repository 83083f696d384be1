"""Read a filled report form (.docx) into a ``ParsedReport``.

The package's main part is walked as XML (``docx_xml``) into top-level paragraphs and table rows. Tables are
found by what they say, not where they are: the general-information table by its labels, the indicator table
by its "Giá trị" header or by rows whose first cell is a catalogue code. Agencies edit the form, so rows may
move, blank rows appear and codes carry stray spaces or a trailing dot; everything the parser cannot place becomes
a ``problems`` note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ingestion.documents.docx_xml import LayoutCell, Row, read_layout
from ingestion.documents.form_layout import (
    COLUMN_CODE,
    COLUMN_VALUE,
    INDICATOR_COLUMNS,
    LABEL_PERIOD,
    LABEL_REPORTER,
    LABEL_UNIT_CODE,
    LABEL_UNIT_NAME,
)
from ingestion.documents.values import clean_text, normalise_value, parse_form_period
from ingestion.domain.catalogue import Catalogue, Indicator, default_catalogue
from ingestion.domain.records import ParsedReport, ReportValue
from ingestion.domain.text import fold, nfc

LABEL_SYNONYMS = {
    "unit_name": (LABEL_UNIT_NAME, "Tên cơ quan", "Đơn vị báo cáo"),
    "unit_code": (LABEL_UNIT_CODE,),
    "period": (LABEL_PERIOD, "Tháng báo cáo"),
    "reporter": (LABEL_REPORTER, "Người báo cáo"),
}
DEFAULT_CODE_COLUMN = INDICATOR_COLUMNS.index(COLUMN_CODE)
DEFAULT_VALUE_COLUMN = INDICATOR_COLUMNS.index(COLUMN_VALUE)

_LABEL_VALUE = re.compile(r"\s*([^:]{2,40}?)\s*:\s*(.*)", re.S)
_CODE_LIKE = re.compile(r"[0-9a-z]{1,4}(?:\.[0-9a-z]{1,4})*", re.I)
_SECTION = re.compile(
    r"\s*(?:[-•*]\s*)?(?:(?:[ivx]+|\d+|[a-z])\s*[.)/]\s*)?"
    r"(?P<name>kho khan\s*,?\s*vuong mac|kho khan|vuong mac|de xuat\s*,?\s*kien nghi|kien nghi\s*,?\s*de xuat"
    r"|de xuat|kien nghi)\s*(?P<colon>:?)\s*"
)


@lru_cache(maxsize=16384)  # labels, codes and common values repeat in every form a run reads
def _label_key(text: str) -> str:
    return " ".join(fold(text).replace(":", " ").split())


LABELS = {_label_key(label): key for key, labels in LABEL_SYNONYMS.items() for label in labels}
VALUE_HEADER = _label_key(COLUMN_VALUE)
CODE_HEADERS = (_label_key(COLUMN_CODE), "ma so", "ma chi tieu", "stt")


@dataclass(frozen=True)
class _Columns:
    code: int = DEFAULT_CODE_COLUMN
    value: int = DEFAULT_VALUE_COLUMN


@dataclass
class _Findings:
    values: dict[str, ReportValue] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_report(data: bytes, *, catalogue: Catalogue | None = None) -> ParsedReport:
    """What a filled form says; raises ``ValueError`` when ``data`` is not a Word 2007+ document.

    ``values`` holds every catalogue indicator found in the table, blank ones with ``value_text=None``.
    """
    blocks, tables = read_layout(data)
    return report_from_layout(blocks, tables, catalogue=catalogue)


def report_from_layout(
    blocks: Sequence[str | None], tables: Sequence[Sequence[Row]], *, catalogue: Catalogue | None = None
) -> ParsedReport:
    """What a form says, from its top-level paragraphs (``None`` where a table stands) and its tables' rows.

    Shared by the .docx reader and the reader of antiword's text of a .doc."""
    catalogue = catalogue or default_catalogue()
    paragraphs = [text for text in blocks if text is not None]
    info = _general_info(tables, paragraphs)
    period_text = clean_text(info.get("period"))
    period = parse_form_period(period_text)
    findings = _read_indicators(tables, catalogue)
    if period is None and period_text:
        findings.problems.insert(0, f'kỳ báo cáo "{period_text}" không đúng dạng tháng/năm (MM/YYYY)')
    sections = _sections(blocks)
    return ParsedReport(
        unit_code=clean_text(info.get("unit_code")),
        unit_name=clean_text(info.get("unit_name")),
        period=period,
        values=findings.values,
        difficulties=sections.get("difficulties", ""),
        proposals=sections.get("proposals", ""),
        reporter=clean_text(info.get("reporter")) or "",
        problems=findings.problems,
    )


def _cell_at(row: Row, column: int) -> LayoutCell | None:
    for cell in row:
        if cell.start <= column < cell.start + cell.span:
            return cell
    return None


def _general_info(tables: Sequence[Sequence[Row]], paragraphs: Sequence[str]) -> dict[str, str]:
    """Labelled fields: the first table with two or more labels wins, then other tables, then paragraphs."""
    per_table = [_table_labels(rows) for rows in tables]
    info = next((found for found in per_table if len(found) >= 2), {}).copy()
    for found in per_table:
        for key, value in found.items():
            info.setdefault(key, value)
    for text in paragraphs:
        for key, value in _labelled_text(text):
            info.setdefault(key, value)
    if "period" not in info:
        title = next((t for t in paragraphs if fold(t).strip().startswith("thang") and parse_form_period(t)), None)
        if title:
            info["period"] = title
    return info


def _table_labels(rows: Sequence[Row]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in rows:
        for key, value in _labelled_cells(row):
            found.setdefault(key, value)
    return found


def _labelled_cells(row: Row) -> Iterator[tuple[str, str]]:
    for index, cell in enumerate(row):
        key = LABELS.get(_label_key(cell.text))
        if key:
            if index + 1 < len(row) and row[index + 1].text.strip():
                yield key, row[index + 1].text
        elif ":" in cell.text:
            yield from _labelled_text(cell.text)


def _labelled_text(text: str) -> Iterator[tuple[str, str]]:
    match = _LABEL_VALUE.fullmatch(text) if ":" in text else None
    if match:
        key = LABELS.get(_label_key(match[1]))
        if key and match[2].strip():
            yield key, match[2]


def _header_columns(row: Row) -> _Columns | None:
    keys = [(_label_key(cell.text), cell) for cell in row]
    value = next((cell for key, cell in keys if key.startswith(VALUE_HEADER)), None)
    if value is None:
        return None
    code = next((cell for key, cell in keys if key in CODE_HEADERS), None)
    return _Columns(code=code.start if code else DEFAULT_CODE_COLUMN, value=value.start)


@lru_cache(maxsize=16384)
def _normalise_code(text: str) -> str:
    return "".join(nfc(text).split()).replace(",", ".").rstrip(".").casefold()


@lru_cache(maxsize=16384)
def _name_key(text: str) -> str:
    """An indicator name as people retype it: no diacritics, case, punctuation or spacing differences."""
    return " ".join(re.sub(r"[^\w%]+", " ", fold(text)).split())


@dataclass(frozen=True, eq=False)
class _CatalogueIndex:
    catalogue: Catalogue
    known: dict[str, str]
    indicators: dict[str, Indicator]


_last_index: _CatalogueIndex | None = None


def _catalogue_index(catalogue: Catalogue) -> _CatalogueIndex:
    """The catalogue's lookups, kept for the catalogue object of the last form (hashing a catalogue costs more
    than reading a form)."""
    global _last_index
    index = _last_index
    if index is None or index.catalogue is not catalogue:
        indicators = {code: catalogue.get(code) for code in catalogue.codes}
        index = _last_index = _CatalogueIndex(catalogue, _known_codes(catalogue), indicators)
    return index


def _known_codes(catalogue: Catalogue) -> dict[str, str]:
    """Catalogue codes by their normalised code and, as a fallback for rows without one, by their names."""
    known = {_name_key(name): i.indicator_code for i in catalogue.indicators for name in (i.name_vi, i.name_en)}
    return known | {code.casefold(): code for code in catalogue.codes}


def _read_indicators(tables: Sequence[Sequence[Row]], catalogue: Catalogue) -> _Findings:
    findings = _Findings()
    index = _catalogue_index(catalogue)
    known = index.known
    columns = _Columns()
    found_table = False
    for rows in tables:
        header_at = next((i for i, row in enumerate(rows) if _header_columns(row)), None)
        if header_at is not None:
            columns = _header_columns(rows[header_at]) or columns
        elif not any(_row_code(row, columns) in known for row in rows):
            continue
        found_table = True
        for row in rows[(header_at + 1) if header_at is not None else 0 :]:
            _read_row(row, columns, index, findings)
    if not found_table:
        findings.problems.append("không tìm thấy bảng số liệu chỉ tiêu (cột 'Giá trị') trong biểu mẫu")
    return findings


def _row_code(row: Row, columns: _Columns) -> str | None:
    cell = _cell_at(row, columns.code)
    if cell is None or cell.continued or cell.covers(columns.value):
        return None
    return _normalise_code(cell.text)


def _named_code(row: Row, columns: _Columns, known: dict[str, str]) -> str | None:
    """The code of the indicator a row names in a cell other than its code and value cells."""
    names = (
        cell.text for cell in row if not (cell.continued or cell.covers(columns.code) or cell.covers(columns.value))
    )
    return next((known[key] for key in map(_name_key, names) if key in known), None)


def _read_row(row: Row, columns: _Columns, index: _CatalogueIndex, findings: _Findings) -> None:
    known = index.known
    code = _row_code(row, columns) or ""
    value_cell = _cell_at(row, columns.value)
    value_text = None if value_cell is None or value_cell.continued else clean_text(value_cell.text)
    if code in known:
        _record(known[code], value_text, index, findings)
    elif named := _named_code(row, columns, known):
        _record(named, value_text, index, findings)
    elif value_text is not None and _CODE_LIKE.fullmatch(code) and any(c.isdigit() for c in code):
        findings.problems.append(f'mã chỉ tiêu "{code}" không có trong danh mục (giá trị "{value_text}" bị bỏ qua)')


def _record(code: str, value_text: str | None, index: _CatalogueIndex, findings: _Findings) -> None:
    existing = findings.values.get(code)
    if existing is not None and existing.value_text is not None:
        if value_text is not None and value_text != existing.value_text:
            findings.problems.append(
                f'chỉ tiêu {code} có hai giá trị khác nhau: "{existing.value_text}" và "{value_text}"'
            )
        return
    number, problem = normalise_value(index.indicators[code], value_text)
    findings.values[code] = ReportValue(code, value_text, number)
    if problem:
        findings.problems.append(problem)


def _section_heading(text: str) -> tuple[str, str] | None:
    match = _SECTION.match(fold(text))
    if match is None:
        return None
    rest = text[match.end() :].strip()
    if rest and not match["colon"]:
        return None
    key = "difficulties" if match["name"].startswith(("kho", "vuong")) else "proposals"
    return key, rest


def _sections(blocks: Sequence[str | None]) -> dict[str, str]:
    """Paragraphs under the difficulties and proposals headings, up to the next heading or table."""
    lines: dict[str, list[str]] = {}
    current: str | None = None
    for text in blocks:
        heading = None if text is None else _section_heading(text)
        if heading:
            current, rest = heading
            lines.setdefault(current, []).extend([rest] if rest else [])
        elif text is None:
            current = None
        elif current:
            lines[current].append(text.strip())
    return {key: "\n".join(found).strip() for key, found in lines.items()}
