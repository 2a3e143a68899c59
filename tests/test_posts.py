"""Posts over time (org:memberDuring + OWL-Time), who presides, selections and offers."""
from __future__ import annotations

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from ess_graph.extract.relations import relation_kind
from ess_graph.extract.tenure import Tenure, read_tenure
from ess_graph.mapping import extraction_quads
from ess_graph.model import Clipping, Entity, Extraction, Mention, Relation
from ess_graph.namespaces import CONCEPT, ID, PREFIXES
from ess_graph.queries import get_query, run_saved
from ess_graph.resources import shapes_dir
from ess_graph.results import rows_as_dicts
from ess_graph.store import GraphStore


# ---------------------------------------------------------------- reading the tenure
def _read(text: str, who: str, others: tuple[str, ...] = (), label: str | None = None,
          slug: str = "maire") -> Tenure:
    def spans(w):
        i = text.index(w)
        return [(i, i + len(w))]
    return read_tenure(text, (0, len(text)), spans(who), [s for o in others for s in spans(o)], slug, label)


@pytest.mark.parametrize("text,who,label,expected", [
    ("Marie Dupont, élue en 2020 maire de Trucville, a parlé.", "Marie Dupont", "maire de Trucville",
     Tenure(start="2020")),
    ("Marie Dupont, maire depuis mars 2014, a parlé.", "Marie Dupont", "maire",
     Tenure(start="2014-03", status="current")),
    ("Marie Dupont, maire de Trucville de 2008 à 2014, a parlé.", "Marie Dupont", "maire de Trucville",
     Tenure(start="2008", end="2014", status="former")),
    ("Marie Dupont, maire jusqu'en 2001, a parlé.", "Marie Dupont", "maire", Tenure(end="2001", status="former")),
    ("Jean Martin, ancien maire de Trucville, a parlé.", "Jean Martin", "ancien maire de Trucville",
     Tenure(status="former")),
    ("Jean Martin, ex-maire de Trucville, a parlé.", "Jean Martin", "ex-maire de Trucville", Tenure(status="former")),
    ("explique Bernard Leterrier, l’actuel maire de Guillestre (EELV).", "Bernard Leterrier",
     "actuel maire de Guillestre", Tenure(status="current")),
    ("Dans les années 90, le maire de Guillestre de l’époque, Louis Abrard, émet l’idée.", "Louis Abrard",
     "maire de Guillestre de l’époque", Tenure(status="former", attested=("1990", "1999"))),
    ("Marie Dupont, maire de Trucville, a parlé.", "Marie Dupont", "maire de Trucville", Tenure()),
])
def test_tenure_cues(text, who, label, expected):
    assert _read(text, who, label=label) == expected


def test_two_holders_in_one_sentence_keep_their_own_cues():
    text = "Louis Abrard, ancien maire, et Bernard Leterrier, l'actuel maire, étaient là."
    assert _read(text, "Louis Abrard", ("Bernard Leterrier",), "ancien maire").status == "former"
    assert _read(text, "Bernard Leterrier", ("Louis Abrard",), "actuel maire").status == "current"
    text = "Louis Abrard, ancien maire, et Bernard Leterrier, maire, étaient là."
    assert _read(text, "Bernard Leterrier", ("Louis Abrard",), "maire").status is None
    text = "Marie Dupont, maire depuis 2014, et Jean Martin, maire de 1995 à 2001, ont signé."
    assert _read(text, "Marie Dupont", ("Jean Martin",), "maire") == Tenure(start="2014", status="current")
    assert _read(text, "Jean Martin", ("Marie Dupont",), "maire") == Tenure(start="1995", end="2001",
                                                                          status="former")


def test_election_in_another_sentence_dates_an_elected_post_only():
    text = ("Annie Berger, conseillère municipale déléguée à l'ESS de Caen. Elue à la ville de Caen lors des "
            "élections municipales de mars 2008, Annie Berger est une praticienne de l'ESS.")
    first = (0, text.index(".") + 1)
    person = [(i, i + len("Annie Berger")) for i in (0, text.index("Annie Berger", 10))]
    assert read_tenure(text, first, person, [], "conseiller-municipal-delegue").start == "2008-03"
    assert read_tenure(text, first, person, [], "tresorier").start is None


# ---------------------------------------------------------------- mapping
TEXT = ("Dans les années 90, le maire de Guillestre de l’époque, Louis Abrard, lance le projet. "
        "« Ça rapporte », explique Bernard Leterrier, l’actuel maire de Guillestre et président du Sivu. "
        "Marie Dupont, maire de Ceillac depuis 2014, et Jean Martin, maire de Ceillac de 1995 à 2001, ont signé.")


def _m(s: str, occurrence: int = 0) -> Mention:
    i = -1
    for _ in range(occurrence + 1):
        i = TEXT.index(s, i + 1)
    return Mention(i, i + len(s), s)


def _sent(k: int) -> tuple[str, int, int]:
    bounds = [0, TEXT.index("« Ça"), TEXT.index("Marie Dupont"), len(TEXT)]
    a, b = bounds[k], bounds[k + 1] - (0 if k == 2 else 1)
    return TEXT[a:b], a, b


def _posts_extraction(cid: str = "posts.txt#1") -> Extraction:
    c = Clipping(id=cid, text=TEXT, title="Maires", date="2016-05-04")
    ents = [
        Entity("p1", "Person", "Louis Abrard", [_m("Louis Abrard")]),
        Entity("p2", "Person", "Bernard Leterrier", [_m("Bernard Leterrier")]),
        Entity("p3", "Person", "Marie Dupont", [_m("Marie Dupont")]),
        Entity("p4", "Person", "Jean Martin", [_m("Jean Martin")]),
        Entity("c1", "Commune", "Guillestre", [_m("Guillestre"), _m("Guillestre", 1)], insee="05065", country="FR"),
        Entity("c2", "Commune", "Ceillac", [_m("Ceillac"), _m("Ceillac", 1)], insee="05026", country="FR"),
        Entity("s1", "Intercommunality", "Sivu", [_m("Sivu")]),
    ]
    rels = [
        Relation("p1", "hasRole", "c1", *_sent(0), role="maire de Guillestre de l’époque", rule="t"),
        Relation("p2", "hasRole", "c1", *_sent(1), role="actuel maire de Guillestre", rule="t"),
        Relation("p2", "hasRole", "s1", *_sent(1), role="président du Sivu", rule="t"),
        Relation("p3", "hasRole", "c2", *_sent(2), role="maire de Ceillac", rule="t"),
        Relation("p4", "hasRole", "c2", *_sent(2), role="maire de Ceillac", rule="t"),
    ]
    return Extraction(c, ents, rels)


@pytest.fixture(scope="module")
def posts() -> ox.Store:
    store = ox.Store()
    store.extend(extraction_quads(_posts_extraction()))
    return store


def test_the_same_sentence_in_two_clippings_of_one_day_gives_two_memberships():
    """Syndicated press: one post, two clippings, two memberships, each sourced from its clipping."""
    from ess_graph.validate import validate
    store = ox.Store()
    for cid in ("a.txt#1", "b.txt#1"):
        store.extend(extraction_quads(_posts_extraction(cid)))
    rows = _rows(store, """SELECT DISTINCT ?m WHERE { GRAPH ?g { ?m a org:Membership ;
                             org:member ?p ; prov:wasDerivedFrom ?g } ?p foaf:name "Louis Abrard" }""")
    assert len(rows) == 2
    report = validate(store)
    assert report.conforms, [r.get("message") for r in report.results][:5]


def _rows(store: ox.Store, q: str) -> list[dict]:
    res = store.query(q, prefixes=dict(PREFIXES), use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [{n: (sol[n].value if sol[n] is not None else None) for n in names} for sol in res]


TENURE_Q = """
SELECT ?name ?label ?status ?start ?end ?asof ?rel WHERE {
  ?m a org:Membership ; org:member/foaf:name ?name ; ess:roleLabel ?label ; prov:wasDerivedFrom ?clip .
  OPTIONAL { ?m ess:tenure ?status }
  OPTIONAL { ?m org:memberDuring/time:hasBeginning/time:inXSDgYear ?start }
  OPTIONAL { ?m org:memberDuring/time:hasEnd/time:inXSDgYear ?end }
  OPTIONAL { ?m org:memberDuring ?d . ?d ?rel ?i . ?i time:inXSDDate ?asof
             FILTER (?rel IN (time:inside, time:before)) }
} ORDER BY ?name ?label"""


def test_each_holder_carries_only_the_own_label_and_time(posts):
    got = {(r["name"], r["label"]): r for r in _rows(posts, TENURE_Q)}
    abrard = got[("Louis Abrard", "maire de Guillestre de l’époque")]
    assert abrard["status"] == CONCEPT + "tenure/former"
    assert abrard["rel"].endswith("#before") and abrard["asof"] == "2016-05-04"
    leterrier = got[("Bernard Leterrier", "actuel maire de Guillestre")]
    assert leterrier["status"] == CONCEPT + "tenure/current"
    assert leterrier["rel"].endswith("#inside") and leterrier["asof"] == "2016-05-04"
    assert got[("Marie Dupont", "maire de Ceillac")]["start"] == "2014"
    assert got[("Marie Dupont", "maire de Ceillac")]["end"] is None
    martin = got[("Jean Martin", "maire de Ceillac")]
    assert (martin["start"], martin["end"], martin["status"]) == ("1995", "2001", CONCEPT + "tenure/former")
    # the post is shared by its holders; its label is the role's, not one holder's words
    labels = _rows(posts, f"""SELECT ?l WHERE {{ <{ID}post/authority/commune/05065/maire> rdfs:label ?l }}""")
    assert [r["l"] for r in labels] == ["maire – Guillestre"]
    holders = _rows(posts, f"""SELECT ?p WHERE {{ ?p org:holds <{ID}post/authority/commune/05065/maire> }}""")
    assert len(holders) == 2


def test_membership_carries_source_span_and_clipping_date(posts):
    r = _rows(posts, """SELECT ?m ?date ?exact WHERE {
        ?m a org:Membership ; org:member/foaf:name "Jean Martin" ; dcterms:date ?date ; prov:wasDerivedFrom ?c .
        ?a oa:hasBody ?m ; oa:hasTarget/oa:hasSelector ?sel . ?sel oa:exact ?exact . ?c a ess:Clipping }""")
    assert len(r) == 1 and r[0]["date"] == "2016-05-04"
    assert r[0]["exact"].startswith("Marie Dupont, maire de Ceillac depuis 2014")


def test_a_president_post_answers_who_presides(posts):
    r = _rows(posts, """SELECT ?name ?x WHERE { ?p ess:presides ?x ; foaf:name ?name .
                                                ?x rdfs:label "Sivu" }""")
    assert {x["name"] for x in r} == {"Bernard Leterrier"}
    # and the fact is traceable
    st = _rows(posts, """SELECT ?st WHERE { ?st rdf:predicate ess:presides ; prov:wasDerivedFrom ?c }""")
    assert len(st) == 1


def test_a_presides_reading_becomes_a_president_post():
    text = "Le forum, présidé par Jeanne Roux, présidente du RTES. Le RTES est présidé par Jeanne Roux."
    c = Clipping(id="chair.txt#1", text=text)
    i = text.index("Le RTES")
    ents = [Entity("p", "Person", "Jeanne Roux", [Mention(text.index("Jeanne"), text.index("Jeanne") + 11, "Jeanne Roux")]),
            Entity("o", "Network", "RTES", [Mention(i + 3, i + 7, "RTES")])]
    rels = [Relation("p", "presides", "o", text[i:], i, len(text), rule="presided-by")]
    store = ox.Store()
    store.extend(extraction_quads(Extraction(c, ents, rels)))
    r = _rows(store, f"""SELECT ?m ?label WHERE {{ ?m a org:Membership ; org:role <{CONCEPT}role/president> ;
                                                   org:organization ?o . OPTIONAL {{ ?m ess:roleLabel ?label }} }}""")
    assert len(r) == 1 and r[0]["label"] is None      # no role label is made up


def _shapes() -> rdflib.Graph:
    g = rdflib.Graph()
    for p in sorted(shapes_dir().glob("*.ttl")):
        g.parse(p)
    return g


def _rdflib(store: ox.Store) -> rdflib.Graph:
    g = rdflib.Graph()
    data = ox.serialize([q.triple for q in store], format=ox.RdfFormat.N_TRIPLES)
    g.parse(data=data.decode(), format="nt")
    return g


def test_posts_conform_and_a_reversed_interval_is_a_violation(posts):
    g = _rdflib(posts)
    conforms, _, text = pyshacl.validate(g, shacl_graph=_shapes(), advanced=True)
    assert conforms, text
    TIME = rdflib.Namespace("http://www.w3.org/2006/time#")
    XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
    end = next(s for s in g.subjects(TIME.inXSDgYear, rdflib.Literal("2001", datatype=XSD.gYear)))
    g.set((end, TIME.inXSDgYear, rdflib.Literal("1990", datatype=XSD.gYear)))
    conforms, _, text = pyshacl.validate(g, shacl_graph=_shapes(), advanced=True)
    assert not conforms and "does not end before it begins" in text


# ---------------------------------------------------------------- selections, offers, administrators
@pytest.mark.parametrize("pred,evidence,s_type,o_type,o_name,kind", [
    ("implements", "La Communauté d’agglomération a obtenu l’habilitation Territoire Zéro Chômeur.",
     "Intercommunality", "Policy", "TZCLD", "habilitation"),
    ("participatesIn", "La communauté de communes a été sélectionnée dans le cadre de l’appel à projets.",
     "Intercommunality", "Policy", "AAP", "laureat"),
    ("participatesIn", "15 structures en sont aujourd’hui lauréates", "Organization", "Initiative", "AMI", "laureat"),
    ("participatesIn", "La commune participe au Mois de l'ESS.", "Commune", "Event", "Mois de l'ESS", None),
    ("organizes", "Tous les mornantais peuvent profiter de prix négociés.", "Commune", "Initiative",
     "Mutuelle des Mornantais (mutuelle communale de Mornant)", "offer"),
    ("organizes", "La ville propose à ses habitants un contrat de santé.", "Commune", "Initiative",
     "Contrat de santé communal", "offer"),
    ("organizes", "Le RTES organise un forum.", "Network", "Event", "Forum", None),
    ("funds", "La commune, lauréate, finance le projet.", "Commune", "Initiative", "Projet", None),
])
def test_relation_kinds(pred, evidence, s_type, o_type, o_name, kind):
    assert relation_kind(pred, evidence, s_type, o_type, o_name) == kind


def test_selection_and_offer_are_written_with_their_statement():
    text = "La commune de Mornant a été retenue pour l'appel à projets PAT. Mornant propose une mutuelle communale."
    c = Clipping(id="sel.txt#1", text=text)
    a, b = text.index("Mornant"), text.index("appel à projets PAT")
    m2 = text.index("Mornant propose")
    o2 = text.index("mutuelle communale")
    ents = [Entity("c", "Commune", "Mornant", [Mention(a, a + 7, "Mornant"), Mention(m2, m2 + 7, "Mornant")],
                   insee="69141", country="FR"),
            Entity("p", "Policy", "Appel à projets PAT", [Mention(b, b + 19, "appel à projets PAT")]),
            Entity("i", "Initiative", "Mutuelle communale de Mornant", [Mention(o2, o2 + 18, "mutuelle communale")])]
    s1 = text.index(".") + 1
    rels = [Relation("c", "participatesIn", "p", text[:s1], 0, s1, rule="laureate"),
            Relation("c", "organizes", "i", text[s1 + 1:], s1 + 1, len(text), rule="organizes")]
    store = ox.Store()
    store.extend(extraction_quads(Extraction(c, ents, rels)))
    sel = _rows(store, """SELECT ?kind WHERE { ?a ess:selectedFor ?p ; ess:participatesIn ?p .
                            ?st rdf:subject ?a ; rdf:predicate ess:selectedFor ; ess:selectionKind ?kind }""")
    assert [r["kind"] for r in sel] == [CONCEPT + "selection-kind/laureat"]
    off = _rows(store, """SELECT ?o WHERE { ?a ess:offers ?o ; ess:organizes ?o . ?o a ess:Offer }""")
    assert len(off) == 1
    conforms, _, report = pyshacl.validate(_rdflib(store), shacl_graph=_shapes(), advanced=True)
    assert conforms, report


def test_administrator_role_is_a_concept_with_its_variants():
    from ess_graph import vocab
    from ess_graph.mapping import role_slug
    for written in ("administrateur", "administratrice", "membre du conseil d’administration",
                    "membre du conseil d'administration"):
        assert vocab.role_slug(written) == "administrateur"
    assert role_slug("administrateur du parc d’Avessac") == "administrateur"
    c = vocab.role_concepts()["administrateur"]
    assert c.pref_label("en") == "board member" and {"fr", "en"} <= set(c.definitions)


def test_administrator_is_extracted_from_text(extractor):
    text = ("Le président d’ANEL, Ignacio Ugalde, et l’administrateur du CBE du Seignanx, Laurent Rebière, "
            "ont signé ce partenariat.")
    ex = extractor.extract(Clipping(id="adm.txt#1", text=text))
    names = {e.id: e.name for e in ex.entities}
    roles = {(names[r.subject], r.role) for r in ex.relations if r.predicate == "hasRole" and not r.candidate}
    assert any(who == "Laurent Rebière" and "administrateur" in (role or "") for who, role in roles), roles


# ---------------------------------------------------------------- the saved query on the sample
def test_elected_officials_answers_who_held_which_portfolio_when(sample_store):
    path, _ = sample_store
    gs = GraphStore(path, read_only=True)
    try:
        rows = rows_as_dicts(run_saved(gs, get_query("elected-officials"), {}))
    finally:
        del gs
    by = {(r["name"], r["roleLabel"]): r for r in rows}
    berger = by[("Annie Berger", "conseillère municipale déléguée à l'ESS de la ville de Caen")]
    assert berger["start"] == "2008-03" and berger["portfolio"] == "ESS" and berger["esPortfolio"] == "true"
    veron = next(r for r in rows if r["name"] == "Pauline Véron")
    assert veron["esPortfolio"] == "true" and veron["portfolio"] == "économie sociale et solidaire"
    abrard = next(r for r in rows if r["name"] == "Louis Abrard")
    assert (abrard["tenure"], abrard["attestedFrom"], abrard["attestedTo"]) == ("former", "1990", "1999")
    leterrier = next(r for r in rows if r["name"] == "Bernard Leterrier" and r["role"].endswith("/maire"))
    assert leterrier["tenure"] == "current" and leterrier["roleLabel"] == "actuel maire de Guillestre"
    # two holders of the Guillestre mayoralty: two rows, each with its own words
    guillestre = [r for r in rows if r["role"].endswith("/maire") and r["scope"].endswith("/05065")]
    assert sorted((r["name"], r["tenure"]) for r in guillestre) == [("Bernard Leterrier", "current"),
                                                                    ("Louis Abrard", "former")]
    assert all(r["evidence"] for r in guillestre)


def test_derived_president_facts_never_share_an_iri_with_a_reading():
    # the classifier left "presides" as a candidate while the post is asserted (and the reverse)
    text = "Christiane Bouchart, présidente du RTES, ouvre la séance."
    c = Clipping(id="chair2.txt#1", text=text)
    ents = [Entity("p", "Person", "Christiane Bouchart", [Mention(0, 19, "Christiane Bouchart")]),
            Entity("o", "Network", "RTES", [Mention(34, 38, "RTES")])]
    for cand_pred in ("presides", "hasRole"):
        rels = [Relation("p", "hasRole", "o", text, 0, len(text), role="présidente du RTES", rule="t",
                         candidate=cand_pred == "hasRole", confidence=0.9),
                Relation("p", "presides", "o", text, 0, len(text), rule="t", candidate=cand_pred == "presides",
                         confidence=0.3)]
        store = ox.Store()
        store.extend(extraction_quads(Extraction(c, ents, rels)))
        conforms, _, report = pyshacl.validate(_rdflib(store), shacl_graph=_shapes(), advanced=True)
        assert conforms, report
        asserted = _rows(store, """SELECT ?st WHERE { ?st rdf:predicate ess:presides ; ess:candidate false }""")
        assert len(asserted) == 1
