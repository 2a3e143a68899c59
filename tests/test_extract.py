"""Extraction behaviour: each rule family, acronyms, coreference candidates,
cross-clipping resolution, the seed's headline facts, hostile input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ess_graph.extract import Extractor
from ess_graph.model import Clipping

ROOT = Path(__file__).resolve().parent.parent
SEED_002 = next((ROOT / "data" / "samples").glob("002_*.txt"))


@pytest.fixture(scope="session")
def ex() -> Extractor:
    """The rule layer alone: its readings are features of the relation classifier and its
    cross-sentence readings are kept beside the classifier's (tests/test_learned.py)."""
    return Extractor(learned=False)


@pytest.fixture(scope="session")
def learned() -> Extractor:
    return Extractor.default()


def run(ex, text, cid="t", date=None):
    return ex.extract(Clipping(id=cid, text=text, date=date))


def names(extraction, type_=None):
    return {e.name for e in extraction.entities if type_ is None or e.type == type_}


def ent(extraction, name):
    for e in extraction.entities:
        if e.name == name or name in e.aliases:
            return e
    raise AssertionError(f"no entity {name!r} in {[e.name for e in extraction.entities]}")


def facts(extraction, candidates=False):
    by = {e.id: e.name for e in extraction.entities}
    return {(by[r.subject], r.predicate, by[r.object]) for r in extraction.relations
            if r.candidate == candidates}


def check_spans(extraction):
    text = extraction.clipping.text
    for e in extraction.entities:
        for m in e.mentions:
            assert text[m.start:m.end] == m.text
    for r in extraction.relations:
        if r.evidence is not None:
            assert text[r.evidence_start:r.evidence_end] == r.evidence


# --------------------------------------------------------------- mentions
def test_persons_orgs_and_kinds_on_new_text(ex):
    x = run(ex, "L'association Les Petits Débrouillards et la coopérative Ardelaine ont rencontré "
                "Françoise Morvan, gérante de la SCOP Les Amis du Pain, à Valence. "
                "La Mutuelle générale de Bretagne participe aussi.")
    assert {"Françoise Morvan"} <= names(x, "Person")
    assert "Les Petits Débrouillards" in names(x, "Association")
    assert "Ardelaine" in names(x, "Cooperative")
    assert "Les Amis du Pain" in names(x, "Cooperative")
    assert any(n.startswith("Mutuelle générale de Bretagne") for n in names(x, "Mutual"))
    assert ent(x, "Valence").insee == "26362"
    check_spans(x)


def test_class_nouns_are_not_entities(ex):
    x = run(ex, "Les grandes mutuelles et les coopératives classiques sont là, comme les associations.")
    assert not any(e.type in ("Mutual", "Cooperative", "Association") for e in x.entities)


def test_lexicon_entries_typed_from_data(ex):
    x = run(ex, "Enercoop, le RTES, l'Avise, ESS France et Coorace étaient réunis avec l'UDES.")
    assert ent(x, "Enercoop").type == "Cooperative"
    assert ent(x, "RTES").type == "Network"
    assert ent(x, "Coorace").type == "Network"
    assert ent(x, "UDES").type == "Network"
    assert ent(x, "ESS France").type == "Network"


def test_acronym_definition_and_later_use_are_one_entity(ex):
    x = run(ex, "La Fédération des jardins partagés de Loire (FJPL) a tenu son congrès. "
                "Selon la FJPL, 40 jardins sont ouverts.")
    e = ent(x, "FJPL")
    assert e.name == "Fédération des jardins partagés de Loire"
    assert e.type == "Network"
    assert [m.text for m in e.mentions].count("FJPL") == 2
    assert len([y for y in x.entities if "FJPL" in y.aliases or y.name == "FJPL"]) == 1


def test_policy_event_and_initiative_heads(ex):
    x = run(ex, "Le conseil régional a voté le Plan régional pour l'économie sociale et solidaire. "
                "Le Forum des Coopératives Agricoles aura lieu en mai, avec le concours « Jeunes pousses ».")
    assert any(e.type == "Policy" and e.name.startswith("Plan régional pour l'économie sociale") for e in x.entities)
    assert any(e.type == "Event" and "Forum des Coopératives Agricoles" in e.name for e in x.entities)
    assert any(e.type == "Initiative" and "Jeunes pousses" in e.name for e in x.entities)


def test_syndicate_without_code(ex):
    x = run(ex, "Les communes de Briançon et de Névache ont créé un syndicat mixte, le SIVOM.")
    synd = [e for e in x.entities if e.type == "Intercommunality"]
    assert len(synd) == 1 and synd[0].insee is None
    assert {"SIVOM"} & ({synd[0].name} | set(synd[0].aliases))


# --------------------------------------------------------------- relations
def test_role_apposition_with_portfolio_and_date(ex):
    x = run(ex, "Selon Hélène Marchand, adjointe au maire de Lille en charge de l'économie solidaire, "
                "le budget augmente.", date="2020-01-15")
    r = next(r for r in x.relations if r.predicate == "hasRole")
    assert (x.entity(r.subject).name, x.entity(r.object).name) == ("Hélène Marchand", "Lille")
    assert r.portfolio == "économie solidaire"
    assert "adjointe au maire de Lille" in r.role
    assert r.date == "2020-01-15"
    assert not r.candidate
    check_spans(x)


def test_president_gives_presides_and_chained_role(ex):
    x = run(ex, "« Nous avançons », dit Paul Girard, maire de Briançon et président du Sivom.")
    f = facts(x)
    assert ("Paul Girard", "hasRole", "Briançon") in f
    assert any(p == "presides" and s == "Paul Girard" for s, p, o in f)


def test_presided_by(ex):
    x = run(ex, "Le Forum régional de l'insertion, présidé par Marc Lefort, a réuni 200 personnes.")
    assert ("Marc Lefort", "presides", next(n for n in names(x, "Event"))) in facts(x)


def test_member_supplies_funds_partner(ex):
    x = run(ex, "La ville de Nantes a adhéré au RTES en 2012. "
                "La coopérative Enercoop est le fournisseur de la commune de Rezé. "
                "La Région Bretagne finance l'association Bretagne Solidaire. "
                "Une convention de partenariat entre Rennes Métropole et la CRESS Bretagne a été signée.")
    f = facts(x)
    assert ("Nantes", "memberOf", ent(x, "RTES").name) in f
    assert ("Enercoop", "supplies", "Rezé") in f
    assert ("Bretagne", "funds", "Bretagne Solidaire") in f
    assert any(s == ent(x, "Rennes Métropole").name and p == "partnerOf" for s, p, o in f)


def test_located_implements_organizes_created_participates(ex):
    x = run(ex, "Les villages de Crest et Saillans, dans la Drôme, sont actifs. "
                "Le Département de l'Ardèche met en œuvre le Schéma départemental de l'insertion. "
                "Les Assises de la coopération, organisées par la Fédération des Scop du BTP, se tiendront à Lyon. "
                "La Scop Ardelaine a été fondée par Béatrice Barras. "
                "La coopérative Ardelaine participe au Salon des Solidarités.")
    f = facts(x)
    assert ("Crest", "locatedIn", "Drôme") in f and ("Saillans", "locatedIn", "Drôme") in f
    assert any(s == "Ardèche" and p == "implements" for s, p, o in f)
    ev = next(n for n in names(x, "Event") if n.startswith("Assises"))
    assert any(p == "organizes" and o == ev for s, p, o in f)
    assert (ev, "locatedIn", "Lyon") in f
    assert ("Ardelaine", "createdBy", "Béatrice Barras") in f
    assert any(s == "Ardelaine" and p == "participatesIn" for s, p, o in f)


def test_pronoun_and_generic_noun_give_candidates_not_facts(ex):
    x = run(ex, "Julie Perrin milite depuis dix ans. En 2014, elle est élue conseillère régionale de Bretagne. "
                "Notre adhésion au RTES compte beaucoup pour la ville de Lorient.")
    assert not any(p == "hasRole" for s, p, o in facts(x))
    cands = facts(x, candidates=True)
    assert ("Julie Perrin", "hasRole", "Bretagne") in cands
    assert all(r.candidate for r in x.relations if r.rule and "implicit" in r.rule)


def test_seed_guillestre_ceillac_sivu_enercoop(ex):
    text = SEED_002.read_text(encoding="utf-8")
    x = run(ex, text, cid="seed-002")
    f = facts(x)
    sivu = ent(x, "Sivu")
    assert sivu.type == "Intercommunality" and sivu.insee is None
    assert ("Guillestre", "memberOf", sivu.name) in f
    assert ("Ceillac", "memberOf", sivu.name) in f
    assert (sivu.name, "supplies", "Enercoop") in f
    assert ent(x, "Enercoop").type == "Cooperative"
    assert ent(x, "Guillestre").insee == "05065" and ent(x, "Ceillac").insee == "05026"
    r = next(r for r in x.relations if r.predicate == "memberOf" and x.entity(r.subject).name == "Ceillac")
    assert "les deux communes se regroupent" in r.evidence
    check_spans(x)


def test_plural_anaphor_needs_exactly_n_communes(ex):
    x = run(ex, "Les communes de Vars, de Risoul et de Guillestre investissent. "
                "En 2001, les deux communes se regroupent au sein d'un syndicat intercommunal, le Sivu.")
    assert not any(p == "memberOf" for s, p, o in facts(x))


# --------------------------------------------------------------- resolution
def test_cross_clipping_resolution_and_acronyms(ex):
    a = Clipping(id="a", text="La Mutuelle générale des Cévennes (MGC) soutient Enercoop.")
    b = Clipping(id="b", text="La MGC a signé avec Enercoop un nouveau contrat.")
    xa, xb = ex.extract_many([a, b])
    assert ent(xa, "MGC").key == ent(xb, "MGC").key == "org/mutuelle-generale-des-cevennes"
    assert ent(xa, "Enercoop").key == ent(xb, "Enercoop").key


def test_homonym_persons_not_merged_without_evidence(ex):
    c1 = Clipping(id="c1", text="Jean Martin, maire de Die, inaugure la halle.")
    c2 = Clipping(id="c2", text="Jean Martin, président de la coopérative Ardelaine, répond.")
    c3 = Clipping(id="c3", text="Jean Martin, maire de Die, présente le budget.")
    c4 = Clipping(id="c4", text="Jean Martin a parlé longtemps.")
    xs = ex.extract_many([c1, c2, c3, c4])
    k1, k2, k3, k4 = (ent(x, "Jean Martin").key for x in xs)
    assert k1 == k3                  # same name, same affiliation (Die)
    assert k1 != k2                  # conflicting affiliation: another person
    assert k4 not in (k1, k2)        # no evidence: not attached to either
    solo = ex.extract_many([c1, c4])
    assert ent(solo[0], "Jean Martin").key == ent(solo[1], "Jean Martin").key == "person/jean-martin"


def test_generic_syndicates_not_merged_across_clippings(ex):
    a = Clipping(id="a", text="Les communes de Vars et de Risoul se regroupent au sein d'un syndicat intercommunal, le Sivu.")
    b = Clipping(id="b", text="Le Sivu de la vallée gère la piscine.")
    xa, xb = ex.extract_many([a, b])
    ka = ent(xa, "Sivu").key
    assert ka == "territory/syndicate/sivu-risoul-vars"
    assert all(e.key != ka for e in xb.entities)


def test_deterministic_output(ex):
    text = SEED_002.read_text(encoding="utf-8")
    r1 = [x.to_jsonl_record() for x in ex.extract_many([Clipping(id="s", text=text)])]
    r2 = [x.to_jsonl_record() for x in ex.extract_many([Clipping(id="s", text=text)])]
    assert json.dumps(r1, ensure_ascii=False) == json.dumps(r2, ensure_ascii=False)


# --------------------------------------------------------------- hostile input
@pytest.mark.parametrize("text", [
    "mot" * 350_000,                                                        # 1 MB of one word
    ("Guillestre et Ceillac et la coopérative Enercoop " * 20_000),           # huge paragraph, no punctuation
    "." * 200_000 + " RTES",                                                # punctuation only
    "\x00\x01\x02 Enercoop \x1b[31m rouge \u202e\u200b Ελληνικά 中文 العربية " * 2000,  # controls, mixed scripts
    "(" * 50_000 + "Mutuelle générale (MG" + ")" * 50_000,                 # unbalanced brackets
    "Jean " * 100_000,                                                      # a first name repeated
    "",
])
def test_hostile_text_completes(learned, text):
    x = run(learned, text)
    check_spans(x)
