"""The learned relation classifier: which predicate links two entities mentioned in one sentence.

Every ordered pair of mentions of two different entities in one sentence is described by sparse
features read from the dependency parse of ``fr_core_news_md`` (the path between the two heads and
its lowest common ancestor's lemma), the lemmas between and around the mentions, the entity types,
their order and distance, apposition and brackets, and what the hand-written rules say of the pair
(the rules are a feature, not a decision). One logistic regression per predicate
(:mod:`ess_graph.extract.train`) scores the pair; an entity pair takes the best score of its mention
pairs, and keeps the sentence of that pair as its evidence.

The weights are plain JSON (``data/models/relations.json``): no pickle, no training library at run
time, the same scores on every machine.
"""
from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from spacy.tokens import Doc, Span as SpacySpan

from . import text as T

MAX_BETWEEN = 14           # tokens between two mentions that are read one by one
MAX_SENT_MENTIONS = 40     # a "sentence" with more mentions (a list, a table) is not read for relations


@dataclass(frozen=True)
class PMention:
    """A mention as the classifier sees it: span, type and the entity it belongs to."""

    start: int
    end: int
    type: str
    entity: int


@dataclass
class ParsedText:
    """The spaCy docs of a text's chunks, with their offsets in the (normalised) text."""

    docs: list[tuple[int, Doc]]

    def __post_init__(self) -> None:
        self.docs = sorted(self.docs, key=lambda x: x[0])
        self._offsets = [off for off, _ in self.docs]
        self._offset_of = {id(d): off for off, d in self.docs}
        # Doc.text joins every token: read each chunk's length once, not once per mention pair
        self._length_of = {id(d): len(d.text) for _, d in self.docs}

    def offset(self, doc: Doc) -> int:
        """Where ``doc`` (one of these chunks) starts in the text."""
        return self._offset_of[id(doc)]

    def length(self, doc: Doc) -> int:
        """The length in characters of ``doc`` (one of these chunks)."""
        return self._length_of[id(doc)]

    def span(self, start: int, end: int) -> SpacySpan | None:
        i = bisect_right(self._offsets, start) - 1
        if i < 0:
            return None
        off, d = self.docs[i]
        if end <= off + self._length_of[id(d)]:
            return d.char_span(start - off, end - off, alignment_mode="expand")
        return None


def parse(nlp, norm: str, chunks: Sequence[T.Span] | None = None) -> ParsedText:
    """Parse ``norm`` chunk by chunk (the same chunks as the extractor's)."""
    chunks = list(chunks) if chunks is not None else T.chunks(norm)
    docs = list(nlp.pipe([norm[c.start:c.end] for c in chunks]))
    return ParsedText([(c.start, d) for c, d in zip(chunks, docs)])


def sentences_of(norm: str) -> list[T.Span]:
    out: list[T.Span] = []
    for b in T.blocks(norm):
        out.extend(T.sentences(norm, b))
    return out


def _inside(ms: Sequence[PMention], j: int, s: T.Span) -> tuple[list[PMention], int]:
    while j < len(ms) and ms[j].start < s.start:
        j += 1
    k = j
    inside = []
    while k < len(ms) and ms[k].start < s.end:
        if ms[k].end <= s.end:
            inside.append(ms[k])
        k += 1
    return inside, j


def mention_pairs(sentences: Sequence[T.Span], mentions: Sequence[PMention]
                  ) -> Iterable[tuple[T.Span, PMention, PMention, list[PMention]]]:
    """(sentence, first, second, mentions between them) for mentions of two entities in one
    sentence, in text order. A "sentence" crowded with more than ``MAX_SENT_MENTIONS`` mentions (a
    list, a table, hostile text) is not read, so the cost stays linear in the text. (Pairs across two
    consecutive sentences were tried and lowered the cross-validated F1: 0.468 → 0.458.)"""
    ms = sorted(mentions, key=lambda m: (m.start, -m.end))
    j = 0
    for s in sentences:
        inside, j = _inside(ms, j, s)
        if len(inside) > MAX_SENT_MENTIONS:
            continue
        for a in range(len(inside)):
            for b in range(a + 1, len(inside)):
                x, y = inside[a], inside[b]
                if x.entity == y.entity:
                    continue
                if x.start < y.end and y.start < x.end and not (x.start <= y.start and y.end <= x.end):
                    continue
                between = [m for m in inside[a + 1:b] if x.end <= m.start and m.end <= y.start]
                yield s, x, y, between


_FAMILY = {"Person": "person", "Commune": "territory", "Department": "territory", "Region": "territory",
           "Country": "territory", "Intercommunality": "epci", "Policy": "action", "Initiative": "action",
           "Event": "action"}


def family(t: str) -> str:
    """A coarse type (organisations together), for features and signatures robust to typing errors."""
    return _FAMILY.get(t, "org")


def _bucket(n: int) -> str:
    for lim in (0, 1, 2, 3, 5, 8, 12, 20):
        if n <= lim:
            return str(lim)
    return "far"


def _lemma(tok) -> str:
    return (tok.lemma_ or tok.text).lower()


def _path(a, b) -> tuple[str, str]:
    """Dependency path between two tokens of one doc and the lemma of their common ancestor."""
    up_a = [a] + list(a.ancestors)
    up_b = [b] + list(b.ancestors)
    ids_b = {t.i: n for n, t in enumerate(up_b)}
    for n, t in enumerate(up_a):
        if t.i in ids_b:
            m = ids_b[t.i]
            left = [x.dep_ for x in up_a[:n]]
            right = [x.dep_ for x in up_b[:m]]
            if len(left) + len(right) > 6:
                return "long", _lemma(t)
            return "^".join(left) + ">" + "v".join(reversed(right)), _lemma(t)
    return "none", ""


def pair_features(norm: str, parsed: ParsedText, sent: T.Span, s: PMention, o: PMention,
                  between_mentions: Sequence[PMention], rule_preds: Iterable[str] = (),
                  rule_rev: Iterable[str] = ()) -> dict[str, float]:
    """Sparse features of the ordered pair (subject ``s``, object ``o``) in the sentence ``sent``."""
    f: dict[str, float] = {}
    first, second = (s, o) if s.start <= o.start else (o, s)
    order = "so" if first is s else "os"
    f["ts=" + s.type] = 1
    f["to=" + o.type] = 1
    f["ff=" + family(s.type) + "|" + family(o.type) + "|" + order] = 1
    f["tt=" + s.type + "|" + o.type + "|" + order] = 1
    f["ord=" + order] = 1
    for p in rule_preds:
        f["rule=" + p] = 1
    for p in rule_rev:
        f["rulerev=" + p] = 1
    nested = first.start <= second.start and second.end <= first.end
    if nested:
        f["nested|" + order] = 1
    gap = norm[first.end:second.start] if not nested else ""
    f["nment=" + _bucket(len(between_mentions))] = 1
    for m in between_mentions[:4]:
        f["mbetween=" + m.type] = 1
    if gap.strip() in ("(", "("):
        f["paren_right|" + order] = 1
    if gap.strip() == ",":
        f["comma_only|" + order] = 1
    if "," in gap:
        f["comma|" + order] = 1
    sp_s = parsed.span(s.start, s.end)
    sp_o = parsed.span(o.start, o.end)
    sp_1 = sp_s if first is s else sp_o
    sp_2 = sp_o if first is s else sp_s
    if sp_1 is None or sp_2 is None or sp_1.doc is not sp_2.doc:
        f["noparse"] = 1
        return f
    d = sp_1.doc
    between = [t for t in d[sp_1.end:sp_2.start] if not t.is_space] if not nested else []
    f["dist=" + _bucket(len(between))] = 1
    if len(between) <= MAX_BETWEEN:
        for t in between:
            if t.is_punct:
                continue
            lem = _lemma(t)
            f["b=" + lem] = 1
            f["b=" + lem + "|" + order] = 1
            if t.pos_ == "VERB":
                f["bverb=" + lem + "|" + order] = 1
        if between:
            f["b1=" + _lemma(between[0])] = 1
            f["bl=" + _lemma(between[-1]) + "|" + order] = 1
    else:
        for t in between:
            if t.pos_ == "VERB":
                f["bverb_far=" + _lemma(t) + "|" + order] = 1
    pre = [t for t in d[max(0, sp_1.start - 2):sp_1.start] if not t.is_space]
    for n, t in enumerate(reversed(pre)):
        f[f"pre{n}=" + _lemma(t)] = 1
    if sp_2.end < len(d):
        f["post=" + _lemma(d[sp_2.end])] = 1
    pre2 = d[sp_2.start - 1] if sp_2.start > 0 else None
    if pre2 is not None:
        f["pre_second=" + _lemma(pre2) + "|" + order] = 1
    for name, sp in (("hs", sp_s), ("ho", sp_o)):
        f[name + "=" + _lemma(sp[0])] = 1
        f[name + "root=" + _lemma(sp.root)] = 1
    path, lca = _path(sp_s.root, sp_o.root)
    f["path=" + path] = 1
    f["lca=" + lca] = 1
    f["lcapath=" + lca + "|" + path] = 1
    f["lcatt=" + lca + "|" + s.type + "|" + o.type] = 1
    f["lcaff=" + lca + "|" + family(s.type) + "|" + family(o.type)] = 1
    for name, sp in (("s", sp_s), ("o", sp_o)):
        r = sp.root
        f[f"dep_{name}=" + r.dep_] = 1
        if r.head is not r:
            f[f"gov_{name}=" + _lemma(r.head) + "|" + r.dep_] = 1
    off = parsed.offset(d)
    sent_span = d.char_span(max(0, sent.start - off), min(parsed.length(d), sent.end - off), alignment_mode="expand")
    if sent_span is not None:
        ff = family(s.type) + "|" + family(o.type)
        for t in sent_span:
            if t.pos_ in ("VERB", "NOUN") and not (sp_1.start <= t.i < sp_2.end):
                f["sent=" + _lemma(t) + "|" + ff] = 1
    return f


class LinearModel:
    """One logistic regression per predicate, with its threshold, over sparse features."""

    def __init__(self, weights: dict[str, dict[str, float]], bias: dict[str, float],
                 thresholds: dict[str, float], signatures: dict[str, list[list[str]]],
                 meta: dict | None = None):
        self.weights = weights
        self.bias = bias
        self.thresholds = thresholds
        self.signatures = {p: {tuple(x) for x in v} for p, v in signatures.items()}
        self.meta = meta or {}

    @property
    def predicates(self) -> list[str]:
        return sorted(self.weights)

    def allowed(self, predicate: str, s_type: str, o_type: str) -> bool:
        """Was this predicate annotated between these two type families?"""
        return (family(s_type), family(o_type)) in self.signatures.get(predicate, ())

    def score(self, predicate: str, feats: dict[str, float]) -> float:
        w = self.weights[predicate]
        z = self.bias[predicate] + sum(w.get(k, 0.0) * v for k, v in feats.items())
        z = max(-30.0, min(30.0, z))
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict:
        return {"format": "essgraph-relations/1", "meta": self.meta, "bias": self.bias,
                "thresholds": self.thresholds,
                "signatures": {p: sorted(list(x) for x in v) for p, v in sorted(self.signatures.items())},
                "weights": {p: dict(sorted(w.items())) for p, w in sorted(self.weights.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        return cls(data["weights"], data["bias"], data["thresholds"], data["signatures"], data.get("meta"))

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
