"""Import stage: every format, its splitting rules and its error messages."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ess_graph.errors import InputError, decode_text
from ess_graph.importers import (detect_format, list_input_files, read_clippings, registry,
                                 read_file)
from ess_graph.importers import pearltrees

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
SEED_000 = SAMPLES / "000_d7e84c7c69a0cdd7.txt"
SEED_002 = SAMPLES / "002_0c37a30f400a6855.txt"
FIX = Path(__file__).resolve().parent / "fixtures" / "importers"
BOILERPLATE = ("background preloader", "Facebook Twitter")


def file_text(path: Path) -> str:
    return decode_text(path.read_bytes(), str(path))


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def assert_exact_slices(clippings, text):
    for c in clippings:
        assert c.source_offset is not None
        assert text[c.source_offset:c.source_offset + len(c.text)] == c.text, c.id
        assert c.source_line == line_of(text, c.source_offset), c.id
        assert c.text == c.text.strip()


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as exc:
        read_file(path)
    return exc.value


# --------------------------------------------------------------------------- Pearltrees seeds

def test_seed_002_split_into_items():
    text = file_text(SEED_002)
    clips = read_file(SEED_002)
    assert len(clips) == 11
    assert [c.id for c in clips] == [f"002_0c37a30f400a6855#{n}" for n in range(1, 12)]
    assert {c.source_format for c in clips} == {"pearltrees-text"}
    assert {c.collection for c in clips} == {"Expl de pol terr ESS"}
    assert_exact_slices(clips, text)
    # items follow each other in the file and never overlap
    ends = [(c.source_offset, c.source_offset + len(c.text)) for c in clips]
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:]))
    for c in clips:
        for line in c.text.split("\n"):
            assert line.strip() not in BOILERPLATE + ("Expl de pol terr ESS",)


def test_seed_002_guillestre_story_is_one_clipping():
    clips = read_file(SEED_002)
    title = "Intercommunalité et coopérative pour la gestion de l'électricité dans les Hautes-Alpes"
    [item] = [c for c in clips if c.title == title]
    for needle in ("Guillestre", "Ceillac", "Sivu", "Enercoop", "Bernard Leterrier", "Louis Abrard",
                   "microcentrale"):
        assert needle in item.text, needle
    # nothing of that story leaks into another clipping
    others = [c for c in clips if c is not item]
    assert not any("Leterrier" in c.text or "Enercoop" in c.text for c in others)
    assert item.metadata["boundary"] == "title"
    # the title occurs twice in the item: glued to its excerpt, then alone on its line
    spans = item.metadata["title_spans"]
    assert len(spans) == 2 and all(item.text[s:e] == title for s, e in spans)


# Sentences supporting relations that need context from the same story: each must
# fall inside one clipping, together with the sentence that gives the context.
STORIES_002 = [
    ("Les villages de Guillestre et Ceillac, dans les Hautes-Alpes", "le Sivu. « Ça rapportait"),
    ("Après une dizaine d’années de militantisme associatif, Christophe Boulanger",
     "Comment articulez-vous la politique ESS du département"),
    ("Geneviève Gaillard, la maire de Niort", "La Ville y veille."),
    ("Fruit d’une collaboration entre Grand Poitiers", "Présenté le mardi 26 novembre 2013 à Migné-Auxances"),
    ("Caumont-sur-Durance propose à ses administrés", "tient à souligner Véronique Debue"),
    ("Elue à la ville de Caen lors des élections", "Qu’attendez-vous de votre adhésion au RTES ?"),
    ("A Genève, APRES joue", "Auriez-vous besoin d’un rendez-vous spécifique avec APRÈS-GE"),
]


@pytest.mark.parametrize("first,second", STORIES_002)
def test_seed_002_stories_are_not_cut(first, second):
    clips = read_file(SEED_002)
    holders = [c for c in clips if first in c.text]
    assert len(holders) == 1
    assert second in holders[0].text


def test_seed_002_glued_titles_start_new_items():
    clips = read_file(SEED_002)
    by_title = {c.title: c for c in clips}
    poitiers = by_title["L'ESS sur le territoire de Grand Poitiers"]
    assert poitiers.text.startswith("L'ESS sur le territoire de Grand Poitiers. L'ESS sur")
    niort = by_title["Les enjeux des municipales. L'économie sociale pour faire vivre la ville"]
    assert niort.text.endswith("La Ville y veille.")
    # the truncation mark ends the Enercoop excerpt; what follows is another pearl
    assert clips[0].text.endswith("[...]")
    assert clips[1].metadata["boundary"] == "truncation"
    assert clips[1].title == "Economie sociale et solidaire : métropoles et régions au banc d'essai"
    # an attachment name is a pearl of its own
    assert any(c.metadata["boundary"] == "file-name" and c.text.startswith("PlansoutienCaen") for c in clips)


def test_seed_000_keeps_paragraphs_together_without_a_boundary():
    text = file_text(SEED_000)
    clips = read_file(SEED_000)
    assert len(clips) == 2
    assert_exact_slices(clips, text)
    assert {c.collection for c in clips} == {"Nouvelle coop CoTer ESS"}
    first, second = clips
    assert first.title == "33ème Congrès de l'AIMF : l’action des élus locaux francophones en faveur de l’ESS"
    # the debate announced in one paragraph and organised in the next stay together
    assert "Débat d'actualité" in first.text and "organisé par le CRPVE" in first.text
    assert second.text.startswith("Deveco-2012-ess.pdf.")
    assert second.metadata["boundary"] == "file-name"
    for c in clips:
        assert "background preloader" not in c.text and "Facebook Twitter" not in c.text
        assert "Nouvelle coop CoTer ESS" not in c.text
        paragraphs = c.metadata["paragraphs"]
        assert paragraphs[0][0] == 0 and paragraphs[-1][1] == len(c.text)


def test_seed_paragraph_spans_are_exact():
    clip = read_file(SEED_002)[0]
    paras = [clip.text[s:e] for s, e in clip.metadata["paragraphs"]]
    assert paras[1] == "Intercommunalité et coopérative pour la gestion de l'électricité dans les Hautes-Alpes"
    assert all(p == p.strip() and "\n\n" not in p for p in paras)


# --------------------------------------------------------------------------- Pearltrees fixture and edge cases

def test_pearltrees_fixture_items():
    path = FIX / "pearltrees" / "energie-citoyenne.txt"
    text = file_text(path)
    clips = read_file(path)
    assert [c.metadata["boundary"] for c in clips] == ["title", "truncation", "title", "file-name"]
    assert_exact_slices(clips, text)
    assert {c.collection for c in clips} == {"Énergie citoyenne et collectivités"}
    first = clips[0]
    assert first.title == "Une SCIC pour l'énergie dans le Briançonnais"
    # a [...] inside a « quotation » is not an item boundary
    assert "Nous voulons que les habitants" in first.text and "Marie Dupont" in first.text
    assert first.text.endswith("« Des toits pour tous » [...]")
    assert clips[1].text == "Les régies municipales face aux coopératives."
    assert clips[2].text.startswith("Centrales villageoises : le modèle essaime en Savoie. Depuis 2014")
    assert "Jean Martin" in clips[2].text
    assert clips[3].title == "Guide-energie-citoyenne-2020.pdf"


def test_pearltrees_crlf_offsets_exact(tmp_path):
    src = (FIX / "pearltrees" / "energie-citoyenne.txt").read_text(encoding="utf-8")
    p = write(tmp_path, "crlf.txt", src.replace("\n", "\r\n").encode("utf-8"))
    text = file_text(p)
    clips = read_file(p)
    assert len(clips) == 4
    assert_exact_slices(clips, text)
    assert clips[0].collection == "Énergie citoyenne et collectivités"


def test_pearltrees_boilerplate_inside_page_separates_items(tmp_path):
    p = write(tmp_path, "page.txt", "Ma collection\n\nFacebook Twitter\n\n"
              "La SCOP Ardelaine relance la filière laine en Ardèche.\n\n"
              "Facebook Twitter\n\n"
              "La commune de Saint-Pierreville soutient la coopérative.\n")
    assert detect_format(p, p.read_bytes()) == "pearltrees-text"
    clips = read_file(p)
    assert [c.text for c in clips] == ["La SCOP Ardelaine relance la filière laine en Ardèche.",
                                       "La commune de Saint-Pierreville soutient la coopérative."]
    assert clips[0].collection == "Ma collection"
    assert clips[1].metadata["boundary"] == "separator"


def test_pearltrees_without_items_is_an_error(tmp_path):
    p = write(tmp_path, "vide.txt", "background preloader\n\nMa collection\n\nFacebook Twitter\n\n\n")
    err = error_of(p)
    assert "no items" in str(err) and str(p) in str(err)
    assert err.line == 5


def test_pearltrees_detection():
    assert pearltrees.looks_like("\n\nbackground preloader\n\nX\n")
    assert pearltrees.looks_like("Titre\n\nFacebook Twitter\n\nTexte")
    assert not pearltrees.looks_like("Un texte qui parle de Facebook Twitter en passant.\n")


def test_pearltrees_ids_are_deterministic():
    a = [c.to_dict() for c in read_file(SEED_002)]
    b = [c.to_dict() for c in read_file(SEED_002)]
    assert a == b


# --------------------------------------------------------------------------- encodings

def test_cp1252_file_is_decoded(tmp_path):
    content = ("background preloader\n\nÉconomie sociale\n\nFacebook Twitter\n\n"
               "Pauline Véron, adjointe au maire chargée de l’économie sociale et solidaire.\n")
    p = write(tmp_path, "windows.txt", content.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        p.read_bytes().decode("utf-8")
    clips = read_file(p)
    assert clips[0].text == "Pauline Véron, adjointe au maire chargée de l’économie sociale et solidaire."
    assert clips[0].collection == "Économie sociale"
    assert_exact_slices(clips, file_text(p))


def test_cp1252_jsonl_is_decoded(tmp_path):
    line = json.dumps({"id": "cp-1", "text": "Coopérative d’habitants à Villeurbanne"}, ensure_ascii=False)
    p = write(tmp_path, "cp.jsonl", (line + "\n").encode("cp1252"))
    assert read_file(p)[0].text == "Coopérative d’habitants à Villeurbanne"


def test_utf8_bom_is_ignored(tmp_path):
    p = write(tmp_path, "bom.md", "\ufeff---\ntitle: Avec BOM\n---\nCorps du texte.\n".encode("utf-8"))
    [c] = read_file(p)
    assert c.title == "Avec BOM" and c.text == "Corps du texte."


def test_undecodable_bytes_name_file_line_and_column(tmp_path):
    p = write(tmp_path, "bad.txt", b"Premiere ligne\nabc\x81\x8d\n")
    err = error_of(p)
    assert (err.line, err.column) == (2, 4)
    assert str(err).startswith(f"{p.as_posix()}:2:4: ")


# --------------------------------------------------------------------------- JSONL

def test_jsonl_records():
    path = FIX / "exports" / "revue-presse.jsonl"
    clips = read_file(path)
    assert [c.id for c in clips] == ["presse-001", "presse-002", "3"]
    raw = [json.loads(l) for l in path.read_text(encoding="utf-8").split("\n") if l.strip()]
    assert [c.text for c in clips] == [r["text"] for r in raw]
    first = clips[0]
    assert (first.title, first.url, first.date, first.collection) == (
        "Niort, capitale de l'économie sociale", "https://www.example.org/niort-ess",
        "2013-11-26", "Revue de presse ESS")
    assert first.metadata == {"journal": "Le Courrier"}
    assert [c.source_line for c in clips] == [1, 3, 4]   # the blank line 2 is skipped
    assert clips[1].date == "2008-03-21"                 # time part dropped
    assert clips[2].title is None and clips[2].date is None


def test_dev_gold_jsonl_keeps_text_exactly(tmp_path):
    # The dev-gold layout: the whole seed file as the text of one record.
    text = file_text(SEED_002)
    p = write(tmp_path, "gold.jsonl", json.dumps({"id": "seed-002", "url": None, "title": "Expl de pol terr ESS",
                                                  "text": text}, ensure_ascii=False) + "\n")
    [c] = read_file(p)
    assert c.text == text and c.id == "seed-002"


@pytest.mark.parametrize("content,line,column,message", [
    ('{"id": "a", "text": "ok"}\n{"id": "b", "text": "oups",}\n', 2, 28, "invalid JSON"),
    ('{"id": "a", "text": "ok"}\n\n{"id": "b"}\n', 3, None, "no 'text'"),
    ('{"text": "sans identifiant"}\n', 1, None, "no 'id'"),
    ('["pas", "un objet"]\n', 1, None, "must be an object"),
    ('{"id": "a", "text": "ok", "date": "26/11/2013"}\n', 1, None, "invalid date"),
    ('{"id": "a", "text": "ok"}\n{"id": "a", "text": "encore"}\n', 2, None, "duplicate clipping id 'a'"),
    ('{"id": "a", "text": 12}\n', 1, None, "'text' must be a string"),
])
def test_jsonl_errors(tmp_path, content, line, column, message):
    p = write(tmp_path, "bad.jsonl", content)
    err = error_of(p)
    assert message in err.message
    assert (err.line, err.column) == (line, column)
    assert str(err).startswith(f"{p.as_posix()}:{line}")


def test_json_file_with_records_is_jsonl(tmp_path):
    p = write(tmp_path, "records.json", '{"id": "r1", "text": "Une régie de quartier à Roubaix."}\n')
    assert detect_format(p, p.read_bytes()) == "jsonl"
    assert read_file(p)[0].source_format == "jsonl"


# --------------------------------------------------------------------------- Markdown / text

def test_markdown_front_matter():
    path = FIX / "notes" / "scic-briancon.md"
    text = file_text(path)
    [c] = read_file(path)
    assert c.id == "scic-briancon-2021"
    assert c.title == "La SCIC Énergie Partagée Alpes accueille la communauté de communes"
    assert c.url == "https://www.example.org/2021/03/scic-energie-partagee-alpes"
    assert c.date == "2021-03-14" and c.collection == "Énergie citoyenne"
    assert c.metadata == {"tags": ["SCIC", "énergie", "intercommunalité"]}
    assert c.source_format == "markdown"
    assert c.text.startswith("# Une SCIC pour l'énergie") and "---" not in c.text
    assert_exact_slices([c], text)


def test_markdown_title_from_heading_and_id_from_stem():
    [c] = read_file(FIX / "notes" / "regie-eau.md")
    assert c.id == "regie-eau"
    assert c.title == "La régie de l'eau de Gap passe en SPL"
    assert c.source_offset == 0


def test_plain_text_title_is_first_line():
    path = FIX / "notes" / "conseil-communautaire.txt"
    assert detect_format(path, path.read_bytes()) == "text"
    [c] = read_file(path)
    assert c.source_format == "text"
    assert c.title == "Conseil communautaire du Guillestrois-Queyras, séance du 8 juin 2020"
    assert_exact_slices([c], file_text(path))


@pytest.mark.parametrize("content,line,column,message", [
    ("---\ntitle: ok\nurl: a: b\n---\nCorps.\n", 3, 7, "invalid YAML front matter: mapping values are not allowed"),
    ("---\ntitle: ok\ntags: [a, b\ndate: 2020\n---\nCorps.\n", 4, 5, "invalid YAML front matter"),
    ("---\ntitle: jamais fermé\n\nCorps.\n", 1, None, "never closed"),
    ("---\n- une\n- liste\n---\nCorps.\n", 2, None, "must be a mapping"),
    ("---\ntitle: ok\ndate: le 14 mars\n---\nCorps.\n", 3, None, "invalid front matter date"),
    ("---\ntitle: ok\n---\n\n   \n", 4, None, "no text after its front matter"),
    ("---\ntitle: [a, b]\n---\nCorps.\n", 2, None, "'title' must be a single value"),
])
def test_markdown_errors(tmp_path, content, line, column, message):
    p = write(tmp_path, "note.md", content)
    err = error_of(p)
    assert message in err.message
    assert (err.line, err.column) == (line, column)
    assert str(err).startswith(f"{p.as_posix()}:{line}")


# --------------------------------------------------------------------------- Netscape bookmarks

def test_bookmarks():
    path = FIX / "exports" / "favoris-ess.html"
    assert detect_format(path, path.read_bytes()) == "bookmarks"
    clips = read_file(path)
    assert len(clips) == 4                       # the place: smart bookmark is not a clipping
    enercoop, villages, cantine, dup = clips
    assert enercoop.collection == "Veille ESS/Énergie"
    assert cantine.collection == "Veille ESS/Alimentation"
    assert dup.collection is None
    assert enercoop.title == "Intercommunalité et coopérative pour la gestion de l'électricité"
    assert enercoop.text == ("Intercommunalité et coopérative pour la gestion de l'électricité\n\n"
                             "Les communes de Guillestre et de Ceillac se regroupent au sein d'un syndicat "
                             "intercommunal, le Sivu,\nfournisseur d'Enercoop.")
    assert villages.text == "Centrales villageoises & communes"   # no description: the title
    assert enercoop.date == "2013-11-26" and villages.date == "2020-09-13"
    assert cantine.date == "2020-01-01"                           # ADD_DATE in milliseconds
    assert enercoop.metadata["tags"] == ["énergie", "SCIC"]
    assert enercoop.url == dup.url and dup.id == enercoop.id + "-2"
    assert enercoop.source_line == 14 and enercoop.source_offset is None
    assert all(c.id.startswith("favoris-ess#") for c in clips)


def test_bookmark_ids_survive_reordering(tmp_path):
    src = (FIX / "exports" / "favoris-ess.html").read_text(encoding="utf-8")
    lines = src.split("\n")
    i = next(n for n, l in enumerate(lines) if "centrales-villageoises" in l)
    moved = lines[:i] + lines[i + 1:]
    moved.insert(8, '    <DT><A HREF="https://www.example.org/nouveau" ADD_DATE="1700000000">Nouveau</A>')
    moved.insert(9, lines[i])
    p = write(tmp_path, "favoris-ess.html", "\n".join(moved))
    before = {c.url: c.id for c in read_file(FIX / "exports" / "favoris-ess.html")}
    after = {c.url: c.id for c in read_file(p)}
    assert all(after[u] == before[u] for u in before)
    assert len(after) == len(before) + 1


@pytest.mark.parametrize("body,line,message", [
    ('<DL><p>\n<DT><A ADD_DATE="1">Sans lien</A>\n</DL>', 3, "has no HREF"),
    ('<DL><p>\n<DT><A HREF="https://example.org" ADD_DATE="hier">X</A>\n</DL>', 3, "invalid ADD_DATE"),
    ('<DL><p>\n<DT><A HREF="https://example.org">Jamais fermé\n</DL>', 3, "never closed"),
])
def test_bookmark_errors(tmp_path, body, line, message):
    p = write(tmp_path, "b.html", "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n" + body + "\n")
    err = error_of(p)
    assert message in err.message and err.line == line
    assert str(err).startswith(f"{p.as_posix()}:{line}")


# --------------------------------------------------------------------------- CSL-JSON

def test_csl_json():
    path = FIX / "exports" / "zotero-ess.json"
    assert detect_format(path, path.read_bytes()) == "csl-json"
    clips = read_file(path)
    assert [c.id for c in clips] == ["http://zotero.org/users/1234567/items/QW3ERT9Y", "caen-rtes", "42"]
    art, caen, avise = clips
    assert art.text == ("Intercommunalité et coopérative pour la gestion de l'électricité dans les Hautes-Alpes\n\n"
                        "Les villages de Guillestre et Ceillac, dans les Hautes-Alpes, exploitent depuis 1998 "
                        "une microcentrale électrique.\n\n"
                        "Le Sivu est l'un des plus gros fournisseurs d'Enercoop.")
    assert art.url == "https://www.example.org/age-de-faire/guillestre"
    assert art.date == "2013-11-26"
    assert art.metadata["authors"] == ["Nicolas Bérard"]
    assert art.metadata["container-title"] == "L'Age de Faire"
    assert art.metadata["accessed"] == "2014-01-05"
    assert caen.date == "2008-03-21" and caen.text == caen.title
    assert avise.date is None and avise.metadata["issued"] == "printemps 2012"
    assert [c.source_line for c in clips] == [2, 15, 22]


@pytest.mark.parametrize("content,line,message", [
    ('{"id": "x", "title": "Un objet"}', 1, "expected a JSON array"),
    ('[\n  {"id": "a", "title": "A"},\n  {"id": "b" "title": "B"}\n]', 3, "invalid JSON"),
    ('[\n  {"id": "a", "title": "A"},\n  {"title": "Sans id"}\n]', 3, "has no 'id'"),
    ('[\n  "texte"\n]', 2, "is a str, not an object"),
    ('[\n  {"id": "a", "type": "webpage"}\n]', 2, "no title, abstract or note"),
    ('[\n  {"id": "a", "title": "A", "issued": {"date-parts": [[2013, 13]]}}\n]', 2, "not a calendar date"),
    ('[\n  {"id": "a", "title": "A"},\n  {"id": "a", "title": "B"}\n]', 3, "duplicate clipping id"),
])
def test_csl_json_errors(tmp_path, content, line, message):
    p = write(tmp_path, "zotero.json", content)
    if content.startswith("{"):   # a single object is read as JSON Lines: use the CSL reader directly
        with pytest.raises(InputError) as exc:
            registry.get("csl-json").read(p, content)
        err = exc.value
    else:
        err = error_of(p)
    assert message in err.message and err.line == line


def test_json_that_is_neither_array_nor_records(tmp_path):
    p = write(tmp_path, "x.json", '"juste une chaîne"')
    err = error_of(p)
    assert "CSL-JSON array" in err.message and err.line == 1


# --------------------------------------------------------------------------- HTML pages

def test_html_page():
    path = FIX / "pages" / "scic-energie-partagee.html"
    assert detect_format(path, path.read_bytes()) == "html"
    [c] = read_file(path)
    assert c.id == "scic-energie-partagee"
    assert c.title == "Une SCIC pour l'énergie dans le Briançonnais"
    assert c.date == "2021-03-14"
    assert c.url == "https://www.example.org/2021/03/scic-energie-briancon"   # canonical wins
    assert "Marie Dupont" in c.text and "Villar-Saint-Pancrace" in c.text
    assert "Mentions légales" not in c.text and "Territoires" not in c.text
    assert c.metadata["extractor"].startswith("trafilatura ")
    assert c.source_file == path.as_posix() and c.source_format == "html"


def test_html_og_url_when_no_canonical(tmp_path):
    src = (FIX / "pages" / "scic-energie-partagee.html").read_text(encoding="utf-8")
    src = "\n".join(l for l in src.split("\n") if 'rel="canonical"' not in l)
    [c] = read_file(write(tmp_path, "page.html", src))
    assert c.url == "https://www.example.org/og/scic"


@pytest.mark.parametrize("html", [
    "<html><head><title>Accueil</title></head><body><nav><a href='/'>Accueil</a></nav></body></html>",
    "<html><body></body></html>",
    "",
])
def test_html_without_main_text_is_an_error(tmp_path, html):
    p = write(tmp_path, "vide.html", html)
    err = error_of(p)
    assert ("no main text" in err.message or "empty HTML" in err.message) and p.as_posix() in str(err)


# --------------------------------------------------------------------------- walking, detection, ids

def test_read_folder_all_formats():
    clips = read_clippings([FIX])
    formats = {c.source_format for c in clips}
    assert formats == {"pearltrees-text", "pearltrees-rdf", "jsonl", "markdown", "text", "bookmarks", "csl-json",
                       "html"}
    files = [c.source_file for c in clips]
    # files in sorted path order, each file's clippings together
    order = list(dict.fromkeys(files))
    assert order == sorted(order, key=lambda f: Path(f).relative_to(FIX).parts)
    assert len({c.id for c in clips}) == len(clips)


def test_folder_walk_skips_hidden_and_unknown(tmp_path):
    shutil.copy(FIX / "notes" / "regie-eau.md", tmp_path / "b.md")
    write(tmp_path, "sub/a.txt", "Une note sur la régie de quartier de Roubaix.\n")
    write(tmp_path, ".cache.md", "caché\n")
    write(tmp_path, ".git/HEAD.md", "caché\n")
    write(tmp_path, "notes.docx", b"PK\x03\x04")
    write(tmp_path, "README.rst", "notes\n")
    files = list_input_files([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["b.md", "sub/a.txt"]
    calls = []
    clips = read_clippings([tmp_path], progress=calls.append)
    assert [c.id for c in clips] == ["b", "a"]
    assert calls == [1, 2]


def test_explicit_unknown_file_is_an_error(tmp_path):
    p = write(tmp_path, "notes.rtf", b"{\\rtf1 Texte}")
    with pytest.raises(InputError) as exc:
        read_clippings([p])
    assert "unsupported file type '.rtf'" in str(exc.value) and p.as_posix() in str(exc.value)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(InputError) as exc:
        read_clippings([tmp_path / "absent"])
    assert "no such file" in str(exc.value)


def test_reading_twice_gives_equal_results():
    a = [c.to_dict() for c in read_clippings([FIX, SAMPLES])]
    b = [c.to_dict() for c in read_clippings([FIX, SAMPLES])]
    assert a == b
    assert json.dumps(a, ensure_ascii=False, sort_keys=True) == json.dumps(b, ensure_ascii=False, sort_keys=True)


def test_duplicate_ids_across_files_name_both_files(tmp_path):
    a = write(tmp_path, "a/note.md", "Première version de la note.\n")
    b = write(tmp_path, "b/note.txt", "Seconde version de la note.\n")
    with pytest.raises(InputError) as exc:
        read_clippings([tmp_path])
    msg = str(exc.value)
    assert "duplicate clipping id 'note'" in msg
    assert a.as_posix() in msg and b.as_posix() in msg


def test_same_file_named_twice_is_read_once():
    path = FIX / "notes" / "regie-eau.md"
    assert len(read_clippings([path, path, FIX / "notes"])) == 3


def test_collection_fallback():
    clips = read_clippings([FIX / "exports" / "zotero-ess.json", FIX / "notes" / "scic-briancon.md"],
                           collection="Veille Zotero")
    assert {c.collection for c in clips} == {"Veille Zotero", "Énergie citoyenne"}
    assert clips[-1].collection == "Énergie citoyenne"   # the file's own collection wins


@pytest.mark.parametrize("name,head,expected", [
    ("a.txt", b"background preloader\n\nX\n\nFacebook Twitter\n", "pearltrees-text"),
    ("a.txt", b"Une note.\n", "text"),
    ("a.md", b"# Titre\n", "markdown"),
    ("a.markdown", b"Texte\n", "markdown"),
    ("a.jsonl", b'{"id": 1}\n', "jsonl"),
    ("a.json", b"\xef\xbb\xbf  [\n", "csl-json"),
    ("a.HTML", b"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL>", "bookmarks"),
    ("a.htm", b"<!doctype html><html>", "html"),
])
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected


def test_detect_format_unknown_extension():
    with pytest.raises(InputError) as exc:
        detect_format("notes.docx", b"PK")
    assert "unsupported file type '.docx'" in exc.value.message


def test_read_file_on_a_folder_is_an_error():
    with pytest.raises(InputError) as exc:
        read_file(FIX / "notes")
    assert "is a directory" in exc.value.message


# --------------------------------------------------------------------------- registry

def test_every_format_module_registers_itself():
    from ess_graph import importers as pkg
    names = {imp.name for imp in registry.importers()}
    assert {"pearltrees-text", "text", "markdown", "jsonl", "csl-json", "bookmarks", "html",
            "pdf"} <= names
    assert {"bookmarks", "csl_json", "html_page", "jsonl", "markdown", "pdf",
            "pearltrees"} <= set(pkg.FORMAT_MODULES)
    assert registry.suffixes() == tuple(sorted(registry.suffixes()))
    assert ".pdf" in registry.suffixes() and ".txt" in registry.suffixes()


def test_a_new_format_is_one_registration(tmp_path):
    """register() alone makes a format readable, walked in folders and sniffed before the fallback."""
    from ess_graph.model import Clipping

    def read(path, text):
        return [Clipping(id="n1", text=text.split("\n", 1)[1].strip(), source_file=str(path),
                         source_format="notes-x")]

    registry.register("notes-x", suffixes=(".txt", ".nx"), read=read, priority=20,
                      sniff=lambda head: head.startswith("NOTES-X"), description="NOTES-X file")
    try:
        a = write(tmp_path, "a.nx", "NOTES-X\nUne note.\n")
        b = write(tmp_path, "b.txt", "NOTES-X\nAutre note.\n")
        c = write(tmp_path, "c.txt", "Un texte ordinaire.\n")
        assert [f.name for f in list_input_files([tmp_path])] == ["a.nx", "b.txt", "c.txt"]
        assert detect_format(a, a.read_bytes()) == "notes-x"
        assert detect_format(b, b.read_bytes()) == "notes-x"   # sniffed before the text fallback
        assert detect_format(c, c.read_bytes()) == "text"
        assert read_file(a)[0].text == "Une note."
        with pytest.raises(InputError) as exc:
            read_file(write(tmp_path, "d.nx", "autre chose\n"))
        assert "not a recognised .nx file: expected NOTES-X file" in exc.value.message
        with pytest.raises(ValueError):
            registry.register("notes-x", suffixes=(".nx",), read=read)
    finally:
        registry.unregister("notes-x")
    with pytest.raises(InputError, match="unsupported file type '.nx'"):
        read_file(a)
