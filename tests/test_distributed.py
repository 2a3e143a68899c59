"""Extraction on a real Dask distributed cluster (a LocalCluster of two worker processes) gives the
same output as one process, from the Python API and from `essgraph extract/load --scheduler`."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed", reason="the 'distributed' extra (Dask) is not installed")

from ess_graph import distributed as engines  # noqa: E402
from ess_graph.cli import main  # noqa: E402
from ess_graph.extract import Extractor  # noqa: E402
from ess_graph.extract.annotations import read_sets  # noqa: E402
from ess_graph.extract.train import default_training_sets  # noqa: E402
from ess_graph.store import PROVENANCE_GRAPH, GraphStore  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        with distributed.Client(c) as client:
            yield c, client


@pytest.fixture(scope="module")
def clippings():
    """Twenty real passages, cut to their first paragraphs: two tasks (16 + 4)."""
    from ess_graph.model import Clipping
    return [Clipping(id=d.clipping.id, text=d.clipping.text[:700], date=d.clipping.date)
            for d in read_sets(default_training_sets())[:20]]


def test_dask_equals_serial_and_loads_models_once_per_worker(cluster, clippings):
    c, client = cluster
    ex = Extractor.default()
    serial = [x.to_jsonl_record() for x in ex.extract_many(clippings)]
    seen = []
    dask = ex.extract_many(clippings, scheduler=c.scheduler_address, progress=seen.append)
    assert [x.to_jsonl_record() for x in dask] == serial
    assert seen[-1] == len(clippings) and seen == sorted(seen)
    again = ex.extract_many(clippings[:5], scheduler=client)          # an open Client works too
    assert [x.to_jsonl_record() for x in again] == serial[:5]
    built = client.run(lambda: len(engines._WORKERS))
    assert len(built) == 2 and set(built.values()) <= {0, 1} and sum(built.values()) >= 1


def test_cli_extract_and_load_with_scheduler(cluster, tmp_path):
    c, _ = cluster
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate([
        "La Mutuelle générale des Cévennes (MGC) soutient la coopérative Enercoop à Die.",
        "Jean Martin, maire de Die, inaugure la recyclerie de la MGC.",
        "Le Réseau des collectivités territoriales pour une économie solidaire (RTES) réunit ses membres."])),
        encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(main, ["extract", str(src)])
    dask = runner.invoke(main, ["extract", "--scheduler", c.scheduler_address, str(src)])
    assert plain.exit_code == 0 and dask.exit_code == 0, dask.output
    assert dask.output == plain.output and plain.output.count("\n") == 3

    stores = {}
    for name, extra in (("serial", []), ("dask", ["--scheduler", c.scheduler_address])):
        stores[name] = tmp_path / name
        res = runner.invoke(main, ["load", "--store", str(stores[name]), "--no-reference", "-q", *extra, str(src)])
        assert res.exit_code == 0, res.output

    def quads(path):
        gs = GraphStore(path, read_only=True)
        try:
            return {str(q) for q in gs.store if q.graph_name != ox.NamedNode(PROVENANCE_GRAPH)}
        finally:
            gs.close()
    assert quads(stores["serial"]) == quads(stores["dask"]) and len(quads(stores["serial"])) > 50


def test_unreachable_scheduler_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "CONNECT_TIMEOUT", 2.0)
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "La coopérative Enercoop."}\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["extract", "--scheduler", "tcp://127.0.0.1:9", str(src)])
    assert res.exit_code != 0
    assert "cannot reach the Dask scheduler tcp://127.0.0.1:9" in res.output and "Traceback" not in res.output
