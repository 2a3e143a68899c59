"""Loads killed with SIGKILL: whole mode is all or nothing, batched mode resumes.

A real subprocess runs the load and is killed with SIGKILL; the store is then
inspected and, in batched mode, the load is re-run and compared with one clean
load (every quad but the load-provenance timestamps).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from ess_graph.store import GraphStore

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[3])
    from test_pipeline import TinyExtractor
    from ess_graph.pipeline import load
    atomic = {"whole": True, "batched": False}[sys.argv[4]]
    reference = sys.argv[5] == "ref"
    def progress(stage, done, total):
        if stage == "write" and total is None:
            print("writing", flush=True)
    load([sys.argv[2]], sys.argv[1], extractor=TinyExtractor(), with_reference=reference,
         progress=progress, atomic=atomic, batch_size=50)
    print("done", flush=True)
""")
TESTS = str(Path(__file__).parent)
STARTED = "http://www.w3.org/ns/prov#startedAtTime"


def clipping_graphs(path) -> int:
    gs = GraphStore(path)
    try:
        return sum(1 for g in gs.named_graphs() if "/clipping/" in g)
    finally:
        gs.close()


def quads_without_times(path) -> list[str]:
    gs = GraphStore(path)
    try:
        return sorted(str(q) for q in gs.store.quads_for_pattern(None, None, None, None)
                      if q.predicate.value != STARTED)
    finally:
        gs.close()


def write_corpus(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"c{i}", "text": f"Article {i} : la commune de Guillestre et Enercoop."}) + "\n")
    return path


def start(store, corpus, mode, ref="noref") -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, str(store), str(corpus), TESTS, mode, ref],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p


def kill_when_writing(p: subprocess.Popen, delay: float, nth: int = 1) -> None:
    for _ in range(nth):
        line = p.stdout.readline().strip()
        assert line == "writing", p.stderr.read()
    time.sleep(delay)
    p.kill()
    p.wait()


def seed(store: Path, tmp_path: Path) -> None:
    from test_pipeline import TinyExtractor
    from ess_graph.pipeline import load
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"id": "old", "text": "Guillestre et Enercoop"}) + "\n", encoding="utf-8")
    gs = GraphStore(store)
    load([first], gs, extractor=TinyExtractor(), with_reference=False)
    gs.close()


@pytest.mark.parametrize("delay", [0.0, 0.2, 0.5])
def test_sigkill_during_a_whole_load_is_all_or_nothing(tmp_path, delay):
    store = tmp_path / "store"
    seed(store, tmp_path)
    n = 1000
    p = start(store, write_corpus(tmp_path / "big.jsonl", n), "whole")
    kill_when_writing(p, delay)
    assert clipping_graphs(store) in (1, n + 1)


def test_sigkill_on_a_new_store_never_leaves_the_reference_alone(tmp_path):
    """Whole mode on a new store writes the reference graph and the clippings in one
    transaction: after a kill the store is empty or holds both."""
    store = tmp_path / "store"
    p = start(store, write_corpus(tmp_path / "c.jsonl", 20), "whole", "ref")
    kill_when_writing(p, 0.5)
    gs = GraphStore(store)
    try:
        graphs = gs.named_graphs()
    finally:
        gs.close()
    has_ref = any("/graph/reference/" in g for g in graphs)
    clips = sum(1 for g in graphs if "/clipping/" in g)
    assert (has_ref, clips) in ((False, 0), (True, 20)), (has_ref, clips)


def test_a_batched_load_killed_mid_way_resumes_to_the_clean_result(tmp_path):
    from test_pipeline import TinyExtractor
    from ess_graph.pipeline import load
    n = 400
    corpus = write_corpus(tmp_path / "big.jsonl", n)
    clean = tmp_path / "clean"
    seed(clean, tmp_path)
    gs = GraphStore(clean)
    load([corpus], gs, extractor=TinyExtractor(), with_reference=False, atomic=False, batch_size=50)
    gs.close()

    store = tmp_path / "store"
    seed(store, tmp_path)
    p = start(store, corpus, "batched")
    kill_when_writing(p, 0.05, nth=3)   # while the third batch is written
    partial = clipping_graphs(store)
    assert 1 + 100 <= partial < n + 1, partial
    assert (partial - 1) % 50 == 0, "each batch lands whole or not at all"

    gs = GraphStore(store)
    rep = load([corpus], gs, extractor=TinyExtractor(), with_reference=False, atomic=False, batch_size=50)
    gs.close()
    assert rep.resumed == partial - 1 and rep.mode == "batched" and rep.batches == 8
    assert quads_without_times(store) == quads_without_times(clean)
