"""The results page in a real headless Chromium, served over HTTP on loopback: one row per ranked unit in rank
order, sorting by a column with a real click, readable without JavaScript, no request to any other host,
and a screenshot kept."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from chromium import Chromium

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("annual")]

YEAR = 2011
TABLE = {
    "ministries_agencies": "#xep-hang-ministries-agencies-bang-du-lieu",
    "provinces": "#xep-hang-provinces-bang-du-lieu",
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def served_page(built):
    page_dir = built[YEAR]["outputs"].page_dir
    handler = functools.partial(_QuietHandler, directory=str(page_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


def _rows(browser: Chromium, selector: str) -> list[dict]:
    return browser.evaluate(
        f"Array.from(document.querySelectorAll('{selector} tbody tr')).map(r => ({{"
        " unit: r.dataset.unit, cells: Array.from(r.cells).map(c => c.textContent.trim()),"
        " values: Array.from(r.cells).map(c => c.dataset.value ?? null), shown: r.getBoundingClientRect().height > 0"
        " }))"
    )


def _expected_order(built, ranking_group: str) -> list[tuple[str, int]]:
    ranked = [r for r in built[YEAR]["mart"].values() if r["ranking_group"] == ranking_group and r["is_ranked"]]
    return [(r["unit_code"], r["group_rank"]) for r in sorted(ranked, key=lambda r: (r["group_rank"], r["unit_name"]))]


def test_one_row_per_ranked_unit_in_rank_order_and_a_screenshot(browser, served_page, built, settings):
    browser.open(served_page)
    assert browser.evaluate("document.documentElement.lang") == "vi"
    for ranking_group, selector in TABLE.items():
        rows = _rows(browser, selector)
        assert [(r["unit"], int(r["cells"][0])) for r in rows] == _expected_order(built, ranking_group)
        assert all(r["shown"] for r in rows)
        caption = browser.evaluate(f"document.querySelector('{selector} caption').textContent")
        assert f"({len(rows)} đơn vị)" in caption
    assert browser.evaluate("document.querySelectorAll('table.sortable th button.sort').length") == 2 * 9
    shot = browser.screenshot(settings.home / "artifacts" / f"annual-results-page-{YEAR}.png")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height > 3000  # the whole page, both tables and the charts


def test_sorting_by_a_column_with_a_click(browser, served_page, built):
    browser.open(served_page)
    selector = TABLE["provinces"]
    before = _rows(browser, selector)
    column = 3  # the first sub-index: information provision
    header = f"{selector} thead th:nth-child({column + 1}) button"
    browser.click(header)
    ascending = _rows(browser, selector)
    key = lambda r: float(r["values"][column])  # noqa: E731
    assert [r["unit"] for r in ascending] == [r["unit"] for r in sorted(before, key=key)]
    assert (
        browser.evaluate(f"document.querySelector('{selector} thead th:nth-child(4)').getAttribute('aria-sort')")
        == "ascending"
    )
    browser.click(header)
    descending = _rows(browser, selector)
    assert [key(r) for r in descending] == sorted((key(r) for r in before), reverse=True)
    assert sorted(r["unit"] for r in descending) == sorted(r["unit"] for r in before)
    assert "giảm dần" in browser.evaluate(f"document.querySelector('{selector} .sort-status').textContent")
    browser.click(f"{selector} thead th:nth-child(1) button")  # back to rank order
    assert [r["unit"] for r in _rows(browser, selector)] == [u for u, _ in _expected_order(built, "provinces")]


def test_readable_without_javascript(browser, served_page, built):
    browser.open(served_page, javascript=False)
    try:
        for ranking_group, selector in TABLE.items():
            rows = _rows_without_script(browser, selector)
            assert rows == [str(rank) for _, rank in _expected_order(built, ranking_group)]
    finally:
        browser.open("about:blank", javascript=True)


def _rows_without_script(browser: Chromium, selector: str) -> list[str]:
    """Page scripts are off, but the DevTools protocol still reads the DOM."""
    document = browser.call("DOM.getDocument", depth=-1, pierce=False)
    nodes = browser.call("DOM.querySelectorAll", nodeId=document["root"]["nodeId"], selector=f"{selector} tbody tr")
    ranks = []
    for node in nodes["nodeIds"]:
        outer = browser.call("DOM.getOuterHTML", nodeId=node)["outerHTML"]
        ranks.append(outer.split("</td>", 1)[0].rsplit(">", 1)[-1])
    buttons = browser.call("DOM.querySelectorAll", nodeId=document["root"]["nodeId"], selector="button.sort")
    assert buttons["nodeIds"] == []  # headers stay plain text without the script
    return ranks


def test_no_request_to_any_other_host(browser, served_page):
    mark = len(browser.events)
    browser.open(served_page)
    urls = [e["params"]["request"]["url"] for e in browser.events[mark:] if e["method"] == "Network.requestWillBeSent"]
    hosts = {urlparse(url).netloc for url in urls}
    assert hosts == {urlparse(served_page).netloc}, urls
    assert {Path(urlparse(u).path).name for u in urls} >= {"index.html", "style.css", "sort.js"}
    assert sum(1 for u in urls if u.endswith(".svg")) == 3
    failed = [e for e in browser.events[mark:] if e["method"] == "Network.loadingFailed"]
    assert failed == []
