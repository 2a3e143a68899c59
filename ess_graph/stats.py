"""Store statistics: triples, graphs, entities by class, clippings."""
from __future__ import annotations

from .namespaces import PREFIXES
from .store import GraphStore, REFERENCE_GRAPH_PREFIX

# classes counted in "entities by class", in display order
ENTITY_CLASSES = [
    "person:Person", "org:Organization", "ess:Cooperative", "ess:Mutual", "ess:Association",
    "ess:Network", "ess:PublicBody", "ess:LocalAuthority", "ess:Company",
    "igeo:Commune", "ess:Intercommunality", "igeo:Departement", "igeo:Region", "ess:Country",
    "ess:ForeignPlace", "ess:UnresolvedPlace",
    "ess:Policy", "ess:Initiative", "ess:Event", "org:Post", "org:Membership",
    "ess:Statement", "oa:Annotation", "ess:Clipping",
]


def _expand(curie: str) -> str:
    p, local = curie.split(":", 1)
    return PREFIXES[p] + local


def store_stats(store: GraphStore) -> dict:
    ox_store = store.store
    graphs = store.named_graphs()
    values = " ".join(f"<{_expand(c)}>" for c in ENTITY_CLASSES)
    counts = {c: 0 for c in ENTITY_CLASSES}
    q = f"""SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
              VALUES ?class {{ {values} }} ?s a ?class }} GROUP BY ?class"""
    back = {_expand(c): c for c in ENTITY_CLASSES}
    for sol in ox_store.query(q, use_default_graph_as_union=True):
        counts[back[sol["class"].value]] = int(sol["n"].value)
    facts = {"asserted": 0, "candidate": 0}
    for sol in ox_store.query(
            f"""SELECT ?c (COUNT(?st) AS ?n) WHERE {{ ?st a <{PREFIXES['ess']}Statement> ;
                <{PREFIXES['ess']}candidate> ?c }} GROUP BY ?c""", use_default_graph_as_union=True):
        facts["candidate" if sol["c"].value == "true" else "asserted"] = int(sol["n"].value)
    clipping_graphs = [g for g in graphs if "/id/clipping/" in g]
    return {
        "store": str(store.path) if store.path else None,
        "triples": len(ox_store),
        "graphs": len(graphs),
        "clippings": len(clipping_graphs),
        "reference_graphs": [g for g in graphs if g.startswith(REFERENCE_GRAPH_PREFIX)],
        "facts": facts,
        "entities_by_class": counts,
    }


def format_stats_text(s: dict) -> str:
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
