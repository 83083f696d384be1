"""Reading the annual document back with python-docx: its tables, keyed by the caption above each one."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph


@dataclass(frozen=True)
class DocumentTable:
    caption: str
    header: list[str]
    rows: list[list[str]]


def read_tables(path: Path) -> list[DocumentTable]:
    """Every table of the body that follows a caption paragraph (``Bảng n. …``), in document order."""
    caption = ""
    tables = []
    for block in Document(str(path)).iter_inner_content():
        if isinstance(block, Paragraph) and block.text.startswith("Bảng "):
            caption = block.text
        elif isinstance(block, Table) and caption:
            cells = [[cell.text.strip() for cell in row.cells] for row in block.rows]
            tables.append(DocumentTable(caption, cells[0], cells[1:]))
            caption = ""
    return tables


def body_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def index(text: str) -> Decimal:
    """An index as printed (0,5500) back to a number."""
    return Decimal(text.replace(",", "."))
