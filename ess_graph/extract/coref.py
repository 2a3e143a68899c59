"""Definite descriptions and possessives that refer back to a named entity.

Press text names an actor once and then says "la coopérative", "la structure",
"l'agglomération", "le PTCE", "sa présidente". The relation rules see these
references as markers of their antecedent, tagged *sure* or *unsure*:

* a definite description (``rules.yaml: coreference``) is **sure** when exactly
  one entity of its types was named before it in the same paragraph (block);
  with several, the nearest is proposed and the reading is **unsure**; with
  none in the paragraph, the nearest of the four sentences before is proposed,
  unsure;
* a description followed by a name ("la coopérative Enercoop", "la commune de
  Louzy") is a classifier, not a reference, and is left alone;
* a possessive ("son président", "ses installations") belongs to the subject of
  its sentence, or, when it opens the sentence or the sentence opens with a
  quotation, to the subject of the previous sentence of the paragraph — a
  subject being a mention (or a resolved description) that starts the sentence,
  after an optional fronted participial clause.

A relation that uses an unsure reference is a candidate (``Relation.candidate``),
never an asserted fact; one that uses a sure reference is asserted with a rule
name starting with ``coref-``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..model import ORG_TYPES
from . import text as T
from .lexicon import Lexicon, _read_yaml

SURE = "\x1fs"      # suffix of an entity id reached through a sure reference
UNSURE = "\x1fc"    # ... through an unsure one (the relation becomes a candidate)

_DATA_CACHE: dict[Path, dict] = {}


def rule_data(lex: Lexicon) -> dict:
    """``coreference`` and ``relation_verbs`` of ``rules.yaml`` (validated, cached per directory)."""
    path = Path(lex.source_dir) / "rules.yaml"
    if path in _DATA_CACHE:
        return _DATA_CACHE[path]
    raw = _read_yaml(path)
    coref = raw.get("coreference") or []
    if not isinstance(coref, list):
        raise InputError("expected a list under 'coreference'", source=str(path))
    entries = []
    for rec in coref:
        if not isinstance(rec, dict) or not isinstance(rec.get("phrases"), list) \
                or not isinstance(rec.get("types"), list) or not rec["phrases"]:
            raise InputError("coreference entry needs 'types' and 'phrases' lists", source=str(path))
        entries.append({"types": tuple(str(t) for t in rec["types"]),
                        "bodies": tuple(str(b).casefold() for b in rec.get("bodies") or ()),
                        "candidate_only": bool(rec.get("candidate_only")),
                        "phrases": [str(p) for p in rec["phrases"]]})
    verbs = raw.get("relation_verbs") or {}
    if not isinstance(verbs, dict) or not all(isinstance(v, list) for v in verbs.values()):
        raise InputError("expected a mapping of lists under 'relation_verbs'", source=str(path))
    data = {"coreference": entries, "relation_verbs": {k: [str(x) for x in v] for k, v in verbs.items()}}
    _DATA_CACHE[path] = data
    return data


def phrase_alt(phrases: list[str], participle: bool = False) -> str:
    """Literal alternation of phrases (longest first); a participle also takes -e/-s/-es on its first word."""
    out = []
    for p in sorted(set(phrases), key=lambda s: (-len(s), s)):
        words = p.split()
        first = re.escape(words[0]) + ("(?:e|s|es)?" if participle else "")
        out.append(r"\s+".join([first] + [re.escape(w) for w in words[1:]]))
    return "|".join(out)


@dataclass
class Ref:
    start: int          # span of the description in the text
    end: int
    entity: str         # antecedent entity id
    type: str           # antecedent entity type
    sure: bool


class Coreference:
    def __init__(self, lex: Lexicon):
        data = rule_data(lex)
        self.entries = data["coreference"]
        alts = []
        self.phrase_entry: dict[str, dict] = {}
        for e in self.entries:
            for p in e["phrases"]:
                key = _key(p)
                self.phrase_entry.setdefault(key, e)
                words = p.split()
                art = words[0]
                # any case on the article's first letter, exact case elsewhere
                head = re.escape(art[1:]) if len(art) > 1 else ""
                first = f"[{art[0].upper()}{art[0].lower()}]{head}"
                if art == "le":
                    first = "(?:[Ll]e|[Dd]u|[Aa]u)"     # "du Département", "au réseau"
                if art.endswith("'"):
                    pat = first + r"\s*" + r"\s+".join(re.escape(w) for w in words[1:]) if len(words) > 1 \
                        else first
                else:
                    pat = r"\s+".join([first] + [re.escape(w) for w in words[1:]])
                alts.append((len(p), pat))
        # art' + noun is written without a space ("l'association"): split on the apostrophe
        alts2 = []
        for e in self.entries:
            for p in e["phrases"]:
                if "'" in p.split()[0] and len(p.split()) == 1:
                    a, n = p.split("'", 1)
                    alts2.append((len(p), f"[{a[0].upper()}{a[0].lower()}]{re.escape(a[1:])}'" + re.escape(n)))
        pats = [pat for _, pat in sorted(alts + alts2, key=lambda x: -x[0])]
        self.rx = re.compile(r"(?<![\w'-])(?:" + "|".join(pats) + r")(?![\w'-])")
        # longer heads ("coopérative d'activité et d'emploi", "coopérative agricole") make a description
        # the classifier of the name that follows them
        self.heads = sorted({h.casefold() for hs in lex.org_heads.values() for h in hs}, key=len, reverse=True)
        self.rx_followed_by_name = re.compile(
            r"\s*(?:de la |de l'|du |des |de |d'|à |:)?\s*(?:[«\"]|[A-ZÀ-Þ0-9])")

    # ------------------------------------------------------------------
    def find(self, doc) -> list[Ref]:
        """References in the text, each with its antecedent (sure or not)."""
        text = doc.text
        mentions = doc.mentions
        blocks = T.blocks(text)
        refs: list[Ref] = []
        # mention spans, to skip descriptions inside or right before a mention
        spans = [(m.start, m.end) for m in mentions]
        starts = [s for s, _ in spans]
        from bisect import bisect_left, bisect_right
        sent_starts = [s.start for s in doc.sentences]
        for m in self.rx.finditer(text):
            a, b = m.start(), m.end()
            i = bisect_right(starts, a) - 1
            if i >= 0 and spans[i][1] > a:
                continue        # inside a mention
            j = bisect_left(starts, a)
            if j < len(spans) and spans[j][0] < b:
                continue        # overlaps a mention
            nxt = spans[j][0] if j < len(spans) else len(text)
            tail = text[b:min(len(text), b + 12)]
            fm = self.rx_followed_by_name.match(tail)
            if fm is not None:
                continue        # "la coopérative Enercoop", "la commune de Louzy": a classifier
            if nxt - b <= 8 and re.fullmatch(r"\s*(?:de la |de l'|du |des |de |d')?\s*", text[b:nxt]):
                continue
            noun_at = a + re.match(r"[^\s']+'|\S+\s+", m.group(0)).end()
            low = text[noun_at:noun_at + 60].casefold()
            if any(len(h) > b - noun_at and low.startswith(h)
                   and self.rx_followed_by_name.match(text, noun_at + len(h)) for h in self.heads):
                continue
            entry = self.phrase_entry.get(_key(m.group(0)))
            if entry is None:
                continue
            blk = next((bl for bl in blocks if bl.start <= a < bl.end), None)
            si = bisect_right(sent_starts, a) - 1
            lo_sent = doc.sentences[max(0, si - 4)].start if doc.sentences else 0
            ref = self._resolve(doc, entry, a, blk, lo_sent)
            if ref is not None:
                ent_id, typ, sure = ref
                # the article stays in the text, like before a name: "de la <ref>", "du <ref>", "l'<ref>"
                art = re.match(r"[^\s']+'|\S+\s+", m.group(0))
                refs.append(Ref(a + art.end(), b, ent_id, typ, sure and not entry["candidate_only"]))
        return refs

    def _resolve(self, doc, entry, pos, blk, lo_sent):
        types = entry["types"]
        bodies = entry["bodies"]
        in_block: list[tuple[int, object]] = []      # (mention start, entity) non-nested, before pos
        near: list[tuple[int, object]] = []
        outer_end = -1
        lo = min(blk.start if blk else pos, lo_sent)
        for mi, m in enumerate(doc.mentions):
            if m.start >= pos:
                break
            nested = m.start < outer_end
            outer_end = max(outer_end, m.end)
            if nested or m.end <= lo:
                continue
            ent = doc.entities[doc.ent_of[mi]]
            if blk is not None and m.start >= blk.start:
                in_block.append((m.start, ent))
            near.append((m.start, ent))
        if bodies:
            bodies_in = _distinct(e for _, e in in_block
                                  if e.type == "PublicBody" and e.name.casefold().startswith(bodies))
            if len(bodies_in) == 1:
                e = bodies_in[0]
                return e.id, e.type, True
            if len(bodies_in) > 1:
                e = _nearest(in_block, lambda x: x.type == "PublicBody" and x.name.casefold().startswith(bodies))
                return e.id, e.type, False
        cands = _distinct(e for _, e in in_block if e.type in types)
        if len(cands) == 1:
            return cands[0].id, cands[0].type, True
        if cands:
            e = _nearest(in_block, lambda x: x.type in types)
            return e.id, e.type, False
        e = _nearest(near, lambda x: x.type in types)
        if e is not None:
            return e.id, e.type, False
        return None


def _key(s: str) -> str:
    s = re.sub(r"\s+", " ", s.strip())
    s = s[:1].lower() + s[1:]
    if s.startswith(("du ", "au ")):
        s = "le " + s[3:]
    return s


def _distinct(ents) -> list:
    out = {}
    for e in ents:
        out.setdefault(e.id, e)
    return list(out.values())


def _nearest(pairs, pred):
    best = None
    for _, e in pairs:
        if pred(e):
            best = e
    return best


def tag(eid: str, sure: bool) -> str:
    return eid + (SURE if sure else UNSURE)


def untag(eid: str) -> tuple[str, str | None]:
    """(entity id, None | 'sure' | 'unsure')."""
    if eid.endswith(SURE):
        return eid[:-len(SURE)], "sure"
    if eid.endswith(UNSURE):
        return eid[:-len(UNSURE)], "unsure"
    return eid, None


ORG_OR_LOCAL = ORG_TYPES + ("Commune", "Intercommunality", "Department", "Region")
