"""The bench's parse probe runs the product's own .doc and .docx paths (a renamed function breaks it, not the
bench's night)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench import probes

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "mail"
READABLE = ("01_june_report", "05_doc_report", "06_tcvn3_form", "07_retyped_form", "35_tcvn3_doc")  # no hostile files


def test_the_parse_probe_measures_every_path_on_real_mail(tmp_path):
    maildir = tmp_path / "mail"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for name in READABLE:
        shutil.copy(CORPUS / f"{name}.eml", maildir / "new" / f"{name}.eml")

    result = probes.parse_floors({"sample": str(maildir), "soffice_batch": 1})

    assert result["docx_files"] > 0 and result["doc_files"] > 0
    for figure in ("unzip_lxml_per_docx_ms", "parse_report_per_docx_ms", "antiword_per_doc_ms"):
        assert result[figure] > 0, figure
    assert result["soffice_batch_files"] == 1 and result["soffice_batch_seconds"] > 0
    assert result["product_doc_path_per_doc_ms"] > 0
