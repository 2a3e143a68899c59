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
  A bare acronym that the clippings before (or the clipping itself) define
  exactly once ("Mutuelle générale d'Avignon (MGA)" somewhere) takes the key of
  its long form; an acronym with several definitions stays apart. Anything
  else is keyed by its name.
* **Persons** are keyed by name *plus affiliation*: the affiliation of a
  person in a clipping is the set of (resolved) keys of the organisations and
  territories of their asserted hasRole/presides/memberOf relations there.
  The first affiliation met for a name gets ``person/{name}``, a later
  affiliation disjoint from every earlier one ``person/{name}-{hash}``; a
  mention without affiliation joins the name's only person, or gets a
  per-clipping key when the name already stands for several. Persons are
  never linked to rosters of elected officials by name alone.

Resolution is a fold over the clippings in input order against a
:class:`~ess_graph.resolution_index.ResolutionIndex` (the decisions of earlier
loads, read from the store): decisions are never revised, so a corpus loaded
in one batch or in several batches, in the same order, gets the same keys,
and a clipping loaded again gets the keys it had.
"""
from __future__ import annotations

import re

from .. import iris
from ..model import Extraction, Entity, Mention, ORG_TYPES, ACTION_TYPES
from ..resolution_index import ResolutionIndex
from .mentions import norm_key


_ACR = re.compile(r"[A-ZÀ-Þ][A-ZÀ-Þ0-9&-]{1,11}")


def _action_or_org_key(name: str, type_: str) -> str:
    seg = iris.ACTION_SEGMENT.get(type_)
    return f"{seg}/{iris.slugify(name)}" if seg else f"org/{iris.slugify(name)}"


# an acronym as ``Long Name (ACR)`` defines it (mentions.MentionRules.acr_def_re), standing alone
_ACR_USE = re.compile(r"(?<![\w-])([A-ZÀ-Þ][A-Za-zÀ-ÿ0-9&]*+(?:-[A-Za-zÀ-ÿ0-9]+)?)(?![\w-])")


def resolve_entities(extractions: list[Extraction], index: ResolutionIndex | None = None) -> list[Extraction]:
    """Set every entity's key, clipping after clipping in input order, against ``index`` (the
    decisions of earlier calls, extended here). Each clipping sees the acronym definitions and
    person clusters of the clippings before it and its own, so a corpus resolved in one call or in
    several consecutive calls sharing one index gets the same keys."""
    index = index if index is not None else ResolutionIndex()
    for ex in extractions:
        _register_acronyms(ex, index)
        _corpus_acronym_uses(ex, index)
        _resolve_non_persons(ex, index)
        _resolve_persons(ex, index)
    return extractions


def _register_acronyms(ex: Extraction, index: ResolutionIndex) -> None:
    for e in ex.entities:
        acr = e.attributes.get("acronym")
        if acr and e.name != acr and e.type in ORG_TYPES + ACTION_TYPES and not e.attributes.get("corpus_acronym"):
            index.define_acronym(acr, _base_key(e, ex), e.name, e.type,
                                 lexicon=bool(e.attributes.get("lexicon")))


def _corpus_acronym_uses(ex: Extraction, index: ResolutionIndex) -> None:
    """Bare uses of an acronym that an earlier clipping (or the index) defines exactly once with a
    name of the clipping's own making ("… (MGC)" there, "la MGC" here) become entities."""
    text = ex.clipping.text
    covered = [(m.start, m.end) for e in ex.entities for m in e.mentions]
    known = {e.attributes.get("acronym") for e in ex.entities} | {e.name for e in ex.entities}
    found: dict[str, list[Mention]] = {}
    types: dict[str, str] = {}
    decided: dict[str, bool] = {}
    for m in _ACR_USE.finditer(text):
        acr = m.group(1)
        if acr in known or acr not in index.acronyms:
            continue
        if acr not in decided:
            prior = index.decision(ex.clipping.id, "acronym-use:" + acr)
            defs = {n: t for n, t, lex in index.acronym_definitions(acr).values() if not lex and t in ORG_TYPES}
            if prior is not None:
                ok = prior != ""
                types[acr] = prior
            else:
                ok = len(defs) == 1
                types[acr] = next(iter(defs.values())) if ok else ""
                index.decide(ex.clipping.id, "acronym-use:" + acr, types[acr])
            decided[acr] = ok
        if not decided[acr]:
            continue
        if any(a < m.end() and m.start() < b for a, b in covered):
            continue
        found.setdefault(acr, []).append(Mention(m.start(), m.end(), acr))
    for acr in sorted(found, key=lambda a: found[a][0].start):
        ex.entities.append(Entity(id=f"e{len(ex.entities) + 1}", type=types[acr], name=acr,
                                  mentions=found[acr], attributes={"acronym": acr, "corpus_acronym": True}))


def _resolve_non_persons(ex: Extraction, index: ResolutionIndex) -> None:
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
        if acr and e.name == acr:
            what = "acronym:" + acr
            prior = index.decision(ex.clipping.id, what)
            if prior is None:
                defs = index.acronym_definitions(acr)
                prior = index.decide(ex.clipping.id, what, next(iter(defs)) if len(defs) == 1 else "")
            if prior:
                long_name = index.acronym_definitions(acr).get(prior, (None,))[0]
                key = prior
                if long_name and long_name not in e.aliases:
                    e.aliases = sorted(set(e.aliases) | {long_name})
        e.key = key


def _resolve_persons(ex: Extraction, index: ResolutionIndex) -> None:
    """Persons by name and affiliation: the affiliation of a person in a clipping is the set of
    keys of the bodies of their asserted hasRole/presides/memberOf relations there. The first
    affiliation met for a name keys ``person/{name}``; an affiliation disjoint from every earlier one
    is another person (``person/{name}-{hash}``); one that overlaps joins the earliest it overlaps.
    A mention without affiliation joins the name's only person, or gets a key of its own
    (``person/{name}-c{hash}``) when the name already stands for several."""
    ents = {e.id: e for e in ex.entities}
    cid = ex.clipping.id
    for e in ex.entities:
        if e.type != "Person":
            continue
        aff = set()
        for r in ex.relations:
            if r.subject == e.id and not r.candidate and r.predicate in ("hasRole", "presides", "memberOf"):
                o = ents.get(r.object)
                if o is not None:
                    aff.add(iris.entity_key(o))
        slug = iris.slugify(e.name)
        what = f"person:{slug}:{iris.short_hash(*sorted(aff), length=8) if aff else ''}"
        key = index.decision(cid, what)
        if key is None:
            clusters = index.clusters(slug)
            if aff:
                over = [c for c in clusters if c.affiliations & aff]
                if over:
                    first = min(over, key=lambda c: c.seq)
                    index.extend_cluster(slug, first, aff)
                    key = first.key
                else:
                    key = f"person/{slug}" if not clusters else \
                        f"person/{slug}-{iris.short_hash(*sorted(aff), length=8)}"
                    index.add_cluster(slug, key, aff)
            elif len(clusters) <= 1:
                key = clusters[0].key if clusters else f"person/{slug}"
            else:
                key = f"person/{slug}-c{iris.short_hash(cid, length=8)}"
            index.decide(cid, what, key)
        e.key = key


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
