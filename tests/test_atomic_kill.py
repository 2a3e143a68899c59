"""A load killed with SIGKILL while it writes leaves the store either as it was or fully loaded."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from ess_graph.store import GraphStore

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[3])
    from test_pipeline import TinyExtractor
    from ess_graph.pipeline import load
    def progress(stage, done, total):
        if stage == "validate":
            print("writing", flush=True)
    load([sys.argv[2]], sys.argv[1], extractor=TinyExtractor(), with_reference=False, progress=progress)
    print("done", flush=True)
""")


def clipping_graphs(path) -> int:
    gs = GraphStore(path)
    try:
        return sum(1 for g in gs.named_graphs() if "/clipping/" in g)
    finally:
        del gs


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5])
def test_sigkill_during_write_is_all_or_nothing(tmp_path, delay):
    from test_pipeline import TinyExtractor
    from ess_graph.pipeline import load
    store = tmp_path / "store"
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"id": "old", "text": "Guillestre et Enercoop"}) + "\n", encoding="utf-8")
    gs = GraphStore(store)
    load([first], gs, extractor=TinyExtractor(), with_reference=False)
    gs.close()
    big = tmp_path / "big.jsonl"
    n = 1000
    with big.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"c{i}", "text": f"Article {i} : la commune de Guillestre et Enercoop."}) + "\n")
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, str(store), str(big), tests_dir],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line == "writing", p.stderr.read()
    time.sleep(delay)
    p.kill()
    p.wait()
    count = clipping_graphs(store)
    assert count in (1, n + 1), count
