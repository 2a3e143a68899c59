"""Read the store into plain Python records (actors, territories, relations, clippings).

The CSV tables, the GeoJSON and the GEXF network are all written from these
records, so the three agree with each other. Every query runs over the union of
all graphs (clipping graphs, reference graph, curation graph); values found in
several graphs are merged, and every multi-valued field is sorted.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


from ..curie import curie
from ..geometry import wkt_point
from ..namespaces import ESS, PREFIXES
from ..store import GraphStore

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
FOAF = PREFIXES["foaf"]
ORG = PREFIXES["org"]
PERSON = PREFIXES["person"]
IGEO = PREFIXES["igeo"]
GEO = PREFIXES["geo"]
SCHEMA = PREFIXES["schema"]
DCT = PREFIXES["dcterms"]
PROV = PREFIXES["prov"]
OA = PREFIXES["oa"]

ACTOR_KINDS = (  # most specific first
    (ESS + "LocalAuthority", "LocalAuthority"), (ESS + "Cooperative", "Cooperative"),
    (ESS + "Mutual", "Mutual"), (ESS + "Association", "Association"), (ESS + "Network", "Network"),
    (ESS + "Company", "Company"), (ESS + "PublicBody", "PublicBody"), (ESS + "Syndicate", "Syndicate"),
    (PERSON + "Person", "Person"), (FOAF + "Person", "Person"), (ORG + "Organization", "Organization"),
)
ACTOR_CLASSES = {ORG + "Organization", PERSON + "Person", FOAF + "Person"}
TERRITORY_KINDS = (
    (IGEO + "Commune", "Commune"), (IGEO + "Intercommunalite", "Intercommunalite"),
    (ESS + "Syndicate", "Syndicate"), (IGEO + "Departement", "Departement"),
    (IGEO + "Region", "Region"), (ESS + "Country", "Country"),
    (ESS + "ForeignPlace", "ForeignPlace"), (ESS + "UnresolvedPlace", "UnresolvedPlace"),
    (ESS + "Territory", "Territory"), (ESS + "Place", "Place"),
)
TERRITORY_CLASSES = {c for c, _ in TERRITORY_KINDS}
ACTION_KINDS = ((ESS + "Policy", "Policy"), (ESS + "Initiative", "Initiative"), (ESS + "Event", "Event"))
ACTION_CLASSES = {c for c, _ in ACTION_KINDS}
LABEL_PROPS = (RDFS + "label", SKOS + "prefLabel", FOAF + "name", IGEO + "nom", DCT + "title")



def _value(term) -> str:
    return term.value


@dataclass
class Actor:
    iri: str
    label: str
    kind: str
    types: list[str] = field(default_factory=list)
    alt_labels: list[str] = field(default_factory=list)
    located_in: list[str] = field(default_factory=list)
    governs: list[str] = field(default_factory=list)
    mentioned_in: int = 0


@dataclass
class Territory:
    iri: str
    label: str
    kind: str
    code_insee: str = ""
    siren: str = ""
    population: str = ""
    within: list[str] = field(default_factory=list)
    lon: float | None = None
    lat: float | None = None
    geometry_wkt: str = ""
    country: str = ""
    candidates: list[str] = field(default_factory=list)
    same_as: list[str] = field(default_factory=list)
    mentioned_in: int = 0


@dataclass
class Relation:
    statement: str
    subject: str
    predicate: str
    object: str
    candidate: bool = False
    rule: str = ""
    source: str = ""
    clipping: str = ""
    evidence: str = ""
    quote: str = ""
    quote_start: str = ""
    quote_end: str = ""
    attributed_to: str = ""


@dataclass
class ClippingRec:
    iri: str
    identifier: str = ""
    title: str = ""
    url: str = ""
    date: str = ""
    collection: str = ""
    collection_label: str = ""
    source_file: str = ""
    source_format: str = ""
    source_line: str = ""
    sha256: str = ""
    mentions: int = 0
    statements: int = 0
    text: str = ""


@dataclass
class Views:
    labels: dict[str, str]
    types: dict[str, set[str]]
    actors: dict[str, Actor]
    territories: dict[str, Territory]
    actions: dict[str, tuple[str, str]]            # iri -> (kind, label)
    relations: list[Relation]
    asserted: list[tuple[str, str, str, int]]      # (s, p, o, number of graphs asserting it)
    clippings: dict[str, ClippingRec]

    def label(self, iri: str) -> str:
        return self.labels.get(iri, "")


class _Reader:
    def __init__(self, store: GraphStore):
        self.store = store.store

    def rows(self, sparql: str):
        return self.store.query(sparql, use_default_graph_as_union=True)

    def multi(self, pred: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for r in self.rows(f"SELECT DISTINCT ?s ?o WHERE {{ ?s <{pred}> ?o }}"):
            out[r["s"].value].add(r["o"].value)
        return out


def _pick_label(cands: list[tuple[int, int, str]]) -> str:
    return min(cands)[2] if cands else ""


def read_views(store: GraphStore) -> Views:
    """Every record the CSV tables, the GeoJSON and the GEXF are written from."""
    rd = _Reader(store)
    labels = _labels(rd)
    types: dict[str, set[str]] = defaultdict(set)
    for r in rd.rows("SELECT DISTINCT ?s ?c WHERE { ?s a ?c FILTER(isIRI(?s)) }"):
        types[r["s"].value].add(r["c"].value)
    mentioned: dict[str, int] = {}
    for r in rd.rows(f"SELECT ?e (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{ESS}Clipping> ; "
                     f"<{SCHEMA}mentions> ?e }} GROUP BY ?e"):
        mentioned[r["e"].value] = int(r["n"].value)
    actors, territories, actions = _entities(rd, types, labels, mentioned)
    _territory_fields(rd, territories)
    _territory_geometry(rd, territories)
    relations = _relations(rd)
    asserted = _asserted(store, set(actors) | set(territories) | set(actions))
    clippings = _clippings(rd, labels, relations)
    return Views(labels, types, actors, territories, actions, relations, asserted, clippings)


def _labels(rd: _Reader) -> dict[str, str]:
    """rdfs:label > skos:prefLabel > foaf:name > igeo:nom > dct:title; French or untagged first."""
    label_cands: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    props = " ".join(f"<{p}>" for p in LABEL_PROPS)
    for r in rd.rows(f"SELECT DISTINCT ?s ?p ?l WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?l FILTER(isLiteral(?l)) }}"):
        lit = r["l"]
        lang = lit.language or ""
        lang_rank = 0 if lang in ("", "fr") else 1
        label_cands[r["s"].value].append((LABEL_PROPS.index(r["p"].value), lang_rank, lit.value))
    return {s: _pick_label(c) for s, c in label_cands.items()}


def _entities(rd: _Reader, types: dict[str, set[str]], labels: dict[str, str], mentioned: dict[str, int]):
    """Actors, territories and actions (policies, initiatives, events) by IRI."""
    alt = rd.multi(SKOS + "altLabel")
    located = rd.multi(ESS + "locatedIn")
    governs = rd.multi(ESS + "governs")
    actors: dict[str, Actor] = {}
    territories: dict[str, Territory] = {}
    actions: dict[str, tuple[str, str]] = {}
    for iri, cls in types.items():
        if cls & ACTOR_CLASSES:
            kind = next(k for c, k in ACTOR_KINDS if c in cls)
            actors[iri] = Actor(iri, labels.get(iri, ""), kind, sorted(curie(c) for c in cls),
                                sorted(alt.get(iri, ())), sorted(located.get(iri, ())),
                                sorted(governs.get(iri, ())), mentioned.get(iri, 0))
        if cls & TERRITORY_CLASSES:
            kind = next(k for c, k in TERRITORY_KINDS if c in cls)
            territories[iri] = Territory(iri, labels.get(iri, ""), kind, mentioned_in=mentioned.get(iri, 0))
        if cls & ACTION_CLASSES:
            kind = next(k for c, k in ACTION_KINDS if c in cls)
            actions[iri] = (kind, labels.get(iri, ""))
    return actors, territories, actions


def _territory_fields(rd: _Reader, territories: dict[str, Territory]) -> None:
    """Codes, population, country (smallest value), containing territories, candidates, same-as links."""
    for pred, attr in ((IGEO + "codeINSEE", "code_insee"), (ESS + "siren", "siren"),
                       (ESS + "population", "population"), (ESS + "country", "country")):
        for s, vals in rd.multi(pred).items():
            if s in territories:
                setattr(territories[s], attr, min(vals) if vals else "")
    for pred, attr in ((ESS + "within", "within"), (ESS + "candidateTerritory", "candidates")):
        for s, vals in rd.multi(pred).items():
            if s in territories:
                setattr(territories[s], attr, sorted(vals))
    for r in rd.rows(f"SELECT DISTINCT ?s ?o WHERE {{ VALUES ?p {{ <{SKOS}exactMatch> "
                     f"<{PREFIXES['owl']}sameAs> }} ?s ?p ?o FILTER(isIRI(?o)) }}"):
        t = territories.get(r["s"].value)
        if t is not None:
            t.same_as.append(r["o"].value)
    for t in territories.values():
        t.same_as = sorted(set(t.same_as))


def _territory_geometry(rd: _Reader, territories: dict[str, Territory]) -> None:
    """Centroid (lon, lat) and geometry WKT, the smallest literal where there are several."""
    centroids: dict[str, list[str]] = defaultdict(list)
    for r in rd.rows(f"SELECT DISTINCT ?s ?w WHERE {{ ?s <{GEO}hasCentroid>/<{GEO}asWKT> ?w }}"):
        centroids[r["s"].value].append(r["w"].value)
    for s, ws in centroids.items():
        t = territories.get(s)
        if t is None:
            continue
        point = wkt_point(min(ws))
        if point:
            t.lon, t.lat = point
    for r in rd.rows(f"SELECT DISTINCT ?s ?w WHERE {{ ?s <{GEO}hasGeometry>/<{GEO}asWKT> ?w }}"):
        t = territories.get(r["s"].value)
        if t is not None and (not t.geometry_wkt or r["w"].value < t.geometry_wkt):
            t.geometry_wkt = r["w"].value


def _relations(rd: _Reader) -> list[Relation]:
    """Reified statements with their evidence and the quote that supports them."""
    rels: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    q = f"""SELECT DISTINCT ?st ?s ?p ?o ?clip ?rule ?cand ?ev ?src ?agent WHERE {{
      ?st a <{ESS}Statement> ; <{RDF}subject> ?s ; <{RDF}predicate> ?p ; <{RDF}object> ?o .
      OPTIONAL {{ ?st <{PROV}wasDerivedFrom> ?clip }} OPTIONAL {{ ?st <{ESS}rule> ?rule }}
      OPTIONAL {{ ?st <{ESS}candidate> ?cand }} OPTIONAL {{ ?st <{ESS}evidence> ?ev }}
      OPTIONAL {{ ?st <{ESS}source> ?src }} OPTIONAL {{ ?st <{PROV}wasAttributedTo> ?agent }} }}"""
    for r in rd.rows(q):
        rec = rels[r["st"].value]
        for k in ("s", "p", "o", "clip", "rule", "cand", "ev", "src", "agent"):
            v = r[k]
            if v is not None:
                rec[k].add(v.value)
    quotes = _quotes(rd)
    relations = []
    join = " | ".join
    for st, rec in sorted(rels.items()):
        quote = quotes.get(st, ("", "", ""))
        relations.append(Relation(
            st, join(sorted(rec["s"])), join(sorted(rec["p"])), join(sorted(rec["o"])),
            candidate="true" in rec["cand"], rule=join(sorted(rec["rule"])),
            source=join(sorted(rec["src"])) or "extraction", clipping=join(sorted(rec["clip"])),
            evidence=join(sorted(rec["ev"])), quote=quote[0], quote_start=quote[1], quote_end=quote[2],
            attributed_to=join(sorted(rec["agent"]))))
    return relations


def _quotes(rd: _Reader) -> dict[str, tuple[str, str, str]]:
    """Annotation body -> (exact quote, start, end), the smallest where there are several."""
    quotes: dict[str, tuple[str, str, str]] = {}
    q = f"""SELECT DISTINCT ?body ?exact ?start ?end WHERE {{
      ?a a <{OA}Annotation> ; <{OA}hasBody> ?body ; <{OA}hasTarget> ?t .
      ?t <{OA}hasSelector> ?qs . ?qs <{OA}exact> ?exact .
      OPTIONAL {{ ?t <{OA}hasSelector> ?ps . ?ps <{OA}start> ?start ; <{OA}end> ?end }} }}"""
    for r in rd.rows(q):
        body = r["body"].value
        cand = (r["exact"].value, r["start"].value if r["start"] else "", r["end"].value if r["end"] else "")
        if body not in quotes or cand < quotes[body]:
            quotes[body] = cand
    return quotes


def _asserted(store: GraphStore, nodes: set[str]) -> list[tuple[str, str, str, int]]:
    """Asserted relation triples between actors, territories and actions (for GEXF and GeoJSON),
    with the number of graphs asserting each."""
    preds = " ".join(f"<{ESS}{p}>" for p in (
        "memberOf", "partnerOf", "supplies", "funds", "locatedIn", "implements", "organizes",
        "presides", "createdBy", "participatesIn", "governs"))
    counts: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    q = f"SELECT DISTINCT ?s ?p ?o ?g WHERE {{ VALUES ?p {{ {preds} }} {{ ?s ?p ?o BIND(\"\" AS ?g) }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
    for r in store.store.query(q):
        s, p, o = r["s"].value, r["p"].value, r["o"].value
        if s in nodes and o in nodes:
            counts[(s, p, o)].add(r["g"].value)
    return sorted((s, p, o, len(gs)) for (s, p, o), gs in counts.items())


_CLIPPING_FIELDS = {DCT + "identifier": "identifier", DCT + "title": "title", SCHEMA + "url": "url",
                    DCT + "date": "date", DCT + "isPartOf": "collection", ESS + "sourceFile": "source_file",
                    ESS + "sourceFormat": "source_format", ESS + "sourceLine": "source_line",
                    ESS + "sha256": "sha256", SCHEMA + "text": "text"}


def _clippings(rd: _Reader, labels: dict[str, str], relations: list[Relation]) -> dict[str, ClippingRec]:
    """Clippings with their fields (smallest value), mention and statement counts."""
    clippings: dict[str, ClippingRec] = {}
    values = " ".join(f"<{p}>" for p in _CLIPPING_FIELDS)
    for r in rd.rows(f"SELECT DISTINCT ?c ?p ?o WHERE {{ ?c a <{ESS}Clipping> . "
                     f"OPTIONAL {{ VALUES ?p {{ {values} }} ?c ?p ?o }} }}"):
        c = r["c"].value
        rec = clippings.setdefault(c, ClippingRec(c))
        if r["p"] is None:
            continue
        attr = _CLIPPING_FIELDS[r["p"].value]
        v = r["o"].value
        cur = getattr(rec, attr)
        if not cur or v < cur:
            setattr(rec, attr, v)
    for rec in clippings.values():
        rec.collection_label = labels.get(rec.collection, "")
    for r in rd.rows(f"SELECT ?c (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?c a <{ESS}Clipping> ; "
                     f"<{SCHEMA}mentions> ?e }} GROUP BY ?c"):
        if r["c"].value in clippings:
            clippings[r["c"].value].mentions = int(r["n"].value)
    for rel in relations:
        for c in rel.clipping.split(" | "):
            if c in clippings:
                clippings[c].statements += 1
    return clippings
