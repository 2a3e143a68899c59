"""Relation rule families added for unseen press text: coreference through definite
descriptions and possessives, and the verbs kept as data in rules.yaml.

Each text here is new (not a fixture the rules were developed on)."""
from __future__ import annotations

import pytest

from ess_graph.extract import Extractor
from ess_graph.extract.coref import Coreference, rule_data, phrase_alt
from ess_graph.errors import InputError
from ess_graph.extract.lexicon import Lexicon
from ess_graph.model import Clipping


@pytest.fixture(scope="session")
def ex() -> Extractor:
    """The rule layer alone: its readings are features of the relation classifier and its
    cross-sentence readings are kept beside the classifier's (tests/test_learned.py)."""
    return Extractor(learned=False)


@pytest.fixture(scope="session")
def learned() -> Extractor:
    return Extractor.default()


def run(ex, text):
    return ex.extract(Clipping(id="r", text="Titre\n\n" + text, date="2024-03-01"))


def rels(x, candidate=None):
    by = {e.id: e.name for e in x.entities}
    return {(by[r.subject], r.predicate, by[r.object]): r for r in x.relations
            if candidate is None or r.candidate == candidate}


def _is(e, label):
    """An entity is named ``label`` by its name, an alias or a mention (case as written)."""
    return label == e.name or label in e.aliases or any(m.text == label for m in e.mentions) \
        or e.name.endswith(" " + label)


def fact(x, s, p, o):
    ents = {e.id: e for e in x.entities}
    for r in x.relations:
        if r.predicate == p and _is(ents[r.subject], s) and _is(ents[r.object], o):
            return r
    raise AssertionError(f"no {s} {p} {o} in {sorted(rels(x))}")


# ------------------------------------------------------------ coreference
def test_single_antecedent_description_is_asserted_with_coref_rule(ex):
    x = run(ex, "La coopérative Biocoop a ouvert un entrepôt à Valence. "
                "La communauté d'agglomération Valence Romans Agglo a rejoint la coopérative l'an dernier.")
    r = fact(x, "Valence Romans Agglo", "memberOf", "Biocoop")
    assert not r.candidate and r.rule.startswith("coref-")


def test_two_antecedents_of_the_type_leave_a_candidate(ex):
    x = run(ex, "La coopérative Enercoop et la coopérative Ardelaine ont signé un accord. "
                "La Ville de Crest a rejoint la coopérative en 2021.")
    found = [r for (s, p, o), r in rels(x).items() if s == "Crest" and p == "memberOf"]
    assert found and all(r.candidate for r in found)
    assert all(r.rule.startswith("coref-") for r in found)


def test_antecedent_in_another_paragraph_is_not_sure(ex):
    x = run(ex, "L'association Les Petits Débrouillards anime des ateliers.\n\n"
                "L'association est membre du Réseau Cocagne.")
    found = [r for (s, p, o), r in rels(x).items() if p == "memberOf" and o == "Réseau Cocagne"]
    assert found and all(r.candidate for r in found)


def test_description_before_a_name_is_a_classifier_not_a_reference(ex):
    x = run(ex, "L'association Les Petits Débrouillards est membre du Réseau Cocagne. "
                "La coopérative Ardelaine est membre du réseau Cocagne aussi.")
    r = fact(x, "Ardelaine", "memberOf", "Réseau Cocagne")
    assert not r.rule.startswith("coref-")
    assert ("Les Petits Débrouillards", "memberOf", "Ardelaine") not in rels(x)


def test_authority_description_resolves_to_the_named_council(ex):
    # the council is the département itself (docs/annotation.md): "le Département" refers to it
    x = run(ex, "Le conseil départemental de l'Ardèche a présenté son budget. "
                "Marc Ollier, vice-président du Département chargé de l'insertion, l'a défendu.")
    r = fact(x, "Marc Ollier", "hasRole", "Ardèche")
    assert not r.candidate and r.rule.startswith("coref-")
    assert any(e.name == "Ardèche" and e.insee == "07" for e in x.entities)


def test_role_of_description_and_structure(ex):
    x = run(ex, "Installée à Die, l'association Terre Vivante forme des maraîchers. "
                "« Nous manquons de terres », explique Claire Bonnet, directrice de la structure.")
    assert not fact(x, "Claire Bonnet", "hasRole", "Terre Vivante").candidate
    assert not fact(x, "Terre Vivante", "locatedIn", "Die").candidate


def test_lower_case_region_is_only_a_candidate(ex):
    x = run(ex, "La Région Occitanie a adopté son plan. Le projet de la Scop Ardelaine est financé "
                "par la région.")
    found = [r for (s, p, o), r in rels(x).items() if p == "funds" and s == "Occitanie"]
    assert found and all(r.candidate for r in found)


def test_pronoun_subject_stays_candidate(ex):
    x = run(ex, "La Scop Ardelaine fabrique des matelas. Elle adhère au réseau Cocagne depuis 2019.")
    assert "Réseau Cocagne" in {e.name for e in x.entities}
    assert not [r for (s, p, o), r in rels(x).items() if p == "memberOf" and not r.candidate]


# ------------------------------------------------------------ possessives
def test_possessive_role_opening_the_sentence_takes_previous_subject(ex):
    x = run(ex, "La mutuelle Harmonie Mutuelle lance une offre pour les saisonniers. "
                "Sa directrice générale, Inès Morel, présentera l'offre à Annecy.")
    r = fact(x, "Inès Morel", "hasRole", "Harmonie Mutuelle")
    assert not r.candidate and r.rule.startswith("coref-") and r.role == "directrice générale"


def test_possessive_role_in_the_subjects_sentence(ex):
    x = run(ex, "Nantes Métropole, qui finance le projet, était représentée par son président, Paul Girard.")
    r = fact(x, "Paul Girard", "hasRole", "Nantes Métropole")
    assert not r.candidate
    assert not fact(x, "Paul Girard", "presides", "Nantes Métropole").candidate


def test_possessive_without_subject_is_a_candidate(ex):
    x = run(ex, "Le Secours populaire français distribue des colis avec la Macif. « Nous manquons de bras », "
                "regrette Jean Perrin. Son président, Luc Arnaud, partage ce constat.")
    found = [r for (s, p, o), r in rels(x).items() if s == "Luc Arnaud"]
    assert found and all(r.candidate for r in found)


def test_possessive_subject_of_a_passive(ex):
    x = run(ex, "La SCIC Énergies Partagées installe des panneaux solaires à Figeac. "
                "Ses premières centrales ont été financées par la Région Occitanie.")
    r = fact(x, "Occitanie", "funds", "Énergies Partagées")
    assert not r.candidate and r.rule.startswith("coref-")


# ------------------------------------------------------------ verbs as data
def test_supported_by_public_actor_is_funding(ex):
    x = run(ex, "L'association Vélo Utile, soutenue par la Ville de Lorient et par le Département du Morbihan, "
                "répare des vélos.")
    assert not fact(x, "Lorient", "funds", "Vélo Utile").candidate
    assert fact(x, "Morbihan", "funds", "Vélo Utile")


def test_supported_by_a_private_actor_is_not_funding(ex):
    x = run(ex, "L'association Vélo Utile, soutenue par Paul Girard, répare des vélos.")
    assert not any(p == "funds" for (s, p, o) in rels(x))


def test_carried_by_and_carries_organize(ex):
    x = run(ex, "Porté par l'association Vélo Utile, le festival Terres Mêlées revient à Lille. "
                "La coopérative Ardelaine porte depuis 2015 le projet Laine Locale.")
    assert fact(x, "Vélo Utile", "organizes", "Festival Terres Mêlées")
    assert fact(x, "Ardelaine", "organizes", "Projet Laine Locale")


def test_created_on_initiative_of(ex):
    x = run(ex, "Lancée en 2020 à l'initiative de la Ville de Poitiers, la coopérative Terra Nova emploie vingt "
                "personnes.")
    assert not fact(x, "Terra Nova", "createdBy", "Poitiers").candidate


def test_alongside_links_organisations_not_persons(ex):
    x = run(ex, "La Macif agit aux côtés de la Ville de Rouen pour la mobilité. "
                "Paul Girard a parlé aux côtés de Marie Durand.")
    assert fact(x, "Macif", "partnerOf", "Rouen")
    assert not any(p == "partnerOf" and "Girard" in s for (s, p, o) in rels(x))


def test_more_tenses_of_organise_and_laureate_with_year(ex):
    x = run(ex, "La CRESS Normandie organisait jeudi le Forum Entreprendre Autrement à Caen. "
                "L'association Les Jardins de Cocagne a été lauréate en 2021 du concours La France s'engage.")
    assert fact(x, "CRESS Normandie", "organizes", "Forum Entreprendre Autrement")


def test_coordinated_subjects_with_articles_and_classifiers(ex):
    x = run(ex, "La Scop Ardelaine et l'association Les Petits Débrouillards ont rejoint le réseau Cocagne.")
    assert not fact(x, "Ardelaine", "memberOf", "Réseau Cocagne").candidate
    assert not fact(x, "Les Petits Débrouillards", "memberOf", "Réseau Cocagne").candidate


def test_object_after_elided_article(ex):
    x = run(ex, "La Région Bretagne finance également l'Union régionale des Scop de Bretagne.")
    assert fact(x, "Bretagne", "funds", "Union régionale des Scop de Bretagne")


def test_based_at_after_verb(ex):
    x = run(ex, "La coopérative Ardelaine est installée à Saint-Pierreville depuis 1982.")
    assert fact(x, "Ardelaine", "locatedIn", "Saint-Pierreville")


# ------------------------------------------------------------ data and safety
def test_rule_data_is_validated(tmp_path):
    src = Lexicon.load().source_dir
    for name in ("organisations.yaml", "actions.yaml", "places.yaml", "first_names.txt"):
        (tmp_path / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "rules.yaml").write_text((src / "rules.yaml").read_text(encoding="utf-8")
                                         + "\ncoreference_extra: 1\n", encoding="utf-8")
    lex = Lexicon.load(tmp_path)
    assert rule_data(lex)["coreference"]
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("organisations.yaml", "actions.yaml", "places.yaml", "first_names.txt"):
        (bad / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (src / "rules.yaml").read_text(encoding="utf-8").replace(
        "coreference:\n", "coreference:\n  - {types: [Cooperative]}\n", 1)
    (bad / "rules.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        Coreference(Lexicon.load(bad))
    assert "rules.yaml" in str(e.value.source)


def test_phrase_alternation_accepts_participle_agreement():
    import re
    rx = re.compile(phrase_alt(["mis en place", "soutenu"], participle=True))
    assert rx.fullmatch("mises en place") and rx.fullmatch("soutenue") and not rx.fullmatch("soutenant")


@pytest.mark.parametrize("text", [
    "la coopérative " * 60_000,                       # ~1 MB of one description
    ("Sa présidente, " * 7_000),                      # possessives without end (100 kB, NER runs on it)
    "soutenu par " * 80_000 + "la Région Bretagne",   # a participle repeated
])
def test_hostile_repetitions_complete(learned, text):
    ex = learned
    x = ex.extract(Clipping(id="h", text=text))
    assert x.clipping.text == text
    assert all(r.evidence == text[r.evidence_start:r.evidence_end] for r in x.relations)


# ---------------------------------------------------------------- selection for a programme
def test_habilitation_is_read_as_implementing_the_programme(ex):
    x = run(ex, "La communauté de communes du Haut-Allier a obtenu l'habilitation Territoires zéro chômeur "
                "de longue durée en décembre.")
    r = fact(x, "Communauté de communes du Haut-Allier", "implements", "Territoires zéro chômeur de longue durée")
    assert r.rule == "habilitation" and not r.candidate
    from ess_graph.extract.relations import relation_kind
    assert relation_kind(r.predicate, r.evidence, "Intercommunality", "Policy") == "habilitation"


def test_territory_selected_in_a_call_participates_in_it(ex):
    x = run(ex, "La commune de Mornant a été retenue dans le cadre du Mois de l'économie sociale et solidaire.")
    r = fact(x, "Mornant", "participatesIn", "Mois de l'économie sociale et solidaire")
    assert r.rule == "selected"


def test_administrator_role_is_read(ex):
    x = run(ex, "Laurent Rebière, administrateur du Réseau des collectivités territoriales pour une économie "
                "solidaire, a signé.")
    r = fact(x, "Laurent Rebière", "hasRole", "Réseau des collectivités territoriales pour une économie solidaire")
    assert r.role.startswith("administrateur")
