"""Entity resolution across clippings: one node per real-world entity.

Sets :attr:`Entity.key` (the IRI key, see :mod:`ess_graph.iris`) on every
entity of every extraction. The rules, in order:

* **Territories** with a code keep ``territory/{kind}/{code}``; foreign and
  unresolved places their ``place/…`` key.
* **Syndicates** named only by a generic word ("Sivu", "syndicat
  intercommunal") are keyed by that word *and their member communes* when the
  clipping states them (``territory/syndicate/sivu-ceillac-guillestre``),
  otherwise by the clipping: two clippings' "Sivu" are not assumed to be one.
* **Organisations, policies, initiatives, events** from the curated lexicon
  are keyed by the lexicon name, whatever the surface form ("RTES",
  "Réseau des collectivités…"). An entry marked ``generic`` (one per
  territory: CRESS, URSCOP…) is keyed by the name written in the clipping
  when it is qualified ("CRESS … du Poitou-Charentes"), by the clipping when bare.
  A bare acronym that the corpus defines exactly once ("Mutuelle générale
  d'Avignon (MGA)" somewhere) takes the key of its long form; an acronym with
  several definitions stays apart. Anything else is keyed by its name.
* **Persons** are keyed by name *plus affiliation*: the affiliation of a
  person in a clipping is the set of (resolved) keys of the organisations and
  territories of their asserted hasRole/presides/memberOf relations there.
  Mentions of a name whose affiliations all overlap (or that have none) share
  ``person/{name}``; when the corpus holds the same name with disjoint
  affiliations, each affiliation cluster gets ``person/{name}-{hash}`` and the
  unaffiliated mentions of that name get a per-clipping key. Persons are
  never linked to rosters of elected officials by name alone.
"""
from __future__ import annotations

import re
from collections import defaultdict

from .. import iris
from ..model import Extraction, Entity, ORG_TYPES, ACTION_TYPES
from .mentions import norm_key


_ACR = re.compile(r"[A-ZÀ-Þ][A-ZÀ-Þ0-9&-]{1,11}")


def _action_or_org_key(name: str, type_: str) -> str:
    seg = iris.ACTION_SEGMENT.get(type_)
    return f"{seg}/{iris.slugify(name)}" if seg else f"org/{iris.slugify(name)}"


def resolve_entities(extractions: list[Extraction]) -> list[Extraction]:
    # 1. corpus acronym table: ACR -> {long-name keys}
    acr_defs: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for ex in extractions:
        for e in ex.entities:
            acr = e.attributes.get("acronym")
            if acr and e.name != acr and e.type in ORG_TYPES + ACTION_TYPES:
                key = _base_key(e, ex)
                acr_defs[acr][key] = (e.name, e.type)

    # 2. everything but persons
    for ex in extractions:
        for e in ex.entities:
            if e.type == "Person":
                continue
            if e.type == "Intercommunality" and not e.insee:
                e.key = _syndicate_key(e, ex)
                continue
            if e.type not in ORG_TYPES + ACTION_TYPES:
                e.key = iris.default_entity_key(e)
                continue
            key = _base_key(e, ex)
            acr = e.attributes.get("acronym") or (e.name if _ACR.fullmatch(e.name) else None)
            if acr and e.name == acr and len(acr_defs.get(acr, {})) == 1:
                (key, (long_name, _t)), = acr_defs[acr].items()
                if long_name not in e.aliases:
                    e.aliases = sorted(set(e.aliases) | {long_name})
            e.key = key

    # 3. persons by name + affiliation
    by_name: dict[str, list[tuple[Extraction, Entity, frozenset[str]]]] = defaultdict(list)
    for ex in extractions:
        ents = {e.id: e for e in ex.entities}
        for e in ex.entities:
            if e.type != "Person":
                continue
            aff = set()
            for r in ex.relations:
                if r.subject == e.id and not r.candidate and r.predicate in ("hasRole", "presides", "memberOf"):
                    o = ents.get(r.object)
                    if o is not None:
                        aff.add(iris.entity_key(o))
            by_name[iris.slugify(e.name)].append((ex, e, frozenset(aff)))
    for slug, items in by_name.items():
        anchored = [(i, a) for i, (_, _, a) in enumerate(items) if a]
        # union affiliation sets that overlap
        clusters: list[tuple[set[str], list[int]]] = []
        for i, a in anchored:
            merged = [c for c in clusters if c[0] & a]
            new_aff, new_idx = set(a), [i]
            for c in merged:
                new_aff |= c[0]
                new_idx += c[1]
                clusters.remove(c)
            clusters.append((new_aff, new_idx))
        if len(clusters) <= 1:
            for _, e, _ in items:
                e.key = f"person/{slug}"
            continue
        for aff, idx in clusters:
            h = iris.short_hash(*sorted(aff), length=8)
            for i in idx:
                items[i][1].key = f"person/{slug}-{h}"
        for ex, e, a in items:
            if not a:
                e.key = f"person/{slug}-c{iris.short_hash(ex.clipping.id, length=8)}"
    return extractions


def _base_key(e: Entity, ex: Extraction) -> str:
    lex = e.attributes.get("lexicon")
    generic = e.attributes.get("generic")
    if lex and not generic:
        return _action_or_org_key(lex, e.type)
    if generic:
        if lex and norm_key(e.name) in (norm_key(lex), norm_key(e.attributes.get("acronym") or "")):
            return _action_or_org_key(f"{e.name} {ex.clipping.id}", e.type)
    return _action_or_org_key(e.name, e.type)


def _syndicate_key(e: Entity, ex: Extraction) -> str:
    if not e.attributes.get("generic"):
        return f"territory/syndicate/{iris.slugify(e.name)}"
    ents = {x.id: x for x in ex.entities}
    members = sorted({ents[r.subject].name for r in ex.relations
                      if r.predicate == "memberOf" and r.object == e.id and not r.candidate
                      and r.subject in ents and ents[r.subject].type == "Commune"})
    if members:
        return f"territory/syndicate/{iris.slugify(' '.join([e.name] + members))}"
    return f"territory/syndicate/{iris.slugify(e.name)}-c{iris.short_hash(ex.clipping.id, length=8)}"
