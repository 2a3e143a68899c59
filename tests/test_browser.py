"""The query page in a real headless browser (Debian chromium driven by
Playwright) against the real uvicorn server: pick a saved query, run it,
check the table and follow a resource link. The page must work offline."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ess_graph.serve import create_app
from ess_graph.serve.testing import ServerThread, write_demo_store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = pytest.mark.browser

SAVED = """\
#+ title: Cooperatives and their commune
#+ description: Every cooperative with the commune it is located in.
#+ params:
#+   - name: place
#+     type: iri
SELECT ?coop ?name ?place WHERE {
  ?coop a ess:Cooperative ; rdfs:label ?name ; ess:locatedIn ?place .
} ORDER BY ?name
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("browser")
    write_demo_store(d / "store", scale=4)
    (d / "queries").mkdir()
    (d / "queries" / "coops.rq").write_text(textwrap.dedent(SAVED), encoding="utf-8")
    app = create_app(d / "store", queries_dir=d / "queries", workers=2, timeout=10)
    with ServerThread(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), "Debian chromium is required for this test"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_query_page_runs_a_saved_query(site, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    external = []
    page.on("request", lambda req: None if req.url.startswith(site) else external.append(req.url))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site + "/")
    assert "PREFIX ess: <https://w3id.org/essgraph/ontology#>" in page.input_value("#query")
    page.select_option("#saved", "coops")
    assert "ess:locatedIn" in page.input_value("#query")
    assert page.locator("#params input[name=place]").count() == 1
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr")
    rows = page.locator("#results-table tbody tr")
    assert rows.count() == 4
    assert page.locator("#results-table thead th").all_inner_texts() == ["coop", "name", "place"]
    assert "Coopérative Alpine" in page.locator("#results-table").inner_text()
    assert "4 rows" in page.inner_text("#status")
    shot = tmp_path / "query-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # a parameter narrows the result (typed binding through the saved-query API)
    page.fill("#params input[name=place]", "https://w3id.org/essgraph/id/territory/commune/05065")
    page.click("#run")
    page.wait_for_function("document.querySelectorAll('#results-table tbody tr').length === 1")
    # an IRI in the table links to its resource page
    link = page.locator("#results-table a", has_text="essr:org/cooperative-alpine")
    assert link.get_attribute("href") == "/id/org/cooperative-alpine"
    link.click()
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Coopérative Alpine"
    assert "Commune de Guillestre" in page.inner_text("#incoming")
    assert not errors, errors
    assert not external, f"the page fetched external resources: {external}"


def test_query_page_free_query_and_error(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#query", "SELECT ?x WHERE { ?x a }")
    page.click("#run")
    page.wait_for_selector("pre.error")
    assert "error at 1:" in page.inner_text("pre.error")
    assert "400" in page.inner_text("#status")
    page.fill("#query", "CONSTRUCT { ?c a ess:Cooperative } WHERE { ?c a ess:Cooperative }")
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr")
    assert page.locator("#results-table tbody tr").count() == 4
    assert page.locator("#downloads button[data-format=turtle]").is_visible()
    assert not page.locator("#downloads button[data-format=csv]").is_visible()
