"""The French territory reference graph (``essr:graph/reference/cog-{vintage}``).

Generated from the shipped tables as pyoxigraph triples, written by pyoxigraph
as N-Triples (deterministic: the same tables give a byte-identical file), and
loaded into its named graph in one Oxigraph transaction by
:func:`ensure_reference_graph`.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from ..errors import StoreError
from ..iris import slugify, territory_iri
from ..geometry import point_wkt
from ..namespaces import CONCEPT, DCAT, DCTERMS, ESSV, GEO, IGEO, RDF, RDFS, SF, SKOS, VOID, XSD
from ..store import REFERENCE_GRAPH_PREFIX
from .data import TerritoryData, default_data

GRAPH_FORMAT = "essgraph-territories-graph/1"
IGEO_CLASS = {"COM": "Commune", "COMD": "CommuneDeleguee", "COMA": "CommuneAssociee", "ARM": "ArrondissementMunicipal"}
COMMUNE_KIND_LABEL = {"COM": "commune", "COMD": "commune déléguée", "COMA": "commune associée",
                      "ARM": "arrondissement municipal"}
EPCI_KIND_LABEL = {"CC": "communauté de communes", "CA": "communauté d'agglomération",
                   "CU": "communauté urbaine", "METRO": "métropole"}
ISSUER_SOURCE = "https://www.insee.fr/fr/information/2560452"


def reference_graph_iri(data: TerritoryData | None = None) -> str:
    d = data or default_data()
    return f"{REFERENCE_GRAPH_PREFIX}cog-{d.vintage}"


def content_hash(data: TerritoryData | None = None) -> str:
    d = data or default_data()
    h = hashlib.sha256(GRAPH_FORMAT.encode())
    for p in sorted(d.directory.iterdir()):
        # word lists (*.txt, *.txt.xz) only steer the linker: changing them must not
        # force every store to reload the reference graph
        if p.is_file() and not p.name.endswith((".txt", ".txt.xz")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def commune_iri(code: str, kind: str, com_codes: set[str]) -> str:
    """COM and ARM: territory/commune/{code}. A commune déléguée or associée keeps its own
    code unless a COM has the same code (the commune nouvelle took its chef-lieu's code):
    then territory/commune/{code}-comd (or -coma)."""
    if kind in ("COMD", "COMA") and code in com_codes:
        return territory_iri("Commune", f"{code}-{kind.lower()}")
    return territory_iri("Commune", code)


N = ox.NamedNode
A = N(RDF.type)
TERR, CODE, NOM = N(ESSV.Territory), N(IGEO.codeINSEE), N(IGEO.nom)
LABEL, PREF, ART = N(RDFS.label), N(SKOS.prefLabel), N(IGEO.codeArticle)
POP, SUB, WITHIN = N(ESSV.population), N(IGEO.subdivisionDirecteDe), N(ESSV.within)
CHEF, FORMER, SOURCE = N(ESSV.chefLieu), N(ESSV.formerName), N(DCTERMS.source)
CENTROID, AS_WKT, POINT = N(GEO.hasCentroid), N(GEO.asWKT), N(SF.Point)
XSD_INTEGER, XSD_DATE, WKT_LITERAL = N(XSD.integer), N(XSD.date), N(GEO.wktLiteral)


def _fr(text: str) -> ox.Literal:
    return ox.Literal(text, language="fr")


def _int(v: int) -> ox.Literal:
    return ox.Literal(str(v), datatype=XSD_INTEGER)


class _Reference:
    """The IRIs of one territory extract, and the triples every kind of territory shares."""

    def __init__(self, d: TerritoryData):
        self.d = d
        self.com_codes = {c.code for c in d.communes if c.kind == "COM"}
        self.com_by = {c.code: c for c in d.communes if c.kind == "COM"}
        self.dep = {k: N(territory_iri("Department", k)) for k in d.departements}
        self.reg = {k: N(territory_iri("Region", k)) for k in list(d.regions) + list(d.old_regions)}
        self.epci = {k: N(territory_iri("Intercommunality", k)) for k in d.epcis}

    def commune(self, code: str, kind: str = "COM") -> ox.NamedNode:
        return N(commune_iri(code, kind, self.com_codes))

    def head(self, s, classes, code: str, name: str, tncc=None) -> Iterator[ox.Triple]:
        """Types, INSEE code and names."""
        for c in (TERR, *classes):
            yield ox.Triple(s, A, c)
        yield ox.Triple(s, CODE, ox.Literal(code))
        yield ox.Triple(s, NOM, ox.Literal(name))
        yield ox.Triple(s, LABEL, _fr(name))
        yield ox.Triple(s, PREF, _fr(name))
        if tncc is not None:
            yield ox.Triple(s, ART, ox.Literal(str(tncc)))

    def chef_lieu(self, s, code: str) -> Iterator[ox.Triple]:
        if code in self.com_by:
            yield ox.Triple(s, CHEF, self.commune(code))

    @staticmethod
    def population(s, population) -> Iterator[ox.Triple]:
        if population is not None:
            yield ox.Triple(s, POP, _int(population))

    @staticmethod
    def centroid(s: ox.NamedNode, lon, lat) -> Iterator[ox.Triple]:
        if lon is None:
            return
        c = N(s.value + "#centroid")
        yield ox.Triple(s, CENTROID, c)
        yield ox.Triple(c, A, POINT)
        yield ox.Triple(c, AS_WKT, ox.Literal(point_wkt(lon, lat, 4), datatype=WKT_LITERAL))


def _description(ref: _Reference) -> Iterator[ox.Triple]:
    """The graph as a dataset, and the concept schemes of the commune and EPCI kinds."""
    d = ref.d
    g = N(reference_graph_iri(d))
    yield ox.Triple(g, A, N(VOID.Dataset))
    yield ox.Triple(g, A, N(DCAT.Dataset))
    yield ox.Triple(g, N(DCTERMS.title), _fr(
        f"Code officiel géographique {d.vintage} (communes, EPCI, départements, régions)"))
    yield ox.Triple(g, SOURCE, N(d.meta.get("source_url", ISSUER_SOURCE)))
    yield ox.Triple(g, SOURCE, ox.Literal(d.meta.get("source", "")))
    yield ox.Triple(g, N(DCTERMS.license), N(d.meta["licence_url"]))
    yield ox.Triple(g, N(DCTERMS.issued), ox.Literal(d.meta["issued"], datatype=XSD_DATE))
    yield ox.Triple(g, N(DCTERMS.description), _fr(d.meta.get("attribution", "")))
    yield ox.Triple(g, N(ESSV.contentHash), ox.Literal(content_hash(d)))
    for scheme, labels in (("commune-kind", COMMUNE_KIND_LABEL), ("epci-kind", EPCI_KIND_LABEL)):
        sch = N(CONCEPT + scheme)
        yield ox.Triple(sch, A, N(SKOS.ConceptScheme))
        for k, lab in labels.items():
            c = N(f"{CONCEPT}{scheme}/{k}")
            yield ox.Triple(c, A, N(SKOS.Concept))
            yield ox.Triple(c, N(SKOS.inScheme), sch)
            yield ox.Triple(c, N(SKOS.notation), ox.Literal(k))
            yield ox.Triple(c, PREF, _fr(lab))
    fr = N(territory_iri("Country", "FR"))
    yield ox.Triple(fr, A, TERR)
    yield ox.Triple(fr, A, N(ESSV.Country))
    yield ox.Triple(fr, LABEL, _fr("France"))
    yield ox.Triple(fr, N(DCTERMS.identifier), ox.Literal("FR"))


def _regions(ref: _Reference) -> Iterator[ox.Triple]:
    for r in sorted(ref.d.regions.values(), key=lambda r: r.code):
        s = ref.reg[r.code]
        yield from ref.head(s, (N(IGEO.Region),), r.code, r.name, r.tncc)
        yield from ref.population(s, r.population)
        yield from ref.chef_lieu(s, r.chef_lieu)
        for fn in r.former_names:
            yield ox.Triple(s, FORMER, _fr(fn["name"]))
        yield from ref.centroid(s, r.lon, r.lat)
    for r in sorted(ref.d.old_regions.values(), key=lambda r: r.code):
        s = ref.reg[r.code]
        yield from ref.head(s, (N(IGEO.Region),), r.code, r.name, r.tncc)
        yield ox.Triple(s, N(DCTERMS.isReplacedBy), ref.reg[r.successor])
        yield ox.Triple(s, SOURCE, ox.Literal(r.source))
        yield from ref.chef_lieu(s, r.chef_lieu)
        for dc in r.departements:
            yield ox.Triple(s, N(DCTERMS.hasPart), ref.dep[dc])
        yield from ref.population(s, r.population)
        yield from ref.centroid(s, r.lon, r.lat)


def _departements(ref: _Reference) -> Iterator[ox.Triple]:
    for dp in sorted(ref.d.departements.values(), key=lambda x: x.code):
        s = ref.dep[dp.code]
        yield from ref.head(s, (N(IGEO.Departement),), dp.code, dp.name, dp.tncc)
        yield from ref.population(s, dp.population)
        if dp.region in ref.reg:
            yield ox.Triple(s, SUB, ref.reg[dp.region])
            yield ox.Triple(s, WITHIN, ref.reg[dp.region])
        yield from ref.chef_lieu(s, dp.chef_lieu)
        yield from ref.centroid(s, dp.lon, dp.lat)


def _epcis(ref: _Reference) -> Iterator[ox.Triple]:
    for e in sorted(ref.d.epcis.values(), key=lambda x: x.siren):
        s = ref.epci[e.siren]
        yield ox.Triple(s, A, TERR)
        yield ox.Triple(s, A, N(IGEO.Intercommunalite))
        yield ox.Triple(s, A, N(ESSV.Intercommunality))
        yield ox.Triple(s, CODE, ox.Literal(e.siren))
        yield ox.Triple(s, N(ESSV.siren), ox.Literal(e.siren))
        yield ox.Triple(s, NOM, ox.Literal(e.name))
        yield ox.Triple(s, LABEL, _fr(e.name))
        yield ox.Triple(s, PREF, _fr(e.name))
        yield ox.Triple(s, N(ESSV.intercommunalityKind), N(f"{CONCEPT}epci-kind/{e.kind}"))
        yield from ref.population(s, e.population)
        for dc in e.deps:
            yield ox.Triple(s, WITHIN, ref.dep[dc])
        for rc in e.regions:
            yield ox.Triple(s, WITHIN, ref.reg[rc])
        for a in e.former_names:
            yield ox.Triple(s, FORMER, _fr(a["alias"]))
        yield from ref.centroid(s, e.lon, e.lat)


def _communes(ref: _Reference) -> Iterator[ox.Triple]:
    """COM, ARM, COMD and COMA, in the order of the extract."""
    for c in ref.d.communes:
        s = ref.commune(c.code, c.kind)
        par = ref.com_by.get(c.parent) if c.parent else None
        yield from ref.head(s, (N(str(IGEO) + IGEO_CLASS[c.kind]),), c.code, c.label, c.tncc)
        yield ox.Triple(s, N(ESSV.communeKind), N(f"{CONCEPT}commune-kind/{c.kind}"))
        yield from ref.population(s, c.population)
        dep = c.dep or (par.dep if par else "")
        epci = c.epci or (par.epci if par else "")
        if par is not None:
            p = ref.commune(par.code)
            yield ox.Triple(s, N(ESSV.parentCommune), p)
            yield ox.Triple(s, SUB, p)
            yield ox.Triple(s, WITHIN, p)
        elif dep in ref.dep:
            yield ox.Triple(s, SUB, ref.dep[dep])
            if epci in ref.epci:
                yield ox.Triple(s, SUB, ref.epci[epci])
        if epci in ref.epci:
            yield ox.Triple(s, WITHIN, ref.epci[epci])
        if dep in ref.dep:
            yield ox.Triple(s, WITHIN, ref.dep[dep])
            reg = ref.d.departements[dep].region
            if reg in ref.reg:
                yield ox.Triple(s, WITHIN, ref.reg[reg])
        yield from ref.centroid(s, c.lon, c.lat)


def _former_names(ref: _Reference) -> Iterator[ox.Triple]:
    """Former commune names (absorbed, merged, renamed since 1943), dated, on the current commune."""
    for h in ref.d.commune_history:
        s = ref.commune(h["code"])
        node = N(f"{s.value}/former-name/{h['former_code']}-{slugify(h['name'], max_len=60)}-{h['ended_by'][:4]}")
        yield ox.Triple(s, FORMER, _fr(h["name"]))
        yield ox.Triple(s, N(ESSV.hadName), node)
        yield ox.Triple(node, A, N(ESSV.FormerName))
        yield ox.Triple(node, LABEL, _fr(h["name"]))
        yield ox.Triple(node, N(DCTERMS.identifier), ox.Literal(h["former_code"]))
        yield ox.Triple(node, N(ESSV.nameChange), ox.Literal(h["event"]))
        yield ox.Triple(node, N(ESSV.endedAfter), ox.Literal(h["ended_after"], datatype=XSD_DATE))
        yield ox.Triple(node, N(ESSV.endedBy), ox.Literal(h["ended_by"], datatype=XSD_DATE))
        yield ox.Triple(node, SOURCE, ox.Literal(h["source"]))


def reference_triples(data: TerritoryData | None = None) -> Iterator[ox.Triple]:
    """The triples of the reference graph, in a fixed order."""
    ref = _Reference(data or default_data())
    for part in (_description, _regions, _departements, _epcis, _communes, _former_names):
        yield from part(ref)


def reference_lines(data: TerritoryData | None = None) -> Iterator[str]:
    """N-Triples lines of the reference graph, in a fixed order."""
    for t in reference_triples(data):
        yield f"{t} ."


def write_reference_graph(path: str | os.PathLike, data: TerritoryData | None = None) -> int:
    """Write the reference graph as N-Triples; returns the number of triples."""
    n = 0

    def counted():
        nonlocal n
        for t in reference_triples(data):
            n += 1
            yield t

    with open(path, "wb") as fh:
        ox.serialize(counted(), fh, format=ox.RdfFormat.N_TRIPLES)
    return n


def reference_quads(data: TerritoryData | None = None) -> Iterator[ox.Quad]:
    """The reference graph as quads in its named graph."""
    d = data or default_data()
    g = N(reference_graph_iri(d))
    for t in reference_triples(d):
        yield ox.Quad(t.subject, t.predicate, t.object, g)


def _has_current(store, g: str, h: str) -> bool:
    q = f'ASK {{ GRAPH <{g}> {{ <{g}> <{ESSV.contentHash}> "{h}" }} }}'
    return bool(store.store.query(q))


def ensure_reference_graph(store, data: TerritoryData | None = None) -> str:
    """Load the reference graph into its named graph unless the same content is already there.

    Idempotent. A new vintage is loaded into its own graph first; older
    ``essr:graph/reference/cog-*`` graphs are dropped only once it is in. A
    changed extract of the same vintage is loaded into a staging graph and
    moved into place in one update. Returns the graph IRI.
    """
    d = data or default_data()
    g = reference_graph_iri(d)
    h = content_hash(d)
    if getattr(store, "read_only", False):
        if store.has_graph(g):
            return g
        raise StoreError("the store is open read-only and has no territory reference graph",
                         source=str(store.path))
    if _has_current(store, g, h):
        return g
    with tempfile.TemporaryDirectory(prefix="essgraph-territories-") as tmp:
        nt = Path(tmp) / "reference.nt"
        write_reference_graph(nt, d)
        target = g + "-staging" if store.has_graph(g) else g
        try:
            # one transaction; lenient: the file is generated here, so parse-time IRI checks are skipped
            store.store.load(path=str(nt), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(target),
                             lenient=True)
        except (OSError, SyntaxError) as e:
            raise StoreError(f"loading the territory reference graph failed, store unchanged: {e}",
                             source=str(store.path)) from None
    ops = []
    if target != g:
        ops.append(f"MOVE GRAPH <{target}> TO <{g}>")
    for old in store.named_graphs():
        if old.startswith(REFERENCE_GRAPH_PREFIX + "cog-") and old not in (g, target):
            ops.append(f"DROP SILENT GRAPH <{old}>")
    if ops:
        store.store.update(" ;\n".join(ops))
    store.flush()
    return g


def load_reference(store, data: TerritoryData | None = None) -> str:
    """Alias of :func:`ensure_reference_graph`."""
    return ensure_reference_graph(store, data)
