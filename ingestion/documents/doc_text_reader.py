"""Read a Word 97-2003 form from antiword's text when LibreOffice is not installed.

antiword prints a table row as ``|cell |cell |`` with every cell padded to its column's width, and a cell
too long for its column continues on the next line(s) with the other cells blank. Lines are joined back
into rows and handed to the same layout reader as a .docx (``docx_reader.report_from_layout``), so labels,
indicator codes, "Giá trị" columns and sections are found by the same rules.

antiword's text has no font names, so a form typed in TCVN3 is recognised by character statistics
(``legacy_text.guess_text_encoding``) and converted to Unicode before the layout is read.
"""

from __future__ import annotations

import re

from ingestion.documents.docx_reader import LayoutCell, report_from_layout
from ingestion.documents.legacy_text import LegacyEncoding, guess_text_encoding, tcvn3_words_to_unicode
from ingestion.domain.catalogue import Catalogue
from ingestion.domain.records import ParsedReport
from ingestion.domain.text import nfc

# ơ with any tone before c, ng or u at the end of a syllable: never a Vietnamese rime, while ươc, ương, ươu are.
_LOST_U_HORN = re.compile(r"(?<![ưƯ])(?=[ơờớởỡợ](?:c|ng|u)\b)")


def _split_row(line: str) -> list[str]:
    """The padded cells of an antiword table line ``|a   |b   |``."""
    return line.strip().strip("|").split("|")


def _join(previous: str, padded: str, fragment: str) -> str:
    """A wrapped cell: a fragment that filled its column was cut inside a word, so no space is added."""
    if not fragment:
        return previous
    if not previous:
        return fragment
    return previous + ("" if len(padded) == len(padded.rstrip()) else " ") + fragment


def text_layout(text: str) -> tuple[list[str | None], list[list[list[LayoutCell]]]]:
    """Paragraphs (``None`` where a table stands) and tables of rows from antiword's text."""
    blocks: list[str | None] = []
    tables: list[list[list[LayoutCell]]] = []
    rows: list[list[str]] | None = None
    last_padded: list[str] = []
    for line in nfc(text).splitlines():
        if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            padded = _split_row(line)
            cells = [cell.strip() for cell in padded]
            if rows is None:
                rows = []
                tables.append([])
                blocks.append(None)
            continues = rows and len(rows[-1]) == len(cells) and not cells[0] and any(cells)
            if continues:
                rows[-1] = [_join(old, pad, new) for old, pad, new in zip(rows[-1], last_padded, cells, strict=True)]
            else:
                rows.append(cells)
            last_padded = padded
            tables[-1] = [[LayoutCell(t, i, 1, False) for i, t in enumerate(row)] for row in rows]
            continue
        rows = None
        if line.strip():
            blocks.append(line.strip())
    return blocks, tables


def legacy_to_unicode(text: str) -> str:
    """antiword's text of a form typed in TCVN3, in Unicode; other text unchanged.

    antiword drops U+00AD (a soft hyphen in Windows-1252, TCVN3's ư). It is put back where the rime shows it
    (được, trước, vướng, rượu); where the word without it is Vietnamese too (người → ngời, chưa → cha), it stays
    lost. Values are digits, Có/Không and addresses, which have no ư."""
    if guess_text_encoding(text) is not LegacyEncoding.TCVN3:
        return text
    return _LOST_U_HORN.sub("ư", tcvn3_words_to_unicode(text))


def parse_doc_text(text: str, *, catalogue: Catalogue | None = None) -> ParsedReport:
    """What a form says, from ``doc_convert.doc_text_with_antiword`` output."""
    blocks, tables = text_layout(legacy_to_unicode(text))
    return report_from_layout(blocks, tables, catalogue=catalogue)
