"""Territory reference data, reference graph and linker (real on-disk Oxigraph store)."""
from __future__ import annotations

import dataclasses
import json
import lzma
import sys
from pathlib import Path

import pytest

from ess_graph.errors import InputError
from ess_graph.iris import territory_iri
from ess_graph.resources import data_dir
from ess_graph.store import GraphStore
from ess_graph.territories import (TerritoryLinker, content_hash, default_data, ensure_reference_graph,
                                   load_data, reference_graph_iri, reference_lines)
from ess_graph.territories.data import read_csv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # the build script lives in tools/
from build_territories import main as build_main  # noqa: E402

DEV_GOLD = Path(__file__).resolve().parent.parent / "data" / "annotations" / "dev-gold" / "train"
TERRITORY_TYPES = {"Commune", "Intercommunality", "Department", "Region", "Country"}


@pytest.fixture(scope="session")
def linker():
    return TerritoryLinker.default()


@pytest.fixture(scope="session")
def ref_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("terr") / "store"
    store = GraphStore(path)
    g = ensure_reference_graph(store)
    yield store, g
    store.close()


# ---------------------------------------------------------------- shipped data
def test_shipped_files_are_small_and_described():
    d = data_dir() / "territories"
    sizes = {p.name: p.stat().st_size for p in d.iterdir()}
    assert all(s < 5 * 1024 * 1024 for s in sizes.values()), sizes
    assert sum(sizes.values()) < 4 * 1024 * 1024
    meta = json.loads((d / "meta.json").read_text())
    assert meta["licence_url"].startswith("https://www.etalab.gouv.fr/")
    assert meta["vintage"] and meta["source"]


def test_pre2016_regions_are_consistent():
    data = default_data()
    assert len(data.old_regions) == 16
    assert data.old_regions["54"].name == "Poitou-Charentes" and data.old_regions["54"].successor == "75"
    assert data.old_regions["25"].name == "Basse-Normandie" and data.old_regions["25"].successor == "28"
    seen = set()
    for r in data.old_regions.values():
        # every département of an old région now lies in its successor, once
        for dc in r.departements:
            assert data.departements[dc].region == r.successor, (r.name, dc)
            assert dc not in seen
            seen.add(dc)
        # the chef-lieu is a commune of one of its départements
        assert data.commune(r.chef_lieu).dep in r.departements, r.name
    # the 16 merged régions cover exactly the départements of the 7 merged successors
    merged = {r.successor for r in data.old_regions.values()}
    assert seen == {d.code for d in data.departements.values() if d.region in merged}


def test_epci_alias_table_is_checked(tmp_path):
    src = data_dir() / "territories"
    for p in src.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    rows = (tmp_path / "epci_aliases.csv").read_text().splitlines()
    rows.append('242100410,Wrong,former_name,,2017-04-27,Grand Dijon Métropole,"a source"')
    (tmp_path / "epci_aliases.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError) as ei:
        load_data(tmp_path)
    assert ei.value.line == len(rows) and "Dijon Métropole" in str(ei.value)


def test_malformed_shipped_csv_names_file_and_line(tmp_path):
    src = data_dir() / "territories"
    for p in src.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "departements.csv").write_text("code,tncc,name,region,chef_lieu,population,lon,lat\n05,4,Hautes-Alpes,93\n")
    with pytest.raises(InputError) as ei:
        load_data(tmp_path)
    assert ei.value.source.endswith("departements.csv") and ei.value.line == 2


def test_lookup(linker):
    g = linker.lookup("Commune", "05065")
    assert g["name"] == "Guillestre" and g["population"] > 1000
    assert g["parents"] == {"commune": None, "epci": "200067452", "dep": "05", "region": "93"}
    d = linker.lookup("Commune", "49301")  # a COM wins over the commune déléguée with the same code
    assert d["kind"] == "COM" and d["name"] == "Sèvremoine"
    assert linker.lookup("Commune", "75101")["parents"]["commune"] == "75056"
    assert linker.lookup("Intercommunality", "242100410")["former_names"][0] == "Grand Dijon"
    assert linker.lookup("Region", "54")["successor"] == "75"
    assert linker.lookup("Department", "19")["name"] == "Corrèze"
    assert linker.lookup("Commune", "99999") is None


# ---------------------------------------------------------------- reference graph
def test_counts_in_store_equal_source(ref_store):
    store, g = ref_store
    meta = default_data().meta["counts"]

    def count(cls):
        q = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s a {cls} }} }}"
        return int(next(iter(store.query(q)))["n"].value)
    assert count("igeo:Commune") == meta["COM"]
    assert count("igeo:CommuneDeleguee") == meta["COMD"]
    assert count("igeo:CommuneAssociee") == meta["COMA"]
    assert count("igeo:ArrondissementMunicipal") == meta["ARM"]
    assert count("igeo:Intercommunalite") == meta["EPCI"]
    assert count("igeo:Departement") == meta["departements"]
    # current régions + the 16 pre-2016 ones
    q = f"SELECT (COUNT(?s) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s a igeo:Region FILTER NOT EXISTS {{ ?s dcterms:isReplacedBy ?x }} }} }}"
    assert int(next(iter(store.query(q)))["n"].value) == meta["regions"]


def test_guillestre_chain_on_disk(ref_store):
    store, g = ref_store
    q = f"""SELECT ?epci ?dep ?reg ?nom WHERE {{ GRAPH <{g}> {{
        ?c igeo:codeINSEE "05065" ; igeo:nom ?nom ; igeo:subdivisionDirecteDe ?epci, ?dep .
        ?epci a igeo:Intercommunalite ; igeo:codeINSEE ?siren .
        ?dep a igeo:Departement ; igeo:subdivisionDirecteDe ?reg .
        ?reg igeo:codeINSEE "93" ; rdfs:label "Provence-Alpes-Côte d'Azur"@fr }} }}"""
    rows = list(store.query(q))
    assert len(rows) == 1
    r = rows[0]
    assert r["nom"].value == "Guillestre"
    assert r["epci"].value == territory_iri("Intercommunality", "200067452")
    assert r["dep"].value == territory_iri("Department", "05")
    # materialised roll-up: the commune is within its EPCI, département and région
    q2 = f"""SELECT ?t WHERE {{ GRAPH <{g}> {{ <{territory_iri('Commune', '05065')}> ess:within ?t }} }}"""
    within = {row["t"].value for row in store.query(q2)}
    assert within == {territory_iri("Intercommunality", "200067452"), territory_iri("Department", "05"),
                      territory_iri("Region", "93")}


def test_graph_description_and_centroid(ref_store):
    store, g = ref_store
    q = f"""SELECT ?lic ?issued ?wkt WHERE {{ GRAPH <{g}> {{
        <{g}> dcterms:license ?lic ; dcterms:issued ?issued ; dcterms:source ?src .
        <{territory_iri('Commune', '05065')}> geo:hasCentroid/geo:asWKT ?wkt }} }}"""
    row = next(iter(store.query(q)))
    assert "etalab" in row["lic"].value
    assert row["wkt"].value.startswith("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(6.")
    q = f"""ASK {{ GRAPH <{g}> {{ <{territory_iri('Region', '54')}> dcterms:isReplacedBy <{territory_iri('Region', '75')}> ;
        dcterms:hasPart <{territory_iri('Department', '86')}> }} }}"""
    assert store.query(q)


def test_ensure_is_idempotent_and_vintage_replacement(tmp_path):
    """A small subset: idempotent load, same-vintage refresh via staging, new vintage replaces old."""
    full = default_data()
    keep = {c.code for c in full.communes if c.dep == "05"}
    ddir = tmp_path / "d"
    ddir.mkdir()
    (ddir / "x").write_text("1")
    sub = dataclasses.replace(full, directory=ddir, communes=[c for c in full.communes if c.code in keep])
    store = GraphStore(tmp_path / "s")
    g1 = ensure_reference_graph(store, sub)
    n1 = len(store)
    assert ensure_reference_graph(store, sub) == g1 and len(store) == n1
    (ddir / "x").write_text("2")  # same vintage, changed content → staged and moved
    assert ensure_reference_graph(store, sub) == g1
    assert store.named_graphs() == [g1]
    assert store.query(f'ASK {{ GRAPH <{g1}> {{ <{g1}> ess:contentHash "{content_hash(sub)}" }} }}')
    newer = dataclasses.replace(sub, meta={**sub.meta, "vintage": "2099", "issued": "2099-01-01"})
    g2 = ensure_reference_graph(store, newer)
    assert g2.endswith("cog-2099") and store.named_graphs() == [g2]
    assert len(store) == n1
    store.close()


def test_reference_lines_deterministic():
    a = list(reference_lines())[:5000]
    b = list(reference_lines())[:5000]
    assert a == b
    assert reference_graph_iri().endswith("cog-" + default_data().vintage)


# ---------------------------------------------------------------- linking
def _gold():
    texts = {json.loads(l)["id"]: json.loads(l) for l in (DEV_GOLD / "clippings.jsonl").read_text().splitlines() if l}
    gold = [json.loads(l) for l in (DEV_GOLD / "gold.jsonl").read_text().splitlines() if l]
    return texts, gold


def test_dev_gold_territories_resolve(linker):
    texts, gold = _gold()
    checked = 0
    for g in gold:
        clip = texts[g["id"]]
        matches = {(m.start, m.end): m for m in linker.find(clip["text"], date=clip.get("date"))}
        for e in g["entities"]:
            if e["type"] not in TERRITORY_TYPES or not e.get("insee"):
                continue
            for men in e["mentions"]:
                m = matches.get((men["start"], men["end"]))
                assert m is not None, (g["id"], men)
                assert m.resolved and m.insee == e["insee"], (g["id"], men, m)
                checked += 1
    assert checked >= 34


def test_dev_gold_no_spurious_territories(linker):
    """Every territory the linker reports in the gold texts is a gold territory mention."""
    texts, gold = _gold()
    for g in gold:
        spans = {(m["start"], m["end"]) for e in g["entities"] if e["type"] in TERRITORY_TYPES
                 for m in e["mentions"]}
        for m in linker.find(texts[g["id"]]["text"]):
            assert (m.start, m.end) in spans, (g["id"], m)


def test_dev_gold_foreign_places(linker):
    texts, _ = _gold()
    ms = [m for m in linker.find(texts["seed-002"]["text"]) if m.text == "Genève"]
    assert len(ms) == 6 and all(m.country == "CH" and m.insee is None and m.resolved for m in ms)
    q = [m for m in linker.find(texts["seed-000"]["text"]) if m.text == "Québec"]
    assert q and q[0].country == "CA" and q[0].insee is None


def test_common_words_and_first_names_are_not_places(linker):
    text = ("La ville a lancé un grand projet en mars 2011. Y a-t-il un maire ? Ville de demain, "
            "Grand débat au mois de Mars. Son avis, les bonnes pratiques, le Seuil. Les interventions "
            "de Nancy Neamtan et de Pauline Véron. La Chambre régionale et la Chambre d'agriculture. "
            "Pour la Ville, une Orange pressée. CONVENTION D'OBJECTIFS. Adjointe au Maire de Paris.")
    found = [(m.text, m.insee) for m in linker.find(text)]
    assert found == [("Paris", "75056")]


def test_triggers_let_common_word_communes_through(linker):
    ms = linker.find("Il vit à Orange, puis à Y, enfin au Mans.")
    assert [(m.text, m.insee) for m in ms] == [("Orange", "84087"), ("Y", "80829"), ("Mans", "72181")]


def test_homonyms_need_a_cue(linker):
    m = linker.find("Une réunion à Saint-Martin hier.")[0]
    assert not m.resolved and m.insee is None
    assert len(m.candidates) >= 4 and {c["type"] for c in m.candidates} == {"Commune"}
    codes = {c["insee"] for c in m.candidates}
    assert "67426" in codes
    m = linker.find("Une réunion à Saint-Martin (67) hier.")[0]
    assert m.resolved and m.insee == "67426" and m.cue == "(67)"
    # a département named elsewhere in the text
    ms = linker.find("Saint-Sauveur, dans les Hautes-Alpes, accueille le festival.")
    assert (ms[0].insee, ms[0].resolved) == ("05156", True)
    ms = linker.find("Saint-Sauveur accueille le festival.")
    assert not ms[0].resolved and len(ms[0].candidates) > 3


def test_department_cues(linker):
    ms = linker.find("Retour en Corrèze. La commune de Corrèze. Le département de Paris. À Paris.")
    assert [(m.text, m.type, m.insee) for m in ms] == [
        ("Corrèze", "Department", "19"), ("Corrèze", "Commune", "19062"),
        ("Paris", "Department", "75"), ("Paris", "Commune", "75056")]
    assert ms[0].cue == "en" and ms[1].cue.startswith("commune")


def test_pre2016_regions_and_former_epci_names(linker):
    ms = linker.find("La CRESS du Poitou-Charentes, la Basse-Normandie et le Grand Dijon.", date="2013-11-26")
    got = [(m.text, m.type, m.insee, m.former) for m in ms]
    assert got == [("Poitou-Charentes", "Region", "54", True), ("Basse-Normandie", "Region", "25", True),
                   ("Grand Dijon", "Intercommunality", "242100410", True)]
    assert ms[2].name == "Dijon Métropole"


def test_epci_full_name_lower_case_head(linker):
    ms = linker.find("la communauté de communes du Guillestrois et du Queyras")
    assert [(m.type, m.insee) for m in ms] == [("Intercommunality", "200067452")]


def test_commune_deleguee_is_former(linker):
    ms = linker.find("à Saint-Macaire-en-Mauges")
    assert ms[0].insee == "49301" and ms[0].former and ms[0].name == "Saint-Macaire-en-Mauges"


def test_accent_exact_preference(linker):
    (m,) = linker.find("la commune de Villé")
    assert m.name == "Villé" and linker.lookup("Commune", m.insee)["parents"]["dep"] == "67"
    (m,) = linker.find("la commune de Ville")  # Ville (Oise) and Villé (Bas-Rhin): exact accents win
    assert m.name == "Ville" and linker.lookup("Commune", m.insee)["parents"]["dep"] == "60"
    assert linker.find("Ý a été dit") == []


# ---------------------------------------------------------------- build from COG CSV
FIX = Path(__file__).parent / "fixtures" / "territories_cog"


def test_build_from_cog_csv(tmp_path, capsys):
    out = tmp_path / "out"
    rc = build_main(["--cog", str(FIX), "--out", str(out), "--dictionary", str(tmp_path / "none")])
    assert rc == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["vintage"] == "2025"
    assert meta["counts"] == {"COM": 4, "COMD": 1, "COMA": 0, "ARM": 0, "EPCI": 3, "departements": 3, "regions": 2}
    rows = {(r["code"], r["kind"]): r for _l, r in read_csv(out / "communes.csv.xz", ["code"])}
    g = rows[("05065", "COM")]
    assert (g["name"], g["population"], g["dep"], g["epci"]) == ("Guillestre", "2344", "05", "200067452")
    assert g["lon"] and g["lat"]  # carried over from the shipped extract by code
    assert rows[("72181", "COM")]["tncc"] == "2" and rows[("72181", "COM")]["name"] == "Mans"
    assert rows[("49301", "COMD")]["parent"] == "49301" and rows[("49301", "COMD")]["dep"] == "49"
    epci = {r["siren"]: r for _l, r in read_csv(out / "epci.csv.xz", ["siren"])}
    assert epci["200067452"]["kind"] == "CC" and epci["200067452"]["population"] == "2640"
    assert epci["247200132"]["kind"] == "CU" and epci["247200132"]["regions"] == "52"
    # deterministic: a second build gives identical bytes
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    build_main(["--cog", str(FIX), "--out", str(out), "--dictionary", str(tmp_path / "none")])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_build_from_cog_errors(tmp_path):
    bad = tmp_path / "cog"
    bad.mkdir()
    for p in FIX.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    text = (bad / "v_commune_2025.csv").read_text().splitlines()
    text[2] = text[2].replace("05065", "5X65")
    (bad / "v_commune_2025.csv").write_text("\n".join(text) + "\n")
    assert build_main(["--cog", str(bad), "--out", str(tmp_path / "o")]) == 2
    (bad / "v_region_2025.csv").unlink()
    assert build_main(["--cog", str(bad), "--out", str(tmp_path / "o")]) == 2


def test_build_from_cog_error_message(tmp_path):
    from build_territories import from_cog
    bad = tmp_path / "cog"
    bad.mkdir()
    for p in FIX.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    lines = (bad / "v_commune_2025.csv").read_text().splitlines()
    lines[3] = lines[3] + ",extra"
    (bad / "v_commune_2025.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as ei:
        from_cog(bad, None)
    assert ei.value.line == 4 and ei.value.source.endswith("v_commune_2025.csv")


@pytest.mark.parametrize("name,prop", [("commune", "P374"), ("departement", "P2586"), ("region", "P2585"),
                                       ("epci", "P1616")])
def test_wikidata_queries_are_valid(name, prop):
    from ess_graph.resources import queries_dir
    text = (queries_dir() / f"wikidata-{name}.rq").read_text()
    assert text.startswith("#+ title:") and f"wdt:{prop} ?code" in text
    store = GraphStore.in_memory()
    # parse and run the local part (the SERVICE clause is replaced: no network in tests)
    assert list(store.query(text.replace("SERVICE <https://query.wikidata.org/sparql>", "OPTIONAL"))) == []


# ---------------------------------------------------------------- false matches in proper names
def _found(linker, text):
    return [(m.text, m.type, m.insee) for m in linker.find(text)]


def test_generic_one_word_epci_name_needs_a_cue(linker):
    # "Sud" is the short name of the CA du Sud (La Réunion) and of the CC du Sud (Mayotte)
    for text in ("Le Sud est en crise.", "Dans le Sud, la CRESS agit.", "Il vit en Afrique du Sud.",
                 "le pôle territorial Sud Toulousain", "Le Sud investit.\n\nRien ne change à La Réunion."):
        assert all(m.type != "Intercommunality" for m in linker.find(text)), text
    # with an EPCI cue, a département code or the EPCI's département/région named nearby
    assert _found(linker, "la communauté d'agglomération du Sud (La Réunion)") == [
        ("communauté d'agglomération du Sud", "Intercommunality", "249740085"), ("La Réunion", "Department", "974")]
    for text, cue in (("La CA du Sud a voté.", "ca du"), ("L'agglomération du Sud recrute.", "agglomération du"),
                      ("Le Sud (974) recrute.", "(974)"), ("Le Sud, à La Réunion, investit.", "La Réunion")):
        m = linker.find(text)[0]
        assert (m.text, m.type, m.insee, m.cue) == ("Sud", "Intercommunality", "249740085", cue), text
    m = linker.find("À Mayotte, le Sud investit.")[1]
    assert (m.text, m.insee, m.cue) == ("Sud", "200060473", "Mayotte")
    # a generic word that is not a cardinal point, from the same list
    assert _found(linker, "Le Perche attire.") == []
    assert _found(linker, "la CC du Perche") == [("Perche", "Intercommunality", "200006971")]
    # a one-word EPCI short name that is not a common word needs no cue
    assert _found(linker, "Le Briançonnais attire.") == [("Briançonnais", "Intercommunality", "240500439")]


def test_no_match_inside_a_hyphenated_name(linker):
    for text in ("le syndicat mixte du Sud-Finistère", "en Nord-Isère", "à Lyon-Villeurbanne",
                 "Aix-Marseille Université", "à Saint-Martin-de-Machin"):
        assert linker.find(text) == [], text
    # the whole compound is an entry
    assert _found(linker, "les Pays-de-la-Loire et le Grand-Est") == [
        ("Pays-de-la-Loire", "Region", "52"), ("Grand-Est", "Region", "44")]
    assert _found(linker, "le Nord-Pas-de-Calais, Provence-Alpes-Côte-d'Azur") == [
        ("Nord-Pas-de-Calais", "Region", "31"), ("Provence-Alpes-Côte-d'Azur", "Region", "93")]
    # a rejected compound prefix no longer hides the name that follows ("Le Pas" is a commune of Mayenne)
    assert _found(linker, "Le Pas-de-Calais et la Mutualité") == [("Pas-de-Calais", "Department", "62")]
    # a lower-case prefix is allowed
    assert _found(linker, "l'ex-Aquitaine") == [("Aquitaine", "Region", "72")]
    # positive cases: the same names outside a compound
    assert _found(linker, "le département du Finistère, au sud du Finistère, le nord de l'Isère") == [
        ("Finistère", "Department", "29"), ("Finistère", "Department", "29"), ("Isère", "Department", "38")]


def test_no_territory_inside_an_organisation_name(linker):
    for text in ("organisé avec la coopérative agricole Limousin Bio.", "Limousin Bio organise",
                 "Alsace Active, Bretagne Active, France Active, Île-de-France Active",
                 "financé par Paris Initiative Entreprise et Paris Habitat", "avec Alsace Nature"):
        assert linker.find(text) == [], text
    # a capitalised one-word commune inside a multi-word proper name
    for text in ("Il travaille chez Emmaüs Lyon.", "Il étudie à Sciences Po Paris.", "Il rejoint Maison Bio."):
        assert linker.find(text) == [], text
    # positive cases: a cue, a trigger, a territory-introducing word, or a région that wins anyway
    assert _found(linker, "la commune de Bio (Lot)") == [("Bio", "Commune", "46030"), ("Lot", "Department", "46")]
    assert _found(linker, "en Bretagne, Bretagne Active finance") == [("Bretagne", "Region", "53")]
    assert _found(linker, "Il vit à Lyon, la Ville Lyon, le Grand Lyon") == [
        ("Lyon", "Commune", "69123"), ("Lyon", "Commune", "69123"), ("Grand Lyon", "Intercommunality", "200046977")]
    assert _found(linker, "la CRESS Bretagne et la CRESS Occitanie") == [
        ("Bretagne", "Region", "53"), ("Occitanie", "Region", "76")]
    assert _found(linker, "Il a vu la Maison Bio (46).") == [("Bio", "Commune", "46030"), ("46", "Department", "46")]
    assert _found(linker, "en Limousin, dans la région Limousin") == [
        ("Limousin", "Region", "74"), ("Limousin", "Region", "74")]


def test_word_lists_are_shipped_and_optional(tmp_path):
    data = default_data()
    assert {"sud", "nord", "est", "ouest", "centre", "pays", "vallée", "plaine"} <= data.epci_generic_words
    assert {"Active", "Bio", "Initiative", "Solidaire", "Nature"} <= data.org_name_heads
    src = data_dir() / "territories"
    for p in src.iterdir():
        if p.name not in ("epci_generic_words.txt", "org_name_heads.txt"):
            (tmp_path / p.name).write_bytes(p.read_bytes())
    bare = TerritoryLinker(load_data(tmp_path))  # without the lists the words are not special
    assert [m.text for m in bare.find("Limousin Bio organise. Le Sud attire.")] == ["Limousin", "Bio", "Sud"]


# ---------------------------------------------------------------- bracketed names, Métropole européenne
@pytest.mark.parametrize("text,code,cue", [
    ("Un projet à Saint-Denis (La Réunion) a vu le jour.", "97411", "(La Réunion)"),
    ("à Saint-Denis (Réunion)", "97411", "(Réunion)"),
    ("Sainte-Marie (Martinique) accueille", "97228", "(Martinique)"),
    ("Sainte-Marie (Bretagne) accueille", "35294", "(Bretagne)"),
    ("à Saint-Denis (Seine-Saint-Denis)", "93066", "(Seine-Saint-Denis)"),
])
def test_bracketed_departement_or_region_name_resolves_a_commune(linker, text, code, cue):
    m = next(m for m in linker.find(text) if m.type == "Commune")
    assert (m.insee, m.resolved, m.cue) == (code, True, cue)


def test_bracketed_name_without_a_commune_there_leaves_it_unresolved(linker):
    m = next(m for m in linker.find("Saint-Denis (Guadeloupe)") if m.type == "Commune")
    assert not m.resolved and m.insee is None and "97411" in {c["insee"] for c in m.candidates}


@pytest.mark.parametrize("text", ["La Métropole européenne de Lille soutient", "la MEL (Métropole européenne de Lille)",
                                  "la Métropole Européenne de Lille"])
def test_metropole_europeenne_links_to_its_epci(linker, text):
    assert [(m.type, m.insee) for m in linker.find(text)] == [("Intercommunality", "200093201")]


# ---------------------------------------------------------------- former commune names (COG history)
def test_commune_history_is_shipped_sourced_and_checked():
    data = default_data()
    assert len(data.commune_history) > 1000
    meta = json.loads((data_dir() / "territories" / "meta.json").read_text())
    assert meta["history"]["rows"] == len(data.commune_history)
    assert "decoupage-administratif" in meta["history"]["source"]
    coms = {c.code for c in data.communes if c.kind == "COM"}
    assert all(h["code"] in coms and h["ended_after"] < h["ended_by"] for h in data.commune_history)
    arlod = next(h for h in data.commune_history if h["name"] == "Arlod")
    assert (arlod["code"], arlod["former_code"], arlod["event"]) == ("01033", "01018", "absorbed")


@pytest.mark.parametrize("text,date,code,name", [
    ("Les habitants d'Arlod ont voté.", "2012-05-01", "01033", "Valserhône"),
    ("La commune de Pargny-Filain a lancé un projet.", "2020-03-01", "02589", "Pargny-et-Filain"),
    ("Une épicerie à Berzy-le-Sec ouvre.", "2012-01-01", "02564", "Bernoy-le-Château"),
])
def test_former_commune_name_links_to_its_current_commune(linker, text, date, code, name):
    m = next(m for m in linker.find(text, date=date) if m.type == "Commune")
    assert (m.insee, m.name, m.resolved, m.former) == (code, name, True, True)


def test_one_word_former_name_needs_a_place_trigger_and_current_names_win(linker):
    assert not any(m.text == "Arlod" for m in linker.find("Arlod est un hameau."))
    assert next(m for m in linker.find("à Vouvray", date="2012-01-01")).insee == "37281"   # the current Vouvray


def test_reference_graph_holds_dated_former_names(ref_store):
    store, g = ref_store
    q = f"""SELECT ?label ?code ?event ?after ?by WHERE {{ GRAPH <{g}> {{
        <{territory_iri('Commune', '01033')}> <https://w3id.org/essgraph/ontology#hadName> ?n ;
            <https://w3id.org/essgraph/ontology#formerName> "Arlod"@fr .
        ?n <http://www.w3.org/2000/01/rdf-schema#label> ?label ; <http://purl.org/dc/terms/identifier> ?code ;
           <https://w3id.org/essgraph/ontology#nameChange> ?event ;
           <https://w3id.org/essgraph/ontology#endedAfter> ?after ; <https://w3id.org/essgraph/ontology#endedBy> ?by .
        FILTER (STR(?label) = "Arlod") }} }}"""
    rows = [[t.value for t in r] for r in store.query(q)]
    assert rows == [["Arlod", "01018", "absorbed", "1943-01-01", "2019-01-01"]]


def _decoupage(tmp_path, name, records):
    d = tmp_path / name / "data"
    d.mkdir(parents=True)
    (d / "communes.json").write_text(json.dumps(records), encoding="utf-8")
    return d.parent


def test_history_build_follows_chains_and_dates_merges_and_renamings(tmp_path):
    from build_territories import commune_history
    v2019 = [{"code": "01001", "nom": "Alpha", "type": "commune-actuelle"},
             {"code": "01002", "nom": "Beta", "type": "commune-actuelle"},
             {"code": "01003", "nom": "Gamma", "type": "commune-absorbee", "communeAbsorbante": "01002"},
             {"code": "01004", "nom": "Delta", "type": "commune-actuelle"}]
    v2021 = [{"code": "01001", "nom": "Alpha-Nouvelle", "type": "commune-actuelle", "anciensCodes": ["01002"]},
             {"code": "01004", "nom": "Delta-sur-Mer", "type": "commune-actuelle"}]
    rows = commune_history({"2019": v2019, "2021": v2021}, {"01001": "Alpha-Nouvelle", "01004": "Delta-sur-Mer"})
    got = {(r["name"], r["code"], r["former_code"], r["event"], r["ended_after"], r["ended_by"]) for r in rows}
    assert got == {
        ("Gamma", "01001", "01003", "absorbed", "1943-01-01", "2019-01-01"),   # 01003 → 01002 → 01001
        ("Alpha", "01001", "01001", "renamed", "2019-01-01", "2021-01-01"),
        ("Beta", "01001", "01002", "merged", "2019-01-01", "2021-01-01"),
        ("Delta", "01004", "01004", "renamed", "2019-01-01", "2021-01-01")}


def test_history_build_cli_writes_the_table_and_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / "terr"
    out.mkdir()
    for p in (data_dir() / "territories").iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    # a name the extract already holds for that code (the commune déléguée Bellegarde-sur-Valserine,
    # 01033) is not repeated
    a = _decoupage(tmp_path, "a", [{"code": "01033", "nom": "Bellegarde-sur-Valserine", "type": "commune-actuelle"},
                                   {"code": "01002", "nom": "L'Abergement-de-Varey-Ancien", "type": "commune-actuelle"},
                                   {"code": "01018", "nom": "Arlod", "type": "commune-absorbee",
                                    "communeAbsorbante": "01033"}])
    b = _decoupage(tmp_path, "b", [{"code": "01033", "nom": "Valserhône", "type": "commune-actuelle"},
                                   {"code": "01002", "nom": "L'Abergement-de-Varey", "type": "commune-actuelle"}])
    assert build_main(["--history", f"2018={a}", "--history", f"2019={b}", "--out", str(out)]) == 0
    rows = [r for _, r in read_csv(out / "commune_history.csv", ["name", "code", "event"])]
    assert {(r["name"], r["code"], r["event"]) for r in rows} == {
        ("Arlod", "01033", "absorbed"), ("L'Abergement-de-Varey-Ancien", "01002", "renamed")}
    assert len(load_data(out).commune_history) == 2
    (tmp_path / "bad" / "data").mkdir(parents=True)
    (tmp_path / "bad" / "data" / "communes.json").write_text("{not json", encoding="utf-8")
    assert build_main(["--history", f"2019={tmp_path / 'bad'}", "--out", str(out)]) != 0
    assert "communes.json" in capsys.readouterr().err


def test_history_table_is_checked_on_load(tmp_path):
    for p in (data_dir() / "territories").iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "commune_history.csv").write_text(
        "name,code,former_code,event,ended_after,ended_by,source\nArlod,99999,01018,absorbed,1943-01-01,2019-01-01,x\n")
    with pytest.raises(InputError) as ei:
        load_data(tmp_path)
    assert ei.value.line == 2 and "99999" in str(ei.value)
