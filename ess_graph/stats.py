"""Store statistics, counted once for every reader.

The same counting functions feed ``essgraph stats`` (:func:`store_stats`), the
server's ``/void`` (:func:`void_statistics`) and the export's VoID and DCAT
coverage (:func:`compute_stats`); :mod:`ess_graph.void` writes the VoID
description from them. Counting conventions (docs/export.md):

* every query runs over the union of all graphs;
* class counts are distinct instances (any subject with ``rdf:type`` the class IRI);
* property counts are quads using the property, so they sum to the number of quads;
* link sets: quads whose object is an IRI in the INSEE (``http://id.insee.fr/``)
  or Wikidata (``http://www.wikidata.org/entity/``) namespaces, per predicate.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pyoxigraph as ox

from .geometry import wkt_point
from .namespaces import ID, PREFIXES
from .store import REFERENCE_GRAPH_PREFIX, GraphStore

# classes counted in "entities by class", in display order
ENTITY_CLASSES = [
    "person:Person", "org:Organization", "ess:Cooperative", "ess:Mutual", "ess:Association",
    "ess:Network", "ess:PublicBody", "ess:LocalAuthority", "ess:Company",
    "igeo:Commune", "ess:Intercommunality", "igeo:Departement", "igeo:Region", "ess:Country",
    "ess:ForeignPlace", "ess:UnresolvedPlace",
    "ess:Policy", "ess:Initiative", "ess:Event", "org:Post", "org:Membership",
    "ess:Statement", "oa:Annotation", "ess:Clipping",
]

LINK_TARGETS = {
    "insee": "http://id.insee.fr/",
    "wikidata": "http://www.wikidata.org/entity/",
}

ESS = PREFIXES["ess"]
XSD_DATE = PREFIXES["xsd"] + "date"
XSD_DATETIME = PREFIXES["xsd"] + "dateTime"
GEO = PREFIXES["geo"]
SCHEMA = PREFIXES["schema"]


# ---------------------------------------------------------------- counts

def _rows(store: ox.Store, sparql: str):
    return store.query(sparql, use_default_graph_as_union=True)


def _count(store: ox.Store, sparql: str) -> int:
    for row in _rows(store, sparql):
        return int(row["n"].value)
    return 0


def distinct_subjects(store: ox.Store) -> int:
    return _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")


def distinct_objects(store: ox.Store) -> int:
    return _count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")


def entity_count(store: ox.Store) -> int:
    """IRIs with an ``rdf:type``."""
    return _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?s)) }")


def class_counts(store: ox.Store) -> dict[str, int]:
    """Class IRI -> number of distinct instances."""
    return {row["c"].value: int(row["n"].value) for row in _rows(
        store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c")}


def property_counts(store: ox.Store) -> dict[str, int]:
    """Property IRI -> number of quads using it (the counts sum to the number of quads)."""
    return {row["p"].value: int(row["n"].value) for row in _rows(
        store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")}


def linkset_counts(store: ox.Store) -> dict[tuple[str, str], int]:
    """(link target, predicate) -> quads whose object is an IRI of that target's namespace."""
    out = {}
    for target, ns in sorted(LINK_TARGETS.items()):
        q = ("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?o) && "
             f'STRSTARTS(STR(?o), "{ns}")) }} GROUP BY ?p')
        for row in _rows(store, q):
            out[(target, row["p"].value)] = int(row["n"].value)
    return out


def fact_counts(store: ox.Store) -> dict[str, int]:
    """Statements asserted, and candidates left for review."""
    facts = {"asserted": 0, "candidate": 0}
    for sol in _rows(store, f"SELECT ?c (COUNT(?st) AS ?n) WHERE {{ ?st a <{ESS}Statement> ; "
                            f"<{ESS}candidate> ?c }} GROUP BY ?c"):
        facts["candidate" if sol["c"].value == "true" else "asserted"] = int(sol["n"].value)
    return facts


def date_range(store: ox.Store) -> tuple[str | None, str | None]:
    """Earliest and latest day among clipping dates and curation timestamps."""
    q = (f"SELECT DISTINCT ?d WHERE {{ {{ ?c a <{ESS}Clipping> ; <{PREFIXES['dcterms']}date> ?d }} "
         f"UNION {{ ?x <{PREFIXES['prov']}generatedAtTime> ?d }} }}")
    days = []
    for row in _rows(store, q):
        lit = row["d"]
        if (isinstance(lit, ox.Literal) and lit.datatype.value in (XSD_DATE, XSD_DATETIME)
                and len(lit.value) >= 10 and _valid_date(lit.value[:10])):
            days.append(lit.value[:10])
    return (min(days), max(days)) if days else (None, None)


def _valid_date(d: str) -> bool:
    try:
        datetime.date.fromisoformat(d)
    except ValueError:
        return False
    return True


def coverage_bbox(store: ox.Store) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of the centroids of the territories the clippings
    mention (or govern through a local authority); of all territories if none is linked."""
    centroid = f"<{GEO}hasCentroid>/<{GEO}asWKT>"
    q = (f"SELECT DISTINCT ?wkt WHERE {{ ?c a <{ESS}Clipping> ; "
         f"<{SCHEMA}mentions>|(<{SCHEMA}mentions>/<{ESS}governs>) ?t . ?t {centroid} ?wkt }}")
    pts = [p for row in _rows(store, q) if (p := wkt_point(row["wkt"].value))]
    if not pts:
        q = f"SELECT DISTINCT ?wkt WHERE {{ ?t {centroid} ?wkt }}"
        pts = [p for row in _rows(store, q) if (p := wkt_point(row["wkt"].value))]
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


# ---------------------------------------------------------------- the three readers

@dataclass
class StoreStats:
    """What the export's VoID and DCAT say about the store."""

    quads: int = 0
    triples: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    entities: int = 0
    classes: dict[str, int] = field(default_factory=dict)      # class IRI -> instances
    properties: dict[str, int] = field(default_factory=dict)   # property IRI -> quads
    linksets: dict[tuple[str, str], int] = field(default_factory=dict)  # (target, predicate) -> quads
    graph_sizes: dict[str, int] = field(default_factory=dict)  # graph ("" default) -> triples
    clipping_count: int = 0
    first_date: str | None = None
    last_date: str | None = None
    # bounding box of the territories the clippings talk about (lon/lat), if any
    bbox: tuple[float, float, float, float] | None = None


def compute_stats(store: GraphStore, quads: int, triples: int, graph_sizes: dict[str, int]) -> StoreStats:
    """Statistics for the export; ``quads``, ``triples`` and ``graph_sizes`` come from its dumps."""
    ox_store = store.store
    first, last = date_range(ox_store)
    return StoreStats(
        quads=quads, triples=triples, graph_sizes=dict(graph_sizes),
        distinct_subjects=distinct_subjects(ox_store), distinct_objects=distinct_objects(ox_store),
        entities=entity_count(ox_store), classes=class_counts(ox_store),
        properties=property_counts(ox_store), linksets=linkset_counts(ox_store),
        clipping_count=sum(1 for g in graph_sizes if g.startswith(ID + "clipping/")),
        first_date=first, last_date=last, bbox=coverage_bbox(ox_store))


def void_statistics(store: ox.Store) -> dict:
    """The server's ``/void`` figures, as JSON-ready values (cached by the server)."""
    return {"triples": len(store), "subjects": distinct_subjects(store),
            "classes": class_counts(store), "properties": property_counts(store),
            "graphs": sum(1 for _ in store.named_graphs())}


def _expand(curie: str) -> str:
    p, local = curie.split(":", 1)
    return PREFIXES[p] + local


def store_stats(store: GraphStore) -> dict:
    """The summary of ``essgraph stats``: triples, graphs, clippings, facts, entities by class."""
    ox_store = store.store
    graphs = store.named_graphs()
    classes = class_counts(ox_store)
    return {
        "store": str(store.path) if store.path else None,
        "triples": len(ox_store),
        "graphs": len(graphs),
        "clippings": sum(1 for g in graphs if "/id/clipping/" in g),
        "reference_graphs": [g for g in graphs if g.startswith(REFERENCE_GRAPH_PREFIX)],
        "facts": fact_counts(ox_store),
        "entities_by_class": {c: classes.get(_expand(c), 0) for c in ENTITY_CLASSES},
    }


def format_stats_text(s: dict) -> str:
    """:func:`store_stats` as the text ``essgraph stats`` prints."""
    lines = [f"store       {s['store']}",
             f"triples     {s['triples']:,}",
             f"graphs      {s['graphs']:,}",
             f"clippings   {s['clippings']:,}",
             f"facts       {s['facts']['asserted']:,} asserted, {s['facts']['candidate']:,} candidates for review",
             f"reference   {', '.join(s['reference_graphs']) or 'none'}",
             "entities by class:"]
    for c, n in s["entities_by_class"].items():
        if n:
            lines.append(f"  {c:22} {n:,}")
    return "\n".join(lines) + "\n"
