"""A Word 97-2003 (.doc) report, read the cheap way first.

antiword prints a .doc's text in milliseconds; LibreOffice takes about 100 ms a file and hundreds of MB. So a
.doc is read from antiword's text when that text places the values: Unicode text (a TCVN3 form loses letters in
antiword, LibreOffice keeps its fonts), the unit, the period and values found, nothing the reader could not make
out. Only the others go to LibreOffice, whose conversions are kept by content hash so that no file is converted
twice, whichever run meets it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from ingestion.documents.doc_convert import ConversionError, convert_many, doc_text_with_antiword
from ingestion.documents.doc_text_reader import parse_doc_text
from ingestion.documents.legacy_text import guess_text_encoding
from ingestion.domain.catalogue import Catalogue
from ingestion.domain.records import ParsedReport


@lru_cache(maxsize=256)
def _antiword_text(payload: bytes) -> str | None:
    try:
        return doc_text_with_antiword(payload)
    except ConversionError:
        return None


def antiword_report(payload: bytes, catalogue: Catalogue) -> ParsedReport | None:
    """The report as antiword's text gives it, or None when that text cannot be trusted to place the values.
    (A run asks twice per file, deciding what to convert and then reading it: the second answer is remembered.)"""
    report = _antiword_report(payload, catalogue)
    if report is None:
        return None
    return dataclasses.replace(report, values=dict(report.values), problems=list(report.problems))


@lru_cache(maxsize=256)
def _antiword_report(payload: bytes, catalogue: Catalogue) -> ParsedReport | None:
    text = _antiword_text(payload)
    if text is None or guess_text_encoding(text) is not None:
        return None
    report = parse_doc_text(text, catalogue=catalogue)
    if report.values and report.unit_code and report.period and not report.problems:
        return report
    return None


def content_key(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def convert_cached(documents: Mapping[str, bytes], cache_dir: Path | None) -> dict[str, bytes]:
    """.doc → .docx for ``documents`` keyed by :func:`content_key`: from ``cache_dir`` when converted before, the
    rest in one LibreOffice batch (stored in ``cache_dir``). A document LibreOffice cannot read is absent."""
    found: dict[str, bytes] = {}
    if cache_dir is not None:
        for key in documents:
            with contextlib.suppress(OSError):
                found[key] = (cache_dir / f"{key}.docx").read_bytes()
    missing = {key: payload for key, payload in documents.items() if key not in found}
    converted = convert_many(missing, suffix=".doc", to="docx") if missing else {}
    if cache_dir is not None and converted:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for key, docx in converted.items():
            _write_atomically(cache_dir / f"{key}.docx", docx)
    return found | converted


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
