"""Territory conventions of the annotation guide (docs/annotation.md) that real press text needs:
département numbers in brackets, councils as their territory, lower-case EPCI words, overseas
single collectivities, one-word former région names, EPCI names around the linker's match."""
from __future__ import annotations

import pytest

from ess_graph.extract import Extractor
from ess_graph.model import Clipping
from ess_graph.territories import TerritoryLinker


@pytest.fixture(scope="module")
def rules() -> Extractor:
    return Extractor(learned=False)


def ents(ex, text):
    return {(e.name, e.type, e.insee) for e in ex.extract(Clipping(id="t", text=text)).entities}


def test_departement_number_in_brackets():
    found = [(m.text, m.type, m.insee) for m in TerritoryLinker.default().find(
        "Une chaufferie a été inaugurée aux Herbiers (85) le 26 septembre ; 12 emplois (2019) à Canéjan (33).")]
    assert ("85", "Department", "85") in found and ("33", "Department", "33") in found
    assert ("Herbiers", "Commune", "85109") in found
    assert not any(m[1] == "2019" for m in found)


def test_councils_are_their_territory(rules):
    got = ents(rules, "Le Conseil départemental des Hautes-Alpes soutient le projet. "
                      "Le conseil municipal de Bayonne a voté. Bayonne est belle.")
    assert ("Hautes-Alpes", "Department", "05") in got
    assert ("Bayonne", "Commune", "64102") in got
    assert not any(n.startswith(("Conseil", "conseil")) for n, _, _ in got)


def test_epci_names_written_in_lower_case():
    found = {(m.text, m.insee) for m in TerritoryLinker.default().find(
        "sur les territoires de Quimperlé communauté, de Concarneau Cornouaille agglomération et de Nantes métropole")}
    assert found == {("Quimperlé communauté", "242900694"), ("Concarneau Cornouaille agglomération", "242900769"),
                     ("Nantes métropole", "244400404")}


def test_epci_name_rule_takes_the_linker_code(rules):
    got = ents(rules, "La Communauté d'agglomération Béziers Méditerranée finance le projet.")
    assert ("Communauté d'agglomération de Béziers-Méditerranée", "Intercommunality", "243400769") in got
    assert len([g for g in got if g[1] == "Intercommunality"]) == 1


def test_overseas_single_collectivities(rules):
    got = ents(rules, "En Guyane, en Martinique et à Mayotte, l'ESS progresse.")
    assert {("Guyane", "Region", "03"), ("Martinique", "Region", "02"), ("Mayotte", "Department", "976")} <= got


def test_centre_is_not_the_former_region_without_a_cue():
    found = TerritoryLinker.default().find("au Centre Rémy Nainsouta et au Centre communal d'action sociale")
    assert not any(m.type == "Region" for m in found)
