"""Data Docs are built into the state folder (Settings.home/gx/data_docs) and show every suite and run."""

from __future__ import annotations

from pathlib import Path

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


def test_an_update_reads_only_the_results_it_has_not_listed_before(tmp_path, monkeypatch):
    """The index lists every stored result with its outcome, each read from the store once: when first listed."""
    from great_expectations.data_context import AbstractDataContext

    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path / "home"
    first: list[tuple[str, ...]] = []
    validate_submissions([real_submission("one")], CATALOGUE, home=home, stored=first)
    update_data_docs(home, first)
    read: list[str] = []
    real_read = AbstractDataContext.get_validation_result

    def counting_read(self, *args, **kwargs):
        read.append(kwargs.get("expectation_suite_name", ""))
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(AbstractDataContext, "get_validation_result", counting_read)
    second: list[tuple[str, ...]] = []
    validate_submissions([real_submission("two", **{"3_3": "150"})], CATALOGUE, home=home, stored=second)
    update_data_docs(home, second)
    assert len(read) == 1  # the new result only
    html = (home / "gx" / "data_docs" / "index.html").read_text(encoding="utf-8")
    for key in first + second:
        assert key[-1] in html  # both runs' results are listed (by batch)


def test_suite_pages_are_rendered_when_missing_or_older_than_their_suite(tmp_path):
    """Suites change with a release: an update renders a suite's page only when it is missing or outdated."""
    import os

    from expectations.project import SUITES_DIR, data_docs_dir, open_context, stale_suite_pages

    home = tmp_path / "home"
    context = open_context(home)
    suites = sorted(path.stem for path in SUITES_DIR.glob("*.json"))
    assert [identifier.name for identifier in stale_suite_pages(context)] == suites  # nothing rendered yet

    pages = data_docs_dir(home) / "expectations"
    pages.mkdir(parents=True)
    for name in suites:
        (pages / f"{name}.html").write_text("rendered", encoding="utf-8")
    assert stale_suite_pages(context) == []

    outdated = pages / f"{suites[0]}.html"
    suite_time = (SUITES_DIR / f"{suites[0]}.json").stat().st_mtime
    os.utime(outdated, (suite_time - 60, suite_time - 60))
    assert [identifier.name for identifier in stale_suite_pages(context)] == [suites[0]]


def test_an_update_parses_the_keys_it_lists_and_renders_the_pages_it_is_given(tmp_path, monkeypatch):
    """An update's cost does not grow with the results stored before it: the stored results' keys are parsed only
    for the index (the newest it lists), the pages rendered are those given; a page whose result is gone is removed
    by a full build. (GX parses every stored result and every page several times an update.)"""
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    from expectations import data_docs_index
    from expectations.project import build_data_docs, data_docs_dir
    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path / "home"
    first: list[tuple[str, ...]] = []
    validate_submissions([real_submission("one")], CATALOGUE, home=home, stored=first)
    update_data_docs(home, first)
    pages = data_docs_dir(home) / "validations"
    (first_page,) = pages.rglob("*.html")
    rendered_at = first_page.stat().st_mtime_ns
    orphan = pages / first[0][0] / "__none__" / "20090101T000000.000000Z" / "gone.html"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("a result no longer stored", encoding="utf-8")

    parsed: list[tuple[str, ...]] = []
    real_from_tuple = ValidationResultIdentifier.from_tuple.__func__

    def counting_from_tuple(cls, tuple_):
        parsed.append(tuple(tuple_))
        return real_from_tuple(cls, tuple_)

    monkeypatch.setattr(ValidationResultIdentifier, "from_tuple", classmethod(counting_from_tuple))
    real_result_key = data_docs_index._result_key  # how the index parses the names it lists

    def counting_result_key(name):
        parsed.append(tuple(name))
        return real_result_key(name)

    monkeypatch.setattr(data_docs_index, "_result_key", counting_result_key)
    second: list[tuple[str, ...]] = []
    validate_submissions([real_submission("two")], CATALOGUE, home=home, stored=second)
    parsed.clear()
    update_data_docs(home, second)

    # besides the new result (handed over, rendered, listed), the earlier one only, once, for the index
    assert [key for key in parsed if key != tuple(second[0])] == [tuple(first[0])]
    assert first_page.stat().st_mtime_ns == rendered_at  # not rendered again
    html = (home / "gx" / "data_docs" / "index.html").read_text(encoding="utf-8")
    for key in first + second:
        assert key[-1] in html
    assert orphan.exists() and "gone" not in html  # never listed; an update does not list the pages
    build_data_docs(home)
    assert not orphan.exists()
    assert len(list(pages.rglob("*.html"))) == 2


def _listing_count(monkeypatch) -> list[Path]:
    """The folders GX's file stores walk from now on to list their keys (every file under each)."""
    from great_expectations.data_context.store.tuple_store_backend import TupleFilesystemStoreBackend

    listed: list[Path] = []
    real = TupleFilesystemStoreBackend.list_keys

    def counting(self, prefix=()):
        listed.append(Path(self.full_base_directory, *prefix))
        return real(self, prefix)

    monkeypatch.setattr(TupleFilesystemStoreBackend, "list_keys", counting)
    return listed


def test_an_update_lists_no_store_and_its_index_is_the_one_a_full_build_makes(tmp_path, monkeypatch):
    """An update's index is made of the results it listed before and those it is given, still stored and rendered:
    the same as a full build's, without walking the stored results and pages (every result ever stored: a
    warehouse backfilled since 2009 holds thousands). A result removed from the store leaves the next index."""
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    from expectations.project import build_data_docs, data_docs_dir, open_context
    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path / "home"
    stored: list[list[tuple[str, ...]]] = []
    for name in ("one", "two", "three"):
        keys: list[tuple[str, ...]] = []
        validate_submissions([real_submission(name)], CATALOGUE, home=home, stored=keys)
        stored.append(keys)
    update_data_docs(home, stored[0] + stored[1])  # the first update lists the stores (no entries yet)
    listed = _listing_count(monkeypatch)
    update_data_docs(home, stored[2])
    # the suites and their pages only (a few files), not the stored results nor their pages (GX walks the whole
    # site for the suites' pages)
    assert listed and all(folder.name == "expectations" for folder in listed), listed
    index = data_docs_dir(home) / "index.html"
    run_times = [keys[0][-2] for keys in stored]  # each result's stored name differs by its run time
    assert [_run_time(link) for link in _links(index.read_text(encoding="utf-8"))] == run_times[::-1]

    open_context(home).validation_results_store.remove_key(ValidationResultIdentifier.from_tuple(stored[0][0]))
    update_data_docs(home, stored[2])  # the same result again: the index drops the removed one
    without_first = index.read_text(encoding="utf-8")
    assert [_run_time(link) for link in _links(without_first)] == run_times[:0:-1]
    monkeypatch.undo()
    build_data_docs(home)
    assert _links(index.read_text(encoding="utf-8")) == _links(without_first)


def test_an_index_kept_before_its_entries_named_their_keys_is_listed_once_again(tmp_path, monkeypatch):
    """An entries file written by an earlier release (without the stored names): the update lists the stores, as
    before, and keeps the names for the next."""
    import json

    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path / "home"
    first: list[tuple[str, ...]] = []
    validate_submissions([real_submission("one")], CATALOGUE, home=home, stored=first)
    update_data_docs(home, first)
    entries_file = home / "gx" / "data_docs_index.json"
    entries = json.loads(entries_file.read_text(encoding="utf-8"))
    entries_file.write_text(json.dumps({k: {f: v for f, v in e.items() if f != "key"} for k, e in entries.items()}))
    listed = _listing_count(monkeypatch)
    second: list[tuple[str, ...]] = []
    validate_submissions([real_submission("two")], CATALOGUE, home=home, stored=second)
    update_data_docs(home, second)
    assert [folder for folder in listed if folder.name == "validations"]  # listed, as GX would
    html = (home / "gx" / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert first[0][-1] in html and second[0][-1] in html
    assert all("key" in entry for entry in json.loads(entries_file.read_text(encoding="utf-8")).values())


def _run_time(link: str) -> str:
    return link.split("/")[-2]


def _links(html: str) -> list[str]:
    """The validation pages the index's table links to, in its order (the table's rows are data of its script)."""
    import re

    return re.findall(r"'_table_row_link_path': '(validations/[^']+)'", html)


def test_an_update_renders_gx_templates_from_the_code_an_earlier_update_compiled(tmp_path, monkeypatch):
    """Each update makes new views (a Jinja environment each): GX's templates are compiled once, into the state
    folder, and later updates render the same pages from that code."""
    import jinja2

    from expectations.project import data_docs_dir, state_dir
    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path / "home"
    stored: list[tuple[str, ...]] = []
    validate_submissions([real_submission("one", **{"3_3": "150"})], CATALOGUE, home=home, stored=stored)
    update_data_docs(home, stored)
    compiled = state_dir(home) / "data_docs_templates"
    assert sorted(path.suffix for path in compiled.iterdir()) == [".cache"] * len(list(compiled.iterdir()))
    assert len(list(compiled.iterdir())) >= 3  # page, section, component templates at least
    assert compiled.stat().st_mode & 0o077 == 0  # the state folder's code: the owner's alone
    (page,) = (data_docs_dir(home) / "validations").rglob("*.html")
    first_render = page.read_text(encoding="utf-8")
    page.unlink()

    def refuse(*args, **kwargs):
        raise AssertionError("a GX template compiled again")

    monkeypatch.setattr(jinja2.Environment, "_generate", refuse)
    update_data_docs(home, stored)

    def without_times(html: str) -> str:  # a page shows when it was rendered
        import re

        return re.sub(r"\d{8}T\d{6}\.\d{6}Z|\d{4}-\d{2}-\d{2}[ T][\d:.]+(\+00:00|Z)?", "", html)

    assert without_times(page.read_text(encoding="utf-8")) == without_times(first_render)


def test_the_index_shows_the_cells_it_rendered_before_as_gx_renders_them(tmp_path, monkeypatch):
    """The cells of a listed result's row that GX renders with its templates (status, batch, suite) are rendered
    once, kept with the result's entry for that GX release, and shown again from there: the index is the page GX
    renders itself, whatever the rows' cells came from."""
    import json
    import re

    import great_expectations

    from expectations import data_docs_index
    from expectations.validate import update_data_docs, validate_submissions

    home = tmp_path / "home"
    stored: list[tuple[str, ...]] = []
    validate_submissions([real_submission("ok")], CATALOGUE, home=home, stored=stored)
    validate_submissions([real_submission("bad", **{"3_3": "150"})], CATALOGUE, home=home, stored=stored)
    index = home / "gx" / "data_docs" / "index.html"
    entries_file = home / "gx" / "data_docs_index.json"

    def page() -> str:  # the time GX adds to its logo's address is the only difference between two renders
        return re.sub(r"\?d=\d{8}T\d{6}\.\d{6}Z", "?d=", index.read_text(encoding="utf-8"))

    update_data_docs(home, stored)
    first = page()
    entries = json.loads(entries_file.read_text(encoding="utf-8"))
    assert len(entries) == 2 and all(e["cells"]["gx"] == great_expectations.__version__ for e in entries.values())
    statuses = {e["success"]: e["cells"]["validation_success"] for e in entries.values()}
    assert statuses[True] != statuses[False] and all(repr(html) in first for html in statuses.values())  # table data
    update_data_docs(home, stored[:1])
    assert page() == first  # from the kept cells

    monkeypatch.setattr(data_docs_index._RenderedCells, "render", lambda self, links: self.renderer.render(links))
    update_data_docs(home, stored[:1])
    assert page() == first  # GX's own rendering of every cell
    monkeypatch.undo()

    marked = {
        name: entry | {"cells": entry["cells"] | {"batch_identifier": f"<b>kept {n}</b>"}}
        for n, (name, entry) in enumerate(entries.items())
    }
    entries_file.write_text(json.dumps(marked), encoding="utf-8")
    update_data_docs(home, stored[:1])
    assert "<b>kept 0</b>" in page() and "<b>kept 1</b>" in page()  # what is kept is what is shown
    entries_file.write_text(
        json.dumps({name: e | {"cells": e["cells"] | {"gx": "0.18.0"}} for name, e in marked.items()}),
        encoding="utf-8",
    )
    update_data_docs(home, stored[:1])
    assert page() == first  # cells kept by another GX release are rendered again
