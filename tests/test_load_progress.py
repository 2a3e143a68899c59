"""Progress: every phase of a load is named, batched loads report clippings done, rate and ETA."""
from __future__ import annotations

from ess_graph.pipeline import load
from ess_graph.store import GraphStore

from test_pipeline import RECORDS, TinyExtractor, write_jsonl


def record(events):
    def cb(stage, done, total):
        events.append((stage, done, total))
    return cb


def stages(events) -> list[str]:
    out = []
    for s, _, _ in events:
        if not out or out[-1] != s:
            out.append(s)
    return out


def test_a_batched_load_names_each_phase_and_counts_clippings(tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", [dict(r, id=f"{r['id']}-{i}") for i in range(3) for r in RECORDS])
    events = []
    gs = GraphStore(tmp_path / "store")
    rep = load([f], gs, extractor=TinyExtractor(), with_reference=False, atomic=False, batch_size=4,
               progress=record(events))
    gs.close()
    seq = stages(events)
    assert seq[0] == "import"
    assert seq[-1] == "compact"
    for phase in ("extract", "map", "validate", "write"):
        assert seq.count(phase) == 3, (phase, seq)     # once per batch
    assert [(d, t) for s, d, t in events if s == "clippings"] == [(0, 9), (4, 9), (8, 9), (9, 9)]
    assert set(rep.timings) >= {"import", "map", "validate", "write", "compact"}


def test_the_model_and_reference_phases_are_named(tmp_path, extractor):
    """With no extractor given the models are loaded in a named phase (the shared extractor,
    already loaded by the session fixture, makes it short here); the reference graph is
    brought in a named phase without a known length (a spinner)."""
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS[:2])
    events = []
    gs = GraphStore(tmp_path / "store")
    load([f], gs, with_reference=True, atomic=False, progress=record(events))
    gs.close()
    seq = stages(events)
    assert seq[:3] == ["import", "load models", "reference"]
    assert ("reference", 0, None) in events and ("load models", 0, None) in events
    assert seq.index("reference") < seq.index("extract") < seq.index("write")


def test_the_cli_display_shows_phase_names_rate_and_eta():
    from ess_graph.cli.load import PHASES, _progress_factory
    progress, cb = _progress_factory(False)
    cb("import", 1, 1)
    cb("clippings", 0, 10)
    cb("extract", 0, 5)
    tasks = {t.description: t for t in progress.tasks}
    assert set(tasks) == {PHASES["extract"], "clippings"}
    assert tasks[PHASES["extract"]].total == 5
    cb("extract", 3, 5)
    assert {t.description: t for t in progress.tasks}[PHASES["extract"]].completed == 3
    cb("clippings", 5, 10)
    cb("reference", 0, None)
    tasks = {t.description: t for t in progress.tasks}
    assert set(tasks) == {"territory reference", "clippings"}
    assert tasks["territory reference"].total is None
    assert tasks["clippings"].fields["rate"].endswith("clippings/s")
    assert tasks["clippings"].completed == 5 and tasks["clippings"].total == 10
    assert _progress_factory(True) == (None, None)
