"""The report form by templating its XML: the same bytes as ``ingestion.documents.form.build_form``, made fast.

``build_form`` builds a form with python-docx (about 0.3 s each); the bench needs tens of thousands. One form per
period is built with placeholders for the unit, the figures and the free texts; each further form is that
package with the placeholders replaced (escaped as lxml writes them, an empty value leaving no run, as
python-docx does). Text python-docx would write differently (tabs, line breaks, spaces at the ends) falls back to
``build_form``, so the output is always what the product's form writer makes (the bench's tests check this).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from xml.sax.saxutils import escape

from ingestion.documents import form
from ingestion.domain.catalogue import Catalogue, default_catalogue
from ingestion.domain.periods import DEFAULT_DEADLINE_DAY
from ingestion.domain.registry import ReportingUnit
from ingestion.domain.text import nfc

NAME, NAME_UPPER, CODE, REPORTER = "zzNamezz", "ZZNAMEZZ", "zzCodezz", "zzReporterzz"
DIFFICULTIES, PROPOSALS = "zzDifficultieszz", "zzProposalszz"
TOKEN = re.compile(r"zz[A-Za-z0-9]+zz|ZZNAMEZZ")
# a run holding only a placeholder, with its run properties (python-docx writes no run for empty text)
RUN = re.compile(r"<w:r><w:rPr(?:/>|>(?:<[^<>]+/>)*</w:rPr>)<w:t>(zz[A-Za-z0-9]+zz|ZZNAMEZZ)</w:t></w:r>")
TEXT_PARAGRAPH = '<w:p><w:pPr><w:jc w:val="both"/></w:pPr>{run}</w:p>'
TEXT_RUN = "<w:r><w:rPr/><w:t>{text}</w:t></w:r>"
_build_form = form.build_form  # the product's writer, even while a generator runs with this module's in its place


def _value_token(index: int) -> str:
    return f"zzV{index}zz"


def _plain(text: str) -> bool:
    """Text python-docx writes as one plain ``<w:t>`` (no tab or break elements, no ``xml:space``)."""
    return text == text.strip() and not any(c in text for c in "\t\n\r") and "zz" not in text.lower()


@dataclass(frozen=True)
class FormTemplate:
    period: date
    codes: tuple[str, ...]  # indicator codes in form order, one placeholder each
    members: tuple[tuple[str, bytes], ...]  # the package's members in order, the two templated ones as text
    document: str
    core: str

    @classmethod
    def build(cls, period: date, catalogue: Catalogue, deadline_day: int) -> FormTemplate:
        codes = tuple(i.indicator_code for i in catalogue.in_form_order())
        unit = ReportingUnit(CODE, None, NAME, "", "province", date(2009, 1, 1), None, None, "")
        values = {code: _value_token(index) for index, code in enumerate(codes)}
        package = _build_form(
            unit,
            period,
            values,
            catalogue=catalogue,
            difficulties=DIFFICULTIES,
            proposals=PROPOSALS,
            reporter=REPORTER,
            deadline_day=deadline_day,
        )
        with zipfile.ZipFile(io.BytesIO(package)) as source:
            members = tuple((name, source.read(name)) for name in source.namelist())
        texts = dict(members)
        return cls(
            period.replace(day=1),
            codes,
            members,
            texts["word/document.xml"].decode("utf-8"),
            texts["docProps/core.xml"].decode("utf-8"),
        )

    def render(
        self, unit: ReportingUnit, values: Mapping[str, str], *, difficulties: str, proposals: str, reporter: str
    ) -> bytes | None:
        """The form's bytes, or None when python-docx would write some text differently than a plain run."""
        texts = {
            NAME: nfc(unit.name_vi),
            NAME_UPPER: nfc(unit.name_vi.upper()),
            CODE: nfc(unit.unit_code),
            REPORTER: nfc(reporter),
        }
        for index, code in enumerate(self.codes):
            texts[_value_token(index)] = nfc(str(values.get(code, "")))
        paragraphs = {DIFFICULTIES: _lines(difficulties), PROPOSALS: _lines(proposals)}
        if not all(_plain(t) for t in texts.values()) or not all(
            _plain(line) for lines in paragraphs.values() for line in lines
        ):
            return None
        document = self.document
        for token, lines in paragraphs.items():
            paragraph = TEXT_PARAGRAPH.format(run=TEXT_RUN.format(text=token))
            filled = "".join(
                TEXT_PARAGRAPH.format(run=TEXT_RUN.format(text=escape(line)) if line else "") for line in lines
            )
            document = document.replace(paragraph, filled)

        def run(match: re.Match[str]) -> str:
            text = texts[match.group(1)]
            return match.group(0).replace(match.group(1), escape(text)) if text else ""

        document = RUN.sub(run, document)
        core = TOKEN.sub(lambda m: escape(texts[m.group(0)]), self.core)
        stamp = (max(self.period.year, 1980), self.period.month, 1, 0, 0, 0)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in self.members:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                if name == "word/document.xml":
                    data = document.encode("utf-8")
                elif name == "docProps/core.xml":
                    data = core.encode("utf-8")
                target.writestr(info, data)
        return out.getvalue()


def _lines(text: str) -> list[str]:
    return nfc(text).strip("\n").split("\n") if text.strip() else [""]


@cache
def _template(period: date, catalogue: Catalogue, deadline_day: int) -> FormTemplate:
    return FormTemplate.build(period, catalogue, deadline_day)


def build_form(
    unit: ReportingUnit,
    period: date,
    values: Mapping[str, str] | None = None,
    *,
    catalogue: Catalogue | None = None,
    difficulties: str = "",
    proposals: str = "",
    reporter: str = "",
    deadline_day: int = DEFAULT_DEADLINE_DAY,
) -> bytes:
    """What ``ingestion.documents.form.build_form`` returns for the same arguments."""
    catalogue = catalogue or default_catalogue()
    values = {code: str(value) for code, value in (values or {}).items()}
    template = _template(period.replace(day=1), catalogue, deadline_day)
    rendered = None
    if set(values) <= set(template.codes):
        rendered = template.render(unit, values, difficulties=difficulties, proposals=proposals, reporter=reporter)
    if rendered is None:
        return _build_form(
            unit,
            period,
            values,
            catalogue=catalogue,
            difficulties=difficulties,
            proposals=proposals,
            reporter=reporter,
            deadline_day=deadline_day,
        )
    return rendered
