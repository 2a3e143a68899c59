"""GeoJSON of territories with their actors and initiatives; GEXF of the actor–territory network."""
from __future__ import annotations

import json
from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from ..curie import curie
from ..geometry import parse_wkt
from ..namespaces import ESS
from .views import Views

# relation kinds linking an actor (or action) to a territory
LOCATED = ESS + "locatedIn"
GOVERNS = ESS + "governs"


def _geometry(t) -> dict | None:
    if t.geometry_wkt:
        geom = parse_wkt(t.geometry_wkt)
        if geom is not None:  # else unparsable: fall back to the outline or the centroid
            return geom
    if t.kind in ("Commune", "Departement", "Region") and t.code_insee:
        # simplified outline bundled in data/geo (IGN Admin Express, Licence Ouverte 2.0),
        # keyed like the IRI (a commune déléguée may carry a -comd/-coma suffix)
        from ..serve.outlines import geometry_for
        key = t.iri.rstrip("/").rsplit("/", 1)[-1] if t.kind == "Commune" else t.code_insee
        outline = geometry_for(t.kind, key)
        if outline:
            return outline
    if t.lon is not None and t.lat is not None:
        return {"type": "Point", "coordinates": [t.lon, t.lat]}
    return None


def geojson(views: Views) -> bytes:
    """Territories that clippings talk about (mentioned, or where an actor or initiative is
    located, or governed by an acting local authority), as a GeoJSON FeatureCollection."""
    actors_of: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    actions_of: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o, _n in views.asserted:
        if o not in views.territories:
            continue
        rel = curie(p)
        if s in views.actors:
            actors_of[o][s].add(rel)
        elif s in views.actions:
            actions_of[o][s].add(rel)
    # initiatives carried by the authority governing a territory
    authority_of = {o: s for s, p, o, _ in views.asserted if p == GOVERNS}
    for terr, auth in authority_of.items():
        for s, p, o, _n in views.asserted:
            if s == auth and o in views.actions:
                actions_of[terr][o].add(curie(p) + " (by the local authority)")
    selected = sorted(t for t in views.territories
                      if views.territories[t].mentioned_in or t in actors_of or t in actions_of)
    features = []
    for iri in selected:
        t = views.territories[iri]
        props = {
            "iri": iri, "label": t.label, "kind": t.kind, "code_insee": t.code_insee or None,
            "population": int(t.population) if t.population.isdigit() else None,
            "mentioned_in": t.mentioned_in,
            "actors": [{"iri": a, "label": views.label(a), "kind": views.actors[a].kind,
                        "relations": sorted(rels)} for a, rels in sorted(actors_of[iri].items())],
            "initiatives": [{"iri": a, "label": views.actions[a][1], "kind": views.actions[a][0],
                             "relations": sorted(rels)} for a, rels in sorted(actions_of[iri].items())],
        }
        features.append({"type": "Feature", "id": iri, "geometry": _geometry(t), "properties": props})
    doc = {"type": "FeatureCollection", "features": features}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


GEXF_ATTRS = (("kind", "string"), ("iri", "string"), ("code_insee", "string"),
              ("longitude", "double"), ("latitude", "double"), ("mentioned_in", "integer"))


def gexf(views: Views, *, description: str = "essgraph actor–territory network") -> bytes:
    """Actors, territories and initiatives as nodes; asserted relations as directed edges
    (weight = number of graphs asserting the relation)."""
    edges = [(s, p, o, n) for s, p, o, n in views.asserted]
    used = sorted({s for s, *_ in edges} | {o for _, _, o, _ in edges})
    ids = {iri: f"n{i}" for i, iri in enumerate(used)}
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" version="1.3">',
           '  <meta>', '    <creator>essgraph</creator>',
           f'    <description>{escape(description)}</description>', '  </meta>',
           '  <graph defaultedgetype="directed" mode="static">',
           '    <attributes class="node">']
    for i, (name, typ) in enumerate(GEXF_ATTRS):
        out.append(f'      <attribute id="{i}" title="{name}" type="{typ}"/>')
    out += ['    </attributes>', '    <attributes class="edge">',
            '      <attribute id="0" title="predicate" type="string"/>', '    </attributes>',
            '    <nodes>']
    for iri in used:
        if iri in views.actors:
            a = views.actors[iri]
            kind, code, lon, lat, men = a.kind, "", None, None, a.mentioned_in
        elif iri in views.territories:
            t = views.territories[iri]
            kind, code, lon, lat, men = t.kind, t.code_insee, t.lon, t.lat, t.mentioned_in
        else:
            kind, code, lon, lat, men = views.actions[iri][0], "", None, None, 0
        vals = {"kind": kind, "iri": iri, "code_insee": code,
                "longitude": lon, "latitude": lat, "mentioned_in": men}
        out.append(f'      <node id="{ids[iri]}" label={quoteattr(views.label(iri) or iri)}>')
        out.append('        <attvalues>')
        for i, (name, _typ) in enumerate(GEXF_ATTRS):
            v = vals[name]
            if v is None or v == "":
                continue
            out.append(f'          <attvalue for="{i}" value={quoteattr(str(v))}/>')
        out.append('        </attvalues>')
        out.append('      </node>')
    out += ['    </nodes>', '    <edges>']
    for i, (s, p, o, n) in enumerate(edges):
        label = curie(p)
        out.append(f'      <edge id="e{i}" source="{ids[s]}" target="{ids[o]}" '
                   f'label={quoteattr(label)} weight="{n}">')
        out.append(f'        <attvalues><attvalue for="0" value={quoteattr(p)}/></attvalues>')
        out.append('      </edge>')
    out += ['    </edges>', '  </graph>', '</gexf>', '']
    return "\n".join(out).encode("utf-8")
