"""Statistics of the store for the VoID description and the DCAT coverage fields.

Counting conventions (documented in docs/export.md):

* ``quads``: statements of all graphs, each graph counted separately (= lines of
  the N-Quads dump); ``triples``: distinct triples of the union of all graphs
  (= lines of the N-Triples dump).
* class partitions count distinct instances over all graphs; property
  partitions count quads using the property (they sum to ``quads``).
* link sets: quads whose object is an IRI in the INSEE (``http://id.insee.fr/``)
  or Wikidata (``http://www.wikidata.org/entity/``) namespaces, per predicate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..geometry import wkt_point
from ..namespaces import ID
from ..store import GraphStore

LINK_TARGETS = {
    "insee": "http://id.insee.fr/",
    "wikidata": "http://www.wikidata.org/entity/",
}

XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


@dataclass
class StoreStats:
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


def _q(store: GraphStore, sparql: str):
    return store.store.query(sparql, use_default_graph_as_union=True)


def _int(term) -> int:
    return int(term.value)


def compute_stats(store: GraphStore, quads: int, triples: int,
                  graph_sizes: dict[str, int]) -> StoreStats:
    st = StoreStats(quads=quads, triples=triples, graph_sizes=dict(graph_sizes))
    for row in _q(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"):
        st.distinct_subjects = _int(row["n"])
    for row in _q(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"):
        st.distinct_objects = _int(row["n"])
    for row in _q(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?s)) }"):
        st.entities = _int(row["n"])
    for row in _q(store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c"):
        st.classes[row["c"].value] = _int(row["n"])
    for row in _q(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"):
        st.properties[row["p"].value] = _int(row["n"])
    for target, ns in sorted(LINK_TARGETS.items()):
        q = ("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?o) && "
             f'STRSTARTS(STR(?o), "{ns}")) }} GROUP BY ?p')
        for row in _q(store, q):
            st.linksets[(target, row["p"].value)] = _int(row["n"])
    st.clipping_count = sum(1 for g in graph_sizes if g.startswith(ID + "clipping/"))

    # dates found in the data: clipping dates and curation timestamps
    dates: list[str] = []
    q = ("SELECT DISTINCT ?d WHERE { { ?c a <https://w3id.org/essgraph/ontology#Clipping> ; "
         "<http://purl.org/dc/terms/date> ?d } UNION { ?x <http://www.w3.org/ns/prov#generatedAtTime> ?d } }")
    for row in _q(store, q):
        lit = row["d"]
        if not isinstance(lit, ox.Literal):
            continue
        dt = lit.datatype.value
        v = lit.value
        if dt == XSD_DATE and len(v) >= 10:
            dates.append(v[:10])
        elif dt == XSD_DATETIME and len(v) >= 10:
            dates.append(v[:10])
    dates = [d for d in dates if _valid_date(d)]
    if dates:
        st.first_date, st.last_date = min(dates), max(dates)

    # spatial coverage: centroids of the territories mentioned by clippings
    q = ("SELECT DISTINCT ?wkt WHERE { ?c a <https://w3id.org/essgraph/ontology#Clipping> ; "
         "<http://schema.org/mentions>|(<http://schema.org/mentions>/<https://w3id.org/essgraph/ontology#governs>) ?t . "
         "?t <http://www.opengis.net/ont/geosparql#hasCentroid>/<http://www.opengis.net/ont/geosparql#asWKT> ?wkt }")
    pts = [p for row in _q(store, q) if (p := wkt_point(row["wkt"].value))]
    if not pts:  # no clipping-linked territory: all territories with a centroid
        q = ("SELECT DISTINCT ?wkt WHERE { ?t <http://www.opengis.net/ont/geosparql#hasCentroid>/"
             "<http://www.opengis.net/ont/geosparql#asWKT> ?wkt }")
        pts = [p for row in _q(store, q) if (p := wkt_point(row["wkt"].value))]
    if pts:
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        st.bbox = (min(xs), min(ys), max(xs), max(ys))
    return st


def _valid_date(d: str) -> bool:
    import datetime as _dt
    try:
        _dt.date.fromisoformat(d)
    except ValueError:
        return False
    return True
