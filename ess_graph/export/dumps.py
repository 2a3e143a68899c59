"""Deterministic RDF dumps of the whole store.

Every dump is written from one canonical, sorted list of quads so that
re-exporting an unchanged store gives byte-identical files:

* graphs in order: the default graph first, then named graphs by IRI;
* inside a graph, triples sorted by their N-Triples form;
* blank nodes (essgraph itself mints none) are relabelled with RDFC-1.0
  canonical labels, so their labels depend on the data only;
* gzip members carry no file name and ``mtime = 0``;
* no absolute local path is published: an ``ess:sourceFile`` holding one (a store loaded with
  ``essgraph load --publish-paths``, or before paths were made relative) is written as the file's
  name, unless the export asks for it (``publish_paths=True``, ``essgraph export --publish-paths``).

What each file holds:

=====================  =====================================================
``essgraph.nq.gz``     N-Quads, every quad, named graphs kept
``essgraph.trig.gz``   TriG, same quads as the N-Quads dump, one block per graph
``essgraph.jsonld.gz`` JSON-LD, same quads (named graphs as ``@graph`` objects), compacted with the
                       published ``@context`` (``essgraph.context.jsonld``): "partnerOf", not IRIs
``essgraph.ttl.gz``    Turtle, the *union* of all graphs (each distinct triple once)
``essgraph.nt.gz``     N-Triples, the same union as the Turtle dump
=====================  =====================================================
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath

import pyoxigraph as ox

from ..namespaces import ESS, IRI_FAMILIES, PREFIXES
from ..resources import ontology_dir
from ..store import GraphStore

# prefixes written in Turtle / TriG: the vocabularies, and one per family of essgraph IRIs
# (commune:05065, role:maire). essr: and esc: are left out: most of their local names hold a "/",
# which Turtle escapes ("essr:graph\/provenance"); such IRIs are clearer written in full.
DUMP_PREFIXES = {k: PREFIXES[k] for k in (
    "ess", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "foaf", "org",
    "person", "m8g", "igeo", "geo", "sf", "prov", "oa", "schema", "essglobal")}
DUMP_PREFIXES.update(IRI_FAMILIES)

CONTEXT_FILE = "essgraph.context.jsonld"
_SOURCE_FILE = ("<" + ESS + "sourceFile> ").encode()
_ABSOLUTE = re.compile(r"^(?:/|[A-Za-z]:[\\/]|\\\\)")


def public_source_path(value: str) -> str:
    """An ``ess:sourceFile`` as published: an absolute local path is reduced to the file's name."""
    if not value or not _ABSOLUTE.match(value):
        return value
    return (PureWindowsPath(value) if "\\" in value else PurePosixPath(value)).name


def _hide_local_paths(lines: list[bytes]) -> list[bytes]:
    """N-Triples lines with absolute ``ess:sourceFile`` values reduced to file names (re-sorted)."""
    changed = False
    out = []
    for line in lines:
        if _SOURCE_FILE in line:
            t = next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES)))
            if isinstance(t.object, ox.Literal) and _ABSOLUTE.match(t.object.value):
                line = f"{t.subject} {t.predicate} {ox.Literal(public_source_path(t.object.value))} .".encode()
                changed = True
        out.append(line)
    return sorted(set(out)) if changed else out


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


def canonical_dump(store: GraphStore | ox.Store, *, publish_paths: bool = False) -> CanonicalDump:
    """The store's quads, sorted; absolute ``ess:sourceFile`` paths hidden unless ``publish_paths``."""
    ox_store = store.store if isinstance(store, GraphStore) else store
    dump, maybe_blank = _sorted_dump(ox_store, publish_paths)
    # "_:" in the text is a cheap necessary condition; the ASK query confirms it
    if maybe_blank and _has_blank_nodes(ox_store):
        dump, _ = _sorted_dump(_canonical_store(ox_store), publish_paths)
    return dump


def _sorted_dump(ox_store: ox.Store, publish_paths: bool = True) -> tuple[CanonicalDump, bool]:
    import hashlib

    nq = io.BytesIO()
    non_empty: list[list[bytes]] = []
    hashes: dict[str, str] = {}
    sizes: dict[str, int] = {}
    quads = 0
    maybe_blank = False
    for g in graph_order(ox_store):
        lines = sorted_graph_ntriples(ox_store, g)
        if not publish_paths:
            lines = _hide_local_paths(lines)
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
    if spec.name.endswith(".jsonld.gz"):
        return compact_jsonld(canon.nquads)
    quads = ox.parse(canon.nquads, format=ox.RdfFormat.N_QUADS)
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=DUMP_PREFIXES)


def write_dumps(canon: CanonicalDump, out_dir: Path) -> list[tuple[DumpSpec, Path]]:
    written = []
    for spec in DUMPS:
        path = out_dir / spec.name
        write_gzip(path, render_dump(spec, canon))
        written.append((spec, path))
    write_bytes(out_dir / CONTEXT_FILE, context_document())
    return written


# -- JSON-LD: the published @context and the compacted dump --------------------------------------

@lru_cache(maxsize=1)
def ontology_terms() -> dict[str, str]:
    """One JSON-LD term per class and property of the essgraph ontology: local name -> IRI."""
    owl, rdf_type = "http://www.w3.org/2002/07/owl#", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    kinds = {owl + "Class", owl + "ObjectProperty", owl + "DatatypeProperty", owl + "AnnotationProperty",
             "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property", "http://www.w3.org/2000/01/rdf-schema#Class"}
    terms: dict[str, str] = {}
    for f in sorted(ontology_dir().rglob("*.ttl")):
        for t in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE):
            if (t.predicate.value == rdf_type and t.object.value in kinds
                    and isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(ESS)):
                name = t.subject.value[len(ESS):]
                if name and re.fullmatch(r"[A-Za-z_][\w-]*", name):
                    terms[name] = t.subject.value
    return dict(sorted(terms.items()))


@lru_cache(maxsize=1)
def jsonld_context() -> dict[str, str]:
    """The compact ``@context``: the ontology's terms, then the vocabularies' prefixes.

    The per-family prefixes of essgraph IRIs (``commune:``…) are left out: JSON-LD needs no
    escaping, so ``essr:territory/commune/05065`` is short enough and cannot clash with a term."""
    terms = ontology_terms()
    ctx: dict[str, str] = {}
    for name, iri in PREFIXES.items():
        if name not in IRI_FAMILIES and name not in terms:
            ctx[name] = iri
    ctx.update(terms)
    return ctx


def context_document() -> bytes:
    """The published ``essgraph.context.jsonld``."""
    return (json.dumps({"@context": jsonld_context()}, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


class _Compactor:
    def __init__(self) -> None:
        ctx = jsonld_context()
        self.terms = {iri: name for name, iri in ontology_terms().items()}
        self.prefixes = sorted(((n, i) for n, i in ctx.items() if i not in self.terms),
                               key=lambda kv: -len(kv[1]))
        self.ids: dict[str, str] = {}
        self.vocab: dict[str, str] = {}

    def _prefixed(self, iri: str) -> str:
        for name, ns in self.prefixes:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns):].startswith("//"):
                return f"{name}:{iri[len(ns):]}"
        return iri

    def iri(self, iri: str) -> str:
        """A node IRI as written in "@id": compact IRI or full IRI."""
        got = self.ids.get(iri)
        if got is None:
            got = self.ids[iri] = self._prefixed(iri)
        return got

    def term(self, iri: str) -> str:
        """A property, class or datatype IRI: the ontology's term, else a compact IRI."""
        got = self.vocab.get(iri)
        if got is None:
            got = self.vocab[iri] = self.terms.get(iri) or self._prefixed(iri)
        return got

    def node_id(self, term) -> str:
        return f"_:{term.value}" if type(term) is ox.BlankNode else self.iri(term.value)

    def value(self, o):
        if type(o) is ox.Literal:
            if o.language:
                return {"@value": o.value, "@language": o.language}
            dt = o.datatype.value
            if dt == _XSD_STRING:
                return o.value
            return {"@value": o.value, "@type": self.term(dt)}
        return {"@id": self.node_id(o)}


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def compact_jsonld(nquads: bytes) -> bytes:
    """The sorted N-Quads as compact JSON-LD with the published context inlined: the default
    graph's nodes, then one ``{"@id": graph, "@graph": [...]}`` per named graph."""
    c = _Compactor()
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    graphs: dict[str, list[dict]] = {}
    graph_ids: dict[str, str] = {}
    nodes: list[dict] = []
    current: dict = {}
    prev_g = prev_s = None
    for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        g, s = q.graph_name, q.subject
        if g != prev_g:
            gkey = "" if type(g) is ox.DefaultGraph else str(g)
            if gkey not in graphs:
                graphs[gkey] = []
                if gkey:
                    graph_ids[gkey] = c.node_id(g)
            nodes, prev_g, prev_s = graphs[gkey], g, None
        if s != prev_s:
            current = {"@id": c.node_id(s)}
            nodes.append(current)
            prev_s = s
        p, o = q.predicate.value, q.object
        if p == rdf_type and type(o) is ox.NamedNode:
            current.setdefault("@type", []).append(c.term(o.value))
        else:
            current.setdefault(c.term(p), []).append(c.value(o))
    # one node per line (json's C encoder: indent= would use the slow pure-Python one)
    def line(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    parts = [line(n) for n in graphs.get("", [])]
    parts += ['{"@id":' + line(graph_ids[g]) + ',"@graph":[\n' + ",\n".join(line(n) for n in nodes) + "\n]}"
              for g, nodes in graphs.items() if g]
    head = '{"@context":' + json.dumps(jsonld_context(), ensure_ascii=False, indent=1) + ',\n"@graph":[\n'
    return (head + ",\n".join(parts) + "\n]}\n").encode("utf-8")
