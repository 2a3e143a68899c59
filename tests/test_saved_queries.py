"""Every saved query, with its expected answer on the bundled sample collection."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from ess_graph.namespaces import ID
from ess_graph.queries import execute, get_query, list_queries, run_saved
from ess_graph.results import rows_as_dicts
from ess_graph.store import GraphStore

ESS = "https://w3id.org/essgraph/ontology#"
CLIP_002_1 = ID + "clipping/002_0c37a30f400a6855/1"


@pytest.fixture(scope="module")
def store(sample_store):
    path, _ = sample_store
    gs = GraphStore(path, read_only=True)
    yield gs
    del gs


def rows(store, name, **params):
    return rows_as_dicts(run_saved(store, get_query(name), params))


def test_communes_coops(store):
    r = rows(store, "communes-coops")
    assert {(x["communeName"], x["insee"], x["coopName"]) for x in r} == {
        ("Guillestre", "05065", "Enercoop"), ("Ceillac", "05026", "Enercoop")}
    for x in r:
        assert x["relation"] == ESS + "supplies"
        assert x["viaName"] == "Sivu"
        assert x["clipping"] == CLIP_002_1 and x["membershipClipping"] == CLIP_002_1
        assert x["clippingTitle"].startswith("Intercommunalité et coopérative")
    enercoop = r[0]["coop"]
    assert len(rows(store, "communes-coops", coop=enercoop)) == 2
    assert rows(store, "communes-coops", coop=ID + "org/no-such-coop") == []


def test_elected_officials(store):
    r = rows(store, "elected-officials")
    got = {(x["name"], x["role"].rsplit("/", 1)[-1], x["scope"].rsplit("/", 1)[-1]) for x in r}
    assert {("Pauline Véron", "adjoint-au-maire", "75056"), ("Annie Berger", "conseiller-municipal-delegue", "14118"),
            ("Bernard Leterrier", "maire", "05065"), ("Louis Abrard", "maire", "05065"),
            ("Geneviève Gaillard", "maire", "79191")} <= got
    veron = [x for x in r if x["name"] == "Pauline Véron"]
    assert veron[0]["portfolio"] == "économie sociale et solidaire"
    paris = rows(store, "elected-officials", scope=ID + "territory/commune/75056")
    assert {x["name"] for x in paris} == {"Pauline Véron"}
    commission = [x for x in r if x["name"] == "Antonio Marquez-Camacho"][0]["organisation"]
    assert {x["name"] for x in rows(store, "elected-officials", scope=commission)} == {"Antonio Marquez-Camacho"}


def test_actors_in_department_roll_up_from_communes_and_intercommunal_bodies(store):
    r = rows(store, "actors-in-department", department="05")
    got = {(x["actorName"], x["how"]) for x in r}
    # a collectivité is labelled with its plain name (its display form is a skos:altLabel)
    assert got == {("Guillestre", "governs"), ("Ceillac", "governs"),
                   ("Sivu", "memberOf"), ("Enercoop", "supplies (via an intercommunal body)")}
    assert {x["department"] for x in r} == {"05"}
    assert rows(store, "actors-in-department", department="2A") == []


def test_actors_in_region_include_the_departements_below(store):
    paca = {x["actorName"] for x in rows(store, "actors-in-region", region="93")}
    assert {"Enercoop", "Sivu", "Guillestre", "Ceillac"} <= paca
    # pre-2016 région Poitou-Charentes (54): the CRESS located in it
    poitou = rows(store, "actors-in-region", region="54")
    assert any("Chambre Régionale" in x["actorName"] and x["how"] == "located in" for x in poitou)


def test_initiatives_by_territory(store):
    everything = rows(store, "initiatives-by-territory")
    at_own_place = {(x["itemName"], x["territory"].rsplit("/", 1)[-1]) for x in everything}
    assert ("Premier salon régional de l'ESS", "86194") in at_own_place  # Poitiers
    assert any(name.startswith("33ème Congrès") and code == "75056" for name, code in at_own_place)  # Paris
    salon = rows(store, "initiatives-by-territory", territory=ID + "territory/region/75")
    assert [(x["itemName"], x["kind"]) for x in salon] == [("Premier salon régional de l'ESS", "event")]
    vienne = rows(store, "initiatives-by-territory", territory=ID + "territory/departement/86")
    assert {x["itemName"] for x in vienne} == {"Premier salon régional de l'ESS"}


def test_fact_sources_quote_the_exact_span(store):
    sivu = rows(store, "communes-coops")[0]["via"]
    r = rows(store, "fact-sources", subject=sivu, predicate=ESS + "supplies")
    assert len(r) == 1
    fact = r[0]
    assert fact["clipping"] == CLIP_002_1
    assert "fournisseurs d’Enercoop" in fact["quote"]
    assert fact["candidate"] == "false" and fact["curated"] == "false"
    text = next(iter(store.query(f"SELECT ?t WHERE {{ GRAPH <{CLIP_002_1}> {{ <{CLIP_002_1}> schema:text ?t }} }}")))["t"].value
    assert text[int(fact["start"]):int(fact["end"])] == fact["quote"]
    assert fact["sourceFile"] == "data/samples/002_0c37a30f400a6855.txt"


@pytest.mark.parametrize("name,prop", [("wikidata-commune", "P374"), ("wikidata-departement", "P2586"),
                                       ("wikidata-region", "P2585"), ("wikidata-epci", "P1616")])
def test_wikidata_patterns_join_local_codes_to_the_right_property(store, name, prop):
    """The federated part needs the network; the local part is checked on the sample store."""
    q = get_query(name)
    assert f"wdt:{prop}" in q.text and "SERVICE <https://query.wikidata.org/sparql>" in q.text
    body = "\n".join(l for l in q.text.splitlines() if not l.lstrip().startswith("#"))
    local = body.split("SERVICE")[0].split("WHERE", 1)[1] + "}"
    projected = "SELECT DISTINCT ?territory ?code WHERE " + local
    got = {(r["territory"].value, r["code"].value) for r in execute(store, projected)}
    # the territories of that level that the clippings mention, each with its code, and no other
    cls = {"P374": "igeo:Commune", "P2586": "igeo:Departement", "P2585": "igeo:Region",
           "P1616": "igeo:Intercommunalite"}[prop]
    mentioned = {r["t"].value for r in execute(
        store, f"SELECT DISTINCT ?t WHERE {{ GRAPH ?c {{ ?c schema:mentions ?t }} ?t a {cls} }}")}
    reference = int(next(iter(execute(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?t a {cls} }}")))["n"].value)
    assert got and {t for t, _ in got} == mentioned
    assert all(code for _, code in got)
    assert len(mentioned) < reference


def test_type_query_restricted_by_mentions_returns_mentioned_epcis_only(store):
    """docs/queries.md: `?x a ess:Intercommunality` alone is the reference; schema:mentions restricts it."""
    every = {r["x"].value for r in execute(store, "SELECT ?x WHERE { ?x a ess:Intercommunality }")}
    assert len(every) > 1200                      # the 1,253 EPCI of the reference graph, and more
    doc_query = ("SELECT ?epci ?name (COUNT(DISTINCT ?clipping) AS ?clippings) WHERE {\n"
                 "  GRAPH ?clipping { ?clipping schema:mentions ?epci }\n"
                 "  ?epci a ess:Intercommunality .\n  OPTIONAL { ?epci igeo:nom ?name }\n}\n"
                 "GROUP BY ?epci ?name\nORDER BY DESC(?clippings) ?name")
    from pathlib import Path
    assert doc_query in (Path(__file__).resolve().parent.parent / "docs" / "queries.md").read_text(encoding="utf-8")
    mentioned = {r["epci"].value: int(r["clippings"].value) for r in execute(store, doc_query)}
    assert 0 < len(mentioned) < 20
    # each one is named in a clipping graph, with a character span (an oa:identifying annotation)
    for epci, n in mentioned.items():
        assert epci in every and n >= 1
        spans = execute(store, f"ASK {{ GRAPH ?c {{ ?a oa:hasBody <{epci}> ; oa:motivatedBy oa:identifying }} }}")
        assert bool(spans), epci
    assert set(mentioned) == {ID + "territory/epci/200069854", ID + "territory/epci/242100410",
                              ID + "territory/syndicate/sivu-ceillac-guillestre"}


def test_every_saved_query_is_tested_here():
    tested = {"communes-coops", "elected-officials", "actors-in-department", "actors-in-region",
              "initiatives-by-territory", "fact-sources", "wikidata-commune", "wikidata-departement",
              "wikidata-region", "wikidata-epci"}
    assert {q.name for q in list_queries()} == tested
