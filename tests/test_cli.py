"""The essgraph command line, end to end, as a user runs it (real processes, real store)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "essgraph"


def run(*args, store=None, env=None, input=None, timeout=600):
    e = dict(os.environ)
    e.pop("ESSGRAPH_STORE", None)
    if env:
        e.update(env)
    cmd = [str(BIN), *map(str, args)]
    if store is not None:
        cmd += ["--store", str(store)]
    return subprocess.run(cmd, capture_output=True, text=True, env=e, input=input, timeout=timeout)


def assert_one_line_error(p, *fragments, code=2):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="session")
def cli_store(tmp_path_factory):
    """The main job of the README: load the bundled sample collection."""
    store = tmp_path_factory.mktemp("cli") / "store"
    p = run("load", "-q", store=store)
    assert p.returncode == 0, p.stderr + p.stdout
    return store, p.stdout


def test_help_lists_every_command():
    p = run("--help")
    assert p.returncode == 0
    for c in ("load", "validate", "extract", "evaluate", "query", "queries", "stats", "serve", "export", "push"):
        assert f"  {c} " in p.stdout


def test_load_summary(cli_store):
    _, out = cli_store
    assert "clippings" in out and "stored" in out
    assert "violations  0" in out
    assert "Cooperative" in out
    assert "reference" in out


def test_communes_coops_names_guillestre_and_ceillac_with_enercoop_and_the_clipping(cli_store):
    store, _ = cli_store
    p = run("query", "communes-coops", "--format", "json", store=store)
    assert p.returncode == 0, p.stderr
    rows = [{k: v["value"] for k, v in b.items()} for b in json.loads(p.stdout)["results"]["bindings"]]
    pairs = {(r["communeName"], r["coopName"]) for r in rows}
    assert pairs == {("Guillestre", "Enercoop"), ("Ceillac", "Enercoop")}
    for r in rows:
        assert r["clipping"].startswith("https://w3id.org/essgraph/id/clipping/002_0c37a30f400a6855")
        assert "Sivu" in r["viaName"]
    table = run("query", "communes-coops", store=store).stdout
    assert "Guillestre" in table and "Ceillac" in table and "Enercoop" in table and "(2 rows)" in table


def test_query_formats(cli_store):
    store, _ = cli_store
    csv = run("query", "-e", "SELECT ?c WHERE { ?c a ess:Clipping } ORDER BY ?c LIMIT 2", "--format", "csv", store=store)
    assert csv.returncode == 0 and csv.stdout.splitlines()[0] == "c"
    tsv = run("query", "-e", "SELECT ?c WHERE { ?c a ess:Clipping } LIMIT 1", "--format", "tsv", store=store)
    assert tsv.stdout.startswith("?c")
    ttl = run("query", "-e", "CONSTRUCT { ?c a ess:Clipping } WHERE { ?c a ess:Clipping } LIMIT 1",
              "--format", "turtle", store=store)
    assert ttl.returncode == 0 and "Clipping" in ttl.stdout
    ask = run("query", "-e", "ASK { ?c a ess:Clipping }", store=store)
    assert ask.stdout.strip() == "true"


def test_queries_lists_saved_queries_with_parameters():
    p = run("queries")
    assert p.returncode == 0
    assert "communes-coops" in p.stdout and "--param department=<string>" in p.stdout
    js = json.loads(run("queries", "--format", "json").stdout)
    assert {q["name"] for q in js} >= {"communes-coops", "fact-sources"}


def test_stats(cli_store):
    store, _ = cli_store
    s = json.loads(run("stats", "--format", "json", store=store).stdout)
    assert s["clippings"] >= 2
    assert s["entities_by_class"]["igeo:Commune"] > 34000
    assert s["entities_by_class"]["ess:Cooperative"] >= 1
    assert s["triples"] > 100000
    assert "clippings" in run("stats", store=store).stdout


def test_store_from_environment_variable(cli_store):
    store, _ = cli_store
    p = run("stats", "--format", "json", env={"ESSGRAPH_STORE": str(store)})
    assert p.returncode == 0 and json.loads(p.stdout)["store"] == str(store)


def test_missing_file_is_one_line_and_exit_2(tmp_path):
    p = run("load", tmp_path / "nope.txt", store=tmp_path / "s")
    assert_one_line_error(p, "nope.txt", "no such file")


def test_invalid_sparql_names_line_and_column(cli_store):
    store, _ = cli_store
    p = run("query", "-e", "SELECT * WHERE {\n ?s ?p }", store=store)
    assert_one_line_error(p, "invalid SPARQL", "expression:2:")


def test_unknown_query_and_parameter(cli_store):
    store, _ = cli_store
    assert_one_line_error(run("query", "no-such-query", store=store), "unknown saved query 'no-such-query'")
    assert_one_line_error(run("query", "communes-coops", "--param", "town=Gap", store=store), "no parameter 'town'")
    assert_one_line_error(run("query", "actors-in-department", store=store), "needs parameter 'department'")


def test_query_on_missing_store(tmp_path):
    assert_one_line_error(run("query", "communes-coops", store=tmp_path / "none"), "no store at")


def test_malformed_inputs_leave_the_store_unchanged(cli_store, tmp_path):
    store, _ = cli_store
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    before = run("stats", "--format", "json", store=copy).stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "text": "ok"}\n{"id": "x2", "text": "broken\n', encoding="utf-8")
    assert_one_line_error(run("load", bad, store=copy), "bad.jsonl:2")
    md = tmp_path / "note.md"
    md.write_text("---\ntitle: [unclosed\n---\nTexte.\n", encoding="utf-8")
    assert_one_line_error(run("load", md, store=copy), "note.md:")
    assert run("stats", "--format", "json", store=copy).stdout == before


def test_cp1252_clipping_loads(tmp_path):
    f = tmp_path / "article.txt"
    f.write_bytes("La coopérative Enercoop et la commune de Guillestre (Hautes-Alpes) : un élu « engagé ».\n"
                  .encode("cp1252"))
    p = run("extract", f, "--format", "jsonl")
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout.splitlines()[0])
    names = {e["name"] for e in rec["entities"]}
    assert "Guillestre" in names
    assert any(e.get("insee") == "05065" for e in rec["entities"])


def test_locked_store_is_reported_and_reads_still_work(cli_store, tmp_path):
    store, _ = cli_store
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(copy)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        f = tmp_path / "c.jsonl"
        f.write_text('{"id": "z1", "text": "Enercoop"}\n', encoding="utf-8")
        assert_one_line_error(run("load", f, "--no-reference", store=copy), "locked by another process")
        p = run("query", "-e", "ASK { ?c a ess:Clipping }", store=copy)
        assert p.returncode == 0 and p.stdout.strip() == "true"
    finally:
        holder.kill()
        holder.wait()


def test_validate_conforms_on_the_loaded_sample(cli_store):
    store, _ = cli_store
    p = run("validate", store=store)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "conforms" in p.stdout
    js = json.loads(run("validate", "--format", "json", "--changed", store=store).stdout)
    assert js == {"conforms": True, "results": []}


def test_validate_reports_a_broken_graph_precisely(cli_store, tmp_path):
    store, _ = cli_store
    dump = run("query", "-e", "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/essgraph/id/clipping/"
               "002_0c37a30f400a6855/1> { ?s ?p ?o } }", "--format", "ntriples", store=store).stdout
    broken = dump.replace('<http://rdf.insee.fr/def/geo#codeINSEE> "05065"',
                          '<http://rdf.insee.fr/def/geo#codeINSEE> "5065"')
    assert broken != dump
    f = tmp_path / "broken.nt"
    f.write_text(broken, encoding="utf-8")
    p = run("validate", f, "--format", "json")
    assert p.returncode == 1, p.stderr
    results = json.loads(p.stdout)["results"]
    assert [(r["focusNode"], r["resultPath"], r["sourceConstraintComponent"]) for r in results] == [
        ("https://w3id.org/essgraph/id/territory/commune/05065", "http://rdf.insee.fr/def/geo#codeINSEE",
         "http://www.w3.org/ns/shacl#PatternConstraintComponent")]
    text = run("validate", f).stdout
    assert "05065" in text and "codeINSEE" in text
    ttl = run("validate", f, "--format", "turtle").stdout
    assert "sh:ValidationReport" in ttl or "ValidationReport" in ttl
    assert_one_line_error(run("validate", tmp_path / "missing.ttl"), "missing.ttl")
