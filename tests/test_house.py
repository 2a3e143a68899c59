"""The shared helpers each idea has one module for: names, geometry, formats, statistics."""
from __future__ import annotations

import pytest

from ess_graph import geometry
from ess_graph.names import escape_string, fold, strip_accents


def test_names_fold_strip_and_escape():
    assert strip_accents("Évreux, Saint-Étienne, Noël") == "Evreux, Saint-Etienne, Noel"
    assert fold("ŒUVRES Sociales à Évry") == "oeuvres sociales a evry"
    assert escape_string('a\\b "c"\nd\re') == 'a\\\\b \\"c\\"\\nd\\re'


@pytest.mark.parametrize("wkt, expected", [
    ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(5.25 44.5)",
     {"type": "Point", "coordinates": [5.25, 44.5]}),
    ("POINT Z (1 2 3)", {"type": "Point", "coordinates": [1.0, 2.0, 3.0]}),
    ("LINESTRING(1 2, 3 4)", {"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
    ("POLYGON((0 0, 1 0, 1 1, 0 0))",
     {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]}),
    ("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
     {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
                                              [[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 5.0]]]]}),
    ("MULTIPOINT((1 2), (3 4))", {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
    ("GEOMETRYCOLLECTION(POINT(1 2))",
     {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1.0, 2.0]}]}),
])
def test_wkt_to_geojson(wkt, expected):
    assert geometry.parse_wkt(wkt) == expected


@pytest.mark.parametrize("bad", ["", "garbage", "POINT(1 2", "POINT(1 2) x", "POLYGON(1 2, 3 4)", "CIRCLE(1 2)"])
def test_unreadable_wkt_is_none(bad):
    assert geometry.parse_wkt(bad) is None


def test_point_and_rings():
    assert geometry.wkt_point(geometry.point_wkt(5.123456, 44.5, 4)) == (5.1235, 44.5)
    assert geometry.wkt_point("POLYGON((0 0, 1 0, 1 1, 0 0))") is None
    g = geometry.parse_wkt("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))")
    assert geometry.rings(g) == [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)],
                                 [(5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)]]


def test_geojson_export_reads_polygons_without_a_geometry_library():
    from ess_graph.export.network import _geometry
    from ess_graph.export.views import Territory
    t = Territory("https://w3id.org/essgraph/id/territory/commune/05065", "Gap", "Commune",
                  lon=6.08, lat=44.56, geometry_wkt=f"{geometry.CRS84} POLYGON((6 44, 6.2 44, 6.2 44.7, 6 44))")
    assert _geometry(t) == {"type": "Polygon",
                            "coordinates": [[[6.0, 44.0], [6.2, 44.0], [6.2, 44.7], [6.0, 44.0]]]}
    t.geometry_wkt = "not wkt"
    assert _geometry(t) == {"type": "Point", "coordinates": [6.08, 44.56]}


# ---------------------------------------------------------------- formats

def test_one_format_registry_feeds_cli_server_and_readers():
    import pyoxigraph as ox

    from ess_graph import formats, results
    from ess_graph.cli.query import command as query_command
    from ess_graph.serve import formats as served
    from ess_graph.validate.rdfio import rdf_format

    choice = next(p for p in query_command.params if p.name == "fmt").type.choices
    assert tuple(choice) == formats.QUERY_OUTPUT_FORMATS
    assert set(choice) == {"table"} | set(results.SELECT_FORMATS) | set(results.GRAPH_FORMATS)
    assert not hasattr(results, "ALL_FORMATS")
    for name, (fmt, oxf) in {**served.RESULT_FORMATS, **served.GRAPH_FORMATS}.items():
        assert fmt is formats.by_name(name) and oxf is fmt.ox
        assert fmt.media_type == oxf.media_type.split(";")[0]
    assert served.negotiate(served.GRAPH_FORMATS, "application/x-turtle")[1] == ox.RdfFormat.TURTLE
    assert served.negotiate(served.RESULT_FORMATS, None, "srx")[1] == ox.QueryResultsFormat.XML
    for ext, fmt in formats.RDF_FILE_EXTENSIONS.items():
        assert rdf_format("shapes" + ext.upper()) == fmt
    assert ox.RdfFormat.from_extension("ttl") == rdf_format("a.ttl")
    assert formats.GRAPH_FORMATS["jsonld"].iri == "http://www.w3.org/ns/formats/JSON-LD"


def test_every_query_format_writes(tmp_path):
    import pyoxigraph as ox

    from ess_graph import formats
    from ess_graph.results import format_result

    st = ox.Store()
    st.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                   ox.Literal("é"), ox.NamedNode("http://example.org/g")))
    for name in formats.QUERY_OUTPUT_FORMATS:
        if name in formats.GRAPH_FORMATS:
            out = format_result(st.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"), name)
            parsed = list(ox.parse(out, format=formats.GRAPH_FORMATS[name].ox))
            assert [t.object for t in parsed] == [ox.Literal("é")], name
        else:
            out = format_result(st.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }"), name)
            assert "é" in out.decode("utf-8"), name


def test_query_refuses_an_unknown_format(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    essgraph = Path(sys.executable).parent / "essgraph"
    store = tmp_path / "store"
    p = subprocess.run([str(essgraph), "query", "-e", "ASK {}", "--format", "yaml", "--store", str(store)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "Invalid value for '--format': 'yaml' is not one of 'table'" in p.stderr
    assert not store.exists()


# ---------------------------------------------------------------- statistics and VoID

def test_statistics_are_counted_once_for_cli_server_and_export(tmp_path):
    from ess_graph.rdf import Triples
    from ess_graph.stats import compute_stats, store_stats, void_statistics
    from ess_graph.void import VOID, describe_dataset
    from test_export_data import make_store

    store = make_store(tmp_path / "store")
    try:
        served = void_statistics(store.store)
        exported = compute_stats(store, len(store.store), 0, {})
        cli = store_stats(store)
    finally:
        store.close()
    assert served["triples"] == exported.quads == cli["triples"]
    assert served["classes"] == exported.classes and served["properties"] == exported.properties
    assert served["subjects"] == exported.distinct_subjects
    assert sum(served["properties"].values()) == served["triples"]  # the default graph counts too
    assert cli["entities_by_class"]["ess:Clipping"] == exported.classes[
        "https://w3id.org/essgraph/ontology#Clipping"] == 3

    g = Triples()
    describe_dataset(g, "http://example.org/ds", triples=served["triples"], distinct_subjects=served["subjects"],
                     classes=served["classes"], properties=served["properties"],
                     partition_iri=lambda kind, i, _iri: f"http://example.org/ds#{kind}-{i}")
    by_p = {}
    for t in g:
        by_p.setdefault(t.predicate.value, []).append(t)
    assert len(by_p[VOID + "classPartition"]) == len(served["classes"])
    assert [int(t.object.value) for t in by_p[VOID + "triples"] if t.subject.value == "http://example.org/ds"] \
        == [served["triples"]]


# ---------------------------------------------------------------- the Python API

def test_every_api_call_is_typed_and_documented():
    import inspect

    from ess_graph import api

    for name in api.__all__:
        fn = getattr(api, name)
        assert fn.__doc__ and fn.__doc__.strip(), name
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, name
        for p in sig.parameters.values():
            assert p.kind is not p.VAR_KEYWORD or name == "query", (name, p.name)  # query's **params are SPARQL bindings
            assert p.annotation is not inspect.Parameter.empty or p.name in ("extractor",), (name, p.name)


def test_api_reads_a_store(tmp_path):
    from ess_graph import api
    from test_export_data import make_store

    make_store(tmp_path / "store").close()
    store = api.open_store(tmp_path / "store", read_only=True)
    try:
        assert api.stats(store)["entities_by_class"]["ess:Clipping"] == 3
        assert bool(api.sparql(store, "ASK { ?c a ess:Clipping }"))
        assert "communes-coops" in {q.name for q in api.list_queries()}
    finally:
        store.close()


# ---------------------------------------------------------------- short functions

def _long_functions_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "long_functions.py"
    spec = importlib.util.spec_from_file_location("long_functions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_no_new_function_over_60_lines():
    from pathlib import Path

    tool = _long_functions_tool()
    package = Path(__file__).resolve().parents[1] / "ess_graph"
    new = [f"{path}:{line} {name} ({n} lines)" for path, line, name, n in tool.long_functions(package)
           if (path, name) not in tool.ALLOWED]
    assert not new, "functions over 60 lines (split them): " + "; ".join(new)


def test_long_function_tool_counts_lines(tmp_path):
    tool = _long_functions_tool()

    def method(n_body: int) -> str:
        return "class C:\n    def m(self):\n" + "".join(f"        x{i} = {i}\n" for i in range(n_body))

    (tmp_path / "m.py").write_text(method(59))           # def line + 59 = 60 lines: allowed
    assert tool.long_functions(tmp_path) == []
    (tmp_path / "m.py").write_text(method(60))
    assert tool.long_functions(tmp_path) == [(f"{tmp_path.name}/m.py", 2, "C.m", 61)]


# ---------------------------------------------------------------- imports

def _module_imports() -> dict[str, set[str]]:
    """ess_graph module -> ess_graph modules it imports when it is imported (TYPE_CHECKING left out)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
             for p in (root / "ess_graph").rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for mod, path in files.items():
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        found = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for n in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
                if isinstance(n, ast.Import):
                    found |= {a.name for a in n.names}
                elif isinstance(n, ast.ImportFrom):
                    base = pkg.split(".")[:len(pkg.split(".")) - n.level + 1] if n.level else []
                    target = ".".join(base + ([n.module] if n.module else []))
                    found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in files else target
                              for a in n.names}
        edges[mod] = {m for m in found if m in files and m != mod}
    return edges


def test_no_import_cycle_between_modules():
    edges = _module_imports()
    assert "ess_graph.iris" in edges["ess_graph.model"]

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo += edges.get(m, ())
        return False

    cycles = sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets if reaches(b, a))
    assert not cycles, cycles


@pytest.mark.parametrize("order", ["ess_graph.iris, ess_graph.model", "ess_graph.model, ess_graph.iris"])
def test_iris_and_model_import_in_either_order(order):
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", f"import {order}"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def test_a_shapes_folder_reads_rdf_files_by_extension_and_skips_generic_ones(tmp_path):
    from ess_graph.resources import shapes_dir
    from ess_graph.validate import load_shapes

    src = next(shapes_dir().glob("*.ttl"))
    (tmp_path / "shapes.TTL").write_bytes(src.read_bytes())
    (tmp_path / "notes.json").write_text("{not RDF", encoding="utf-8")
    (tmp_path / "notes.xml").write_text("<not-rdf/>", encoding="utf-8")
    assert load_shapes(tmp_path).source == str(tmp_path / "shapes.TTL")
