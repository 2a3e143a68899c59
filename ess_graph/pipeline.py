"""The main job: import → extract → curate → map → validate → store.

:func:`load` does all the work in memory first and then writes the store in a
single transaction, so a load that fails part-way (bad file, crash, violation
with ``on_invalid="abort"``) leaves the store exactly as it was.
"""
from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import iris
from .errors import EssGraphError, InputError
from .mapping import activity_iri, extraction_quads, provenance_quads
from .model import Extraction
from .namespaces import ESS, PREFIXES
from .resources import sample_dir
from .store import LATEST_LOAD, PROVENANCE_GRAPH, GraphStore

ON_INVALID = ("skip", "keep", "abort")


def split_inputs(paths: Sequence[str | os.PathLike]) -> tuple[list[Path], list[Path]]:
    """Separate clipping inputs from curation files (found beside the clippings too)."""
    from .curation import find_curation_files, is_curation_file
    inputs = [p for p in map(Path, paths) if not (p.is_file() and is_curation_file(p))]
    return inputs, find_curation_files(paths)


@dataclass
class ClippingOutcome:
    clipping_id: str
    graph: str
    triples: int
    conforms: bool
    violations: list[dict] = field(default_factory=list)
    stored: bool = True


@dataclass
class LoadReport:
    clippings: int = 0
    stored: int = 0
    skipped: int = 0
    triples_written: int = 0
    store_triples: int = 0
    entities_by_type: Counter = field(default_factory=Counter)
    relations_by_predicate: Counter = field(default_factory=Counter)
    candidates: int = 0
    violations: int = 0
    outcomes: list[ClippingOutcome] = field(default_factory=list)
    removed_graphs: list[str] = field(default_factory=list)
    reference_graph: str | None = None
    on_invalid: str = "skip"

    def to_dict(self) -> dict:
        return {
            "clippings": self.clippings, "stored": self.stored, "skipped": self.skipped,
            "triples_written": self.triples_written, "store_triples": self.store_triples,
            "entities_by_type": dict(sorted(self.entities_by_type.items())),
            "relations_by_predicate": dict(sorted(self.relations_by_predicate.items())),
            "candidate_relations": self.candidates, "violations": self.violations,
            "removed_graphs": self.removed_graphs, "reference_graph": self.reference_graph,
            "invalid": [{"clipping": o.clipping_id, "graph": o.graph, "stored": o.stored,
                         "violations": o.violations} for o in self.outcomes if not o.conforms],
        }


def normalise_source(path: str | None, *, bundled: bool = False) -> str | None:
    """How a source file is recorded: relative to the working directory when inside
    it, else absolute; the bundled samples as ``data/samples/NAME``. The same file
    is thus named the same way however it was given on the command line."""
    if not path:
        return path
    p = Path(path)
    if bundled:
        try:
            return "data/samples/" + p.resolve().relative_to(sample_dir().resolve()).as_posix()
        except ValueError:
            pass
    rp = p.resolve()
    try:
        return rp.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return rp.as_posix()


def extract_paths(paths: Sequence[str | os.PathLike] | None = None, *, extractor=None,
                  collection: str | None = None, jobs: int = 1,
                  progress: Callable[[str, int, int], None] | None = None) -> list[Extraction]:
    """Import and extract (with curation applied) without touching any store."""
    from .importers import read_clippings
    from .extract import Extractor
    from .curation import apply_curation, load_curation

    bundled = not paths
    paths = list(paths) if paths else [sample_dir()]
    for p in paths:
        if not Path(p).exists():
            raise InputError("no such file or directory", source=str(p))
    inputs, curation_files = split_inputs(paths)
    clippings = read_clippings(inputs, collection=collection) if inputs else []
    for c in clippings:
        c.source_file = normalise_source(c.source_file, bundled=bundled)
    curations = [load_curation(p) for p in curation_files]
    extractor = extractor or Extractor.default()
    cb = (lambda n: progress("extract", n, len(clippings))) if progress else None
    extractions = extractor.extract_many(clippings, progress=cb, **({"jobs": jobs} if jobs > 1 else {}))
    for cur in curations:
        extractions = apply_curation(extractions, cur)
    return extractions


def _validate_graphs(graph_quads: dict[str, list[ox.Quad]]) -> dict[str, list[dict]]:
    """Validate each clipping graph with the bundled shapes; violations per graph."""
    from .validate import validate
    mem = ox.Store()
    mem.extend(q for quads in graph_quads.values() for q in quads)
    report = validate(mem, engine="fast")
    per_graph: dict[str, list[dict]] = {g: [] for g in graph_quads}
    if report.conforms:
        return per_graph
    node_graphs: dict[str, set[str]] = {}
    for g, quads in graph_quads.items():
        for q in quads:
            node_graphs.setdefault(str(q.subject), set()).add(g)
    for r in report.results:
        fn = r.get("focusNode")
        for g in sorted(node_graphs.get(fn if fn and fn.startswith("<") else f"<{fn}>", ()) or
                        node_graphs.get(str(fn), ())):
            per_graph[g].append(r)
    return per_graph


def _stale_graphs(store: GraphStore, source_files: set[str], keep: set[str]) -> list[str]:
    if not source_files:
        return []
    values = " ".join(ox.Literal(s).__str__() for s in sorted(source_files))
    q = f"""SELECT DISTINCT ?g WHERE {{ VALUES ?f {{ {values} }}
            GRAPH ?g {{ ?g a ess:Clipping ; ess:sourceFile ?f }} }}"""
    found = {s["g"].value for s in store.query(q)}
    return sorted(found - keep)


def load(paths: Sequence[str | os.PathLike] | None = None, store: GraphStore | str | os.PathLike | None = None,
         *, on_invalid: str = "skip", extractor=None, with_reference: bool = True,
         collection: str | None = None, jobs: int = 1,
         progress: Callable[[str, int, int], None] | None = None,
         fail_after_mapping: Callable[[int], None] | None = None) -> LoadReport:
    """Load clippings (the bundled sample collection when ``paths`` is empty).

    ``on_invalid``: what happens to a clipping whose graph violates the shapes —
    ``skip`` (not stored, reported), ``keep`` (stored and reported) or
    ``abort`` (nothing at all is stored). ``collection`` names the collection of
    clippings whose files do not name one. ``fail_after_mapping`` is a test hook
    called with each clipping index after mapping, to inject failures.
    """
    if on_invalid not in ON_INVALID:
        raise EssGraphError(f"on_invalid must be one of {', '.join(ON_INVALID)}")
    gs = store if isinstance(store, GraphStore) else GraphStore(store)
    extractions = extract_paths(paths, extractor=extractor, collection=collection, progress=progress, jobs=jobs)
    report = LoadReport(on_invalid=on_invalid)
    graph_quads: dict[str, list[ox.Quad]] = {}
    for i, ex in enumerate(extractions):
        g = iris.clipping_iri(ex.clipping)
        if g in graph_quads:
            raise InputError(f"two clippings share the id {ex.clipping.id!r}",
                             source=ex.clipping.source_file)
        graph_quads[g] = extraction_quads(ex)
        if fail_after_mapping:
            fail_after_mapping(i)
        if progress:
            progress("map", i + 1, len(extractions))
    violations = _validate_graphs(graph_quads) if graph_quads else {}
    if progress:
        progress("validate", len(graph_quads), len(graph_quads))
    to_store: dict[str, list[ox.Quad]] = {}
    for ex in extractions:
        g = iris.clipping_iri(ex.clipping)
        v = violations.get(g, [])
        stored = not v or on_invalid == "keep"
        report.outcomes.append(ClippingOutcome(ex.clipping.id, g, len(graph_quads[g]), not v, v, stored))
        report.violations += len(v)
        report.clippings += 1
        if stored:
            to_store[g] = graph_quads[g]
            report.stored += 1
            report.triples_written += len(graph_quads[g])
            report.entities_by_type.update(e.type for e in ex.entities)
            for r in ex.relations:
                if r.candidate:
                    report.candidates += 1
                else:
                    report.relations_by_predicate[r.predicate] += 1
        else:
            report.skipped += 1
    if on_invalid == "abort" and report.violations:
        report.stored = 0
        report.triples_written = 0
        for o in report.outcomes:
            o.stored = False
        report.store_triples = len(gs)
        return report

    if with_reference:
        from .territories import ensure_reference_graph, reference_graph_iri
        had_reference = gs.has_graph(reference_graph_iri())
        report.reference_graph = ensure_reference_graph(gs)
        if not had_reference:
            gs.reopen()

    stored_ex = [ex for ex in extractions if iris.clipping_iri(ex.clipping) in to_store]
    sources = {ex.clipping.source_file for ex in extractions if ex.clipping.source_file}
    stale = _stale_graphs(gs, sources, set(graph_quads))
    report.removed_graphs = stale
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    started = f"<{PREFIXES['prov']}startedAtTime>"
    prov = [q for q in provenance_quads(stored_ex, now) if str(q.predicate) != started]
    changed = [ox.Quad(ox.NamedNode(LATEST_LOAD), ox.NamedNode(ESS + "changedGraph"), ox.NamedNode(g),
                       ox.NamedNode(PROVENANCE_GRAPH)) for g in sorted(to_store)]
    before = [f"DELETE WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LATEST_LOAD}> <{ESS}changedGraph> ?g }} }}"]
    after = []
    if stored_ex:
        acts = " ".join(f"<{a}>" for a in sorted({activity_iri(ex.clipping) for ex in stored_ex}))
        after.append(
            f"INSERT {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?a <{PREFIXES['prov']}startedAtTime> "
            f"\"{now}\"^^<{PREFIXES['xsd']}dateTime> }} }} WHERE {{ VALUES ?a {{ {acts} }} "
            f"FILTER NOT EXISTS {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?a <{PREFIXES['prov']}startedAtTime> ?t }} }} }}")
    # A clipping skipped for violations keeps its previously stored version, if any:
    # bad input never deletes what is already stored.
    gs.replace_graphs(to_store, extra_quads=prov + changed, drop=stale,
                      before=before, after=after)
    gs.flush()
    report.store_triples = len(gs)
    return report
