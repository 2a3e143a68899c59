"""Loads of inputs that hold no clipping are refused and change nothing; batch size honoured."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from ess_graph.cli import main
from ess_graph.errors import InputError
from ess_graph.pipeline import load
from ess_graph.store import GraphStore

from test_pipeline import RECORDS, TinyExtractor, nquads_sorted, write_jsonl

BOOKMARKS_HEADER = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
</DL><p>
"""


def _empty_input(kind: str, tmp_path, store_path):
    d = tmp_path / "in"
    d.mkdir()
    if kind == "empty folder":
        return d
    if kind == "folder without clippings":
        (d / "notes.docx").write_bytes(b"PK\x03\x04 not a clipping format")
        (d / ".hidden.jsonl").write_text('{"id": "h", "text": "hidden"}\n', encoding="utf-8")
        (d / "sub").mkdir()
        return d
    if kind == "empty jsonl":
        (d / "c.jsonl").write_text("", encoding="utf-8")
        return d / "c.jsonl"
    if kind == "whitespace jsonl":
        (d / "c.jsonl").write_text("  \n\n\t\n", encoding="utf-8")
        return d / "c.jsonl"
    if kind == "bookmarks header":
        (d / "b.html").write_text(BOOKMARKS_HEADER, encoding="utf-8")
        return d / "b.html"
    if kind == "empty csl list":
        (d / "z.json").write_text("[]\n", encoding="utf-8")
        return d / "z.json"
    if kind == "the store's folder":
        return store_path
    raise AssertionError(kind)


KINDS = ["empty folder", "folder without clippings", "empty jsonl", "whitespace jsonl",
         "bookmarks header", "empty csl list", "the store's folder"]


@pytest.fixture
def loaded(tmp_path):
    path = tmp_path / "store"
    gs = GraphStore(path)
    load([write_jsonl(tmp_path / "c.jsonl", RECORDS)], gs, extractor=TinyExtractor(), with_reference=False)
    before = nquads_sorted(gs)
    gs.close()
    assert before
    return path, before


@pytest.mark.parametrize("kind", KINDS)
def test_an_input_without_clippings_is_refused_and_changes_nothing(loaded, tmp_path, kind):
    path, before = loaded
    given = _empty_input(kind, tmp_path, path)
    res = CliRunner().invoke(main, ["load", "--store", str(path), "--no-reference", str(given)])
    assert res.exit_code == 2, res.output
    assert "no clippings" in res.output
    assert str(given) in res.output
    assert "Traceback" not in res.output
    gs = GraphStore(path)
    try:
        assert nquads_sorted(gs) == before
    finally:
        gs.close()


def test_an_input_without_clippings_is_refused_by_the_api(loaded, tmp_path):
    path, before = loaded
    with pytest.raises(InputError, match="no clippings"):
        load([_empty_input("empty jsonl", tmp_path, path)], path, extractor=TinyExtractor(), with_reference=False)


def test_batched_load_honours_the_batch_size(tmp_path):
    """Each batch is extracted, mapped, validated and written before the next is read:
    the extractor never sees more than batch_size clippings, and each write holds one batch."""
    records = [{"id": f"r{i}", "text": f"Enercoop numéro {i}"} for i in range(23)]
    f = write_jsonl(tmp_path / "c.jsonl", records)

    class Recording(TinyExtractor):
        sizes: list[int] = []

        def extract_many(self, clippings, progress=None):
            self.sizes.append(len(clippings))
            return super().extract_many(clippings, progress)

    writes: list[int] = []
    gs = GraphStore(tmp_path / "store")
    original = gs.replace_graphs

    def counting(graphs, **kw):
        if graphs:
            writes.append(len(graphs))
        return original(graphs, **kw)
    gs.replace_graphs = counting
    ex = Recording()
    rep = load([f], gs, extractor=ex, with_reference=False, atomic=False, batch_size=5)
    assert Recording.sizes == [5, 5, 5, 5, 3]
    assert writes == [5, 5, 5, 5, 3]
    assert (rep.mode, rep.batches, rep.stored) == ("batched", 5, 23)
    assert sum(1 for g in gs.named_graphs() if "/clipping/" in g) == 23
    gs.close()


def test_small_loads_are_whole_and_large_ones_batched_by_default(tmp_path, monkeypatch):
    import ess_graph.pipeline as pl
    monkeypatch.setattr(pl, "ATOMIC_LIMIT", 10)
    small = write_jsonl(tmp_path / "s.jsonl", [{"id": f"s{i}", "text": "Enercoop"} for i in range(10)])
    big = write_jsonl(tmp_path / "b.jsonl", [{"id": f"b{i}", "text": "Enercoop"} for i in range(11)])
    gs = GraphStore(tmp_path / "store")
    assert load([small], gs, extractor=TinyExtractor(), with_reference=False).mode == "whole"
    rep = load([big], gs, extractor=TinyExtractor(), with_reference=False, batch_size=4)
    assert (rep.mode, rep.batches) == ("batched", 3)
    assert load([big], gs, extractor=TinyExtractor(), with_reference=False, atomic=True).mode == "whole"
    gs.close()


def test_batched_and_whole_loads_give_the_same_store_when_resolution_is_local(tmp_path):
    """Same input, one transaction or many: the same quads (timestamps aside)."""
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS * 1 + [{"id": f"x{i}", "text": "Guillestre et Enercoop"}
                                                         for i in range(7)])
    out = []
    for atomic in (True, False):
        gs = GraphStore(tmp_path / f"store-{atomic}")
        load([f], gs, extractor=TinyExtractor(), with_reference=False, atomic=atomic, batch_size=3)
        out.append([l for l in nquads_sorted(gs) if b"startedAtTime" not in l])
        gs.close()
    assert out[0] == out[1]


def test_items_gone_from_a_file_are_removed_in_batched_mode(tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    gs = GraphStore(tmp_path / "store")
    load([f], gs, extractor=TinyExtractor(), with_reference=False, atomic=False, batch_size=2)
    write_jsonl(f, RECORDS[:2])
    rep = load([f], gs, extractor=TinyExtractor(), with_reference=False, atomic=False, batch_size=2)
    assert rep.removed_graphs == ["https://w3id.org/essgraph/id/clipping/a3"]
    assert not gs.has_graph("https://w3id.org/essgraph/id/clipping/a3")
    assert not any("load/journal" in l.decode() for l in nquads_sorted(gs)), "the journal is removed at the end"
    gs.close()
