"""Deterministic RDF dumps of the whole store.

Every dump is written from one canonical, sorted list of quads so that
re-exporting an unchanged store gives byte-identical files:

* graphs in order: the default graph first, then named graphs by IRI;
* inside a graph, triples sorted by their N-Triples form;
* blank nodes (essgraph itself mints none) are relabelled with RDFC-1.0
  canonical labels, so their labels depend on the data only;
* gzip members carry no file name and ``mtime = 0``.

What each file holds:

=====================  =====================================================
``essgraph.nq.gz``     N-Quads, every quad, named graphs kept
``essgraph.trig.gz``   TriG, same quads as the N-Quads dump, one block per graph
``essgraph.jsonld.gz`` JSON-LD, same quads (named graphs as ``@graph`` objects)
``essgraph.ttl.gz``    Turtle, the *union* of all graphs (each distinct triple once)
``essgraph.nt.gz``     N-Triples, the same union as the Turtle dump
=====================  =====================================================
"""
from __future__ import annotations

import gzip
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..store import GraphStore

# prefixes written in Turtle / TriG. essr: and esc: are left out on purpose:
# their local names contain "/", which Turtle would have to escape ("essr:org\/x").
DUMP_PREFIXES = {k: PREFIXES[k] for k in (
    "ess", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "foaf", "org",
    "person", "m8g", "igeo", "geo", "sf", "prov", "oa", "schema", "essglobal")}


@dataclass
class DumpSpec:
    name: str
    media_type: str
    title: str
    description: str
    file_type: str      # EU file-type authority code
    union: bool         # True: union of graphs (triples); False: quads


DUMPS = (
    DumpSpec("essgraph.nq.gz", "application/n-quads", "N-Quads dump (named graphs kept)",
             "Every quad of the store; one named graph per clipping, plus the reference, "
             "provenance and curation graphs.", "RDF_N_QUADS", False),
    DumpSpec("essgraph.trig.gz", "application/trig", "TriG dump (named graphs kept)",
             "The same quads as the N-Quads dump, in TriG.", "RDF_TRIG", False),
    DumpSpec("essgraph.jsonld.gz", "application/ld+json", "JSON-LD dump (named graphs kept)",
             "The same quads as the N-Quads dump, in JSON-LD (named graphs as @graph objects).",
             "JSON_LD", False),
    DumpSpec("essgraph.ttl.gz", "text/turtle", "Turtle dump (union of all graphs)",
             "Every distinct triple of all graphs merged into one graph; graph names are lost.",
             "RDF_TURTLE", True),
    DumpSpec("essgraph.nt.gz", "application/n-triples", "N-Triples dump (union of all graphs)",
             "The same triples as the Turtle dump, one per line, sorted.", "RDF_N_TRIPLES", True),
)


@dataclass
class CanonicalDump:
    """The store as sorted N-Quads lines, graph by graph."""

    nquads: bytes                 # whole dataset, sorted, one quad per line
    union_ntriples: bytes         # distinct triples of all graphs, sorted
    quad_count: int
    triple_count: int             # distinct triples in the union
    graph_hashes: dict[str, str]  # graph name ("" = default graph) -> sha256 of its sorted N-Triples
    graph_sizes: dict[str, int]   # graph name -> number of triples


def _has_blank_nodes(store: ox.Store) -> bool:
    ask = store.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } "
                      "FILTER(isBlank(?s) || isBlank(?o)) }")
    return bool(ask)


def _canonical_store(store: ox.Store) -> ox.Store:
    """An in-memory copy whose blank nodes carry RDFC-1.0 canonical labels."""
    ds = ox.Dataset(store)
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    out = ox.Store()
    out.extend(ds)
    return out


def sorted_graph_ntriples(store: ox.Store, graph) -> list[bytes]:
    """Sorted N-Triples lines (without newline) of one graph."""
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines.sort()
    return lines


def graph_order(store: ox.Store) -> list:
    """Default graph first, then named graphs sorted by IRI (blank graph names by label)."""
    named = sorted(store.named_graphs(), key=lambda g: (isinstance(g, ox.BlankNode), g.value))
    return [ox.DefaultGraph(), *named]


def canonical_dump(store: GraphStore | ox.Store) -> CanonicalDump:
    ox_store = store.store if isinstance(store, GraphStore) else store
    dump, maybe_blank = _sorted_dump(ox_store)
    # "_:" in the text is a cheap necessary condition; the ASK query confirms it
    if maybe_blank and _has_blank_nodes(ox_store):
        dump, _ = _sorted_dump(_canonical_store(ox_store))
    return dump


def _sorted_dump(ox_store: ox.Store) -> tuple[CanonicalDump, bool]:
    import hashlib

    nq = io.BytesIO()
    non_empty: list[list[bytes]] = []
    hashes: dict[str, str] = {}
    sizes: dict[str, int] = {}
    quads = 0
    maybe_blank = False
    for g in graph_order(ox_store):
        lines = sorted_graph_ntriples(ox_store, g)
        if isinstance(g, ox.DefaultGraph):
            key, suffix = "", None
        else:
            key = g.value
            suffix = (b" " + str(g).encode("utf-8") + b" .")
        body = b"\n".join(lines) + (b"\n" if lines else b"")
        maybe_blank = maybe_blank or b"_:" in body or isinstance(g, ox.BlankNode)
        hashes[key] = hashlib.sha256(body).hexdigest()
        sizes[key] = len(lines)
        if not lines:
            continue
        quads += len(lines)
        non_empty.append(lines)
        if suffix is None:
            nq.write(body)
        else:
            # an N-Triples line ends with " ."; insert the graph name before it
            nq.write(b"\n".join(line[:-2] + suffix for line in lines))
            nq.write(b"\n")
    # one graph's lines are already sorted and distinct; several graphs are merged
    union_lines = non_empty[0] if len(non_empty) == 1 else sorted(set().union(*non_empty))
    nt = b"\n".join(union_lines) + (b"\n" if union_lines else b"")
    return CanonicalDump(nq.getvalue(), nt, quads, len(union_lines), hashes, sizes), maybe_blank


def write_gzip(path: Path, data: bytes, level: int = 6) -> None:
    """Write ``data`` gzip-compressed, reproducibly (no name, mtime 0), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=level) as gz:
            gz.write(data)
    os.replace(tmp, path)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (a crash never leaves half a file under the final name)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def render_dump(spec: DumpSpec, canon: CanonicalDump) -> bytes:
    if spec.name.endswith(".nq.gz"):
        return canon.nquads
    if spec.name.endswith(".nt.gz"):
        return canon.union_ntriples
    if spec.union:
        triples = ox.parse(canon.union_ntriples, format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=DUMP_PREFIXES)
    quads = ox.parse(canon.nquads, format=ox.RdfFormat.N_QUADS)
    fmt = ox.RdfFormat.TRIG if spec.name.endswith(".trig.gz") else ox.RdfFormat.JSON_LD
    return ox.serialize(quads, format=fmt, prefixes=DUMP_PREFIXES)


def write_dumps(canon: CanonicalDump, out_dir: Path) -> list[tuple[DumpSpec, Path]]:
    written = []
    for spec in DUMPS:
        path = out_dir / spec.name
        write_gzip(path, render_dump(spec, canon))
        written.append((spec, path))
    return written
