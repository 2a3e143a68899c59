"""A small essgraph-shaped dataset shared by the export and push tests.

Three clipping graphs (organisations, a local authority, a person holding a
post, relations with ess:Statement + oa:Annotation evidence, a candidate
relation), a small territory reference graph with INSEE codes, centroids and
links to INSEE / Wikidata, the provenance graph and the curation graph.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

from ess_graph.store import GraphStore

PREFIXES = """
@prefix ess: <https://w3id.org/essgraph/ontology#> .
@prefix essr: <https://w3id.org/essgraph/id/> .
@prefix esc: <https://w3id.org/essgraph/concept/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix person: <http://www.w3.org/ns/person#> .
@prefix m8g: <http://data.europa.eu/m8g/> .
@prefix igeo: <http://rdf.insee.fr/def/geo#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix sf: <http://www.opengis.net/ont/sf#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix schema: <http://schema.org/> .
"""

CRS = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> "


def _territory(key: str, cls: str, label: str, code: str, lon: float, lat: float,
               extra: str = "") -> str:
    return f"""
  essr:territory/{key} a ess:Territory, {cls} ; rdfs:label "{label}"@fr ; igeo:nom "{label}" ;
    skos:prefLabel "{label}"@fr ; igeo:codeINSEE "{code}" ;
    geo:hasCentroid <https://w3id.org/essgraph/id/territory/{key}#centroid> {extra} .
  <https://w3id.org/essgraph/id/territory/{key}#centroid> a sf:Point ;
    geo:asWKT "{CRS}POINT({lon} {lat})"^^geo:wktLiteral .
"""


REFERENCE = "essr:graph/reference/cog-2024 {\n" + "".join([
    _territory("commune/05065", "igeo:Commune", "Guillestre", "05065", 6.6494, 44.6597,
               "; ess:population 2329 ; igeo:subdivisionDirecteDe essr:territory/departement/05 ; "
               "ess:within essr:territory/departement/05, essr:territory/region/93, essr:territory/epci/200067452 ; "
               "skos:exactMatch <http://www.wikidata.org/entity/Q658413> ; "
               "owl:sameAs <http://id.insee.fr/geo/commune/05065>"),
    _territory("commune/75056", "igeo:Commune", "Paris", "75056", 2.3522, 48.8566,
               "; ess:population 2133111 ; ess:within essr:territory/departement/75, essr:territory/region/11 ; "
               "skos:exactMatch <http://www.wikidata.org/entity/Q90>"),
    _territory("commune/38185", "igeo:Commune", "Grenoble", "38185", 5.7245, 45.1885,
               "; ess:population 156389"),
    _territory("epci/200067452", "igeo:Intercommunalite, ess:Intercommunality",
               "CC du Guillestrois et du Queyras", "200067452", 6.75, 44.7, "; ess:siren \"200067452\""),
    _territory("departement/05", "igeo:Departement", "Hautes-Alpes", "05", 6.26, 44.66,
               "; ess:within essr:territory/region/93"),
    _territory("departement/75", "igeo:Departement", "Paris", "75", 2.3522, 48.8566,
               "; ess:within essr:territory/region/11"),
    _territory("region/93", "igeo:Region", "Provence-Alpes-Côte d'Azur", "93", 6.05, 43.95),
    _territory("region/11", "igeo:Region", "Île-de-France", "11", 2.5, 48.7),
]) + "}\n"


def _annotation(key: str, body: str, clip: str, exact: str, start: int, motivation: str) -> str:
    a = f"https://w3id.org/essgraph/id/annotation/{key}"
    return f"""
  <{a}> a oa:Annotation ; oa:motivatedBy oa:{motivation} ; oa:hasBody {body} ;
    oa:hasTarget <{a}#target> ; prov:wasGeneratedBy essr:activity/extract/0.1.0/{clip} .
  <{a}#target> a oa:SpecificResource ; oa:hasSource essr:clipping/{clip} ;
    oa:hasSelector <{a}#quote>, <{a}#position> .
  <{a}#quote> a oa:TextQuoteSelector ; oa:exact "{exact}" ; oa:prefix "" ; oa:suffix "" .
  <{a}#position> a oa:TextPositionSelector ;
    oa:start "{start}"^^xsd:nonNegativeInteger ; oa:end "{start + len(exact)}"^^xsd:nonNegativeInteger .
"""


def _statement(key: str, s: str, p: str, o: str, clip: str, rule: str, evidence: str,
               candidate: bool = False) -> str:
    return f"""
  essr:fact/{key} a ess:Statement ; rdf:subject {s} ; rdf:predicate {p} ; rdf:object {o} ;
    prov:wasDerivedFrom essr:clipping/{clip} ; prov:wasGeneratedBy essr:activity/extract/0.1.0/{clip} ;
    ess:rule "{rule}" ; ess:candidate {"true" if candidate else "false"} ; ess:evidence "{evidence}"@fr .
"""


CLIP1_TEXT = ("La coopérative Enercoop Paca, installée à Guillestre, est partenaire de la "
              "Commune de Guillestre pour la centrale villageoise.")
CLIP2_TEXT = ("Pauline Véron, adjointe au Maire de Paris en charge de l'ESS, soutient le "
              "Réseau des collectivités territoriales pour une économie solidaire (RTES).")
CLIP3_TEXT = "La Ville de Grenoble finance la SCIC La Bonne Fabrique, membre du RTES."


def _clipping(key: str, title: str, date: str | None, text: str, mentions: list[str],
              url: str) -> str:
    date_t = f'; dcterms:date "{date}"^^xsd:date ' if date else ""
    ments = ", ".join(mentions)
    return f"""
  essr:clipping/{key} a ess:Clipping ; dcterms:identifier "{key}" ; dcterms:title "{title}" ;
    schema:url <{url}> {date_t}; dcterms:isPartOf essr:collection/ess-et-collectivites ;
    schema:text "{text}" ; ess:sha256 "{'0' * 64}" ; ess:sourceFile "data/samples/000.txt" ;
    ess:sourceFormat "pearltrees-text" ; ess:sourceOffset 120 ; ess:sourceLine 4 ;
    schema:mentions {ments} ; ess:extractedBy essr:activity/extract/0.1.0/{key} .
  essr:collection/ess-et-collectivites a ess:Collection ; rdfs:label "ESS et collectivités" .
"""


CLIP1 = "essr:clipping/c1 {" + _clipping(
    "c1", "Enercoop Paca et Guillestre", "2013-11-26", CLIP1_TEXT,
    ["essr:org/enercoop-paca", "essr:authority/commune/05065", "essr:territory/commune/05065"],
    "https://example.org/enercoop-guillestre") + """
  essr:org/enercoop-paca a org:Organization, org:FormalOrganization, ess:Cooperative ;
    skos:prefLabel "Enercoop Paca" ; rdfs:label "Enercoop Paca" ; skos:altLabel "Enercoop PACA" ;
    ess:organisationKind esc:org-kind/cooperative ;
    ess:locatedIn essr:territory/commune/05065 ; ess:partnerOf essr:authority/commune/05065 .
  essr:authority/commune/05065 a ess:LocalAuthority, m8g:PublicOrganisation, org:Organization,
      org:FormalOrganization ; rdfs:label "Commune de Guillestre"@fr ;
    ess:governs essr:territory/commune/05065 .
  essr:territory/commune/05065 a ess:Territory, igeo:Commune ; rdfs:label "Guillestre"@fr ;
    igeo:codeINSEE "05065" .
  essr:initiative/centrale-villageoise a ess:Initiative ; rdfs:label "centrale villageoise" ;
    ess:locatedIn essr:territory/commune/05065 .
  essr:authority/commune/05065 ess:organizes essr:initiative/centrale-villageoise .
""" + _statement("f1a", "essr:org/enercoop-paca", "ess:locatedIn", "essr:territory/commune/05065",
                 "c1", "located-in-apposition", CLIP1_TEXT) \
    + _statement("f1b", "essr:org/enercoop-paca", "ess:partnerOf", "essr:authority/commune/05065",
                 "c1", "partner-of-pattern", CLIP1_TEXT) \
    + _statement("f1c", "essr:authority/commune/05065", "ess:funds", "essr:org/enercoop-paca",
                 "c1", "funds-verb", CLIP1_TEXT, candidate=True) \
    + _annotation("a1", "essr:org/enercoop-paca", "c1", "Enercoop Paca", 15, "identifying") \
    + _annotation("a2", "essr:fact/f1b", "c1", "partenaire", 66, "describing") + "}\n"

CLIP2 = "essr:clipping/c2 {" + _clipping(
    "c2", "Pauline Véron et le RTES", "2014-05-03", CLIP2_TEXT,
    ["essr:person/pauline-veron", "essr:authority/commune/75056", "essr:org/rtes"],
    "https://example.org/veron-rtes") + """
  essr:person/pauline-veron a person:Person, foaf:Person ; foaf:name "Pauline Véron" ;
    rdfs:label "Pauline Véron" ; org:holds essr:post/commune-75056/adjoint-au-maire-ess .
  essr:post/commune-75056/adjoint-au-maire-ess a org:Post ; org:postIn essr:authority/commune/75056 ;
    org:role esc:role/adjoint-au-maire ; rdfs:label "adjointe au Maire de Paris en charge de l'ESS"@fr .
  essr:membership/m1 a org:Membership ; org:member essr:person/pauline-veron ;
    org:organization essr:authority/commune/75056 ; org:role esc:role/adjoint-au-maire ;
    ess:post essr:post/commune-75056/adjoint-au-maire-ess ; dcterms:date "2014-05-03"^^xsd:date .
  essr:authority/commune/75056 a ess:LocalAuthority, m8g:PublicOrganisation, org:Organization,
      org:FormalOrganization ; rdfs:label "Ville de Paris"@fr ; ess:governs essr:territory/commune/75056 .
  essr:org/rtes a org:Organization, org:FormalOrganization, ess:Network ;
    skos:prefLabel "Réseau des collectivités territoriales pour une économie solidaire" ;
    rdfs:label "Réseau des collectivités territoriales pour une économie solidaire" ; skos:altLabel "RTES" .
  essr:authority/commune/75056 ess:memberOf essr:org/rtes .
  esc:role/adjoint-au-maire a skos:Concept, org:Role ; skos:prefLabel "adjoint au maire"@fr .
""" + _statement("f2a", "essr:person/pauline-veron", "org:holds",
                 "essr:post/commune-75056/adjoint-au-maire-ess", "c2", "has-role-apposition", CLIP2_TEXT) \
    + _statement("f2b", "essr:authority/commune/75056", "ess:memberOf", "essr:org/rtes", "c2",
                 "member-of-network", CLIP2_TEXT) \
    + _annotation("a3", "essr:person/pauline-veron", "c2", "Pauline Véron", 0, "identifying") \
    + _annotation("a4", "essr:fact/f2b", "c2", "soutient", 65, "describing") + "}\n"

CLIP3 = "essr:clipping/c3 {" + _clipping(
    "c3", "Grenoble et la Bonne Fabrique", None, CLIP3_TEXT,
    ["essr:authority/commune/38185", "essr:org/la-bonne-fabrique", "essr:org/rtes"],
    "https://example.org/grenoble") + """
  essr:authority/commune/38185 a ess:LocalAuthority, m8g:PublicOrganisation, org:Organization,
      org:FormalOrganization ; rdfs:label "Ville de Grenoble"@fr ; ess:governs essr:territory/commune/38185 .
  essr:org/la-bonne-fabrique a org:Organization, org:FormalOrganization, ess:Cooperative ;
    skos:prefLabel "La Bonne Fabrique" ; rdfs:label "La Bonne Fabrique" ;
    ess:locatedIn essr:territory/commune/38185 ; ess:memberOf essr:org/rtes .
  essr:authority/commune/38185 ess:funds essr:org/la-bonne-fabrique .
  essr:org/rtes a org:Organization, ess:Network ; rdfs:label "Réseau des collectivités territoriales pour une économie solidaire" .
""" + _statement("f3a", "essr:authority/commune/38185", "ess:funds", "essr:org/la-bonne-fabrique",
                 "c3", "funds-verb", CLIP3_TEXT) \
    + _statement("f3b", "essr:org/la-bonne-fabrique", "ess:memberOf", "essr:org/rtes", "c3",
                 "member-of-apposition", CLIP3_TEXT) + "}\n"

PROVENANCE = """essr:graph/provenance {
  essr:activity/extract/0.1.0/c1 a prov:Activity ; prov:used essr:clipping/c1 ;
    prov:wasAssociatedWith essr:agent/essgraph/0.1.0 ; prov:startedAtTime "2025-01-02T10:00:00Z"^^xsd:dateTime .
  essr:agent/essgraph/0.1.0 a prov:SoftwareAgent ; schema:softwareVersion "0.1.0" .
  essr:load/latest ess:changedGraph essr:clipping/c1, essr:clipping/c2, essr:clipping/c3 .
}
"""

CURATION = """essr:graph/curation {
  essr:org/la-bonne-fabrique ess:locatedIn essr:territory/commune/38185 .
  essr:fact/cur1 a ess:Statement ; rdf:subject essr:org/la-bonne-fabrique ; rdf:predicate ess:locatedIn ;
    rdf:object essr:territory/commune/38185 ; ess:source "curation" ; ess:candidate false ;
    prov:wasAttributedTo essr:agent/marie-curatrice ; prov:generatedAtTime "2015-02-01T09:00:00Z"^^xsd:dateTime .
  essr:agent/marie-curatrice a prov:Person ; foaf:name "Marie Curatrice" .
}
"""

DEFAULT_GRAPH = """
<https://w3id.org/essgraph/id/graph/reference/cog-2024> dcterms:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence> .
"""



def _expand(trig: str) -> str:
    """Write essr:/esc: names with slashes as full IRIs (not valid Turtle prefixed names)."""
    trig = re.sub(r"(?<![\w<#/])essr:([A-Za-z0-9_/.\-]*[A-Za-z0-9_])",
                  r"<https://w3id.org/essgraph/id/\1>", trig)
    return re.sub(r"(?<![\w<#/])esc:([A-Za-z0-9_/.\-]*[A-Za-z0-9_])",
                  r"<https://w3id.org/essgraph/concept/\1>", trig)


TRIG = PREFIXES + _expand(REFERENCE + CLIP1 + CLIP2 + CLIP3 + PROVENANCE + CURATION + DEFAULT_GRAPH)


def fill_store(store: GraphStore) -> GraphStore:
    store.store.load(TRIG.encode("utf-8"), format=ox.RdfFormat.TRIG)
    store.flush()
    return store


def make_store(path: Path) -> GraphStore:
    """A fresh on-disk store holding the dataset above."""
    return fill_store(GraphStore(path))


def test_fixture_loads(tmp_path):
    store = make_store(tmp_path / "s")
    graphs = store.named_graphs()
    assert "https://w3id.org/essgraph/id/clipping/c1" in graphs
    assert "https://w3id.org/essgraph/id/graph/reference/cog-2024" in graphs
    assert len(graphs) == 6
    assert len(store) > 150
    store.close()
