"""The French territory reference graph (``essr:graph/reference/cog-{vintage}``).

Generated from the shipped tables as N-Triples text (fast, deterministic: the
same tables give a byte-identical file), loaded into its named graph in one
Oxigraph transaction by :func:`ensure_reference_graph`.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from ..errors import StoreError
from ..iris import territory_iri
from ..names import escape_string
from ..namespaces import CONCEPT, DCAT, DCTERMS, ESSV, GEO, IGEO, RDF, RDFS, SF, SKOS, VOID, XSD
from ..store import REFERENCE_GRAPH_PREFIX
from .data import TerritoryData, default_data

GRAPH_FORMAT = "essgraph-territories-graph/1"
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
IGEO_CLASS = {"COM": "Commune", "COMD": "CommuneDeleguee", "COMA": "CommuneAssociee", "ARM": "ArrondissementMunicipal"}
COMMUNE_KIND_LABEL = {"COM": "commune", "COMD": "commune déléguée", "COMA": "commune associée",
                      "ARM": "arrondissement municipal"}
EPCI_KIND_LABEL = {"CC": "communauté de communes", "CA": "communauté d'agglomération",
                   "CU": "communauté urbaine", "METRO": "métropole"}
ISSUER_SOURCE = "https://www.insee.fr/fr/information/2560452"


def _lit(s: str, lang: str | None = None) -> str:
    e = escape_string(s)
    return f'"{e}"@{lang}' if lang else f'"{e}"'


def _typed(v, dt: str) -> str:
    return f'"{v}"^^<{dt}>'


def _iri(i: str) -> str:
    return f"<{i}>"


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


def reference_lines(data: TerritoryData | None = None) -> Iterator[str]:
    """N-Triples lines of the reference graph, in a fixed order."""
    d = data or default_data()
    g = reference_graph_iri(d)
    A = _iri(RDF.type)
    TERR, CODE, NOM, LABEL, PREF = (_iri(ESSV.Territory), _iri(IGEO.codeINSEE), _iri(IGEO.nom),
                                    _iri(RDFS.label), _iri(SKOS.prefLabel))
    ART, POP, SUB, WITHIN = _iri(IGEO.codeArticle), _iri(ESSV.population), _iri(IGEO.subdivisionDirecteDe), _iri(ESSV.within)
    CHEF, CENT, WKT = _iri(ESSV.chefLieu), _iri(GEO.hasCentroid), _iri(GEO.asWKT)
    INT, DATE = XSD.integer, XSD.date
    com_codes = {c.code for c in d.communes if c.kind == "COM"}
    com_by = {c.code: c for c in d.communes if c.kind == "COM"}
    dep_iri = {k: _iri(territory_iri("Department", k)) for k in d.departements}
    reg_iri = {k: _iri(territory_iri("Region", k)) for k in list(d.regions) + list(d.old_regions)}
    epci_iri = {k: _iri(territory_iri("Intercommunality", k)) for k in d.epcis}

    def names(s, name, label, tncc=None):
        yield f"{s} {NOM} {_lit(name)} ."
        yield f"{s} {LABEL} {_lit(label, 'fr')} ."
        yield f"{s} {PREF} {_lit(label, 'fr')} ."
        if tncc is not None:
            yield f"{s} {ART} {_lit(str(tncc))} ."

    def centroid(s_iri, lon, lat):
        if lon is None:
            return
        c = _iri(s_iri + "#centroid")
        yield f"{_iri(s_iri)} {CENT} {c} ."
        yield f"{c} {A} {_iri(SF.Point)} ."
        yield f"{c} {WKT} {_typed(f'{CRS84} POINT({lon:.4f} {lat:.4f})', GEO.wktLiteral)} ."

    # description of the graph
    G = _iri(g)
    yield f"{G} {A} {_iri(VOID.Dataset)} ."
    yield f"{G} {A} {_iri(DCAT.Dataset)} ."
    yield f"{G} {_iri(DCTERMS.title)} {_lit(f'Code officiel géographique {d.vintage} (communes, EPCI, départements, régions)', 'fr')} ."
    yield f"{G} {_iri(DCTERMS.source)} {_iri(d.meta.get('source_url', ISSUER_SOURCE))} ."
    yield f"{G} {_iri(DCTERMS.source)} {_lit(d.meta.get('source', ''))} ."
    yield f"{G} {_iri(DCTERMS.license)} {_iri(d.meta['licence_url'])} ."
    yield f"{G} {_iri(DCTERMS.issued)} {_typed(d.meta['issued'], DATE)} ."
    yield f"{G} {_iri(DCTERMS.description)} {_lit(d.meta.get('attribution', ''), 'fr')} ."
    yield f"{G} {_iri(ESSV.contentHash)} {_lit(content_hash(d))} ."
    # concept schemes for the kinds
    for scheme, labels in (("commune-kind", COMMUNE_KIND_LABEL), ("epci-kind", EPCI_KIND_LABEL)):
        sch = _iri(CONCEPT + scheme)
        yield f"{sch} {A} {_iri(SKOS.ConceptScheme)} ."
        for k, lab in labels.items():
            c = _iri(f"{CONCEPT}{scheme}/{k}")
            yield f"{c} {A} {_iri(SKOS.Concept)} ."
            yield f"{c} {_iri(SKOS.inScheme)} {sch} ."
            yield f"{c} {_iri(SKOS.notation)} {_lit(k)} ."
            yield f"{c} {PREF} {_lit(lab, 'fr')} ."
    # France
    fr = _iri(territory_iri("Country", "FR"))
    yield f"{fr} {A} {TERR} ."
    yield f"{fr} {A} {_iri(ESSV.Country)} ."
    yield f"{fr} {LABEL} {_lit('France', 'fr')} ."
    yield f"{fr} {_iri(DCTERMS.identifier)} {_lit('FR')} ."
    # régions
    for r in sorted(d.regions.values(), key=lambda r: r.code):
        s = reg_iri[r.code]
        yield f"{s} {A} {TERR} ."
        yield f"{s} {A} {_iri(IGEO.Region)} ."
        yield f"{s} {CODE} {_lit(r.code)} ."
        yield from names(s, r.name, r.name, r.tncc)
        if r.population is not None:
            yield f"{s} {POP} {_typed(r.population, INT)} ."
        if r.chef_lieu in com_by:
            yield f"{s} {CHEF} {_iri(commune_iri(r.chef_lieu, 'COM', com_codes))} ."
        for fn in r.former_names:
            yield f"{s} {_iri(ESSV.formerName)} {_lit(fn['name'], 'fr')} ."
        yield from centroid(territory_iri("Region", r.code), r.lon, r.lat)
    for r in sorted(d.old_regions.values(), key=lambda r: r.code):
        s = reg_iri[r.code]
        yield f"{s} {A} {TERR} ."
        yield f"{s} {A} {_iri(IGEO.Region)} ."
        yield f"{s} {CODE} {_lit(r.code)} ."
        yield from names(s, r.name, r.name, r.tncc)
        yield f"{s} {_iri(DCTERMS.isReplacedBy)} {reg_iri[r.successor]} ."
        yield f"{s} {_iri(DCTERMS.source)} {_lit(r.source)} ."
        if r.chef_lieu in com_by:
            yield f"{s} {CHEF} {_iri(commune_iri(r.chef_lieu, 'COM', com_codes))} ."
        for dc in r.departements:
            yield f"{s} {_iri(DCTERMS.hasPart)} {dep_iri[dc]} ."
        if r.population is not None:
            yield f"{s} {POP} {_typed(r.population, INT)} ."
        yield from centroid(territory_iri("Region", r.code), r.lon, r.lat)
    # départements
    for dp in sorted(d.departements.values(), key=lambda x: x.code):
        s = dep_iri[dp.code]
        yield f"{s} {A} {TERR} ."
        yield f"{s} {A} {_iri(IGEO.Departement)} ."
        yield f"{s} {CODE} {_lit(dp.code)} ."
        yield from names(s, dp.name, dp.name, dp.tncc)
        if dp.population is not None:
            yield f"{s} {POP} {_typed(dp.population, INT)} ."
        if dp.region in reg_iri:
            yield f"{s} {SUB} {reg_iri[dp.region]} ."
            yield f"{s} {WITHIN} {reg_iri[dp.region]} ."
        if dp.chef_lieu in com_by:
            yield f"{s} {CHEF} {_iri(commune_iri(dp.chef_lieu, 'COM', com_codes))} ."
        yield from centroid(territory_iri("Department", dp.code), dp.lon, dp.lat)
    # EPCI
    for e in sorted(d.epcis.values(), key=lambda x: x.siren):
        s = epci_iri[e.siren]
        yield f"{s} {A} {TERR} ."
        yield f"{s} {A} {_iri(IGEO.Intercommunalite)} ."
        yield f"{s} {A} {_iri(ESSV.Intercommunality)} ."
        yield f"{s} {CODE} {_lit(e.siren)} ."
        yield f"{s} {_iri(ESSV.siren)} {_lit(e.siren)} ."
        yield from names(s, e.name, e.name)
        yield f"{s} {_iri(ESSV.intercommunalityKind)} {_iri(f'{CONCEPT}epci-kind/{e.kind}')} ."
        if e.population is not None:
            yield f"{s} {POP} {_typed(e.population, INT)} ."
        for dc in e.deps:
            yield f"{s} {WITHIN} {dep_iri[dc]} ."
        for rc in e.regions:
            yield f"{s} {WITHIN} {reg_iri[rc]} ."
        for a in e.former_names:
            yield f"{s} {_iri(ESSV.formerName)} {_lit(a['alias'], 'fr')} ."
        yield from centroid(territory_iri("Intercommunality", e.siren), e.lon, e.lat)
    # communes (COM, ARM, COMD, COMA)
    for c in d.communes:
        si = commune_iri(c.code, c.kind, com_codes)
        s = _iri(si)
        par = com_by.get(c.parent) if c.parent else None
        yield f"{s} {A} {TERR} ."
        yield f"{s} {A} {_iri(str(IGEO) + IGEO_CLASS[c.kind])} ."
        yield f"{s} {CODE} {_lit(c.code)} ."
        yield from names(s, c.label, c.label, c.tncc)
        yield f"{s} {_iri(ESSV.communeKind)} {_iri(f'{CONCEPT}commune-kind/{c.kind}')} ."
        if c.population is not None:
            yield f"{s} {POP} {_typed(c.population, INT)} ."
        dep = c.dep or (par.dep if par else "")
        epci = c.epci or (par.epci if par else "")
        if par is not None:
            p = _iri(commune_iri(par.code, "COM", com_codes))
            yield f"{s} {_iri(ESSV.parentCommune)} {p} ."
            yield f"{s} {SUB} {p} ."
            yield f"{s} {WITHIN} {p} ."
        elif dep in dep_iri:
            yield f"{s} {SUB} {dep_iri[dep]} ."
            if epci in epci_iri:
                yield f"{s} {SUB} {epci_iri[epci]} ."
        if epci in epci_iri:
            yield f"{s} {WITHIN} {epci_iri[epci]} ."
        if dep in dep_iri:
            yield f"{s} {WITHIN} {dep_iri[dep]} ."
            reg = d.departements[dep].region
            if reg in reg_iri:
                yield f"{s} {WITHIN} {reg_iri[reg]} ."
        yield from centroid(si, c.lon, c.lat)


def write_reference_graph(path: str | os.PathLike, data: TerritoryData | None = None) -> int:
    """Write the reference graph as N-Triples; returns the number of triples."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        buf = []
        for line in reference_lines(data):
            buf.append(line)
            if len(buf) >= 20000:
                fh.write("\n".join(buf) + "\n")
                n += len(buf)
                buf = []
        if buf:
            fh.write("\n".join(buf) + "\n")
            n += len(buf)
    return n


def reference_quads(data: TerritoryData | None = None) -> Iterator[ox.Quad]:
    """The reference graph as quads in its named graph (parsed from the generated N-Triples)."""
    d = data or default_data()
    g = ox.NamedNode(reference_graph_iri(d))
    text = "\n".join(reference_lines(d)) + "\n"
    for t in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
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
