"""Data Docs are built into the state folder (Settings.home/gx/data_docs) and show every suite and run."""

from __future__ import annotations

import pytest
from support.submissions import CATALOGUE, real_submission


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    from expectations.project import build_data_docs
    from expectations.validate import validate_submissions

    home = tmp_path_factory.mktemp("home")
    validate_submissions([real_submission("ok"), real_submission("bad", **{"3_3": "150"})], CATALOGUE, home=home)
    return home, build_data_docs(home)


def test_the_site_is_built_under_the_state_folder(docs):
    home, index = docs
    assert index == home / "gx" / "data_docs" / "index.html"
    assert index.is_file()


def test_the_index_lists_every_suite(docs):
    from expectations.project import suite_files

    _home, index = docs
    html = index.read_text(encoding="utf-8")
    for name in suite_files(CATALOGUE):
        assert name.removesuffix(".json") in html
        assert (index.parent / "expectations" / name.replace(".json", ".html")).is_file()


def test_the_validation_run_has_a_page_showing_the_failed_indicator(docs):
    _home, index = docs
    pages = list((index.parent / "validations" / "submission_values").rglob("*.html"))
    assert pages
    assert any("ind_3_3" in page.read_text(encoding="utf-8") for page in pages)


def test_the_run_summary_names_the_data_docs_index(settings):
    from expectations.project import data_docs_index

    assert data_docs_index(settings.home) == settings.home / "gx" / "data_docs" / "index.html"
