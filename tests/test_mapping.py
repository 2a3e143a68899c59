"""Mapping an extraction to RDF: named graph per clipping, provenance, determinism, shapes."""
from __future__ import annotations

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from ess_graph import iris
from ess_graph.mapping import extraction_quads, role_slug
from ess_graph.model import Clipping, Entity, Extraction, Mention, Relation
from ess_graph.resources import shapes_dir

TEXT = ("Les communes de Guillestre et de Ceillac se regroupent au sein du Sivu. "
        "Le Sivu fournit Enercoop. Pauline Véron, adjointe au Maire de Paris en charge de l'ESS. "
        "La commune adhère peut-être au RTES.")


def span(s: str, occurrence: int = 0) -> Mention:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(s, start + 1)
    return Mention(start, start + len(s), s)


def sentence(s: str) -> tuple[int, int]:
    start = TEXT.index(s)
    return start, start + len(s)


@pytest.fixture
def extraction() -> Extraction:
    c = Clipping(id="collection.txt#2", text=TEXT, title="Sivu et Enercoop", date="2013-11-26",
                 collection="Expl de pol terr ESS", source_file="collection.txt", source_offset=120,
                 source_line=7, source_format="pearltrees-text", url="https://example.org/article")
    ents = [
        Entity("e1", "Commune", "Guillestre", [span("Guillestre")], insee="05065", country="FR"),
        Entity("e2", "Commune", "Ceillac", [span("Ceillac")], insee="05026", country="FR"),
        Entity("e3", "Intercommunality", "Sivu", [span("Sivu"), span("Sivu", 1)]),
        Entity("e4", "Cooperative", "Enercoop", [span("Enercoop")]),
        Entity("e5", "Person", "Pauline Véron", [span("Pauline Véron")]),
        Entity("e6", "Commune", "Paris", [span("Paris")], insee="75056", country="FR"),
        Entity("e7", "Network", "RTES", [span("RTES")], aliases=["Réseau des collectivités territoriales pour une économie solidaire"]),
    ]
    s1, e1 = sentence("Les communes de Guillestre et de Ceillac se regroupent au sein du Sivu.")
    s2, e2 = sentence("Le Sivu fournit Enercoop.")
    s3, e3 = sentence("Pauline Véron, adjointe au Maire de Paris en charge de l'ESS.")
    s4, e4 = sentence("La commune adhère peut-être au RTES.")
    rels = [
        Relation("e1", "memberOf", "e3", TEXT[s1:e1], s1, e1, rule="regroupement"),
        Relation("e2", "memberOf", "e3", TEXT[s1:e1], s1, e1, rule="regroupement"),
        Relation("e3", "supplies", "e4", TEXT[s2:e2], s2, e2, rule="fournisseur"),
        Relation("e1", "locatedIn", "e6", TEXT[s1:e1], s1, e1, rule="test-location"),
        Relation("e5", "hasRole", "e6", TEXT[s3:e3], s3, e3, role="adjointe au Maire de Paris",
                 portfolio="l'ESS", rule="apposition"),
        Relation("e1", "memberOf", "e7", TEXT[s4:e4], s4, e4, rule="pronoun", candidate=True),
    ]
    return Extraction(c, ents, rels)


def store_of(quads) -> ox.Store:
    s = ox.Store()
    s.extend(quads)
    return s


def expand(q: str) -> str:
    """essr:/esc: names with slashes are not SPARQL prefixed names: write them out."""
    import re
    from ess_graph.namespaces import CONCEPT, ID
    q = re.sub(r"\bessr:([\w./-]*\w)", lambda m: f"<{ID}{m.group(1)}>", q)
    return re.sub(r"\besc:([\w./-]*\w)", lambda m: f"<{CONCEPT}{m.group(1)}>", q)


def ask(store: ox.Store, q: str) -> bool:
    from ess_graph.namespaces import PREFIXES
    return bool(store.query(expand(q), prefixes=dict(PREFIXES), use_default_graph_as_union=True))


def test_one_named_graph_per_clipping_named_by_its_iri(extraction):
    quads = extraction_quads(extraction)
    graphs = {q.graph_name.value for q in quads}
    assert graphs == {iris.clipping_iri(extraction.clipping)}
    assert iris.clipping_iri(extraction.clipping) == "https://w3id.org/essgraph/id/clipping/collection.txt/2"


def test_mapping_is_deterministic(extraction):
    a = extraction_quads(extraction)
    b = extraction_quads(extraction)
    assert a == b
    assert len(set(a)) == len(a)


def test_territory_acts_through_its_collectivite_but_is_located_as_a_place(extraction):
    s = store_of(extraction_quads(extraction))
    assert ask(s, """ASK { essr:authority/commune/05065 ess:memberOf essr:territory/syndicate/sivu ;
                           a ess:LocalAuthority ; ess:governs essr:territory/commune/05065 }""")
    assert ask(s, "ASK { essr:territory/commune/05065 ess:locatedIn essr:territory/commune/75056 }")
    assert ask(s, "ASK { essr:territory/syndicate/sivu ess:supplies essr:org/enercoop ; a ess:Syndicate, ess:Intercommunality }")
    assert ask(s, "ASK { essr:org/enercoop a ess:Cooperative, org:FormalOrganization ; skos:prefLabel 'Enercoop' }")


def test_candidate_relation_is_reified_but_not_asserted(extraction):
    s = store_of(extraction_quads(extraction))
    assert not ask(s, "ASK { ?a ess:memberOf essr:org/rtes }")
    assert ask(s, """ASK { ?st a ess:Statement ; rdf:predicate ess:memberOf ; rdf:object essr:org/rtes ;
                           ess:candidate true ; ess:rule "pronoun" }""")


def test_every_fact_has_statement_and_annotation_with_exact_span(extraction):
    s = store_of(extraction_quads(extraction))
    from ess_graph.namespaces import PREFIXES
    rows = list(s.query("""SELECT ?st ?exact ?start ?end WHERE {
        ?st a ess:Statement ; prov:wasDerivedFrom ?c .
        ?ann oa:hasBody ?st ; oa:hasTarget ?t . ?t oa:hasSource ?c ; oa:hasSelector ?q, ?p .
        ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end }""",
                        prefixes=dict(PREFIXES), use_default_graph_as_union=True))
    assert len({r["st"] for r in rows}) == 6
    for r in rows:
        assert TEXT[int(r["start"].value):int(r["end"].value)] == r["exact"].value


def test_mentions_are_annotated_with_both_selectors(extraction):
    s = store_of(extraction_quads(extraction))
    from ess_graph.namespaces import PREFIXES
    rows = list(s.query(expand("""SELECT ?exact ?prefix ?start WHERE {
        ?ann oa:hasBody essr:territory/syndicate/sivu ; oa:motivatedBy oa:identifying ; oa:hasTarget ?t .
        ?t oa:hasSelector ?q, ?p . ?q oa:exact ?exact ; oa:prefix ?prefix . ?p oa:start ?start }
        ORDER BY ?start"""), prefixes=dict(PREFIXES), use_default_graph_as_union=True))
    assert [(r["exact"].value, int(r["start"].value)) for r in rows] == [
        ("Sivu", TEXT.index("Sivu")), ("Sivu", TEXT.index("Sivu", TEXT.index("Sivu") + 1))]
    assert rows[0]["prefix"].value == TEXT[TEXT.index("Sivu") - 32:TEXT.index("Sivu")]


def test_post_held_follows_popolo_pattern_with_time_context(extraction):
    s = store_of(extraction_quads(extraction))
    assert ask(s, """ASK { ?m a org:Membership ; org:member essr:person/pauline-veron ;
            org:organization essr:authority/commune/75056 ; org:role esc:role/adjoint-au-maire ;
            ess:portfolio "l'ESS"@fr ; dcterms:date "2013-11-26"^^xsd:date ; ess:post ?post .
            ?post a org:Post ; org:postIn essr:authority/commune/75056 .
            essr:person/pauline-veron org:holds ?post ; a person:Person, foaf:Person }""")


def test_clipping_metadata(extraction):
    s = store_of(extraction_quads(extraction))
    c = extraction.clipping
    assert ask(s, f"""ASK {{ essr:clipping/collection.txt/2 a ess:Clipping ; schema:text ?t ;
        ess:sha256 "{c.sha256}" ; ess:sourceFile "collection.txt" ; ess:sourceOffset 120 ; ess:sourceLine 7 ;
        dcterms:isPartOf ?coll ; schema:url <https://example.org/article> ; dcterms:date "2013-11-26"^^xsd:date .
        ?coll rdfs:label "Expl de pol terr ESS" }}""")


@pytest.mark.parametrize("role,slug", [
    ("adjointe au Maire de Paris", "adjoint-au-maire"), ("maire", "maire"), ("l'actuel maire", "maire"),
    ("présidente", "president"), ("vice-présidence à l'ESS", "vice-president"),
    ("conseillère municipale déléguée à l'ESS", "conseiller-municipal-delegue"),
    ("conseiller général d'Indre-et-Loire", "conseiller-general"),
    ("Présidente Directrice Générale", "president-directeur-general"),
    ("responsable du Pôle Autorités locales", "responsable"), (None, "membre"),
])
def test_role_slugs(role, slug):
    assert role_slug(role) == slug


def _rdflib(quads) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    return g


def _shapes() -> rdflib.Graph:
    g = rdflib.Graph()
    for p in sorted(shapes_dir().glob("*.ttl")):
        g.parse(p)
    return g


def test_mapped_graph_conforms_to_the_shapes(extraction):
    conforms, _, text = pyshacl.validate(_rdflib(extraction_quads(extraction)), shacl_graph=_shapes(), advanced=True)
    assert conforms, text


def test_untraceable_fact_and_bad_code_violate_the_shapes(extraction):
    g = _rdflib(extraction_quads(extraction))
    ESS = rdflib.Namespace("https://w3id.org/essgraph/ontology#")
    IGEO = rdflib.Namespace("http://rdf.insee.fr/def/geo#")
    g.add((rdflib.URIRef("https://w3id.org/essgraph/id/org/enercoop"), ESS.partnerOf,
           rdflib.URIRef("https://w3id.org/essgraph/id/org/rtes")))
    g.set((rdflib.URIRef("https://w3id.org/essgraph/id/territory/commune/05065"), IGEO.codeINSEE, rdflib.Literal("5065")))
    conforms, report, _ = pyshacl.validate(g, shacl_graph=_shapes(), advanced=True)
    assert not conforms
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    results = {(str(report.value(r, SH.focusNode)), str(report.value(r, SH.sourceConstraintComponent)))
               for r in report.subjects(rdflib.RDF.type, SH.ValidationResult)}
    assert ("https://w3id.org/essgraph/id/org/enercoop", str(SH.SPARQLConstraintComponent)) in results
    assert ("https://w3id.org/essgraph/id/territory/commune/05065", str(SH.PatternConstraintComponent)) in results


def test_unresolved_place_keeps_its_candidates_and_validates():
    text = "Une réunion à Saint-Martin sur l'ESS, avec la communauté de communes du Val d'Oust."
    c = Clipping(id="u1", text=text)
    start = text.index("Saint-Martin")
    cands = [{"insee": "16335", "type": "Commune", "name": "Saint-Martin", "population": 100},
             {"insee": "32385", "type": "Commune", "name": "Saint-Martin", "population": 200}]
    cc = text.index("communauté de communes du Val d'Oust")
    ex = Extraction(c, [
        Entity("e1", "Commune", "Saint-Martin", [Mention(start, start + 12, "Saint-Martin")], candidates=cands),
        Entity("e2", "Intercommunality", "communauté de communes du Val d'Oust",
               [Mention(cc, cc + 36, text[cc:cc + 36])]),
    ], [])
    quads = extraction_quads(ex)
    s = store_of(quads)
    assert ask(s, """ASK { essr:place/unresolved/saint-martin a ess:UnresolvedPlace ;
                           ess:candidateTerritory essr:territory/commune/16335, essr:territory/commune/32385 }""")
    assert not ask(s, "ASK { ?x a igeo:Commune ; rdfs:label 'Saint-Martin' ; ^ess:candidateTerritory ?y FILTER(?x = ?y) }")
    assert ask(s, "ASK { essr:territory/intercommunality/communaute-de-communes-du-val-d-oust a ess:Intercommunality }")
    assert not ask(s, "ASK { ?x a ess:Syndicate }")
    conforms, _, report = pyshacl.validate(_rdflib(quads), shacl_graph=_shapes(), advanced=True)
    assert conforms, report


def test_actors_and_territories_are_labelled_with_their_plain_name():
    """rdfs:label is the name a researcher expects; "Commune de …" / "Département : …" are altLabels."""
    text = "Le Département de la Seine-Maritime et la commune de Saint-Paul soutiennent Enercoop."
    c = Clipping(id="labels", text=text)
    ents = [Entity("d", "Department", "Seine-Maritime", [Mention(21, 35, "Seine-Maritime")], insee="76", country="FR"),
            Entity("c", "Commune", "Saint-Paul", [Mention(52, 62, "Saint-Paul")], insee="97415", country="FR"),
            Entity("o", "Cooperative", "Enercoop", [Mention(76, 84, "Enercoop")])]
    rels = [Relation("d", "funds", "o", text, 0, len(text), rule="t"),
            Relation("c", "funds", "o", text, 0, len(text), rule="t")]
    s = store_of(extraction_quads(Extraction(c, ents, rels)))
    labels = {(r["x"].value, r["l"].value) for r in s.query(
        "SELECT ?x ?l WHERE { GRAPH ?g { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } }")}
    assert labels == {(iris.ID + "authority/departement/76", "Seine-Maritime"),
                      (iris.ID + "territory/departement/76", "Seine-Maritime"),
                      (iris.ID + "authority/commune/97415", "Saint-Paul"),
                      (iris.ID + "territory/commune/97415", "Saint-Paul"),
                      (iris.ID + "org/enercoop", "Enercoop")}
    assert ask(s, """ASK { essr:authority/departement/76 skos:altLabel "Département : Seine-Maritime"@fr .
                           essr:authority/commune/97415 skos:altLabel "Commune de Saint-Paul"@fr }""")


def test_pearltrees_item_keeps_the_web_address_its_text_gives(tmp_path):
    from ess_graph.importers import read_file
    page = tmp_path / "collection.txt"
    page.write_text("background preloader\nESS et collectivités\nFacebook Twitter\n"
                    "Congrès de l'AIMF : l'action des élus locaux. Toutes les interventions sur "
                    "www.aimf.asso.fr. Le congrès se tenait à Paris [...] "
                    "Débat sur la politique de la Ville et l'ESS, sans adresse.\n", encoding="utf-8")
    clippings = read_file(page)
    assert [c.url for c in clippings] == ["http://www.aimf.asso.fr", None]
    s = store_of(extraction_quads(Extraction(clippings[0], [], [])))
    assert ask(s, "ASK { ?c a ess:Clipping ; schema:url <http://www.aimf.asso.fr> }")
    s = store_of(extraction_quads(Extraction(clippings[1], [], [])))
    assert not ask(s, "ASK { ?c schema:url ?u }")
