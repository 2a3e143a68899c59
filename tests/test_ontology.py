"""The essgraph ontology, its SKOS concept schemes, ess_graph.vocab and the HTML docs."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from lxml import html as lxml_html
from rdflib import Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ess_graph import vocab
from ess_graph.errors import InputError
from ess_graph.iris import slugify
from ess_graph.namespaces import CONCEPT, ESS
from ess_graph.ontology_docs import ontology_model, render_html, write_html
from ess_graph.resources import ontology_dir

ONT = ontology_dir()
ESSGRAPH_TTL = ONT / "essgraph.ttl"
CONCEPTS_TTL = ONT / "concepts.ttl"
REPO = Path(__file__).resolve().parent.parent

ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "http://schema.org/"
DCT = "http://purl.org/dc/terms/"
IGEO = "http://rdf.insee.fr/def/geo#"
GEO = "http://www.opengis.net/ont/geosparql#"
M8G = "http://data.europa.eu/m8g/"
ESSGLOBAL = "http://purl.org/essglobal/vocab/"
ESSGLOBAL_STANDARD = "http://purl.org/essglobal/standard/"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Every ess: term of the RDF model contract (docs/ontology.md), with its OWL kind.
EXPECTED_CLASSES = {
    "Association", "Clipping", "Collection", "Company", "Cooperative", "Country", "Event",
    "ForeignPlace", "Initiative", "Intercommunality", "LocalAuthority", "Mutual", "Network",
    "Place", "Policy", "PublicBody", "Statement", "Syndicate", "Territory", "UnresolvedPlace", "Offer", "FormerName",
}
EXPECTED_OBJECT_PROPERTIES = {
    "candidateTerritory", "changedGraph", "chefLieu", "communeKind", "createdBy", "extractedBy",
    "funds", "governs", "implements", "intercommunalityKind", "locatedIn", "memberOf", "membership",
    "organisationKind", "organizes", "parentCommune", "participatesIn", "partnerOf", "post",
    "presides", "supplies", "within", "tenure", "attestedDuring", "selectedFor", "selectionKind", "offers", "hadName",
}
EXPECTED_DATATYPE_PROPERTIES = {
    "candidate", "confidence", "country", "evidence", "formerName", "nameChange", "endedAfter", "endedBy", "population", "portfolio", "roleLabel",
    "rule", "contentHash", "sha256", "siren", "source", "sourceFile", "sourceFormat", "sourceLine", "sourceOffset",
}

REQUIRED_ROLES = {
    "maire", "premier-adjoint-au-maire", "adjoint-au-maire", "conseiller-municipal",
    "conseiller-municipal-delegue", "conseiller-general", "conseiller-departemental",
    "conseiller-regional", "conseiller-communautaire", "vice-president", "president",
    "president-directeur-general", "directeur", "responsable", "delegue", "fondateur",
    "entrepreneur-solidaire", "administrateur",
}


def U(ns: str, name: str = "") -> URIRef:
    return URIRef(ns + name)


@pytest.fixture(scope="module")
def onto() -> rdflib.Graph:
    return rdflib.Graph().parse(ESSGRAPH_TTL, format="turtle")


@pytest.fixture(scope="module")
def concepts() -> rdflib.Graph:
    return rdflib.Graph().parse(CONCEPTS_TTL, format="turtle")


@pytest.fixture(scope="module")
def both(onto, concepts) -> rdflib.Graph:
    g = rdflib.Graph()
    g += onto
    g += concepts
    return g


@pytest.fixture(scope="module")
def page() -> str:
    return render_html()


def langs(g, s, p) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for o in g.objects(s, p):
        assert isinstance(o, Literal), (s, p, o)
        out.setdefault(o.language or "", []).append(str(o))
    return out


def ess_terms(g) -> set[URIRef]:
    return {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(ESS)}


# ---------------------------------------------------------------- parsing

def test_both_files_parse_with_rdflib_and_oxigraph():
    for path in (ESSGRAPH_TTL, CONCEPTS_TTL):
        g = rdflib.Graph().parse(path, format="turtle")
        quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
        assert len(g) == len(quads) > 100


def test_ontology_header(onto):
    ont = URIRef("https://w3id.org/essgraph/ontology")
    assert (ont, RDF.type, OWL.Ontology) in onto
    assert onto.value(ont, OWL.versionInfo) == Literal("0.1.0")
    assert (ont, U(DCT, "license"), URIRef("https://creativecommons.org/licenses/by/4.0/")) in onto
    assert set(langs(onto, ont, U(DCT, "title"))) == {"fr", "en"}
    assert set(langs(onto, ont, U(DCT, "description"))) == {"fr", "en"}


# ---------------------------------------------------------------- declarations

@pytest.mark.parametrize("names,owl_type", [
    (EXPECTED_CLASSES, OWL.Class),
    (EXPECTED_OBJECT_PROPERTIES, OWL.ObjectProperty),
    (EXPECTED_DATATYPE_PROPERTIES, OWL.DatatypeProperty),
])
def test_every_contract_term_is_declared_with_fr_en_label_and_definition(onto, names, owl_type):
    for name in sorted(names):
        s = U(ESS, name)
        assert (s, RDF.type, owl_type) in onto, f"ess:{name} is not a {owl_type}"
        labels = langs(onto, s, RDFS.label)
        assert set(labels) >= {"fr", "en"}, f"ess:{name} labels: {labels}"
        assert all(len(v) == 1 for v in labels.values()), f"ess:{name} has several labels in a language"
        defs = langs(onto, s, SKOS.definition)
        assert set(defs) >= {"fr", "en"}, f"ess:{name} definitions: {defs}"
        assert all(len(d[0]) > 20 for d in defs.values())


def test_no_undeclared_or_unexpected_term_in_the_ontology(onto):
    declared = {str(s)[len(ESS):] for s in ess_terms(onto)}
    assert declared == EXPECTED_CLASSES | EXPECTED_OBJECT_PROPERTIES | EXPECTED_DATATYPE_PROPERTIES


def test_every_declared_term_is_documented(onto):
    ont = URIRef("https://w3id.org/essgraph/ontology")
    for s in ess_terms(onto):
        assert onto.value(s, RDFS.isDefinedBy) == ont, s
        types = set(onto.objects(s, RDF.type))
        assert types & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}, s
        assert not ({OWL.ObjectProperty, OWL.DatatypeProperty} <= types), f"{s} is both object and datatype"


def test_every_ess_iri_used_anywhere_is_declared(both):
    declared = ess_terms(both)
    used = set()
    for s, p, o in both:
        for n in (s, p, o):
            if isinstance(n, URIRef) and str(n).startswith(ESS):
                used.add(n)
    assert used - declared == set()


def test_concept_file_declares_no_ess_term_of_its_own(onto, concepts):
    # The concept file may refer to ess: classes (rdfs:seeAlso) but must not define them.
    used = {n for t in concepts for n in t if isinstance(n, URIRef) and str(n).startswith(ESS)}
    assert used, "concepts.ttl is expected to link to the ess: classes"
    assert used <= ess_terms(onto)
    assert not {s for s in concepts.subjects() if str(s).startswith(ESS)}


# ---------------------------------------------------------------- axioms of the contract

@pytest.mark.parametrize("sub,sup", [
    (ESS + "Cooperative", ORG + "FormalOrganization"),
    (ESS + "Mutual", ORG + "FormalOrganization"),
    (ESS + "Association", ORG + "FormalOrganization"),
    (ESS + "Network", ORG + "FormalOrganization"),
    (ESS + "PublicBody", ORG + "FormalOrganization"),
    (ESS + "Company", ORG + "FormalOrganization"),
    (ESS + "LocalAuthority", ESS + "PublicBody"),
    (ESS + "LocalAuthority", M8G + "PublicOrganisation"),
    (ESS + "Territory", GEO + "Feature"),
    (ESS + "Territory", ESS + "Place"),
    (ESS + "Intercommunality", ESS + "Territory"),
    (ESS + "Syndicate", ESS + "Intercommunality"),
    (ESS + "Country", ESS + "Territory"),
    (ESS + "ForeignPlace", ESS + "Place"),
    (ESS + "UnresolvedPlace", ESS + "Place"),
    (ESS + "Policy", PROV + "Plan"),
    (ESS + "Initiative", PROV + "Activity"),
    (ESS + "Event", SCHEMA + "Event"),
    (ESS + "Event", PROV + "Activity"),
    (ESS + "Clipping", SCHEMA + "CreativeWork"),
    (ESS + "Clipping", PROV + "Entity"),
    (ESS + "Collection", SCHEMA + "Collection"),
    (ESS + "Statement", str(RDF.Statement)),
    (ESS + "Statement", PROV + "Entity"),
    (IGEO + "Commune", ESS + "Territory"),
    (IGEO + "Intercommunalite", ESS + "Territory"),
    (IGEO + "Intercommunalite", ESS + "Intercommunality"),
    (IGEO + "Departement", ESS + "Territory"),
    (IGEO + "Region", ESS + "Territory"),
])
def test_subclass_axioms(onto, sub, sup):
    assert (URIRef(sub), RDFS.subClassOf, URIRef(sup)) in onto


def test_traps_avoided(onto):
    # ESSGlobal's SSEInitiative is an organisation; essgraph's initiative is an activity.
    assert (U(ESS, "Initiative"), RDFS.subClassOf, U(ESSGLOBAL, "SSEInitiative")) not in onto
    # essglobal:Network is a non-legal OrganizationalCollaboration; CRESS/RTES are legal bodies.
    assert (U(ESS, "Network"), RDFS.subClassOf, U(ESSGLOBAL, "Network")) not in onto
    assert (U(ESS, "Network"), RDFS.seeAlso, U(ESSGLOBAL, "Network")) in onto
    # Policy is only related to CPSV / ELI, not a subclass.
    assert (U(ESS, "Policy"), RDFS.seeAlso, URIRef("http://purl.org/vocab/cpsv#PublicService")) in onto
    assert (U(ESS, "Policy"), RDFS.seeAlso, URIRef("http://data.europa.eu/eli/ontology#LegalResource")) in onto
    # Place kinds that must never be confused.
    adc = next(onto.subjects(RDF.type, OWL.AllDisjointClasses))
    members = set(Collection(onto, onto.value(adc, OWL.members)))
    assert members == {U(ESS, "Territory"), U(ESS, "ForeignPlace"), U(ESS, "UnresolvedPlace")}


@pytest.mark.parametrize("prop,sup", [
    ("memberOf", ORG + "memberOf"),
    ("partnerOf", ORG + "linkedTo"),
    ("supplies", ORG + "linkedTo"),
    ("funds", ORG + "linkedTo"),
    ("locatedIn", DCT + "spatial"),
    ("presides", ORG + "headOf"),
    ("createdBy", DCT + "creator"),
])
def test_subproperty_axioms(onto, prop, sup):
    assert (U(ESS, prop), RDFS.subPropertyOf, URIRef(sup)) in onto


def test_property_characteristics_domains_and_ranges(onto):
    assert (U(ESS, "partnerOf"), RDF.type, OWL.SymmetricProperty) in onto
    assert (U(ESS, "within"), RDF.type, OWL.TransitiveProperty) in onto
    assert onto.value(U(ESS, "locatedIn"), RDFS.range) == U(ESS, "Place")
    assert onto.value(U(ESS, "implements"), RDFS.range) == U(ESS, "Policy")
    assert onto.value(U(ESS, "post"), RDFS.domain) == U(ORG, "Membership")
    assert onto.value(U(ESS, "post"), RDFS.range) == U(ORG, "Post")
    assert onto.value(U(ESS, "membership"), RDFS.range) == U(ORG, "Membership")
    assert onto.value(U(ESS, "governs"), RDFS.domain) == U(ESS, "LocalAuthority")
    assert onto.value(U(ESS, "candidateTerritory"), RDFS.range) == U(ESS, "Territory")
    union = onto.value(U(ESS, "organizes"), RDFS.range)
    assert set(Collection(onto, onto.value(union, OWL.unionOf))) == {U(ESS, "Event"), U(ESS, "Initiative")}
    expected_ranges = {
        "population": U(XSD, "integer"), "sourceOffset": U(XSD, "integer"), "sourceLine": U(XSD, "integer"),
        "candidate": U(XSD, "boolean"), "sha256": U(XSD, "string"), "siren": U(XSD, "string"),
        "evidence": RDF.langString, "roleLabel": RDF.langString, "portfolio": RDF.langString,
    }
    for name, dt in expected_ranges.items():
        assert onto.value(U(ESS, name), RDFS.range) == dt, name


def test_no_external_term_is_redefined(onto):
    # Only class declarations and the alignment axioms may have a foreign subject.
    for s, p, o in onto:
        if isinstance(s, URIRef) and not str(s).startswith(ESS) and str(s) != "https://w3id.org/essgraph/ontology":
            assert p in (RDF.type, RDFS.subClassOf), (s, p, o)
            assert o == OWL.Class or str(o).startswith(ESS), (s, p, o)


# ---------------------------------------------------------------- concept schemes

def scheme_members(g, scheme: str) -> dict[str, URIRef]:
    scheme_iri, prefix = vocab.SCHEMES[scheme]
    members = {c for c in g.subjects(SKOS.inScheme, URIRef(scheme_iri))}
    assert all(str(c).startswith(prefix) for c in members), scheme
    return {str(c)[len(prefix):]: c for c in members}


def test_every_concept_is_well_formed(concepts):
    schemes = set(concepts.subjects(RDF.type, SKOS.ConceptScheme))
    assert {str(s) for s in schemes} == {v[0] for v in vocab.SCHEMES.values()}
    for s in schemes:
        assert set(langs(concepts, s, SKOS.prefLabel)) == {"fr", "en"}
        assert set(langs(concepts, s, SKOS.definition)) == {"fr", "en"}
    for c in concepts.subjects(RDF.type, SKOS.Concept):
        in_schemes = set(concepts.objects(c, SKOS.inScheme))
        assert len(in_schemes) == 1 and in_schemes <= schemes, c
        pref = langs(concepts, c, SKOS.prefLabel)
        assert set(pref) == {"fr", "en"} and all(len(v) == 1 for v in pref.values()), c
        alts = langs(concepts, c, SKOS.altLabel)
        for lang, labels in alts.items():  # SKOS S13: pref and alt labels are disjoint
            assert pref.get(lang, [None])[0] not in labels, c
        for b in concepts.objects(c, SKOS.broader):
            assert set(concepts.objects(b, SKOS.inScheme)) == in_schemes, (c, b)
            assert (c, SKOS.topConceptOf, next(iter(in_schemes))) not in concepts, c


def test_normalised_labels_are_unambiguous_within_each_scheme():
    for scheme in vocab.SCHEMES:
        seen: dict[str, str] = {}
        for slug, c in vocab.scheme_concepts(scheme).items():
            for label in c.labels():
                key = slugify(label)
                assert seen.setdefault(key, slug) == slug, f"{scheme}: {label!r} names {seen[key]} and {slug}"


def test_org_kinds_align_with_essglobal(concepts):
    members = scheme_members(concepts, "org-kind")
    assert set(members) == {"cooperative", "mutual", "association", "network", "public-body",
                            "local-authority", "company", "organization"}
    mapping = (SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch, SKOS.exactMatch)
    for slug, c in members.items():
        targets = {str(o) for p in mapping for o in concepts.objects(c, p)}
        if slug == "organization":
            assert not targets
            continue
        assert targets and all(t.startswith(ESSGLOBAL_STANDARD) for t in targets), slug
    assert (members["cooperative"], SKOS.closeMatch,
            URIRef(ESSGLOBAL_STANDARD + "legal-form/L2")) in concepts
    assert (members["mutual"], SKOS.closeMatch,
            URIRef(ESSGLOBAL_STANDARD + "organisational-structure/OS170")) in concepts


def test_role_slugs_are_slugify_of_the_masculine_french_label(concepts):
    members = scheme_members(concepts, "roles")
    assert REQUIRED_ROLES <= set(members)
    for slug, c in members.items():
        assert (c, RDF.type, U(ORG, "Role")) in concepts, slug
        assert slug == slugify(langs(concepts, c, SKOS.prefLabel)["fr"][0])


def test_theme_slugs_and_essglobal_theme_mappings(concepts):
    members = scheme_members(concepts, "themes")
    assert "economie-sociale-et-solidaire" in members
    theme_iri = re.compile(re.escape(ESSGLOBAL_STANDARD) + r"themes/T(1[0-9]|[1-9])$")
    for slug, c in members.items():
        assert slug == slugify(langs(concepts, c, SKOS.prefLabel)["fr"][0])
        targets = [str(o) for p in (SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch)
                   for o in concepts.objects(c, p)]
        assert targets and all(theme_iri.match(t) for t in targets), (slug, targets)


def test_commune_and_epci_kinds(concepts):
    for scheme, codes in (("commune-kind", {"COM", "COMD", "COMA", "ARM"}),
                          ("epci-kind", {"CC", "CA", "CU", "METRO"})):
        members = scheme_members(concepts, scheme)
        assert set(members) == codes
        for code, c in members.items():
            assert concepts.value(c, SKOS.notation) == Literal(code)


# ---------------------------------------------------------------- ess_graph.vocab

@pytest.mark.parametrize("written,slug", [
    ("maire", "maire"),
    ("Maire", "maire"),
    ("adjointe au Maire", "adjoint-au-maire"),
    ("maire-adjointe", "adjoint-au-maire"),
    ("adjointe déléguée", "adjoint-au-maire"),
    ("présidente", "president"),
    ("Présidente Directrice Générale", "president-directeur-general"),
    ("vice-présidente", "vice-president"),
    ("conseillère municipale déléguée", "conseiller-municipal-delegue"),
    ("conseiller général", "conseiller-general"),
    ("responsable", "responsable"),
    ("entrepreneure solidaire", "entrepreneur-solidaire"),
    ("deputy mayor", "adjoint-au-maire"),
])
def test_role_slug_normalises_written_role_heads(written, slug):
    assert vocab.role_slug(written) == slug
    assert vocab.role_iri(slug) == CONCEPT + "role/" + slug


def test_role_slug_unknown_and_partial_labels():
    assert vocab.role_slug("boulanger") is None
    assert vocab.role_slug("maire de Paris") is None  # head only: the "of" part is not a role


def test_vocab_concepts_carry_labels_and_mappings():
    roles = vocab.role_concepts()
    assert list(roles) == sorted(roles)
    assert roles["adjoint-au-maire"].pref_label("fr") == "adjoint au maire"
    assert roles["adjoint-au-maire"].pref_label("en") == "deputy mayor"
    assert "adjointe au maire" in roles["adjoint-au-maire"].labels("fr")
    assert roles["premier-adjoint-au-maire"].broader == (CONCEPT + "role/adjoint-au-maire",)
    kinds = vocab.org_kind_concepts()
    assert ("closeMatch", ESSGLOBAL_STANDARD + "legal-form/L2") in kinds["cooperative"].matches
    assert vocab.epci_kind_concepts()["METRO"].notation == "METRO"
    assert set(vocab.commune_kind_concepts()) == {"ARM", "COM", "COMA", "COMD"}
    assert vocab.theme_slug("ESS") == "economie-sociale-et-solidaire"
    assert "economie-sociale-et-solidaire" in vocab.theme_concepts()
    with pytest.raises(KeyError):
        vocab.scheme_concepts("nope")


def test_vocab_reads_the_given_files(tmp_path):
    extra = tmp_path / "roles.ttl"
    extra.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/essgraph/concept/role/boulanger> a skos:Concept ;\n"
        "  skos:inScheme <https://w3id.org/essgraph/concept/roles> ;\n"
        '  skos:prefLabel "boulanger"@fr , "baker"@en ; skos:altLabel "boulangère"@fr .\n',
        encoding="utf-8")
    roles = vocab.role_concepts([extra])
    assert list(roles) == ["boulanger"]
    assert vocab.role_slug("Boulangère", [extra]) == "boulanger"
    assert vocab.role_slug("boulangère") is None  # the bundled scheme is unchanged


def test_malformed_turtle_raises_input_error_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix a: <http://a/> .\n\na:x a:y a:z .\na:x a:y "unterminated .\n', encoding="utf-8")
    with pytest.raises(InputError) as ei:
        vocab.load_graph([bad])
    assert ei.value.source == str(bad)
    assert ei.value.line == 4
    assert str(ei.value).startswith(f"{bad}:4: invalid Turtle")


def test_missing_file_and_empty_folder_raise_input_error(tmp_path):
    with pytest.raises(InputError) as ei:
        vocab.load_graph([tmp_path / "absent.ttl"])
    assert ei.value.source == str(tmp_path / "absent.ttl")
    with pytest.raises(InputError):
        render_html(tmp_path)


# ---------------------------------------------------------------- HTML documentation

def test_html_has_an_anchor_for_every_term_scheme_and_concept(page, both):
    doc = lxml_html.fromstring(page)
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "duplicate anchors"
    ids = set(ids)
    for s in ess_terms(both):
        assert str(s)[len(ESS):] in ids, s
    for scheme in vocab.SCHEMES:
        assert f"scheme-{scheme}" in ids
    for c in both.subjects(RDF.type, SKOS.Concept):
        assert str(c)[len(CONCEPT):] in ids, c
    # every internal link lands on an anchor
    for href in doc.xpath("//a/@href"):
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_html_shows_labels_definitions_hierarchy_and_ranges(page):
    doc = lxml_html.fromstring(page)
    coop = doc.get_element_by_id("Cooperative")
    text = coop.text_content()
    assert "coopérative" in text and "cooperative" in text
    assert "org:FormalOrganization" in text
    territory = doc.get_element_by_id("Territory").text_content()
    assert "geo:Feature" in territory and "igeo:Commune" in territory and "ess:Country" in territory
    organizes = doc.get_element_by_id("organizes").text_content()
    assert "ess:Event" in organizes and "ess:Initiative" in organizes and "foaf:Agent" in organizes
    within = doc.get_element_by_id("within").text_content()
    assert "TransitiveProperty" in within
    assert doc.get_element_by_id("Initiative").xpath(".//p[@lang='fr']")
    maire = doc.get_element_by_id("role/maire").text_content()
    assert "maire" in maire and "mayor" in maire
    coop_row = doc.get_element_by_id("org-kind/cooperative")
    assert coop_row.xpath(f".//a[@href='{ESSGLOBAL_STANDARD}legal-form/L2']")
    assert coop_row.xpath(".//a[@href='#Cooperative']")


def test_html_is_self_contained(page):
    doc = lxml_html.fromstring(page)
    assert not doc.xpath("//script | //link | //img | //iframe | //*[@src]")
    assert "@import" not in page and "url(" not in page
    assert doc.xpath("//style")


def test_html_is_deterministic_across_processes(page):
    assert render_html() == page
    code = "import sys, hashlib; from ess_graph.ontology_docs import render_html; " \
           "sys.stdout.write(hashlib.sha256(render_html().encode()).hexdigest())"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out == hashlib.sha256(page.encode()).hexdigest()


def test_html_follows_the_given_ontology_folder(tmp_path):
    for f in (ESSGRAPH_TTL, CONCEPTS_TTL):
        shutil.copy(f, tmp_path / f.name)
    with open(tmp_path / "essgraph.ttl", "a", encoding="utf-8") as fh:
        fh.write('\ness:Cooperative rdfs:comment "Texte ajouté pour le test"@fr .\n'
                 'ess:Federation a owl:Class ; rdfs:label "fédération"@fr , "federation"@en ;\n'
                 '  rdfs:subClassOf ess:Network .\n')
    out = render_html(tmp_path)
    doc = lxml_html.fromstring(out)
    assert "Texte ajouté pour le test" in doc.get_element_by_id("Cooperative").text_content()
    assert "ess:Network" in doc.get_element_by_id("Federation").text_content()
    assert "ess:Federation" in doc.get_element_by_id("Network").text_content()  # listed as sub-class
    model = ontology_model(tmp_path)
    assert model["counts"]["classes"] == len(EXPECTED_CLASSES) + 1
    dest = write_html(tmp_path / "ontology.html", tmp_path)
    assert dest.read_bytes() == out.encode("utf-8")


def test_html_error_names_the_bad_file(tmp_path):
    shutil.copy(CONCEPTS_TTL, tmp_path / "concepts.ttl")
    (tmp_path / "essgraph.ttl").write_text("@prefix ess: <x> .\ness:A ess:b", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        render_html(tmp_path)
    assert ei.value.source == str(tmp_path / "essgraph.ttl")


# ---------------------------------------------------------------- docs stay in sync

def test_docs_list_every_role_and_theme_slug():
    text = (REPO / "docs" / "ontology.md").read_text(encoding="utf-8")
    for slug in vocab.role_concepts():
        assert f"`{slug}`" in text, f"docs/ontology.md does not list role {slug}"
    for slug in vocab.theme_concepts():
        assert f"`{slug}`" in text, f"docs/ontology.md does not list theme {slug}"
