"""The pages in a real headless browser (Debian chromium driven by
Playwright) against a real ``essgraph serve`` process: the query page (saved
queries, the SPARQL editor with highlighting and completion, results, errors),
the layout of resource pages at 1280 and 1920 px checked by element geometry
(screenshots in the test's tmp dir) and the maps. Everything works offline."""
from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

from demo_server import ServerProcess, write_demo_store

CHROMIUM = os.environ.get("ESSGRAPH_CHROMIUM", "/usr/bin/chromium")
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

    with ServerProcess(d / "store", "--queries-dir", str(d / "queries"), "--workers", "2",
                       "--timeout", "10") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") or os.environ.get("ESSGRAPH_REQUIRE_BROWSER"):
            pytest.fail("Debian chromium (/usr/bin/chromium) is required for this test in CI: "
                        "run tools/ensure_chromium.sh as root")
        pytest.skip("Debian chromium is not installed: run 'sudo apt-get install chromium' "
                    "(or tools/ensure_chromium.sh as root) for the browser test")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_query_page(browser, site: str):
    """The query page at 1280 px, with the page's script errors and its requests outside the site."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    external: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(site) else external.append(req.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site + "/")
    return page, errors, external


def set_query(page, text: str) -> None:
    page.evaluate("t => window.essgraphEditor.setValue(t)", text)


def test_query_page_runs_a_saved_query(site, browser, tmp_path):
    page, errors, external = open_query_page(browser, site)
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
    link = page.locator("#results-table a", has_text="essorg:cooperative-alpine")
    assert link.get_attribute("href") == "/id/org/cooperative-alpine"
    link.click()
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Coopérative Alpine"
    assert "Commune de Guillestre" in page.inner_text("#incoming")
    assert not errors, errors
    assert not external, f"the page fetched external resources: {external}"


def test_query_editor_highlights_and_completes_offline(site, browser, tmp_path):
    page, errors, external = open_query_page(browser, site)
    page.wait_for_selector(".CodeMirror")
    # SPARQL highlighting by the vendored CodeMirror mode
    assert page.locator(".CodeMirror .cm-keyword").count() >= 3
    kw = page.locator(".CodeMirror .cm-keyword", has_text="SELECT").first
    assert kw.evaluate("e => getComputedStyle(e).color") != page.locator(".CodeMirror .cm-variable-2").first.evaluate(
        "e => getComputedStyle(e).color")
    # completion of an ontology term while typing a prefixed name
    set_query(page, "SELECT * WHERE {\n  ?x a \n}")
    page.evaluate("() => { const cm = window.essgraphEditor; cm.focus(); cm.setCursor({line: 1, ch: 7}); }")
    page.keyboard.type("ess:Coop")
    page.wait_for_selector(".CodeMirror-hints")
    hints = page.locator(".CodeMirror-hint").all_inner_texts()
    assert any(h.startswith("ess:Cooperative") for h in hints), hints
    page.screenshot(path=str(tmp_path / "editor-completion.png"))
    page.keyboard.press("Enter")
    assert "?x a ess:Cooperative" in page.evaluate("() => window.essgraphEditor.getValue()")
    # completion of a prefix declaration
    set_query(page, "\nSELECT * WHERE { ?s ?p ?o } LIMIT 1")
    page.evaluate("() => { const cm = window.essgraphEditor; cm.focus(); cm.setCursor({line: 0, ch: 0}); }")
    page.keyboard.type("PREFIX dcter")
    page.wait_for_selector(".CodeMirror-hints")
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.essgraphEditor.getLine(0)") == "PREFIX dcterms: <http://purl.org/dc/terms/>"
    # Ctrl+Enter runs the query from the editor
    set_query(page, "SELECT ?c WHERE { ?c a ess:Cooperative }")
    page.evaluate("() => window.essgraphEditor.focus()")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results-table tbody tr")
    assert page.locator("#results-table tbody tr").count() == 4
    assert not errors, errors
    assert not external, f"the page fetched external resources: {external}"


def test_query_page_free_query_and_error(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.wait_for_selector(".CodeMirror")
    set_query(page, "SELECT ?x WHERE { ?x a }")
    page.click("#run")
    page.wait_for_selector("pre.error")
    assert "error at 1:" in page.inner_text("pre.error")
    assert "400" in page.inner_text("#status")
    set_query(page, "CONSTRUCT { ?c a ess:Cooperative } WHERE { ?c a ess:Cooperative }")
    page.click("#run")
    page.wait_for_selector("#results-table tbody tr")
    assert page.locator("#results-table tbody tr").count() == 4
    assert page.locator("#downloads button[data-format=turtle]").is_visible()
    assert not page.locator("#downloads button[data-format=csv]").is_visible()


# -- layout of resource pages, checked by element geometry -------------------------

LAYOUT_JS = """() => {
  const r = (el) => { const b = el.getBoundingClientRect(); return {l: b.left, r: b.right, t: b.top, b: b.bottom}; };
  const main = document.querySelector('.col-main'), side = document.querySelector('.col-side');
  const tables = [...document.querySelectorAll('.col-main table.facts')].map(r);
  const cells = [...document.querySelectorAll('.col-main table.facts td, .col-main table.facts th')].map(r);
  const sideBoxes = [...document.querySelectorAll('.col-side section')].map(r);
  return {main: r(main), side: side ? r(side) : null, tables, cells, sideBoxes,
          scrollWidth: document.documentElement.scrollWidth, width: document.documentElement.clientWidth};
}"""


def _overlap(a, b):
    return a["l"] < b["r"] - 0.5 and b["l"] < a["r"] - 0.5 and a["t"] < b["b"] - 0.5 and b["t"] < a["b"] - 0.5


_T = "https://w3id.org/essgraph/id/territory/"
_WKT = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> "
OVERSEAS_TTL = f"""
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix ess: <https://w3id.org/essgraph/ontology#> .
@prefix igeo: <http://rdf.insee.fr/def/geo#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/essgraph/graph/reference/cog-2024> {{
  <{_T}region/01> a ess:Territory, igeo:Region ; rdfs:label "Guadeloupe"@fr ; igeo:codeINSEE "01" .
  <{_T}departement/971> a ess:Territory, igeo:Departement ; rdfs:label "Guadeloupe"@fr ;
    igeo:codeINSEE "971" ; ess:within <{_T}region/01> ; geo:hasCentroid <{_T}departement/971#centroid> .
  <{_T}departement/971#centroid> geo:asWKT "{_WKT}POINT(-61.55 16.18)"^^geo:wktLiteral .
  <{_T}commune/97105> a ess:Territory, igeo:Commune ; rdfs:label "Basse-Terre"@fr ; igeo:codeINSEE "97105" ;
    ess:within <{_T}departement/971>, <{_T}region/01> ; geo:hasCentroid <{_T}commune/97105#centroid> .
  <{_T}commune/97105#centroid> geo:asWKT "{_WKT}POINT(-61.7284 16.0002)"^^geo:wktLiteral .
}}
"""


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    """A real essgraph serve process on a store where one cooperative has many facts."""

    import pyoxigraph as ox
    d = tmp_path_factory.mktemp("browser-big")
    write_demo_store(d / "store", scale=60)
    # long tokens without break opportunities, as in real clippings' graph names
    store = ox.Store(str(d / "store"))
    g = "https://w3id.org/essgraph/id/clipping/002_0c37a30f400a6855d7e84c7c69a0cdd7_000_d7e84c7c69a0cdd7/1"
    ess = "https://w3id.org/essgraph/ontology#"
    for path in ("territory/commune/05065", "authority/commune/05065", "org/cooperative-1"):
        s = ox.NamedNode("https://w3id.org/essgraph/id/" + path)
        store.add(ox.Quad(s, ox.NamedNode(ess + "country"), ox.Literal("FR"), ox.NamedNode(g)))
        store.add(ox.Quad(s, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                          ox.Literal("x" * 160), ox.NamedNode(g)))
        store.add(ox.Quad(s, ox.NamedNode(ess + "seeAlsoResource"),
                          ox.NamedNode("https://example.org/" + "averyveryverylongpathsegment" * 6), ox.NamedNode(g)))
    # an overseas département with one of its communes (as the reference graph has them)
    store.load(OVERSEAS_TTL.encode(), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    with ServerProcess(d / "store", "--workers", "2") as url:
        yield url


@pytest.mark.parametrize("width", [1280, 1920])
@pytest.mark.parametrize("path", ["/id/territory/commune/05065", "/id/authority/commune/05065",
                                  "/id/org/cooperative-1"])
def test_resource_page_columns_do_not_overlap(big_site, browser, tmp_path, width, path):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.goto(big_site + path)
    page.wait_for_selector("h1")
    shot = tmp_path / f"resource-{path.strip('/').replace('/', '-')}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    g = page.evaluate(LAYOUT_JS)
    assert g["scrollWidth"] <= g["width"], f"the page scrolls sideways at {width} px"
    assert g["tables"], "no facts table on the page"
    if g["side"] and g["sideBoxes"]:
        for t in g["tables"]:
            assert t["r"] <= g["main"]["r"] + 0.5, f"a facts table overflows its column at {width} px: {t} vs {g['main']}"
            for s in g["sideBoxes"]:
                assert not _overlap(t, s), f"a facts table overlaps the side column at {width} px"
        for c in g["cells"]:
            for s in g["sideBoxes"]:
                assert not _overlap(c, s), f"a table cell overlaps the side column at {width} px"
        # side by side at these widths, not stacked
        assert g["side"]["l"] >= g["main"]["r"] - 0.5


def _path_points(d: str) -> int:
    return len(re.findall(r"-?\d+(?:\.\d+)?,-?\d+(?:\.\d+)?", d))


def _dot_in_self_outline(page, selector: str) -> bool:
    b = page.locator(selector).first.bounding_box()
    cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    return page.evaluate("([x, y]) => document.elementsFromPoint(x, y).some("
                         "e => e.getAttribute && e.getAttribute('data-role') === 'self')", [cx, cy])


def test_maps_draw_real_outlines(big_site, browser, tmp_path):
    """A département's page shows its bundled outline (and its neighbours'); a
    commune's page its own outline among its neighbours; an overseas
    département's page its outline with its communes inside."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(big_site + "/id/territory/departement/05")
    page.wait_for_selector("svg.map")
    own = page.locator('svg.map path[data-role="self"]')
    assert own.count() == 1
    assert page.locator('svg.map path[data-role="neighbour"]').count() >= 4
    assert _path_points(own.get_attribute("d")) > 100, "the outline should be a real shape, not a box"
    box = own.bounding_box()
    assert box["width"] > 100 and box["height"] > 100
    # the six real communes of the demo store (the others have made-up positions)
    real = ["Guillestre", "Embrun", "Gap", "Briançon", "Ristolas", "Saint-Crépin"]
    dots = page.locator("svg.map circle.map-inner").filter(
        has=page.locator("title").filter(has_text=re.compile("^(" + "|".join(real) + ")$")))
    assert dots.count() == 6
    inside = 0
    for i in range(dots.count()):
        b = dots.nth(i).bounding_box()
        cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        inside += page.evaluate("([x, y]) => document.elementsFromPoint(x, y).some("
                                "e => e.getAttribute && e.getAttribute('data-role') === 'self')", [cx, cy])
    assert inside == 6, f"only {inside} of the 6 communes drawn inside the outline"
    assert "Licence Ouverte" in page.locator("svg.map").text_content()
    page.locator("svg.map").screenshot(path=str(tmp_path / "map-departement.png"))

    # a commune without a geometry in the store: its bundled outline, zoomed on it
    page.goto(big_site + "/id/territory/commune/05046")
    page.wait_for_selector("svg.map")
    own = page.locator('svg.map path[data-role="self"]')
    assert own.count() == 1 and "Embrun" in own.text_content()
    assert _path_points(own.get_attribute("d")) > 20
    ob = own.bounding_box()
    assert ob["width"] > 80 and ob["height"] > 80, f"the commune should fill the map, not be a dot: {ob}"
    assert page.locator('svg.map path[data-role="neighbour"]').count() >= 4
    ctx = page.locator('svg.map path[data-role="context"]')
    assert ctx.count() == 1 and "Hautes-Alpes" in ctx.text_content()
    assert _dot_in_self_outline(page, "svg.map circle.map-self")
    page.locator("svg.map").screenshot(path=str(tmp_path / "map-commune.png"))

    # overseas: Guadeloupe and its commune Basse-Terre
    page.goto(big_site + "/id/territory/departement/971")
    page.wait_for_selector("svg.map")
    own = page.locator('svg.map path[data-role="self"]')
    assert own.count() == 1 and _path_points(own.get_attribute("d")) > 100
    ob = own.bounding_box()
    assert ob["width"] > 150 and ob["height"] > 100
    assert _dot_in_self_outline(page, 'svg.map circle.map-inner:has(title:text-is("Basse-Terre"))')
    page.locator("svg.map").screenshot(path=str(tmp_path / "map-overseas.png"))
    page.goto(big_site + "/id/territory/commune/97105")
    page.wait_for_selector("svg.map")
    own = page.locator('svg.map path[data-role="self"]')
    assert own.count() == 1 and _path_points(own.get_attribute("d")) > 10
    ob = own.bounding_box()
    assert ob["width"] > 80 and ob["height"] > 80
    assert _dot_in_self_outline(page, "svg.map circle.map-self")
    page.locator("svg.map").screenshot(path=str(tmp_path / "map-overseas-commune.png"))
