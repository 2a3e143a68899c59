"""Context graphs: large static graphs validated once, then kept as data context.

The territory reference graph (``essr:graph/reference/cog-*``, about 660k
triples) is most of a store and never changes between two loads. It is
validated on its own when it is written (:func:`record_validation`, called by
:func:`ess_graph.territories.ensure_reference_graph`), and the outcome is
recorded in the graph itself, next to the ``ess:contentHash`` it states about
itself (so that the record goes with the graph when it is replaced or dropped,
and the same reference gives the same triples in every store)::

    essr:validation/graph/reference/cog-2025 a sh:ValidationReport , prov:Entity ;
        prov:wasDerivedFrom essr:graph/reference/cog-2025 ;
        ess:contentHash "<the graph's own ess:contentHash>" ;
        dcterms:conformsTo <urn:sha256:<digest of the shapes files>> ;
        sh:conforms true ;
        dcterms:extent 0 .                      # number of results

When the store is validated, a graph whose record matches its current content
hash and the digest of the shapes in use, and says it conforms, is a *context
graph* (:func:`find_context`): it is still part of the data graph (facts of
clippings point at its territories; ``sh:class`` checks see its types), but the
*local* shapes (:meth:`FastEngine.is_local`: every check reads only the focus
node's own triples and the value terms) are evaluated only on their targets
found through the other graphs and on the targets that are, in another graph,
the subject of a triple the shape reads (:meth:`FastEngine.scoped_focus`). Any
other target has on the union exactly the result it had when the context graph
was validated alone: none. Other shapes are evaluated on all their focus nodes.
The shortcut is not taken when the store's default graph holds triples, when a
data graph declares ``rdfs:subClassOf`` (class targets could then change), or
when the content hash or shapes differ from the record: the graph is then
validated like any other.
"""
from __future__ import annotations

import hashlib

import pyoxigraph as ox

from ..namespaces import ESS, ID, PREFIXES
from .engine import Context

REFERENCE_GRAPH_PREFIX = ID + "graph/reference/"
SH = "http://www.w3.org/ns/shacl#"
PROV = PREFIXES["prov"]
DCT = PREFIXES["dcterms"]
XSD = PREFIXES["xsd"]
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


def record_iri(graph: str) -> str:
    """The IRI of the validation record of ``graph``."""
    local = graph[len(ID):] if graph.startswith(ID) else hashlib.sha256(graph.encode()).hexdigest()[:16]
    return ID + "validation/" + local


def shapes_iri(digest: str) -> str:
    return "urn:sha256:" + digest


def _raw(store) -> ox.Store:
    return store.store if hasattr(store, "store") and isinstance(store.store, ox.Store) else store


def content_hash_of(store, graph: str) -> str | None:
    """The ``ess:contentHash`` a graph states about itself (None if it states none)."""
    rows = list(_raw(store).query(
        f"SELECT ?h WHERE {{ GRAPH <{graph}> {{ <{graph}> <{ESS}contentHash> ?h }} }}"))
    return rows[0]["h"].value if len(rows) == 1 else None


def recorded(store, graph: str) -> dict | None:
    """The validation record of ``graph`` (contentHash, shapes, conforms, results), if any."""
    rec = record_iri(graph)
    rows = list(_raw(store).query(
        f"SELECT ?h ?s ?c ?n WHERE {{ GRAPH <{graph}> {{ <{rec}> <{ESS}contentHash> ?h ; "
        f"<{DCT}conformsTo> ?s ; <{SH}conforms> ?c . OPTIONAL {{ <{rec}> <{DCT}extent> ?n }} }} }}"))
    if len(rows) != 1:
        return None
    r = rows[0]
    return {"graph": graph, "contentHash": r["h"].value, "shapes": r["s"].value,
            "conforms": r["c"].value == "true",
            "results": int(r["n"].value) if r["n"] is not None else None}


def record_validation(store, graph: str, shapes=None) -> dict:
    """Validate ``graph`` on its own (unless the record already matches its content and
    the shapes) and record the outcome in the graph. ``store``: a writable
    :class:`~ess_graph.store.GraphStore` or :class:`pyoxigraph.Store`. Returns the record
    (empty when the graph states no content hash)."""
    from . import load_shapes, validate
    sg = load_shapes(shapes)
    h = content_hash_of(store, graph)
    if h is None:
        return {}
    rec = recorded(store, graph)
    if rec and rec["contentHash"] == h and rec["shapes"] == shapes_iri(sg.digest):
        return rec
    report = validate(_raw(store), shapes, graphs=[graph])
    r = record_iri(graph)
    lit = '"' + h.replace("\\", "\\\\").replace('"', '\\"') + '"'
    conforms = "true" if report.conforms else "false"
    _raw(store).update(
        f"DELETE WHERE {{ GRAPH <{graph}> {{ <{r}> ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{graph}> {{ <{r}> a <{SH}ValidationReport> , <{PROV}Entity> ; "
        f"<{PROV}wasDerivedFrom> <{graph}> ; <{ESS}contentHash> {lit} ; "
        f"<{DCT}conformsTo> <{shapes_iri(sg.digest)}> ; "
        f"<{SH}conforms> \"{conforms}\"^^<{XSD}boolean> ; "
        f"<{DCT}extent> \"{len(report.results)}\"^^<{XSD}integer> }} }}")
    return recorded(store, graph) or {}


def find_context(store: ox.Store, sg) -> Context | None:
    """The context graphs of ``store`` for shapes ``sg`` (None: validate everything)."""
    named = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    context = []
    for g in named:
        if not g.startswith(REFERENCE_GRAPH_PREFIX):
            continue
        rec = recorded(store, g)
        if rec and rec["conforms"] and rec["shapes"] == shapes_iri(sg.digest) \
                and rec["contentHash"] == content_hash_of(store, g):
            context.append(g)
    if not context:
        return None
    if bool(store.query("ASK { ?s ?p ?o }")):        # the real default graph, not the union
        return None
    data = [g for g in named if g not in context]
    data_nodes = [ox.NamedNode(g) for g in data]
    if bool(store.query(f"ASK {{ GRAPH ?g {{ ?a <{RDFS_SUBCLASS}> ?b }} }}", named_graphs=data_nodes)):
        return None
    return Context(graphs=context, data_graphs=data)
