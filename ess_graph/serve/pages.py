"""Resource descriptions (RDF) and resource pages (HTML), computed in a worker.

A page shows what the store says about one IRI: its labels and types, its
relations in both directions (each linked to the other resource's page), the
clippings and exact quotes supporting each fact (``ess:Statement`` +
``oa:Annotation`` with ``oa:TextQuoteSelector``), the clippings mentioning it,
and for a territory a small map drawn from its WKT geometry as inline SVG.
"""
from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from ..curie import curie
from .. import geometry
from ..namespaces import ESS, ID, PREFIXES

N = ox.NamedNode
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
FOAF = PREFIXES["foaf"]
DCT = PREFIXES["dcterms"]
GEO = PREFIXES["geo"]
OA = PREFIXES["oa"]
PROV = PREFIXES["prov"]
IGEO = PREFIXES["igeo"]
SCHEMA = PREFIXES["schema"]

TYPE = N(RDF + "type")
LABEL_PROPS = [N(SKOS + "prefLabel"), N(RDFS + "label"), N(FOAF + "name"), N(DCT + "title"), N(IGEO + "nom")]
MAX_OUT = 2000
MAX_IN = 1000
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = None


def _jinja():
    global _env
    if _env is None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape
        _env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"]))
    return _env


# --------------------------------------------------------------------------
# RDF description (for Turtle / JSON-LD / N-Triples)

def description(store: ox.Store, iri: str, limit: int = 100_000) -> list[ox.Triple]:
    """The triples about ``iri`` in any graph: outgoing, those of its own
    ``#fragment`` nodes (centroid, geometry, annotation parts) and incoming."""
    node = N(iri)
    seen: set = set()
    out: list[ox.Triple] = []

    def add(t: ox.Triple) -> None:
        if t not in seen and len(out) < limit:
            seen.add(t)
            out.append(t)

    frags = []
    for q in store.quads_for_pattern(node, None, None, None):
        add(q.triple)
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(iri + "#"):
            frags.append(q.object)
    for f in frags:
        for q in store.quads_for_pattern(f, None, None, None):
            add(q.triple)
    for q in store.quads_for_pattern(None, None, node, None):
        add(q.triple)
    out.sort(key=lambda t: (str(t.subject) != str(node), str(t.subject), str(t.predicate), str(t.object)))
    return out


# --------------------------------------------------------------------------
# helpers for the HTML page

def link_for(iri: str, resource_base: str) -> str:
    if iri.startswith(resource_base):
        return "/id/" + quote(iri[len(resource_base):], safe="/#-._~")
    if iri.startswith(ID) and resource_base != ID:
        return "/id/" + quote(iri[len(ID):], safe="/#-._~")
    if iri.startswith(ESS):
        return "/ontology#" + quote(iri[len(ESS):])
    return "/resource?iri=" + quote(iri, safe="")


class _Labels:
    def __init__(self, store: ox.Store):
        self.store = store
        self.cache: dict[str, str | None] = {}

    def __call__(self, term) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        k = term.value
        if k in self.cache:
            return self.cache[k]
        found = None
        for p in LABEL_PROPS:
            fr = None
            for q in self.store.quads_for_pattern(term, p, None, None):
                o = q.object
                if isinstance(o, ox.Literal):
                    if o.language in (None, "fr"):
                        found = o.value
                        break
                    fr = fr or o.value
            if found or fr:
                found = found or fr
                break
        self.cache[k] = found
        return found


def _term_view(term, labels: _Labels, base: str) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"kind": "iri", "iri": term.value, "href": link_for(term.value, base),
                "label": labels(term), "curie": curie(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"kind": "bnode", "text": "_:" + term.value}
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype else ""
        extra = ""
        if term.language:
            extra = "@" + term.language
        elif dt and dt not in (PREFIXES["xsd"] + "string", RDF + "langString"):
            extra = curie(dt)
        return {"kind": "literal", "text": term.value, "extra": extra}
    return {"kind": "other", "text": str(term)}


# --------------------------------------------------------------------------
# maps

_MAP_KINDS = {"Point": "point", "Polygon": "polygon", "MultiPolygon": "polygon",
              "LineString": "line", "MultiLineString": "line"}


def _map_shape(wkt: str) -> tuple[str, list[list[tuple[float, float]]]] | None:
    """(kind, rings) of a WKT POINT / (MULTI)POLYGON / (MULTI)LINESTRING literal, as drawn on the map."""
    geom = geometry.parse_wkt(wkt)
    kind = _MAP_KINDS.get(geom["type"]) if geom else None
    if kind is None:
        return None
    parts = geometry.rings(geom)
    if kind == "point" and not parts:
        return None
    return kind, parts


def _wkts(store: ox.Store, node, prop: str) -> list[str]:
    out = []
    for q in store.quads_for_pattern(node, N(GEO + prop), None, None):
        for w in store.quads_for_pattern(q.object, N(GEO + "asWKT"), None, None):
            if isinstance(w.object, ox.Literal):
                out.append(w.object.value)
    return out


def map_svg(store: ox.Store, node: ox.NamedNode, labels: _Labels, base: str,
            width: int = 360, height: int = 260) -> str | None:
    """An inline SVG map of a territory (its polygon and centroid, plus the
    centroids of the territories within it or containing it), no tiles."""
    target = node
    if not _wkts(store, node, "hasCentroid") and not _wkts(store, node, "hasGeometry"):
        gov = [q.object for q in store.quads_for_pattern(node, N(ESS + "governs"), None, None)]
        if not gov:
            return None
        target = gov[0]
    shapes = []  # (kind, rings, role, label, href)
    for w in _wkts(store, target, "hasGeometry"):
        g = _map_shape(w)
        if g:
            shapes.append((g[0], g[1], "self", labels(target), None))
    # bundled outlines (data/geo): the territory's own for a département or
    # région, else those of the département(s) containing it, as context
    outline_focus: list[tuple[float, float]] = []
    outlines_used = 0
    m = re.search(r"/territory/(departement|region|commune|epci)/([0-9AB]+(?:-com[da])?)$", target.value)
    if m:
        from . import outlines as OL
        kind, code = m.groups()
        own = (OL.departement(code) if kind == "departement" else OL.region(code) if kind == "region"
               else OL.commune(code) if kind == "commune" else None)
        has_polygon = any(role == "self" and k == "polygon" for k, _, role, *_ in shapes)
        if own and not has_polygon:
            shapes.append(("polygon", own["rings"], "self", labels(target), None))
            outlines_used += 1
        ctx: list[tuple[str, dict]] = []
        if kind == "region":
            ctx = sorted(OL.departements_of_region(code).items())
        elif kind in ("commune", "epci"):
            for q in store.quads_for_pattern(target, N(ESS + "within"), None, None):
                dm = re.search(r"/territory/departement/([0-9AB]+)$", q.object.value)
                if dm and OL.departement(dm.group(1)):
                    ctx.append((dm.group(1), OL.departement(dm.group(1))))
            if not ctx and kind == "commune":
                dep = OL.departement_of_commune(code)
                if dep and OL.departement(dep):
                    ctx.append((dep, OL.departement(dep)))
        for c, d in ctx:
            shapes.append(("polygon", d["rings"], "context", d["name"],
                           link_for(f"{ID}territory/departement/{c}", base)))
            outlines_used += 1
            if kind == "epci" or (kind == "commune" and not own):
                outline_focus.extend(p for r in d["rings"] for p in r)
        if kind == "commune" and own:
            # the neighbouring communes (same département file), drawn faintly around it
            x0, y0, x1, y1 = own["bbox"]
            mx, my = max(x1 - x0, 0.02), max(y1 - y0, 0.02)
            box = (x0 - mx, y0 - my, x1 + mx, y1 + my)
            for c, d in sorted(OL.communes_of_departement(OL.departement_of_commune(code) or "").items()):
                b = d["bbox"]
                if c == code or d["kind"] != "COM" or b[2] < box[0] or b[0] > box[2] or b[3] < box[1] or b[1] > box[3]:
                    continue
                shapes.append(("polygon", d["rings"], "neighbour", d["name"],
                               link_for(f"{ID}territory/commune/{c}", base)))
        if kind == "departement" and own:
            # neighbours, drawn faintly around it
            xs = [p[0] for r in own["rings"] for p in r]
            ys = [p[1] for r in own["rings"] for p in r]
            box = (min(xs) - 0.3, max(xs) + 0.3, min(ys) - 0.3, max(ys) + 0.3)
            for c, d in sorted(OL.all_departements().items()):
                if c == code:
                    continue
                if any(box[0] <= x <= box[1] and box[2] <= y <= box[3] for r in d["rings"] for x, y in r[::4]):
                    shapes.append(("polygon", d["rings"], "neighbour", d["name"],
                                   link_for(f"{ID}territory/departement/{c}", base)))
                    outlines_used += 1
    for w in _wkts(store, target, "hasCentroid"):
        g = _map_shape(w)
        if g and g[0] == "point":
            shapes.append(("point", g[1], "self", labels(target), None))
    if not shapes:
        return None
    context = []
    within = N(ESS + "within")
    for q in list(store.quads_for_pattern(None, within, target, None))[:300]:
        context.append((q.subject, "inner"))
    for q in list(store.quads_for_pattern(target, within, None, None))[:10]:
        context.append((q.object, "outer"))
    seen = set()
    for c, role in context:
        if c in seen or c == target:
            continue
        seen.add(c)
        for w in _wkts(store, c, "hasCentroid")[:1]:
            g = _map_shape(w)
            if g and g[0] == "point":
                shapes.append(("point", g[1], role, labels(c), link_for(c.value, base)))
    # projection: equirectangular, scaled by cos(latitude); zoom on the territory itself
    own = [p for k, rings, role, *_ in shapes if role == "self" for r in rings for p in r]
    inner = [p for k, rings, role, *_ in shapes if role == "inner" for r in rings for p in r]
    focus = own + inner + outline_focus
    xs = [p[0] for p in focus]
    ys = [p[1] for p in focus]
    lat0 = sum(ys) / len(ys)
    k = math.cos(math.radians(lat0))
    minx, maxx, miny, maxy = min(xs) * k, max(xs) * k, min(ys), max(ys)
    span = max(maxx - minx, maxy - miny, 0.05)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    pad = 24
    scale = min((width - 2 * pad) / (span * 1.3), (height - 2 * pad) / (span * 1.3))

    def xy(p):
        return (width / 2 + (p[0] * k - cx) * scale, height / 2 - (p[1] - cy) * scale)

    def inside(p):
        x, y = xy(p)
        return -5 <= x <= width + 5 and -5 <= y <= height + 5

    e = html.escape
    parts = [f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="map">',
             f'<rect x="0" y="0" width="{width}" height="{height}" class="map-bg"/>']
    order = {"context": 0, "neighbour": 1, "self": 2}
    for kind, rings, role, label, href in sorted((s for s in shapes if s[0] == "polygon"),
                                                key=lambda s: order.get(s[2], 1)):
        cls = {"self": "map-area", "context": "map-context", "neighbour": "map-neighbour"}.get(role, "map-area")
        d = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, ring)) + " Z" for ring in rings)
        poly = (f'<path d="{d}" class="{cls}" data-role="{role}" fill-rule="evenodd">'
                f'<title>{e(label or "")}</title></path>')
        if href:
            poly = f'<a href="{e(href)}">{poly}</a>'
        parts.append(poly)
    for kind, rings, role, label, href in shapes:
        if kind != "point":
            continue
        p = rings[0][0]
        if role != "self" and not inside(p):
            continue
        x, y = xy(p)
        r = 5 if role == "self" else 3
        dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" class="map-{role}"><title>{e(label or "")}</title></circle>'
        if href:
            dot = f'<a href="{e(href)}">{dot}</a>'
        parts.append(dot)
        if role == "self" and label:
            parts.append(f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" class="map-label">{e(label)}</text>')
    note = f"CRS84, {len(shapes)} shape(s)"
    if outlines_used:
        from .outlines import ATTRIBUTION
        note += " — " + ATTRIBUTION
    parts.append(f'<text x="{width - 6}" y="{height - 6}" text-anchor="end" class="map-note">{e(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------
# provenance

_SUPPORT_QUERY = """
SELECT ?node ?st ?s ?p ?o ?clip ?evidence ?rule ?candidate ?source ?agent ?exact ?prefix ?suffix ?start ?end WHERE {
  { ?st rdf:subject ?node } UNION { ?st rdf:object ?node }
  ?st a ess:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  OPTIONAL { ?st prov:wasDerivedFrom ?clip }
  OPTIONAL { ?st ess:evidence ?evidence }
  OPTIONAL { ?st ess:rule ?rule }
  OPTIONAL { ?st ess:candidate ?candidate }
  OPTIONAL { ?st ess:source ?source }
  OPTIONAL { ?st prov:wasAttributedTo ?agent }
  OPTIONAL {
    ?ann oa:hasBody ?st ; oa:hasTarget ?t .
    ?t oa:hasSelector ?qs .
    ?qs a oa:TextQuoteSelector ; oa:exact ?exact .
    OPTIONAL { ?qs oa:prefix ?prefix }
    OPTIONAL { ?qs oa:suffix ?suffix }
    OPTIONAL { ?t oa:hasSelector ?ps . ?ps a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }
  }
} LIMIT 2000
"""

_MENTION_QUERY = """
SELECT DISTINCT ?node ?clip ?exact ?prefix ?suffix WHERE {
  ?ann oa:hasBody ?node ; oa:motivatedBy oa:identifying ; oa:hasTarget ?t .
  ?t oa:hasSource ?clip ; oa:hasSelector ?qs .
  ?qs oa:exact ?exact .
  OPTIONAL { ?qs oa:prefix ?prefix }
  OPTIONAL { ?qs oa:suffix ?suffix }
} LIMIT 200
"""


def _v(sol, name):
    t = sol[name]
    return None if t is None else t.value


def _supports(store: ox.Store, node: ox.NamedNode, labels: _Labels, base: str):
    by_fact: dict[tuple, list[dict]] = defaultdict(list)
    candidates: list[dict] = []
    seen = set()
    for sol in store.query(_SUPPORT_QUERY, prefixes=dict(PREFIXES), use_default_graph_as_union=True,
                           substitutions={ox.Variable("node"): node}):
        key = (str(sol["s"]), str(sol["p"]), str(sol["o"]))
        ident = (str(sol["st"]), _v(sol, "exact"))
        if ident in seen:
            continue
        seen.add(ident)
        clip = sol["clip"]
        sup = {
            "clipping": _term_view(clip, labels, base) if clip is not None else None,
            "evidence": _v(sol, "evidence"), "rule": _v(sol, "rule"),
            "exact": _v(sol, "exact"), "prefix": _v(sol, "prefix") or "", "suffix": _v(sol, "suffix") or "",
            "start": _v(sol, "start"), "end": _v(sol, "end"),
            "curated": _v(sol, "source") == "curation",
            "agent": _term_view(sol["agent"], labels, base) if sol["agent"] is not None else None,
            "statement": _term_view(sol["st"], labels, base),
        }
        by_fact[key].append(sup)
        if _v(sol, "candidate") in ("true", "1"):
            candidates.append({"s": _term_view(sol["s"], labels, base), "p": _term_view(sol["p"], labels, base),
                               "o": _term_view(sol["o"], labels, base), "support": sup})
    return by_fact, candidates


def _mentions(store: ox.Store, node: ox.NamedNode, labels: _Labels, base: str) -> list[dict]:
    out = []
    for sol in store.query(_MENTION_QUERY, prefixes=dict(PREFIXES), use_default_graph_as_union=True,
                           substitutions={ox.Variable("node"): node}):
        out.append({"clipping": _term_view(sol["clip"], labels, base), "exact": _v(sol, "exact"),
                    "prefix": _v(sol, "prefix") or "", "suffix": _v(sol, "suffix") or ""})
    out.sort(key=lambda m: (m["clipping"].get("label") or "", m["clipping"].get("iri", "")))
    return out


# statement machinery shown in the provenance sections, not as plain relations
_MACHINERY_IN = {RDF + "subject", RDF + "object", OA + "hasBody", OA + "hasSource", PROV + "used"}


def resource_page(store: ox.Store, iri: str, site: dict) -> str | None:
    """The HTML page for ``iri``, or None if the store says nothing about it."""
    base = site.get("resource_base", ID)
    node = N(iri)
    labels = _Labels(store)
    out_q = []
    for i, q in enumerate(store.quads_for_pattern(node, None, None, None)):
        if i >= MAX_OUT:
            break
        out_q.append(q)
    in_q = []
    for i, q in enumerate(store.quads_for_pattern(None, None, node, None)):
        if i >= MAX_IN:
            break
        in_q.append(q)
    if not out_q and not in_q:
        return None
    supports, candidates = _supports(store, node, labels, base)

    def graph_view(g):
        if isinstance(g, ox.DefaultGraph):
            return None
        return _term_view(g, labels, base)

    types = sorted({q.object.value for q in out_q if q.predicate == TYPE and isinstance(q.object, ox.NamedNode)})
    names = []
    for p in LABEL_PROPS + [N(SKOS + "altLabel")]:
        for q in out_q:
            if q.predicate == p and isinstance(q.object, ox.Literal):
                v = _term_view(q.object, labels, base)
                if v not in names:
                    names.append(v)
    label = labels(node) or curie(iri)

    # group outgoing by predicate; merge the same triple seen in several graphs
    def group(quads, direction):
        rows: dict[tuple, dict] = {}
        for q in quads:
            if direction == "out":
                if q.predicate == TYPE:
                    continue
                other = q.object
                key3 = (str(q.subject), str(q.predicate), str(q.object))
            else:
                if q.predicate.value in _MACHINERY_IN:
                    continue
                other = q.subject
                key3 = (str(q.subject), str(q.predicate), str(q.object))
            if isinstance(other, ox.NamedNode) and other.value.startswith(iri + "#"):
                continue  # fragment nodes (centroid, geometry) are shown with the map
            k = (q.predicate.value, str(other))
            row = rows.get(k)
            if row is None:
                row = rows[k] = {"p": _term_view(q.predicate, labels, base),
                                 "other": _term_view(other, labels, base),
                                 "graphs": [], "support": supports.get(key3, [])}
            gv = graph_view(q.graph_name)
            if gv and gv not in row["graphs"]:
                row["graphs"].append(gv)
        groups: dict[str, list] = defaultdict(list)
        for row in rows.values():
            groups[row["p"]["iri"]].append(row)
        return [{"p": rs[0]["p"], "rows": sorted(rs, key=lambda r: (r["other"].get("label") or r["other"].get("text") or r["other"].get("iri") or ""))}
                for _, rs in sorted(groups.items(), key=lambda kv: curie(kv[0]))]

    outgoing = group(out_q, "out")
    incoming = group(in_q, "in")
    is_clipping = ESS + "Clipping" in types
    text = None
    if is_clipping:
        for q in out_q:
            if q.predicate.value == SCHEMA + "text" and isinstance(q.object, ox.Literal):
                text = q.object.value
    tpl = _jinja().get_template("resource.html")
    return tpl.render(
        iri=iri, label=label, curie=curie(iri), names=names,
        types=[_term_view(N(t), labels, base) for t in types],
        outgoing=outgoing, incoming=incoming, candidates=candidates,
        mentions=_mentions(store, node, labels, base),
        map_svg=map_svg(store, node, labels, base),
        clipping_text=text, truncated_out=len(out_q) >= MAX_OUT, truncated_in=len(in_q) >= MAX_IN,
        site=site, formats=[("Turtle", "turtle"), ("JSON-LD", "jsonld"), ("N-Triples", "ntriples")],
    )
