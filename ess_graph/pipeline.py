"""The main job: import → extract → curate → map → validate → store.

Two modes (docs/loading.md):

* **whole** (loads of at most :data:`ATOMIC_LIMIT` clippings, or ``atomic=True``): everything is
  done in memory and written in one transaction — on a new store together with the territory
  reference graph — so a load that fails or is killed leaves the store exactly as it was;
* **batched** (larger loads, or ``atomic=False``): clippings go through import → extract → map →
  validate → write ``batch_size`` at a time, memory does not grow with the corpus, each batch is
  one transaction (every clipping graph is replaced whole or not at all), and a journal in the
  provenance graph lets a re-run of an interrupted load skip the batches already written and end
  exactly as one clean load.
"""
from __future__ import annotations

import datetime as _dt
import os
from collections import Counter
import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from . import iris
from .errors import EssGraphError, InputError
from .mapping import activity_iri, extraction_quads, provenance_quads
from .model import Extraction
from .namespaces import ESS, ID, PREFIXES
from .resources import sample_dir
from .store import LATEST_LOAD, PROVENANCE_GRAPH, GraphStore

if TYPE_CHECKING:
    from .resolution_index import ResolutionIndex

ON_INVALID = ("skip", "keep", "abort")
#: the journal of a batched load in progress (removed by the load's last transaction)
LOAD_JOURNAL = ID + "load/journal"
#: loads of at most this many clippings are written in one transaction unless told otherwise
ATOMIC_LIMIT = 500
#: clippings per batch in batched mode
DEFAULT_BATCH_SIZE = 200
#: rounds of leaving out violating facts before a clipping is given up
_PRUNE_ROUNDS = 3


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
    dropped_facts: list[str] = field(default_factory=list)


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
    mode: str = "whole"
    batches: int = 0
    resumed: int = 0
    dropped_facts: int = 0
    aborted: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "clippings": self.clippings, "stored": self.stored, "skipped": self.skipped,
            "triples_written": self.triples_written, "store_triples": self.store_triples,
            "entities_by_type": dict(sorted(self.entities_by_type.items())),
            "relations_by_predicate": dict(sorted(self.relations_by_predicate.items())),
            "candidate_relations": self.candidates, "violations": self.violations,
            "removed_graphs": self.removed_graphs, "reference_graph": self.reference_graph,
            "mode": self.mode, "batches": self.batches, "resumed_clippings": self.resumed,
            "dropped_facts": self.dropped_facts, "aborted": self.aborted,
            "seconds_by_phase": {k: round(v, 2) for k, v in self.timings.items()},
            "invalid": [{"clipping": o.clipping_id, "graph": o.graph, "stored": o.stored,
                         "dropped_facts": o.dropped_facts,
                         "violations": o.violations} for o in self.outcomes if not o.conforms],
        }


def normalise_source(path: str | None, *, bundled: bool = False, root: str | Path | None = None,
                     publish_paths: bool = False) -> str | None:
    """How a source file is recorded in ``ess:sourceFile``: relative to the folder it was loaded
    from (``root``: the folder given, or the folder of a file given), the bundled samples as
    ``data/samples/NAME``. No absolute local path is recorded unless ``publish_paths`` asks for it
    (then the absolute path is). The same file is thus named the same way wherever it lives."""
    if not path:
        return path
    p = Path(path)
    rp = p.resolve()
    if publish_paths:
        return rp.as_posix()
    if bundled:
        try:
            return "data/samples/" + rp.relative_to(sample_dir().resolve()).as_posix()
        except ValueError:
            pass
    if root is not None:
        try:
            return rp.relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return p.name


def source_roots(inputs: Sequence[str | os.PathLike]) -> dict[str, Path]:
    """For each file read from ``inputs``: the folder its ``ess:sourceFile`` is relative to."""
    from .importers import list_input_files
    from .importers._common import source_name
    roots: dict[str, Path] = {}
    for given in map(Path, inputs):
        root = given if given.is_dir() else given.parent
        for f in list_input_files([given]):
            roots.setdefault(source_name(f), root)
    return roots


def extract_paths(paths: Sequence[str | os.PathLike] | None = None, *, extractor=None,
                  collection: str | None = None, jobs: int = 1,
                  progress: Callable[[str, int, int], None] | None = None,
                  publish_paths: bool = False, scheduler: str | None = None,
                  index: "ResolutionIndex | None" = None) -> list[Extraction]:
    """Import and extract (with curation applied) without touching any store.

    ``publish_paths``: record each source file's absolute path instead of its path relative
    to the folder it was loaded from (see :func:`normalise_source`). ``scheduler``: a Dask
    scheduler address (see :mod:`ess_graph.distributed`); ``index``: the resolution decisions
    of earlier loads (:mod:`ess_graph.resolution_index`)."""
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
    roots = source_roots(inputs) if inputs and not bundled else {}
    for c in clippings:
        c.source_file = normalise_source(c.source_file, bundled=bundled, root=roots.get(c.source_file or ""),
                                         publish_paths=publish_paths)
    curations = [load_curation(p) for p in curation_files]
    extractor = extractor or Extractor.default()
    cb = (lambda n: progress("extract", n, len(clippings))) if progress else None
    extractions = extractor.extract_many(clippings, progress=cb, **_engine_kwargs(extractor, jobs, scheduler, index))
    for cur in curations:
        extractions = apply_curation(extractions, cur)
    return extractions



# ---------------------------------------------------------------------------
# validation, and leaving out the facts that violate the shapes

def _engine_kwargs(extractor, jobs: int, scheduler=None, index=None) -> dict:
    """The keyword arguments of ``extract_many`` for this engine and resolution index; an
    extractor of another kind (a test double) may take neither."""
    import inspect
    kw: dict = {"jobs": jobs} if jobs > 1 else {}
    accepted = inspect.signature(extractor.extract_many).parameters
    for name, value in (("scheduler", scheduler), ("index", index)):
        if value is not None and name in accepted:
            kw[name] = value
    return kw


def _validate_graphs(graph_quads: dict[str, list[ox.Quad]]) -> dict[str, list[dict]]:
    """Validate each clipping graph with the bundled shapes; violations per graph."""
    from .validate import validate
    per_graph: dict[str, list[dict]] = {g: [] for g in graph_quads}
    if not graph_quads:
        return per_graph
    mem = ox.Store()
    mem.extend(q for quads in graph_quads.values() for q in quads)
    report = validate(mem, engine="fast")
    if report.conforms:
        return per_graph
    node_graphs: dict[str, set[str]] = {}
    for g, quads in graph_quads.items():
        for q in quads:
            node_graphs.setdefault(q.subject.value if isinstance(q.subject, ox.NamedNode) else str(q.subject),
                                   set()).add(g)
    for r in report.results:
        for g in sorted(node_graphs.get(_bare(r.get("focusNode")), ())):
            per_graph[g].append(r)
    return per_graph


def _bare(term) -> str:
    t = str(term or "")
    return t[1:-1] if t.startswith("<") and t.endswith(">") else t


def _subject_pairs(quads: list[ox.Quad]) -> set[tuple[str, str]]:
    return {(_bare(q.subject), q.predicate.value) for q in quads}


def _describe_relation(ex: Extraction, r) -> str:
    names = {e.id: e.name for e in ex.entities}
    return f"{r.predicate}({names.get(r.subject, r.subject)} → {names.get(r.object, r.object)})"


def _leave_out(ex: Extraction, violations: list[dict]) -> tuple[Extraction, list[str]]:
    """The extraction without the facts the violations point at, and their descriptions.

    A violation's focus node (and path) is traced to the relation whose triples produce it
    (a post, a statement, a relation triple of an entity); failing that, to the entity whose
    node it is (the entity and its relations are left out)."""
    focus = {(_bare(v.get("focusNode")), _bare(v.get("resultPath"))) for v in violations}
    focus_nodes = {f for f, _ in focus}
    base = extraction_quads(replace(ex, relations=[]))
    base_nodes = {s for s, _ in _subject_pairs(base)}
    base_pairs = _subject_pairs(base)
    drop_rel: set[int] = set()
    explained: set[str] = set()
    for i, r in enumerate(ex.relations):
        pairs = _subject_pairs(extraction_quads(replace(ex, relations=[r])))
        new_nodes = {s for s, _ in pairs} - base_nodes
        new_pairs = pairs - base_pairs
        hit = (new_nodes & focus_nodes) or {(s, p) for s, p in new_pairs if (s, p) in focus}
        if hit:
            drop_rel.add(i)
            explained |= new_nodes & focus_nodes
            explained |= {s for s, p in new_pairs if (s, p) in focus}
    by_iri = {iris.entity_iri(e): e for e in ex.entities}
    drop_ent = {by_iri[f].id for f in focus_nodes - explained if f in by_iri}
    dropped = [_describe_relation(ex, r) for i, r in enumerate(ex.relations)
               if i in drop_rel or r.subject in drop_ent or r.object in drop_ent]
    dropped += [f"{e.type} {e.name!r}" for e in ex.entities if e.id in drop_ent]
    if not dropped:
        return ex, []
    kept_rel = [r for i, r in enumerate(ex.relations)
                if i not in drop_rel and r.subject not in drop_ent and r.object not in drop_ent]
    return replace(ex, entities=[e for e in ex.entities if e.id not in drop_ent], relations=kept_rel), dropped


@dataclass
class _Batch:
    """A mapped, validated batch: what to store and what to report."""
    extractions: list[Extraction]
    graph_quads: dict[str, list[ox.Quad]]
    outcomes: list[ClippingOutcome]
    to_store: dict[str, list[ox.Quad]]
    stored_ex: list[Extraction]


def _map_and_validate(extractions: list[Extraction], on_invalid: str, *, offset: int = 0,
                      fail_after_mapping: Callable[[int], None] | None = None,
                      progress: Callable | None = None) -> _Batch:
    graph_quads: dict[str, list[ox.Quad]] = {}
    for i, ex in enumerate(extractions):
        g = iris.clipping_iri(ex.clipping)
        if g in graph_quads:
            raise InputError(f"two clippings share the id {ex.clipping.id!r}", source=ex.clipping.source_file)
        graph_quads[g] = extraction_quads(ex)
        if fail_after_mapping:
            fail_after_mapping(offset + i)
        if progress:
            progress("map", i + 1, len(extractions))
    if progress:
        progress("validate", 0, None)
    violations = _validate_graphs(graph_quads)
    exs = list(extractions)
    remaining = dict(violations)        # violations left once the offending facts are left out
    dropped: dict[str, list[str]] = {}
    if on_invalid == "skip":
        for i, ex in enumerate(exs):
            g = iris.clipping_iri(ex.clipping)
            v = violations.get(g)
            for _ in range(_PRUNE_ROUNDS):
                if not v:
                    break
                ex2, gone = _leave_out(ex, v)
                if not gone:
                    break
                dropped.setdefault(g, []).extend(gone)
                ex = ex2
                graph_quads[g] = extraction_quads(ex)
                v = _validate_graphs({g: graph_quads[g]})[g]
            exs[i] = ex
            remaining[g] = v or []
    if progress:
        progress("validate", 1, 1)
    outcomes, to_store, stored_ex = [], {}, []
    for ex in exs:
        g = iris.clipping_iri(ex.clipping)
        v = violations.get(g, [])
        stored = not remaining.get(g) or on_invalid == "keep"
        outcomes.append(ClippingOutcome(ex.clipping.id, g, len(graph_quads[g]), not v, v, stored,
                                        dropped.get(g, [])))
        if stored:
            to_store[g] = graph_quads[g]
            stored_ex.append(ex)
    return _Batch(exs, graph_quads, outcomes, to_store, stored_ex)


def _stale_graphs(sink, source_files: set[str], keep: set[str]) -> list[str]:
    found: set[str] = set()
    files = sorted(source_files)
    for i in range(0, len(files), 200):
        values = " ".join(str(ox.Literal(s)) for s in files[i:i + 200])
        q = f"""SELECT DISTINCT ?g WHERE {{ VALUES ?f {{ {values} }}
                GRAPH ?g {{ ?g a ess:Clipping ; ess:sourceFile ?f }} }}"""
        found |= {row["g"] for row in sink.select(q)}
    return sorted(found - keep)


# ---------------------------------------------------------------------------
# input: a first pass that checks and counts, then clippings batch by batch

@dataclass
class _Scan:
    files: list[Path]
    bundled: bool
    roots: dict[str, Path] = field(default_factory=dict)   # file -> folder its sourceFile is relative to
    publish_paths: bool = False
    ids: list[str] = field(default_factory=list)
    shas: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    kept: list | None = field(default_factory=list)   # the clippings, while few enough to keep
    curations: list = field(default_factory=list)
    curation_bytes: list[bytes] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.ids)


def _source(scan: "_Scan", c) -> str | None:
    return normalise_source(c.source_file, bundled=scan.bundled, root=scan.roots.get(c.source_file or ""),
                            publish_paths=scan.publish_paths)


def _scan(paths, collection: str | None, keep_limit: int, store_path: Path | None,
          progress: Callable | None, publish_paths: bool = False) -> _Scan:
    from .curation import load_curation
    from .importers import list_input_files, read_file
    bundled = not paths
    paths = list(paths) if paths else [sample_dir()]
    for p in paths:
        if not Path(p).exists():
            raise InputError("no such file or directory", source=str(p))
        if store_path is not None and Path(p).resolve() == store_path.resolve():
            raise InputError("no clippings: this is the store's own folder", source=str(p))
    inputs, curation_files = split_inputs(paths)
    files = list_input_files(inputs) if inputs else []
    scan = _Scan(files, bundled, source_roots(inputs) if inputs and not bundled else {}, publish_paths)
    where: dict[str, str] = {}
    for n, f in enumerate(files, start=1):
        for c in read_file(f, collection=collection):
            c.source_file = _source(scan, c)
            if c.id in where:
                raise InputError(f"duplicate clipping id {c.id!r}: already read from {where[c.id]}",
                                 source=c.source_file, line=c.source_line)
            where[c.id] = f"{c.source_file}:{c.source_line}" if c.source_line else str(c.source_file)
            scan.ids.append(c.id)
            scan.shas.append(c.sha256)
            if c.source_file:
                scan.sources.add(c.source_file)
            if scan.kept is not None:
                scan.kept.append(c)
                if len(scan.kept) > keep_limit:
                    scan.kept = None
        if progress:
            progress("import", n, len(files))
    if not scan.ids:
        raise InputError("no clippings found in the input (nothing loaded, the store is unchanged)",
                         source=", ".join(str(p) for p in paths))
    for p in curation_files:
        scan.curations.append(load_curation(p))
        scan.curation_bytes.append(Path(p).read_bytes())
    known = set(where)
    for cur in scan.curations:
        for cid, cc in cur.clippings.items():
            if cid not in known:
                raise InputError(f"unknown clipping id {cid!r}", source=cur.path, line=cc.line)
    return scan


def _clippings(scan: _Scan, collection: str | None) -> Iterator:
    if scan.kept is not None:
        yield from scan.kept
        return
    from .importers import read_file
    for f in scan.files:
        for c in read_file(f, collection=collection):
            c.source_file = _source(scan, c)
            yield c


def _batches(it: Iterator, size: int) -> Iterator[list]:
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def _curate(extractions: list[Extraction], curations: list) -> list[Extraction]:
    from .curation import apply_curation
    ids = {ex.clipping.id for ex in extractions}
    for cur in curations:
        part = replace(cur, clippings={k: v for k, v in cur.clippings.items() if k in ids})
        if part.clippings:
            extractions = apply_curation(extractions, part)
    return extractions


class _BatchExtractor:
    """Extraction of one batch after another, on the engine chosen (worker processes forked
    from this process, or a Dask cluster: :mod:`ess_graph.distributed`), resolving against
    the store's resolution index so that batches resolve as one corpus would."""

    def __init__(self, extractor, jobs: int, scheduler=None, index=None):
        self.extractor = extractor
        self.jobs = jobs
        self.scheduler = scheduler
        self.index = index

    def __enter__(self) -> "_BatchExtractor":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __call__(self, clippings: list, progress: Callable[[int], None] | None = None) -> list[Extraction]:
        kw = _engine_kwargs(self.extractor, self.jobs, self.scheduler, self.index)
        return self.extractor.extract_many(clippings, progress=progress, **kw)


# ---------------------------------------------------------------------------
# provenance of one write

def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _provenance(sink, stored_ex: list[Extraction], now: str) -> list[ox.Quad]:
    """Activities (with ``prov:startedAtTime`` only for those not seen before) and the
    ``essr:load/latest ess:changedGraph`` entries of these clippings."""
    started = PREFIXES["prov"] + "startedAtTime"
    prov = [q for q in provenance_quads(stored_ex, now) if q.predicate.value != started]
    acts = sorted({activity_iri(ex.clipping) for ex in stored_ex})
    seen: set[str] = set()
    for i in range(0, len(acts), 500):
        values = " ".join(f"<{a}>" for a in acts[i:i + 500])
        seen |= {r["a"] for r in sink.select(
            f"SELECT ?a WHERE {{ VALUES ?a {{ {values} }} "
            f"GRAPH <{PROVENANCE_GRAPH}> {{ ?a <{started}> ?t }} }}")}
    pg = ox.NamedNode(PROVENANCE_GRAPH)
    time = ox.Literal(now, datatype=ox.NamedNode(PREFIXES["xsd"] + "dateTime"))
    prov += [ox.Quad(ox.NamedNode(a), ox.NamedNode(started), time, pg) for a in acts if a not in seen]
    prov += [ox.Quad(ox.NamedNode(LATEST_LOAD), ox.NamedNode(ESS + "changedGraph"),
                     ox.NamedNode(iris.clipping_iri(ex.clipping)), pg) for ex in stored_ex]
    return prov


_CLEAR_LATEST = f"DELETE WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LATEST_LOAD}> <{ESS}changedGraph> ?g }} }}"
_CLEAR_JOURNAL = f"DELETE WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LOAD_JOURNAL}> ?p ?o }} }}"


def _journal_quads(digest: str | None, batch: int) -> list[ox.Quad]:
    pg = ox.NamedNode(PROVENANCE_GRAPH)
    j = ox.NamedNode(LOAD_JOURNAL)
    out = [ox.Quad(j, ox.NamedNode(ESS + "doneBatch"),
                   ox.Literal(str(batch), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer")), pg)]
    if digest:
        out.append(ox.Quad(j, ox.NamedNode(ESS + "loadDigest"), ox.Literal(digest), pg))
    return out


def _load_digest(scan: _Scan, *, batch_size: int, on_invalid: str, with_reference: bool, extractor) -> str:
    from . import __version__
    h = hashlib.sha256(f"essgraph-load/1\0{__version__}\0{batch_size}\0{on_invalid}\0{with_reference}\0"
                       f"{type(extractor).__module__}.{type(extractor).__qualname__}\0"
                       f"{getattr(extractor, 'model_dir', '')}\0".encode())
    for b in scan.curation_bytes:
        h.update(hashlib.sha256(b).digest())
    for cid, sha in zip(scan.ids, scan.shas):
        h.update(cid.encode("utf-8", "surrogatepass") + b"\0" + sha.encode() + b"\n")
    h.update("\0".join(sorted(scan.sources)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _journal(sink) -> tuple[str | None, set[int]]:
    rows = sink.select(f"SELECT ?p ?o WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LOAD_JOURNAL}> ?p ?o }} }}")
    digest = next((r["o"] for r in rows if r["p"] == ESS + "loadDigest"), None)
    done = {int(r["o"]) for r in rows if r["p"] == ESS + "doneBatch"}
    return digest, done


def _account(report: LoadReport, batch: _Batch) -> None:
    for o in batch.outcomes:
        report.outcomes.append(o)
        report.clippings += 1
        report.violations += len(o.violations)
        report.dropped_facts += len(o.dropped_facts)
        if o.stored:
            report.stored += 1
            report.triples_written += o.triples
        else:
            report.skipped += 1
    for ex in batch.stored_ex:
        report.entities_by_type.update(e.type for e in ex.entities)
        for r in ex.relations:
            if r.candidate:
                report.candidates += 1
            else:
                report.relations_by_predicate[r.predicate] += 1


class _PhaseClock:
    """Wraps a progress callback and adds up the seconds spent in each phase: the time
    before an event belongs to that event's phase, unless the event opens the phase."""

    def __init__(self, progress):
        import time
        self._time = time.perf_counter
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.last = self._time()
        self.stage: str | None = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = self._time()
        opening = stage != self.stage and done == 0
        owner = self.stage if opening else stage
        if owner and owner != "clippings":
            self.timings[owner] = self.timings.get(owner, 0.0) + now - self.last
        if stage != "clippings":
            self.last = now
            self.stage = stage
        if self.progress and stage != "done":
            self.progress(stage, done, total)


# ---------------------------------------------------------------------------

def load(paths: Sequence[str | os.PathLike] | None = None, store: GraphStore | str | os.PathLike | None = None,
         *, on_invalid: str = "skip", extractor=None, with_reference: bool = True,
         collection: str | None = None, jobs: int = 1,
         progress: Callable[[str, int, int | None], None] | None = None,
         fail_after_mapping: Callable[[int], None] | None = None,
         atomic: bool | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
         endpoint: str | None = None, query_endpoint: str | None = None,
         headers: dict | None = None, publish_paths: bool = False,
         scheduler: str | None = None) -> LoadReport:
    """Load clippings (the bundled sample collection when ``paths`` is empty).

    ``on_invalid``: what happens to a fact (an entity, or a relation with its nodes) that
    violates the shapes — ``skip``: left out and reported, the rest of its clipping is stored;
    ``keep``: stored anyway and reported; ``abort``: the load stops (nothing written in whole
    mode; in batched mode the batches before the one holding the violation stay).

    ``atomic``: ``True`` writes the whole load in one transaction, ``False`` writes it
    ``batch_size`` clippings at a time; ``None`` (default) chooses whole for loads of at most
    :data:`ATOMIC_LIMIT` clippings. ``endpoint`` (a SPARQL Update URL) writes to a shared server
    instead of ``store``. ``progress(stage, done, total)`` is told each phase (``total`` None:
    no known length). ``scheduler`` (a Dask scheduler address) sends extraction to a cluster;
    the store is still written by this process. ``publish_paths`` records absolute source paths (by default
    ``ess:sourceFile`` is relative to the folder loaded). ``fail_after_mapping`` is a test hook called with each clipping index
    after mapping, to inject failures.
    """
    from .sinks import LocalSink, open_sink
    if on_invalid not in ON_INVALID:
        raise EssGraphError(f"on_invalid must be one of {', '.join(ON_INVALID)}")
    if batch_size < 1:
        raise EssGraphError("batch_size must be at least 1")
    sink = open_sink(store, endpoint=endpoint, query_endpoint=query_endpoint, headers=headers)
    store_path = sink.gs.path if isinstance(sink, LocalSink) else None
    progress = clock = _PhaseClock(progress)
    try:
        keep_limit = ATOMIC_LIMIT if atomic is None else (10**12 if atomic else batch_size)
        scan = _scan(paths, collection, keep_limit, store_path, progress, publish_paths)
        whole = atomic if atomic is not None else scan.count <= ATOMIC_LIMIT
        sink.check()
        if extractor is None:
            from .extract import Extractor
            if progress:
                progress("load models", 0, None)
            # worker processes are forked from this one and share its models; Dask workers
            # load their own (here the rules, lexicon and resolution are enough)
            extractor = Extractor() if scheduler else Extractor.default()
            if progress:
                progress("load models", 1, 1)
        report = LoadReport(on_invalid=on_invalid, mode="whole" if whole else "batched")
        if whole:
            _load_whole(sink, scan, report, extractor=extractor, with_reference=with_reference,
                        collection=collection, jobs=jobs, progress=progress,
                        fail_after_mapping=fail_after_mapping, scheduler=scheduler)
        else:
            _load_batched(sink, scan, report, extractor=extractor, with_reference=with_reference,
                          collection=collection, jobs=jobs, progress=progress,
                          fail_after_mapping=fail_after_mapping, batch_size=batch_size,
                          scheduler=scheduler)
        report.store_triples = sink.count()
        clock("done", 0, None)
        report.timings = clock.timings
        return report
    finally:
        if hasattr(sink, "close"):
            sink.close()


def _load_whole(sink, scan: _Scan, report: LoadReport, *, extractor, with_reference, collection,
                jobs, progress, fail_after_mapping, scheduler=None) -> None:
    from .sinks import LocalSink
    clippings = list(_clippings(scan, collection))
    cb = (lambda n: progress("extract", n, len(clippings))) if progress else None
    if progress:
        progress("extract", 0, len(clippings))
    resolution = _resolution_index(sink)
    extract = _BatchExtractor(extractor, jobs, scheduler, resolution)
    extractions = _curate(extract(clippings, cb), scan.curations)
    batch = _map_and_validate(extractions, report.on_invalid, fail_after_mapping=fail_after_mapping,
                              progress=progress)
    _account(report, batch)
    report.batches = 1
    if report.on_invalid == "abort" and report.violations:
        _abort(report)
        return
    stale = _stale_graphs(sink, scan.sources, set(batch.graph_quads))
    report.removed_graphs = stale
    res_before, res_quads = resolution.write_ops() if resolution is not None else ([], [])
    extra = _provenance(sink, batch.stored_ex, _now()) + res_quads
    if with_reference:
        from .territories import reference_graph_iri
        report.reference_graph = reference_graph_iri()
    if isinstance(sink, LocalSink) and sink.is_empty():
        # a new store: the reference graph and the clippings written together by the bulk
        # loader, all or nothing, so that a kill leaves the store empty, not with the
        # reference alone
        if progress:
            progress("write", 0, None)
        sink.write_all(itertools.chain((q for quads in batch.to_store.values() for q in quads), extra),
                       reference=with_reference)
        if progress:
            progress("write", 1, 1)
        _finish(sink, progress)
        return
    if with_reference:
        _ensure_reference(sink, report, progress)
    if progress:
        progress("write", 0, None)
    # a clipping skipped for violations keeps its previously stored version, if any
    sink.replace_graphs(batch.to_store, extra_quads=extra, drop=stale,
                        before=[_CLEAR_LATEST, _CLEAR_JOURNAL] + res_before)
    if progress:
        progress("write", 1, 1)
    _finish(sink, progress)


def _ensure_reference(sink, report: LoadReport, progress) -> None:
    """The territory reference graph, written when missing or out of date (a named phase)."""
    if progress:
        progress("reference", 0, None)
    report.reference_graph = sink.ensure_reference()
    if progress:
        progress("reference", 1, 1)


def _account_resumed(report: LoadReport, chunk: list, written: set[str]) -> None:
    """A batch an interrupted run already wrote (found in the journal): counted, not redone."""
    report.resumed += len(chunk)
    report.clippings += len(chunk)
    report.stored += len(chunk)
    written.update(iris.clipping_iri(c) for c in chunk)


def _abort_batch(report: LoadReport, batch: "_Batch") -> None:
    """``on_invalid="abort"`` met a violation in this batch: none of it is stored."""
    for o in batch.outcomes:
        if o.stored:
            report.stored -= 1
            report.triples_written -= o.triples
            o.stored = False
    report.aborted = True


def _resolution_index(sink):
    """The resolution decisions of earlier loads (batch-independent resolution,
    :mod:`ess_graph.resolution_index`), read from a local store; a remote server's loads
    resolve within each load."""
    from .resolution_index import ResolutionIndex
    from .sinks import LocalSink
    return ResolutionIndex.read(sink.gs) if isinstance(sink, LocalSink) else ResolutionIndex()


def _abort(report: LoadReport) -> None:
    report.aborted = True
    report.stored = 0
    report.triples_written = 0
    for o in report.outcomes:
        o.stored = False


def _finish(sink, progress) -> None:
    if progress:
        progress("compact", 0, None)
    sink.finish()
    if progress:
        progress("compact", 1, 1)


def _load_batched(sink, scan: _Scan, report: LoadReport, *, extractor, with_reference, collection,
                  jobs, progress, fail_after_mapping, batch_size, scheduler=None) -> None:
    digest = _load_digest(scan, batch_size=batch_size, on_invalid=report.on_invalid,
                          with_reference=with_reference, extractor=extractor)
    old_digest, done = _journal(sink)
    resuming = old_digest == digest
    if not resuming:
        done = set()
    if with_reference:
        _ensure_reference(sink, report, progress)
    total = scan.count
    n_done = 0
    first_write = not resuming
    written: set[str] = set()
    if progress:
        progress("clippings", 0, total)
    resolution = _resolution_index(sink)
    with _BatchExtractor(extractor, jobs, scheduler, resolution) as extract:
        clips = _clippings(scan, collection)
        for k, chunk in enumerate(_batches(clips, batch_size)):
            report.batches += 1
            if k in done:
                _account_resumed(report, chunk, written)
                n_done += len(chunk)
                if progress:
                    progress("clippings", n_done, total)
                continue
            if progress:
                progress("extract", 0, len(chunk))
            cb = (lambda n, m=len(chunk): progress("extract", n, m)) if progress else None
            extractions = _curate(extract(chunk, cb), scan.curations)
            batch = _map_and_validate(extractions, report.on_invalid, offset=n_done,
                                      fail_after_mapping=fail_after_mapping, progress=progress)
            _account(report, batch)
            if report.on_invalid == "abort" and any(not o.conforms for o in batch.outcomes):
                _abort_batch(report, batch)
                break
            res_before, res_quads = resolution.write_ops() if resolution is not None else ([], [])
            extra = (_provenance(sink, batch.stored_ex, _now()) + _journal_quads(digest if first_write else None, k)
                     + res_quads)
            if progress:
                progress("write", 0, None)
            sink.replace_graphs(batch.to_store, extra_quads=extra,
                                before=([_CLEAR_LATEST, _CLEAR_JOURNAL] if first_write else []) + res_before)
            if resolution is not None:
                resolution.mark_written()
            if progress:
                progress("write", 1, 1)
            first_write = False
            written.update(batch.graph_quads)
            n_done += len(chunk)
            if progress:
                progress("clippings", n_done, total)
    if report.aborted:
        return
    stale = _stale_graphs(sink, scan.sources, written)
    report.removed_graphs = stale
    # last transaction: graphs of items gone from their files, and the journal
    sink.replace_graphs({}, drop=stale, before=[_CLEAR_JOURNAL])
    _finish(sink, progress)
