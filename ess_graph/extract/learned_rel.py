"""Using the learned models inside the extractor: entity candidates and relations.

``model_cands`` turns ``ess_ner``'s spans into mention candidates that compete with the rule
proposers in :func:`ess_graph.extract.pipeline.select` (the lexicon, acronym definitions, person
names and the territory linker rank above them; organisation and action heads and the stock NER
below). ``learned_relations`` scores every pair of entities mentioned in one sentence with the
relation classifier (:mod:`ess_graph.extract.relclf`) and keeps, for each entity pair and
predicate, the best-scored sentence as evidence.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..model import Relation, TERRITORY_TYPES
from . import text as T
from .mentions import Cand
from .relclf import LinearModel, ParsedText, PMention, mention_pairs, pair_features

P_MODEL = 62          # below the territory linker (70) and organisation/action heads, above EPCI heads (60)
UNLEARNED = 1.0        # a predicate's threshold when the classifier does not assert it (train.UNLEARNED)
CANDIDATE_RATIO = 0.5  # a pair scored at least this share of the threshold is kept for review

_LEAD = re.compile(r"^(?:[LlDd]'|(?:le|la|les|du|des|de|Le|La|Les|Du|Des|De)\s+)")
_ROLE_HEAD = re.compile(
    r"\b(?:(?:vice|co)[- ])?(?:présidente?|maire|adjointe?|conseill[eè]re?|directrice|directeur|délégu[ée]e?|"
    r"chargée?|responsable|fondat(?:eur|rice)|co-?fondat(?:eur|rice)|gérante?|secrétaire|trésori[eè]re?|"
    r"administrat(?:eur|rice)|coordinat(?:eur|rice)|membre|élue?|sénat(?:eur|rice)|députée?|ministre|"
    r"préfète?|animat(?:eur|rice)|chef(?:fe)?|porte-parole|salariée?|fondée? de pouvoir|dirigeante?)\b[^,;()]{0,60}",
    re.IGNORECASE)
_ROLE_TAIL = re.compile(r"\s+(?:de la|de l'|du|des|de|d'|à la|au|aux|à)\s*$", re.IGNORECASE)


def model_cands(norm: str, spans: Iterable[tuple[int, int, str]], not_names: set[str]) -> list[Cand]:
    """``ess_ner`` spans as candidates. French places come from the territory linker (codes), so the
    model's communes, départements, régions and countries are not proposed."""
    out = []
    for s, e, label in spans:
        if label in TERRITORY_TYPES and label != "Intercommunality":
            continue
        span = norm[s:e]
        m = _LEAD.match(span)
        if m and label != "Person":
            s += m.end()
        span = norm[s:e].rstrip(" .,;:")
        e = s + len(span)
        if len(span) < 2 or "\n" in span or span in not_names:
            continue
        out.append(Cand(s, e, label, span, P_MODEL, "model"))
    return out


def _mentions(doc, coref) -> list[PMention]:
    idx = {ent.id: i for i, ent in enumerate(doc.entities)}
    out = [PMention(c.start, c.end, doc.entities[doc.ent_of[i]].type, doc.ent_of[i])
           for i, c in enumerate(doc.mentions)]
    if coref is not None:
        for r in coref.find(doc):
            if r.sure and r.entity in idx:
                out.append(PMention(r.start, r.end, doc.entities[idx[r.entity]].type, idx[r.entity]))
    out.sort(key=lambda m: (m.start, -m.end))
    return out


def role_between(text: str, person: PMention, other: PMention) -> str | None:
    """The role words written next to a person ("adjointe au maire chargée de l'ESS")."""
    if person.start < other.start:
        window = text[person.end:other.start]
    else:
        window = text[other.end:person.start]
    m = _ROLE_HEAD.search(window)
    if not m:
        tail = text[person.end:person.end + 80]
        m = _ROLE_HEAD.search(tail)
        if not m:
            return None
        window = tail
    role = _ROLE_TAIL.sub("", m.group(0).strip(" ,.")).strip(" ,.")
    return role or None


def learned_relations(model: LinearModel, doc, parsed: ParsedText, rule_rels: list[Relation],
                      coref=None, candidate_ratio: float = CANDIDATE_RATIO) -> list[Relation]:
    """The classifier's relations, plus the rules' candidates and cross-sentence readings."""
    ents = doc.entities
    idx = {e.id: i for i, e in enumerate(ents)}
    rule_map: dict[tuple[int, int], set[str]] = {}
    rule_role: dict[tuple[int, int, str], Relation] = {}
    for r in rule_rels:
        if r.candidate or r.subject not in idx or r.object not in idx:
            continue
        key = (idx[r.subject], idx[r.object])
        rule_map.setdefault(key, set()).add(r.predicate)
        rule_role.setdefault((key[0], key[1], r.predicate), r)
    mentions = _mentions(doc, coref)
    sents = doc.sentences
    best: dict[tuple[int, str, int], tuple[float, T.Span, PMention, PMention]] = {}
    covered: set[tuple[int, int]] = set()
    for window, x, y, between in mention_pairs(sents, mentions):
        for s, o in ((x, y), (y, x)):
            s_type, o_type = ents[s.entity].type, ents[o.entity].type
            preds = [p for p in model.predicates if model.allowed(p, s_type, o_type)]
            covered.add((s.entity, o.entity))
            if not preds:
                continue
            feats = pair_features(doc.text, parsed, window, s, o, between,
                                  rule_map.get((s.entity, o.entity), ()), rule_map.get((o.entity, s.entity), ()))
            for p in preds:
                score = model.score(p, feats)
                key = (s.entity, p, o.entity)
                if key not in best or score > best[key][0]:
                    best[key] = (score, window, s, o)
    text = doc.clipping.text
    out: list[Relation] = []
    for (si_ent, p, oi_ent), (score, sent, s, o) in sorted(best.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        thr = model.thresholds.get(p, 0.5)
        if score < thr * candidate_ratio:
            continue
        rel = Relation(subject=ents[si_ent].id, predicate=p, object=ents[oi_ent].id,
                       evidence=text[sent.start:sent.end], evidence_start=sent.start, evidence_end=sent.end,
                       candidate=score < thr, rule="model", date=doc.clipping.date,
                       confidence=round(score, 4))
        if p == "hasRole":
            ruled = rule_role.get((si_ent, oi_ent, p))
            rel.role = ruled.role if ruled is not None and ruled.role else role_between(doc.text, s, o)
            if ruled is not None:
                rel.portfolio = ruled.portfolio
            if not rel.role:
                rel.candidate = True      # a post needs a role: without one it is left for review
            obj = ents[oi_ent]
            if obj.type in TERRITORY_TYPES and obj.type != "Intercommunality" and not obj.insee:
                rel.candidate = True      # a post is held in a body: an unresolved place stays for review
        out.append(rel)
    have = {(r.subject, r.predicate, r.object) for r in out if not r.candidate}
    for r in rule_rels:
        key = (r.subject, r.predicate, r.object)
        if key in have:
            continue
        pair = (idx.get(r.subject), idx.get(r.object))
        unlearned = model.thresholds.get(r.predicate, UNLEARNED) >= UNLEARNED
        scored = best.get((pair[0], r.predicate, pair[1]))
        not_vetoed = scored is not None and scored[0] >= model.thresholds.get(r.predicate, 0.5) * CANDIDATE_RATIO
        if r.candidate or pair not in covered or unlearned or not_vetoed:
            # the rules' readings stand unless the classifier read the same pair and found the fact
            # unlikely (under half its threshold): readings across sentences (coreference, lists),
            # of the predicates the classifier does not assert, and the rules' candidates
            if not r.candidate:
                out = [x for x in out if not (x.candidate and (x.subject, x.predicate, x.object) == key)]
            out.append(r)
            have.add(key)
    return out
