"""The resolution index: entity-resolution decisions kept from one load to the next.

Cross-clipping resolution (:mod:`ess_graph.extract.resolve`) reads and extends a
:class:`ResolutionIndex`. Loading a corpus in one batch or in several batches (several
``essgraph load`` calls, in the same order) then gives the same graph, and an actor or person already
in the store is found again, with the same IRI, when a later batch mentions it. The index holds:

* **acronym definitions** — ``ACR`` → the keys (with name and type) of the long forms that define
  it, in the order they were met;
* **person clusters** — for each person name, its affiliation clusters in the order they were met:
  the key given to the cluster and the keys of the bodies the person holds a post in, presides or
  belongs to;
* **decisions per clipping** — the key each contingent decision gave in a clipping (a person's
  key, a bare acronym's long form). Re-loading a clipping replays them, so a reload gives the same
  IRIs even after later clippings have added homonyms or definitions.

Decisions are never revised: resolution is a fold over the clippings in input order (see
docs/extraction.md). In the store the index is the named graph :data:`RESOLUTION_GRAPH`, one
``rdf:value`` JSON literal per entry, written in the same transaction as the clippings it serves
(:meth:`ResolutionIndex.write_ops`), and read before a load resolves (:meth:`ResolutionIndex.read`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import iris
from .namespaces import ID

if TYPE_CHECKING:  # pragma: no cover
    from .store import GraphStore

RESOLUTION_GRAPH = ID + "graph/resolution"
ENTRY = ID + "resolution/"
_VALUE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#value")


@dataclass
class PersonCluster:
    key: str
    affiliations: set[str]
    seq: int


@dataclass
class ResolutionIndex:
    """Resolution decisions; empty for a new store or a one-off extraction."""

    acronyms: dict[str, dict[str, tuple[str, str, bool]]] = field(default_factory=dict)
    persons: dict[str, list[PersonCluster]] = field(default_factory=dict)
    decisions: dict[str, dict[str, str]] = field(default_factory=dict)
    _seq: int = 0
    _changed: set[tuple[str, str]] = field(default_factory=set)

    # -- what resolution asks and records ------------------------------------
    def define_acronym(self, acronym: str, key: str, name: str, type_: str, lexicon: bool = False) -> None:
        """``name`` (keyed ``key``, of type ``type_``, from the curated lexicon or not) defines ``acronym``."""
        defs = self.acronyms.setdefault(acronym, {})
        if key not in defs:
            defs[key] = (name, type_, lexicon)
            self._changed.add(("acronym", acronym))

    def acronym_definitions(self, acronym: str) -> dict[str, tuple[str, str, bool]]:
        return self.acronyms.get(acronym, {})

    def clusters(self, slug: str) -> list[PersonCluster]:
        return self.persons.get(slug, [])

    def add_cluster(self, slug: str, key: str, affiliations: set[str]) -> PersonCluster:
        self._seq += 1
        c = PersonCluster(key, set(affiliations), self._seq)
        self.persons.setdefault(slug, []).append(c)
        self._changed.add(("person", slug))
        return c

    def extend_cluster(self, slug: str, cluster: PersonCluster, affiliations: set[str]) -> None:
        if not affiliations <= cluster.affiliations:
            cluster.affiliations |= affiliations
            self._changed.add(("person", slug))

    def decision(self, clipping_id: str, what: str) -> str | None:
        return self.decisions.get(clipping_id, {}).get(what)

    def decide(self, clipping_id: str, what: str, key: str) -> str:
        d = self.decisions.setdefault(clipping_id, {})
        if d.get(what) != key:
            d[what] = key
            self._changed.add(("clipping", clipping_id))
        return key

    # -- the store's named graph ---------------------------------------------
    @staticmethod
    def _subject(kind: str, name: str) -> str:
        return f"{ENTRY}{kind}/{iris.short_hash(kind, name, length=16)}"

    def _entry(self, kind: str, name: str) -> dict:
        if kind == "acronym":
            return {"kind": kind, "acronym": name,
                    "definitions": [[k, n, t, lex] for k, (n, t, lex) in self.acronyms[name].items()]}
        if kind == "person":
            return {"kind": kind, "name": name,
                    "clusters": [[c.key, sorted(c.affiliations), c.seq] for c in self.persons[name]]}
        return {"kind": kind, "clipping": name, "decisions": dict(sorted(self.decisions[name].items()))}

    def quads(self, changed_only: bool = False) -> list[ox.Quad]:
        """The entries as quads of :data:`RESOLUTION_GRAPH` (those changed since read, or all)."""
        keys = sorted(self._changed) if changed_only else sorted(
            [("acronym", a) for a in self.acronyms] + [("person", p) for p in self.persons]
            + [("clipping", c) for c in self.decisions])
        g = ox.NamedNode(RESOLUTION_GRAPH)
        return [ox.Quad(ox.NamedNode(self._subject(k, n)), _VALUE,
                        ox.Literal(json.dumps(self._entry(k, n), ensure_ascii=False, sort_keys=True)), g)
                for k, n in keys]

    def write_ops(self) -> tuple[list[str], list[ox.Quad]]:
        """(SPARQL updates to run first, quads to insert) that bring the stored index up to date,
        for :meth:`ess_graph.store.GraphStore.replace_graphs` (``before=`` and ``extra_quads=``),
        so the index lands in the same transaction as the clippings resolved with it."""
        if not self._changed:
            return [], []
        subjects = " ".join(f"<{self._subject(k, n)}>" for k, n in sorted(self._changed))
        delete = (f"DELETE {{ GRAPH <{RESOLUTION_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ VALUES ?s {{ {subjects} }} "
                  f"GRAPH <{RESOLUTION_GRAPH}> {{ ?s ?p ?o }} }}")
        return [delete], self.quads(changed_only=True)

    def mark_written(self) -> None:
        self._changed.clear()

    @classmethod
    def read(cls, store: "GraphStore | None") -> "ResolutionIndex":
        """The index stored in ``store`` (empty when there is none)."""
        idx = cls()
        if store is None or not store.has_graph(RESOLUTION_GRAPH):
            return idx
        entries = []
        for q in store.store.quads_for_pattern(None, _VALUE, None, ox.NamedNode(RESOLUTION_GRAPH)):
            entries.append(json.loads(q.object.value))
        for e in entries:
            if e["kind"] == "acronym":
                idx.acronyms[e["acronym"]] = {k: (n, t, bool(lex)) for k, n, t, lex in e["definitions"]}
            elif e["kind"] == "person":
                idx.persons[e["name"]] = sorted((PersonCluster(k, set(a), s) for k, a, s in e["clusters"]),
                                                key=lambda c: c.seq)
                idx._seq = max([idx._seq] + [c.seq for c in idx.persons[e["name"]]])
            else:
                idx.decisions[e["clipping"]] = dict(e["decisions"])
        return idx
