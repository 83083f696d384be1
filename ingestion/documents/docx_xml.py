"""A .docx package's main part walked as WordprocessingML with lxml: its top-level paragraphs and its tables' rows.

No python-docx objects: opening a document with python-docx alone costs ten times unzipping and parsing its main
part, and its cells repeat a merged cell's text in every grid column it covers. Content controls, custom XML and
smart tags are looked through wherever rows, cells and paragraphs may sit in them; runs in a legacy Vietnamese font
(TCVN3, VNI, also as the document's default font) are converted to Unicode.

Two walks give the same layout: ``_layout`` follows the document's structure and reads any shape;
``_usual_layout`` reads the usual shape in a single pass over the body and gives up on anything else.
"""

from __future__ import annotations

import io
import struct
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from lxml import etree

from ingestion.documents.legacy_text import LegacyEncoding, legacy_encoding, to_unicode
from ingestion.domain.text import nfc

MAX_PART_BYTES = 64 * 1024 * 1024
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
PACKAGE_RELATIONSHIPS = "_rels/.rels"
DEFAULT_MAIN_PART = "word/document.xml"
STYLES_PART = "word/styles.xml"

# No entity expansion, no DTD or network fetches, no huge trees: a form's XML is never trusted (XXE, bombs).
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(slots=True)  # not frozen: a frozen dataclass costs four times as much to build, and a form has hundreds
class LayoutCell:
    """A table cell's text and the grid columns it covers; ``continued`` when it only continues a merged cell."""

    text: str
    start: int
    span: int
    continued: bool

    def covers(self, column: int) -> bool:
        return self.start <= column < self.start + self.span


T = TypeVar("T")
Row = list[LayoutCell]
_Merges = dict[str, etree._Element]  # a cell's first gridSpan, vMerge and hMerge
Blocks = list[str | None]


_LOCAL_NAMES = (
    "body", "p", "tbl", "tr", "tc", "r", "t", "tab", "br", "cr", "rPr", "rFonts", "trPr", "tcPr", "gridBefore",
    "gridSpan", "vMerge", "hMerge", "val", "ascii", "hAnsi",
)  # fmt: skip


_TEXT, _PARAGRAPH, _CELL, _ROW, _TABLE, _FONTS, _GRID_BEFORE, _MERGE = (
    "text", "paragraph", "cell", "row", "table", "fonts", "grid before", "merge",
)  # fmt: skip


class _Word:
    """Element names in the document's WordprocessingML namespace (transitional or strict) and its default font."""

    body: str
    p: str
    tbl: str
    tr: str
    tc: str
    r: str
    t: str
    tab: str
    br: str
    cr: str
    rPr: str
    rFonts: str
    trPr: str
    tcPr: str
    gridBefore: str
    gridSpan: str
    vMerge: str
    hMerge: str
    val: str
    ascii: str
    hAnsi: str

    def __init__(self, namespace: str, default_font: str | None) -> None:
        for local in _LOCAL_NAMES:
            setattr(self, local, f"{{{namespace}}}{local}")
        self.wrappers = frozenset(f"{{{namespace}}}{local}" for local in ("sdt", "sdtContent", "customXml", "smartTag"))
        self.text_parts: dict[str, str | None] = {self.t: None, self.tab: "\t", self.br: "\n", self.cr: "\n"}
        self.default_encoding = legacy_encoding(default_font)
        self.around_runs = frozenset(
            f"{{{namespace}}}{local}"
            for local in ("hyperlink", "ins", "sdt", "sdtContent", "smartTag", "customXml", "fldSimple", "moveTo")
        )
        self.one_pass_kinds = {
            self.t: _TEXT, self.tab: _TEXT, self.br: _TEXT, self.cr: _TEXT, self.p: _PARAGRAPH, self.tc: _CELL,
            self.tr: _ROW, self.tbl: _TABLE, self.rFonts: _FONTS, self.gridBefore: _GRID_BEFORE,
            self.gridSpan: _MERGE, self.vMerge: _MERGE, self.hMerge: _MERGE,
        }  # fmt: skip


@lru_cache(maxsize=16)
def _word(namespace: str, default_font: str | None) -> _Word:
    return _Word(namespace, default_font)


def read_layout(data: bytes) -> tuple[Blocks, list[list[Row]]]:
    """The top-level paragraphs' text in document order (``None`` where a table stands) and every table's rows
    (nested tables too, each after the table holding it); raises ``ValueError`` when ``data`` is not a .docx."""
    body, w = _load_body(data)
    return _usual_layout(body, w) or _layout(body, w)


def _layout(body: etree._Element, w: _Word) -> tuple[Blocks, list[list[Row]]]:
    """The layout by the document's structure, whatever its shape."""
    blocks = [_paragraph_text(child, w) if child.tag == w.p else None for child in _children(body, w, (w.p, w.tbl))]
    return blocks, [_table_rows(table, w) for table in body.iter(w.tbl)]


def _load_body(data: bytes) -> tuple[etree._Element, _Word]:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ValueError("not a .docx file (not a zip package)") from error
    with package:
        root = etree.fromstring(_read_part(package, _main_part_name(package, data)), _XML_PARSER)
        namespace = etree.QName(root).namespace or ""
        w = _word(namespace, _default_font(package, data, namespace))
    body = root.find(w.body)
    if body is None:
        raise ValueError("not a .docx file (the main part has no document body)")
    return body, w


def _part_info(package: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    try:
        info = package.getinfo(name)
    except KeyError as error:
        raise ValueError(f"not a .docx file (no part {name})") from error
    if info.file_size > MAX_PART_BYTES:
        raise ValueError(f"document part {name} is too large ({info.file_size} bytes)")
    return info


def _read_part(package: zipfile.ZipFile, name: str) -> bytes:
    return package.read(_part_info(package, name))


class _PartMemo(Generic[T]):
    """What was read from a package part, remembered by the part's stored bytes: forms made from one template
    share their package and styles parts, and the styles part is the costliest XML to inflate and parse. The
    entry is still opened, so the zip's checks of its header run as in a read; an entry with the same stored
    bytes, method, flags, size and CRC as one read before inflates to the same content."""

    def __init__(self, size: int = 32) -> None:
        self._found: dict[tuple[object, ...], T] = {}
        self._size = size
        self._lock = threading.Lock()

    def read(
        self, package: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, parse: Callable[..., T], *context: str
    ) -> T:
        """``parse(the part's content, *context)``."""
        package.open(info).close()
        stored = _stored_bytes(data, info)
        key = None if stored is None else (info.compress_type, info.flag_bits, info.CRC, info.file_size, stored)
        key = None if key is None else (*key, *context)
        if key is not None and key in self._found:
            return self._found[key]
        value = parse(package.read(info), *context)
        if key is not None:
            with self._lock:
                while len(self._found) >= self._size:
                    del self._found[next(iter(self._found))]
                self._found[key] = value
        return value


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the file name's and the extra field's lengths


def _stored_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The entry's bytes as stored in the package (after its local header), or None when they are not all there."""
    header = bytes(data[info.header_offset : info.header_offset + _LOCAL_HEADER.size])
    if len(header) != _LOCAL_HEADER.size:
        return None
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    stored = bytes(data[start : start + info.compress_size])
    return stored if len(stored) == info.compress_size else None


_MAIN_PARTS: _PartMemo[str] = _PartMemo()
_DEFAULT_FONTS: _PartMemo[str | None] = _PartMemo()


def _main_part_name(package: zipfile.ZipFile, data: bytes) -> str:
    try:
        return _MAIN_PARTS.read(package, data, _part_info(package, PACKAGE_RELATIONSHIPS), _main_part_in)
    except ValueError:
        return DEFAULT_MAIN_PART


def _main_part_in(rels_xml: bytes) -> str:
    try:
        rels = etree.fromstring(rels_xml, _XML_PARSER)
    except etree.XMLSyntaxError:
        return DEFAULT_MAIN_PART
    for rel in rels.iter(f"{{{RELATIONSHIPS_NS}}}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", DEFAULT_MAIN_PART).lstrip("/")
    return DEFAULT_MAIN_PART


def _default_font(package: zipfile.ZipFile, data: bytes, namespace: str) -> str | None:
    """The document's default Latin font (``docDefaults``, else the Normal style), where legacy fonts hide."""
    try:
        return _DEFAULT_FONTS.read(package, data, _part_info(package, STYLES_PART), _default_font_in, namespace)
    except ValueError:
        return None


@lru_cache(maxsize=32)  # the same styles part stored otherwise (another zip writer) is parsed once too
def _default_font_in(styles_xml: bytes, namespace: str) -> str | None:
    try:
        styles = etree.fromstring(styles_xml, _XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    w = f"{{{namespace}}}"
    for path in (f"{w}docDefaults/{w}rPrDefault/{w}rPr/{w}rFonts", f"{w}style[@{w}default='1']/{w}rPr/{w}rFonts"):
        fonts = styles.find(path)
        if fonts is not None and (fonts.get(f"{w}ascii") or fonts.get(f"{w}hAnsi")):
            return fonts.get(f"{w}ascii") or fonts.get(f"{w}hAnsi")
    return None


def _children(element: etree._Element, w: _Word, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Children with one of ``tags``, looking through content controls and custom-XML wrappers."""
    for child in element:
        tag = child.tag
        if tag in tags:
            yield child
        elif tag in w.wrappers:
            yield from _children(child, w, tags)


def _paragraph_text(paragraph: etree._Element, w: _Word) -> str:
    """The paragraph's text; runs in a legacy Vietnamese font (TCVN3, VNI) converted to Unicode."""
    parts = []
    for run in paragraph.iter(w.r):
        encoding = _run_encoding(run, w)
        for element in run:  # text parts are the run's own children (a text box's runs come on their own)
            if element.tag not in w.text_parts:
                continue
            replacement = w.text_parts[element.tag]
            text = (element.text or "") if replacement is None else replacement
            parts.append(to_unicode(text, encoding) if encoding and replacement is None else text)
    return nfc("".join(parts))


def _run_encoding(run: etree._Element, w: _Word) -> LegacyEncoding | None:
    for properties in run.iterchildren(w.rPr):
        for fonts in properties.iterchildren(w.rFonts):
            font = fonts.get(w.ascii) or fonts.get(w.hAnsi)
            return legacy_encoding(font) if font else w.default_encoding
    return w.default_encoding


def _table_rows(table: etree._Element, w: _Word) -> list[Row]:
    return [_row_cells(row, w) for row in _children(table, w, (w.tr,))]


def _row_cells(row: etree._Element, w: _Word) -> Row:
    column = _int_val(_first_grandchild(row, w.trPr, w.gridBefore), w, 0)
    cells: Row = []
    for cell in _children(row, w, (w.tc,)):
        span, continued = 1, False
        properties = _first_child(cell, w.tcPr)
        if properties is not None:
            grid_span = vertical = horizontal = None
            for prop in properties:
                tag = prop.tag
                if tag == w.gridSpan and grid_span is None:
                    grid_span = prop
                elif tag == w.vMerge and vertical is None:
                    vertical = prop
                elif tag == w.hMerge and horizontal is None:
                    horizontal = prop
            span = max(1, _int_val(grid_span, w, 1))
            continued = _is_continuation(vertical, w) or _is_continuation(horizontal, w)
        cells.append(LayoutCell("" if continued else _cell_text(cell, w), column, span, continued))
        column += span
    return cells


def _cell_text(cell: etree._Element, w: _Word) -> str:
    return "\n".join(_paragraph_text(p, w) for p in _children(cell, w, (w.p,)))


def _first_child(element: etree._Element, tag: str) -> etree._Element | None:
    return next((child for child in element if child.tag == tag), None)


def _first_grandchild(element: etree._Element, tag: str, grandchild_tag: str) -> etree._Element | None:
    for child in element:
        if child.tag == tag:
            found = _first_child(child, grandchild_tag)
            if found is not None:
                return found
    return None


def _int_val(element: etree._Element | None, w: _Word, default: int) -> int:
    if element is None:
        return default
    try:
        return int(element.get(w.val, default))
    except ValueError:
        return default


def _is_continuation(merge: etree._Element | None, w: _Word) -> bool:
    return merge is not None and merge.get(w.val, "continue") == "continue"


def _usual_layout(body: etree._Element, w: _Word) -> tuple[Blocks, list[list[Row]]] | None:
    """``_layout`` in one pass over the body's elements in document order, for a document of the usual shape:
    tables only at the top level, rows straight in their table, cells straight in their row, paragraphs straight in
    the body or a cell, runs with text in a paragraph and in no other run, no legacy font. None for any other
    document. Elements come without their ends, so each one's parent is checked as it starts."""
    if w.default_encoding is not None:
        return None
    blocks: Blocks = []
    tables: list[list[Row]] = []
    rows: list[Row] = []
    table = row = cell = paragraph = run = grid_before = None
    row_cells: list[tuple[list[str], _Merges | None]] = []
    cell_texts: list[str] = []
    merges: _Merges | None = None
    parts: list[str] = []
    owner: list[str] | Blocks = blocks
    text_parts, kinds, run_tag, around_runs = w.text_parts, w.one_pass_kinds, w.r, w.around_runs

    def end_row() -> None:
        nonlocal row, cell, paragraph
        if paragraph is not None:
            owner.append(nfc("".join(parts)))
            paragraph = None
        if cell is not None:
            row_cells.append((cell_texts, merges))
            cell = None
        if row is not None:
            rows.append(_row_layout(row_cells, grid_before, w))
            row = None

    for element in body.iter(*kinds):
        tag = element.tag
        kind = kinds[tag]
        if kind is _TEXT:
            parent = element.getparent()
            if parent is not run:
                if parent.tag != run_tag:
                    continue
                ancestor = parent.getparent()
                while ancestor is not paragraph:  # hyperlinks, insertions, content controls
                    if ancestor is None or ancestor.tag not in around_runs:
                        return None
                    ancestor = ancestor.getparent()
                run = parent
            replacement = text_parts[tag]
            parts.append((element.text or "") if replacement is None else replacement)
        elif kind is _PARAGRAPH:
            if paragraph is not None:
                owner.append(nfc("".join(parts)))
                paragraph = None
            parent = element.getparent()
            if parent is body:
                end_row()
                table = None
                owner = blocks
            elif parent is cell and cell is not None:
                owner = cell_texts
            else:
                return None
            paragraph, parts, run = element, [], None
        elif kind is _CELL:
            if paragraph is not None:
                owner.append(nfc("".join(parts)))
                paragraph = None
            if cell is not None:
                row_cells.append((cell_texts, merges))
            if row is None or element.getparent() is not row:
                return None
            cell, cell_texts, merges = element, [], None
        elif kind is _ROW:
            end_row()
            if table is None or element.getparent() is not table:
                return None
            row, row_cells, grid_before = element, [], None
        elif kind is _TABLE:
            end_row()
            if element.getparent() is not body:
                return None
            blocks.append(None)
            rows = []
            tables.append(rows)
            table = element
        elif kind is _FONTS:
            if legacy_encoding(element.get(w.ascii) or element.get(w.hAnsi)) is not None:
                return None
        elif kind is _GRID_BEFORE:
            properties = element.getparent()
            if grid_before is None and properties.tag == w.trPr and properties.getparent() is row:
                grid_before = element
        elif cell is not None:  # gridSpan, vMerge, hMerge
            properties = element.getparent()
            if properties.getparent() is cell and _first_child(cell, w.tcPr) is properties:
                merges = merges or {}
                merges.setdefault(tag, element)
    end_row()
    return blocks, tables


def _row_layout(row_cells: list[tuple[list[str], _Merges | None]], grid_before: etree._Element | None, w: _Word) -> Row:
    column = _int_val(grid_before, w, 0)
    cells: Row = []
    for texts, merges in row_cells:
        if merges is None:
            cells.append(LayoutCell("\n".join(texts), column, 1, False))
            column += 1
            continue
        span = max(1, _int_val(merges.get(w.gridSpan), w, 1))
        continued = _is_continuation(merges.get(w.vMerge), w) or _is_continuation(merges.get(w.hMerge), w)
        cells.append(LayoutCell("" if continued else "\n".join(texts), column, span, continued))
        column += span
    return cells
