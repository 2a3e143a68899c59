"""Hostile and malformed input files: each is refused with one line naming the
file and position (or read correctly), never hangs, never garbles text, never
leaves a traceback, and never changes the store."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ess_graph.errors import InputError, decode_text
from ess_graph.importers import detect_format, list_input_files, read_clippings, read_file

BIN = Path(sys.executable).parent / "essgraph"
FIX = Path(__file__).resolve().parent / "fixtures" / "importers"
PEARLTREES = FIX / "pearltrees" / "energie-citoyenne.txt"
FRENCH = ("La coopérative Enercoop et la commune de Guillestre (Hautes-Alpes) : un élu « engagé ».\n"
          "À Briançon, l'économie sociale et solidaire œuvre depuis 2014.\n")


def run(*args, timeout=120, **kw):
    env = dict(os.environ)
    env.pop("ESSGRAPH_STORE", None)
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)


def assert_one_line(p, *fragments, code=2):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, p.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


def refused(path: Path) -> InputError:
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert path.as_posix() in str(exc.value)
    return exc.value


def in_subprocess(code: str, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter; a hang fails the test at ``timeout``
    instead of blocking the suite."""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=timeout, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """A real on-disk store with one quad: enough to see that a refused load changes nothing."""
    import pyoxigraph as ox
    from ess_graph.store import GraphStore
    path = tmp_path_factory.mktemp("hostile") / "store"
    gs = GraphStore(path)
    gs.store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                         ox.Literal("o"), ox.NamedNode("http://example.org/g")))
    gs.close()
    return path


def store_quads(path: Path) -> list[str]:
    import pyoxigraph as ox
    st = ox.Store.read_only(str(path))
    return sorted(str(q) for q in st)


# --------------------------------------------------------------------------- hangs

def test_fifo_given_as_a_path_is_refused_without_opening_it(tmp_path, tiny_store):
    fifo = tmp_path / "clips.txt"
    os.mkfifo(fifo)
    err = refused(fifo)
    assert "not a regular file" in err.message
    before = store_quads(tiny_store)
    # a reader would block for ever on the FIFO: the timeout is the hang detector
    assert_one_line(run("load", fifo, "--store", tiny_store, timeout=120), "clips.txt",
                    "not a regular file")
    assert store_quads(tiny_store) == before


def test_fifo_found_in_a_folder_is_skipped(tmp_path):
    (tmp_path / "a.md").write_text("# Titre\n\nLa SCIC Énergie Partagée.\n", encoding="utf-8")
    os.mkfifo(tmp_path / "b.txt")
    os.mkfifo(tmp_path / "c.jsonl")
    assert [f.name for f in list_input_files([tmp_path])] == ["a.md"]
    assert [c.id for c in read_clippings([tmp_path])] == ["a"]


def test_five_megabyte_jsonl_record_is_read(tmp_path):
    text = ("La coopérative Enercoop soutient la commune de Guillestre. " * 90000)[:5_000_000]
    p = tmp_path / "big.jsonl"
    p.write_text(json.dumps({"id": "big", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = in_subprocess(f"from ess_graph.importers import read_file\n"
                        f"c = read_file({str(p)!r})\nprint(len(c), len(c[0].text))")
    assert out.split() == ["1", str(len(text))]


def test_five_megabyte_one_line_html_page_is_read(tmp_path):
    body = ("La coopérative Enercoop soutient la commune de Guillestre et ses habitants. " * 70000)
    p = tmp_path / "page.html"
    p.write_text(f"<html><head><title>Grande page</title></head><body><p>{body}</p></body></html>",
                 encoding="utf-8")
    assert p.stat().st_size > 5_000_000
    out = in_subprocess(f"from ess_graph.importers import read_file\n"
                        f"c = read_file({str(p)!r})\nprint(len(c), len(c[0].text))", timeout=180)
    n, length = map(int, out.split())
    assert n == 1 and length > 0.9 * len(body.strip())


def test_pearltrees_page_with_boilerplate_repeated_is_linear(tmp_path):
    base = PEARLTREES.read_text(encoding="utf-8")
    head, rest = base.split("Facebook Twitter\n", 1)
    block = "background preloader\n\nÉnergie citoyenne et collectivités\n\nFacebook Twitter\n" + rest
    reps = 6000  # ~7.5 MB: took minutes when text handling was quadratic
    p = tmp_path / "repeated.txt"
    p.write_text(head + "Facebook Twitter\n" + block * reps, encoding="utf-8")
    once = tmp_path / "once.txt"
    once.write_text(head + "Facebook Twitter\n" + block, encoding="utf-8")
    per_block = len(read_file(once))
    out = in_subprocess(f"from ess_graph.importers import read_file\n"
                        f"print(len(read_file({str(p)!r})))")
    assert int(out) == per_block * reps


def test_pearltrees_many_truncation_marks_in_one_paragraph_is_linear(tmp_path):
    reps = 80000  # one 1.5 MB paragraph of "[...]" marks: quadratic quote counting hung on it
    p = tmp_path / "marks.txt"
    p.write_text("background preloader\n\nCollection\n\nFacebook Twitter\n\n"
                 + "Texte « cité » [...] Suite. " * reps + "\n", encoding="utf-8")
    out = in_subprocess(f"from ess_graph.importers import read_file\n"
                        f"print(len(read_file({str(p)!r})))")
    assert int(out) == reps + 1  # each mark followed by a capital starts an item


def test_long_markdown_heading_and_front_matter_lines_are_linear(tmp_path):
    p = tmp_path / "note.md"
    p.write_text("---\ncollection:" + " " * 2_000_000 + "Veille\n---\n# a"
                 + " " * 2_000_000 + "b\n\nTexte.\n", encoding="utf-8")
    out = in_subprocess(f"from ess_graph.importers import read_file\n"
                        f"c = read_file({str(p)!r})[0]\nprint(c.collection, c.title[:1])")
    assert out.split() == ["Veille", "a"]


# --------------------------------------------------------------------------- tracebacks

def test_deeply_nested_yaml_front_matter(tmp_path):
    p = tmp_path / "deep.md"
    p.write_text("---\ntags: " + "[" * 5000 + "]" * 5000 + "\n---\nTexte.\n", encoding="utf-8")
    err = refused(p)
    assert err.line == 2 and ("nested" in err.message or "YAML" in err.message)


def test_yaml_alias_bomb_in_front_matter(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    p = tmp_path / "bomb.md"
    p.write_text("---\n" + "\n".join(lines) + "\n---\nTexte.\n", encoding="utf-8")
    err = refused(p)
    assert "more than 100000 values" in err.message


def test_deeply_nested_jsonl_record(tmp_path):
    p = tmp_path / "deep.jsonl"
    p.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": "x", "m": ' + "[" * 100000
                 + "]" * 100000 + "}\n", encoding="utf-8")
    err = refused(p)
    assert err.line == 2 and "nested" in err.message


def test_deeply_nested_csl_json(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    err = refused(p)
    assert "nested too deeply" in err.message


@pytest.mark.parametrize("field", ["id", "text", "title"])
def test_lone_surrogate_in_jsonl(tmp_path, field):
    rec = {"id": "a", "text": "La SCIC.", "title": "T"}
    line = json.dumps(rec).replace(f'"{rec[field]}"', '"x\\ud800y"', 1)
    p = tmp_path / "s.jsonl"
    p.write_text('{"id": "ok", "text": "Bien."}\n' + line + "\n", encoding="utf-8")
    err = refused(p)
    assert err.line == 2 and "lone surrogate" in err.message and field in err.message


def test_invalid_yaml_date(tmp_path):
    p = tmp_path / "d.md"
    p.write_text("---\ntitle: T\ndate: 2021-02-30\n---\nTexte.\n", encoding="utf-8")
    err = refused(p)
    assert err.line == 3 and "day is out of range" in err.message


@pytest.mark.parametrize("value", ["99999999999999999999999", "9" * 400, "9" * 19])
def test_bookmark_add_date_overflow(tmp_path, value):
    p = tmp_path / "b.html"
    p.write_text("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
                 f'<DT><A HREF="https://example.org/x" ADD_DATE="{value}">X</A>\n</DL>\n',
                 encoding="utf-8")
    err = refused(p)
    assert err.line == 3 and "ADD_DATE" in err.message


# --------------------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                                      "utf-8-sig", "cp1252"])
def test_text_encodings_are_detected_not_garbled(tmp_path, encoding):
    p = tmp_path / "note.txt"
    p.write_bytes(FRENCH.encode(encoding))
    [c] = read_file(p)
    assert c.text == FRENCH.strip()
    assert "\ufffd" not in c.text


def test_cp1252_markdown(tmp_path):
    p = tmp_path / "note.md"
    p.write_bytes(("---\ntitle: Régie « eau »\n---\n" + FRENCH).encode("cp1252"))
    [c] = read_file(p)
    assert c.title == "Régie « eau »" and c.text == FRENCH.strip()


def test_utf8_file_with_one_bad_byte_is_refused_at_that_byte(tmp_path):
    data = FRENCH.encode("utf-8")
    cut = data.index(b"Guillestre")
    p = tmp_path / "bad.txt"
    p.write_bytes(data[:cut] + b"\xff" + data[cut:])
    err = refused(p)
    assert (err.line, err.column) == (1, cut + 1)
    assert "invalid UTF-8 byte 0xff" in err.message


def test_jsonl_lines_in_mixed_encodings_are_refused_at_the_first_foreign_line(tmp_path):
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(json.dumps({"id": "a", "text": "Économie sociale"}, ensure_ascii=False).encode("utf-8")
                  + b"\n" + json.dumps({"id": "b", "text": "Régie"}, ensure_ascii=False).encode("cp1252")
                  + b"\n")
    err = refused(p)
    assert err.line == 2 and "otherwise UTF-8" in err.message


def test_binary_named_txt_is_refused(tmp_path):
    p = tmp_path / "image.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    err = refused(p)
    assert "binary content" in err.message


def _pdf(text_lines: list[str], title: str | None = None) -> bytes:
    """A small, valid one-page PDF with a text layer (Helvetica, WinAnsi)."""
    def esc(s: str) -> bytes:
        return s.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    ops = b"BT /F1 12 Tf 72 720 Td 14 TL " + b" ".join(b"(" + esc(t) + b") Tj T*" for t in text_lines) + b" ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    if title:
        objs.append(b"<< /Title (" + esc(title) + b") >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    info = b" /Info %d 0 R" % len(objs) if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, info, xref)
    return bytes(out)


@pytest.mark.parametrize("name", ["rapport.pdf", "rapport.txt"])
def test_pdf_is_read_with_a_pdf_text_extractor(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(_pdf(["La SCIC Energie Partagee et la commune de Guillestre.",
                        "Une regie communale."], title="Rapport ESS"))
    assert detect_format(p, p.read_bytes()) == "pdf"
    [c] = read_file(p)
    assert c.source_format == "pdf" and c.title == "Rapport ESS" and c.id == "rapport"
    assert "commune de Guillestre" in c.text and "%PDF" not in c.text


def test_pdf_without_text_and_broken_pdf_are_refused(tmp_path):
    p = tmp_path / "scan.pdf"
    p.write_bytes(_pdf([]))
    assert "no text layer" in refused(p).message
    q = tmp_path / "broken.txt"
    q.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 10)
    assert "PDF" in refused(q).message


# --------------------------------------------------------------------------- one bad record

def test_on_error_reports_the_bad_record_and_keeps_every_other_clipping(tmp_path):
    good = [json.dumps({"id": f"c{i}", "text": f"Clipping {i}."}) for i in range(50)]
    lines = good[:20] + ['{"id": "bad", "text": '] + good[20:40] + ['{"id": "x\\ud800", "text": "t"}'] \
        + good[40:]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "zz.md").write_bytes(b"---\ntitle: [unclosed\n---\nTexte.\n")
    (tmp_path / "ok.md").write_text("# Titre\n\nTexte.\n", encoding="utf-8")
    errors: list[InputError] = []
    clips = read_clippings([tmp_path], on_error=errors.append)
    assert [c.id for c in clips] == [f"c{i}" for i in range(50)] + ["ok"]
    where = [(Path(e.source).name, e.line) for e in errors]
    assert where == [("batch.jsonl", 21), ("batch.jsonl", 42), ("zz.md", 3)]
    # without on_error the first problem stops the read
    with pytest.raises(InputError) as exc:
        read_clippings([tmp_path])
    assert (Path(exc.value.source).name, exc.value.line) == ("batch.jsonl", 21)


@pytest.mark.parametrize("name,content", [
    ("deep.jsonl", '{"id": "a", "text": ' + "[" * 50000 + "]" * 50000 + "}\n"),
    ("s.jsonl", '{"id": "a\\udc00", "text": "t"}\n'),
    ("d.md", "---\ndate: 2021-13-45\n---\nTexte.\n"),
    ("b.html", '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><DT><A HREF="https://e.org/" ADD_DATE="'
     + "9" * 30 + '">X</A></DL>\n'),
    ("u16.txt", b"\xff\xfeL\x00a\x00\x00\xd8"),
])
def test_refused_files_leave_the_store_unchanged_with_one_line(tmp_path, tiny_store, name, content):
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = store_quads(tiny_store)
    assert_one_line(run("load", p, "--store", tiny_store), name)
    assert store_quads(tiny_store) == before


def test_decode_text_never_returns_replacement_characters():
    for data in (FRENCH.encode("utf-8")[:-3] + b"\xe9t\xe9\n", b"abc\x81\x8d\n"):
        with pytest.raises(InputError):
            decode_text(data, "x.txt")


def test_corrupt_store_current_file_is_one_line(tmp_path, tiny_store):
    broken = tmp_path / "store"
    shutil.copytree(tiny_store, broken)
    (broken / "CURRENT").write_bytes(b"\x00\xff garbage")
    for args in (["stats"], ["query", "-e", "ASK {}"], ["load", FIX / "notes" / "regie-eau.md"]):
        p = run(*args, "--store", broken)
        assert_one_line(p, str(broken), "cannot open the store", "damaged store")
    assert (broken / "CURRENT").read_bytes() == b"\x00\xff garbage"
