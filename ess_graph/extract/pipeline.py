"""The extraction pipeline: clipping -> entities with spans -> relations.

Stages (see docs/extraction.md):

1. normalise the text one character for one (’ → ', NBSP → space), so every
   span found is a span of the original text;
2. propose mentions: curated lexicon, acronym definitions, person names,
   organisation/syndicate/action heads, the territory linker, spaCy NER;
3. keep the best non-overlapping spans (territories may nest inside names);
4. group mentions into entities (acronym ↔ long form, surname ↔ full name,
   generic syndicate ↔ its name, same normalised name);
5. relations by rules over sentences (``ess_graph.extract.relations``).
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..model import Clipping, Entity, Extraction, Mention, ORG_TYPES, TERRITORY_TYPES, ACTION_TYPES
from . import text as T
from .lexicon import Lexicon
from .mentions import Cand, MentionRules, Tokens, is_cap, norm_key, P_NER, P_TERRITORY, P_ACRONYM
from .ner import base_spans, learned_spans, parse, default_model_dir
from .relclf import LinearModel, ParsedText
from .learned_rel import CANDIDATE_RATIO, learned_relations, model_cands

FAMILY = {t: "org" for t in ORG_TYPES}
FAMILY.update({t: "territory" for t in TERRITORY_TYPES})
FAMILY.update({t: "action" for t in ACTION_TYPES})
FAMILY["Person"] = "person"

_ELISION = re.compile(r"^(?:[LlDd]'|(?:le|la|les|du|des|de|Le|La|Les|Du|Des|De)\s+)")
_NOT_NER = re.compile(r"^(?:Département|Région|Ville|Commune|Mairie)\s|\s-\s|\.(?:pdf|docx?|odt|html?|php|jpe?g|png)\b|https?:|www\.|@|^(?:Conseils|Régions|Autorités|"
                      r"Collectivités|Communes|Départements|Associations|Mutuelles|Coopératives)\b")
_ACR_WORD = re.compile(r"\b[A-ZÀ-Þ][A-ZÀ-Þ0-9&-]{1,11}\b")


_UPPER = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_LETTER = re.compile(r"[^\W\d_]")


def _worth_ner(piece: str) -> bool:
    """NER can only propose capitalised names: skip pieces without a capital
    letter or that are mostly not letters (tables, punctuation runs)."""
    if not _UPPER.search(piece):
        return False
    if len(piece) > 200:
        letters = len(_LETTER.findall(piece[:2000]))
        if letters < 0.4 * min(len(piece), 2000):
            return False
    return True


def _nested_ok(inner: Cand, outer: Cand) -> bool:
    """May ``inner`` stay as a mention inside ``outer``?"""
    if outer.type == "Person" or inner.type == "Person":
        return False
    fi, fo = FAMILY.get(inner.type), FAMILY.get(outer.type)
    if fo == "action" and inner.start == outer.start:
        return False        # the head word of "Salon des Solidarités" is not the town of Salon
    if fi == "territory" and inner.source != "ner":
        return True
    if fo == "action" and fi == "org" and inner.source in ("lexicon", "acronym-def", "acronym-use"):
        return True
    if fo == "action" and fi == "action" and inner.source == "lexicon" and outer.source == "action-head" \
            and outer.attrs.get("quoted"):
        return True
    if fo == "org" and fi == "org" and inner.source in ("lexicon", "acronym-def", "acronym-use") \
            and outer.source == "org-head":
        return True
    return False


def select(cands: list[Cand]) -> list[Cand]:
    """Best spans first; an overlapping span survives only if properly nested.

    Kept spans are indexed by start offset, so the cost is O(n log n) plus the
    (few) overlapping neighbours of each candidate.
    """
    order = sorted(cands, key=lambda c: (-c.prio, -c.length, c.start, c.type))
    maxlen = max((c.length for c in cands), default=0)
    starts: list[int] = []
    kept_sorted: list[Cand] = []
    kept: list[Cand] = []
    for c in order:
        if c.end <= c.start:
            continue
        ok = True
        hi = bisect_left(starts, c.end)
        i = hi - 1
        while i >= 0 and starts[i] > c.start - maxlen - 1:
            k = kept_sorted[i]
            i -= 1
            if c.end <= k.start or k.end <= c.start:
                continue
            if c.start >= k.start and c.end <= k.end and (c.start, c.end) != (k.start, k.end) and _nested_ok(c, k):
                continue
            if k.start >= c.start and k.end <= c.end and (c.start, c.end) != (k.start, k.end) and _nested_ok(k, c):
                continue
            ok = False
            break
        if ok:
            pos = bisect_left(starts, c.start)
            starts.insert(pos, c.start)
            kept_sorted.insert(pos, c)
            kept.append(c)
    kept.sort(key=lambda c: (c.start, -c.end))
    return kept


def _absorb_nested_epci(kept: list[Cand]) -> list[Cand]:
    """"Communauté d'agglomération Béziers Méditerranée" (a name rule, the model or an acronym
    definition) around the linker's coded EPCI "Béziers Méditerranée": one mention, the whole span,
    with the linker's code and official name."""
    inner_by_outer: dict[int, Cand] = {}
    for i, c in enumerate(kept):
        if c.type != "Intercommunality" or c.source == "territory":
            continue
        inside = [d for d in kept if d.source == "territory" and d.type == "Intercommunality"
                  and d.attrs.get("insee") and c.start <= d.start and d.end <= c.end and d is not c]
        if len({d.attrs["insee"] for d in inside}) == 1:
            inner_by_outer[i] = inside[0]
    if not inner_by_outer:
        return kept
    drop = {id(d) for d in inner_by_outer.values()}
    out = []
    for i, c in enumerate(kept):
        if i in inner_by_outer:
            d = inner_by_outer[i]
            attrs = dict(d.attrs)
            if "acronym" in c.attrs:
                attrs["acronym"] = c.attrs["acronym"]
            out.append(Cand(c.start, c.end, "Intercommunality", d.name, max(c.prio, d.prio), "territory", attrs))
        elif id(c) not in drop:
            out.append(c)
    return out


# "Conseil départemental des Hautes-Alpes" is the département itself (the annotation conventions,
# docs/annotation.md): the council's name becomes a mention of the coded territory inside it.
_COUNCIL = re.compile(r"^(?:(?P<dep>conseil (?:départemental|general|général|departemental))|(?P<reg>conseil régional|"
                      r"conseil regional|collectivité territoriale|collectivite territoriale)|(?P<com>conseil municipal|"
                      r"mairie|ville|municipalité))\b", re.IGNORECASE)
_COUNCIL_TYPE = {"dep": "Department", "reg": "Region", "com": "Commune"}


def _absorb_councils(kept: list[Cand]) -> list[Cand]:
    out: list[Cand] = []
    drop: set[int] = set()
    repl: dict[int, Cand] = {}
    for i, c in enumerate(kept):
        if c.source == "territory" or c.type == "Person":
            continue
        m = _COUNCIL.match(c.name)
        if not m:
            continue
        want = _COUNCIL_TYPE[m.lastgroup]
        inside = [d for d in kept if d.source == "territory" and d.start >= c.start and d.end <= c.end
                  and d is not c and d.attrs.get("insee")
                  and (d.type == want or (want == "Region" and d.type == "Department"
                                          and d.attrs.get("insee", "").startswith("97")))]
        if len(inside) != 1:
            continue
        d = inside[0]
        repl[i] = Cand(c.start, c.end, d.type, d.name, max(c.prio, d.prio), "territory", dict(d.attrs))
        drop.add(id(d))
    if not repl:
        return kept
    for i, c in enumerate(kept):
        if i in repl:
            out.append(repl[i])
        elif id(c) not in drop:
            out.append(c)
    return out


# Overseas: Guyane and Martinique are single collectivities (the région's code, as annotated);
# Mayotte is a département. Guadeloupe and La Réunion keep both levels and need a cue.
_SINGLE_COLLECTIVITY = {("972", "02"): "Region", ("973", "03"): "Region", ("976", "06"): "Department"}


def _single_collectivity(candidates: list[dict]) -> dict | None:
    codes = {c.get("type"): c.get("insee") for c in candidates}
    if len(candidates) != 2 or set(codes) != {"Department", "Region"}:
        return None
    want = _SINGLE_COLLECTIVITY.get((codes["Department"], codes["Region"]))
    return next((c for c in candidates if c.get("type") == want), None) if want else None


def unresolved_posts_as_candidates(entities: Sequence[Entity], relations: Sequence) -> None:
    """A post (hasRole) is held in one body: when its object is a place the territory linker left
    unresolved ("la maire de Saint-Louis": several communes bear the name), the relation is kept as a
    candidate for review rather than asserted, whichever path (rules or classifier) proposed it."""
    ents = {e.id: e for e in entities}
    for r in relations:
        if r.predicate != "hasRole" or r.candidate:
            continue
        obj = ents.get(r.object)
        if obj is not None and _unresolved_place(obj):
            r.candidate = True


def _unresolved_place(e: Entity) -> bool:
    """A commune, département or région without a code, or a country without one."""
    if e.type == "Country":
        return not (e.insee or e.country)
    return e.type in TERRITORY_TYPES and e.type != "Intercommunality" and not e.insee


class _UF:
    def __init__(self, n: int):
        self.p = list(range(n))

    def find(self, a: int) -> int:
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.p[rb] = ra
            else:
                self.p[ra] = rb


@dataclass
class Doc:
    """Everything the relation rules need about one clipping."""

    clipping: Clipping
    text: str                 # normalised text
    tokens: Tokens
    sentences: list[T.Span]
    mentions: list[Cand]      # accepted spans, sorted by start
    ent_of: list[int]         # mention index -> entity index
    entities: list[Entity]


class Extractor:
    """Entities, territories and relations from clippings.

    >>> ex = Extractor.default()
    >>> extraction = ex.extract(clipping)
    """

    _default: "Extractor | None" = None
    _default_lock = threading.Lock()

    def __init__(self, lexicon: Lexicon | None = None, *, nlp=None, linker=None,
                 use_ner: bool = True, use_linker: bool = True,
                 model_dir: Path | str | None = None, learned: bool = True):
        """``model_dir`` holds the learned models (default: the shipped ``data/models``);
        ``learned=False`` runs the rules alone (the training baseline)."""
        self.lexicon = lexicon or Lexicon.load()
        self.rules = MentionRules(self.lexicon)
        self.use_ner = use_ner
        self._nlp = nlp
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.learned = learned
        rel_path = self.model_dir / "relations.json"
        self.relation_model = LinearModel.load(rel_path) if learned and rel_path.is_file() else None
        self.candidate_ratio = CANDIDATE_RATIO   # scores from this share of a threshold are candidates
        self._linker = linker
        self._linker_checked = linker is not None or not use_linker
        from .relations import RelationRules
        self.relations = RelationRules(self.lexicon)

    @classmethod
    def default(cls) -> "Extractor":
        """A shared extractor (model, lexicon and territory linker loaded once)."""
        with cls._default_lock:
            if cls._default is None:
                ex = cls()
                ex.nlp  # load now, not in the middle of a run
                ex.linker
                cls._default = ex
            return cls._default

    # ------------------------------------------------------------------
    @property
    def nlp(self):
        if self._nlp is None and self.use_ner:
            from .ner import load_model
            self._nlp = load_model(model_dir=self.model_dir, learned=self.learned)
        return self._nlp

    @property
    def linker(self):
        """The territory linker, or None when ``ess_graph.territories`` is not available."""
        if not self._linker_checked:
            self._linker_checked = True
            try:
                from ..territories import TerritoryLinker  # type: ignore[attr-defined]
            except ImportError:
                self._linker = None
            else:
                self._linker = TerritoryLinker.default()
        return self._linker

    # ------------------------------------------------------------------
    def extract(self, clipping: Clipping) -> Extraction:
        return self._extract_batch([clipping])[0]

    def extract_many(self, clippings: Iterable[Clipping],
                     progress: Callable[[int], None] | None = None,
                     resolve: bool = True, jobs: int = 1, scheduler=None,
                     index=None) -> list[Extraction]:
        """Extract every clipping, then resolve entities across the corpus (Entity.key).

        ``progress``, when given, is called with the number of clippings done so far. ``jobs`` > 1
        spreads the batches over that many worker processes; ``scheduler`` (a Dask scheduler
        address such as ``tcp://host:8786``, or a ``distributed.Client``) sends them to a Dask
        cluster (:mod:`ess_graph.distributed`). The result is the same in every case, in input order.
        ``index`` (a :class:`ess_graph.resolution_index.ResolutionIndex`) carries the resolution
        decisions of earlier batches, so that a corpus extracted in several calls resolves as in one.
        """
        from .. import distributed
        items = list(clippings)
        out = distributed.run(self, items, distributed.engine_for(jobs, scheduler), progress)
        if resolve:
            from .resolve import resolve_entities
            resolve_entities(out, index)
        return out

    # ------------------------------------------------------------------
    def _extract_batch(self, clippings: Sequence[Clipping]) -> list[Extraction]:
        prepared = []
        all_chunks: list[str] = []
        owners: list[tuple[int, int]] = []
        for ci, c in enumerate(clippings):
            text = c.text if isinstance(c.text, str) else str(c.text or "")
            norm = T.normalise(text)
            chunks = T.chunks(norm) if self.use_ner else []
            for ch in chunks:
                piece = norm[ch.start:ch.end]
                if not _worth_ner(piece):
                    continue
                owners.append((ci, ch.start))
                all_chunks.append(piece)
            prepared.append((c, norm))
        parsed: list[list[tuple[int, object]]] = [[] for _ in clippings]
        if all_chunks and self.nlp is not None:
            uniq = list(dict.fromkeys(all_chunks))      # repeated titles/paragraphs are parsed once
            tagged = dict(zip(uniq, parse(self.nlp, uniq)))
            for (ci, off), piece in zip(owners, all_chunks):
                parsed[ci].append((off, tagged[piece]))
        return [self._extract_one(c, norm, ParsedText(parsed[ci])) for ci, (c, norm) in enumerate(prepared)]

    def _extract_one(self, clipping: Clipping, norm: str, parsed: ParsedText) -> Extraction:
        ner = [(s + off, e + off, lab) for off, d in parsed.docs for s, e, lab in base_spans(d)]
        learned = [(s + off, e + off, lab) for off, d in parsed.docs for s, e, lab in learned_spans(d)]
        tok = Tokens(norm)
        sents: list[T.Span] = []
        for b in T.blocks(norm):
            sents.extend(T.sentences(norm, b))
        sent_starts = {s.start for s in sents}
        cands: list[Cand] = []
        cands += self.rules.lexicon(norm, tok)
        cands += self.rules.persons(norm)
        cands += self.rules.heads(norm, tok, sent_starts)
        pairs = self.rules.acronym_definitions(norm, tok)
        for long_c, short_c in pairs:
            long_c.type = self._kind_from_name(long_c.name, short_c.name)
            short_c.type = long_c.type
            cands += [long_c, short_c]
            for m in re.finditer(rf"(?<![\w-]){re.escape(short_c.name)}(?![\w-])", norm):
                if m.start() != short_c.start:
                    cands.append(Cand(m.start(), m.end(), long_c.type, short_c.name, P_ACRONYM - 1,
                                      "acronym-use", {"acronym": short_c.name, "long": long_c.name}))
        cands += self._territories(clipping, norm)
        cands += self._ner_cands(norm, ner)
        cands += self._learned_cands(norm, learned)
        kept = select(cands)
        extra = self._propagate_names(norm, kept)
        if extra:
            kept = select(kept + extra)
        kept = self._attach_surnames(norm, kept, ner)
        kept = _absorb_nested_epci(kept)
        kept = _absorb_councils(kept)
        doc = self._group(clipping, norm, tok, sents, kept)
        self._code_named_epcis(doc.entities, clipping.date)
        rels = self.relations.extract(doc)
        if self.relation_model is not None:
            rels = learned_relations(self.relation_model, doc, parsed, rels, self.relations.coref,
                                     self.candidate_ratio)
        unresolved_posts_as_candidates(doc.entities, rels)
        return Extraction(clipping=clipping, entities=doc.entities, relations=rels)

    # ------------------------------------------------------------------
    def _kind_from_name(self, name: str, acronym: str | None = None) -> str:
        if acronym:
            e = self.lexicon.lookup_form(acronym)
            if e is not None and e.type in ORG_TYPES + ACTION_TYPES:
                return e.type
        m = self.rules.head_re.match(name)
        if m:
            from .lexicon import _fold
            h = _fold(re.sub(r"\s+", " ", m.group(0)))
            if h in self.rules.org_head_kind:
                return self.rules.org_head_kind[h]
            if h in self.rules.action_head_kind:
                return self.rules.action_head_kind[h]
            return "Intercommunality"
        return "Organization"

    def _territories(self, clipping: Clipping, norm: str) -> list[Cand]:
        linker = self.linker
        if linker is None:
            return []
        out = []
        # the linker itself refuses matches inside hyphenated or organisation names and
        # generic one-word EPCI names without a cue (docs/territories.md)
        for m in linker.find(clipping.text, date=clipping.date):
            attrs = {"insee": getattr(m, "insee", None), "country": getattr(m, "country", None),
                     "candidates": list(getattr(m, "candidates", None) or []),
                     "resolved": getattr(m, "resolved", True), "cue": getattr(m, "cue", None),
                     "former": getattr(m, "former", None)}
            typ = m.type
            if not attrs["insee"] and attrs["candidates"]:
                single = _single_collectivity(attrs["candidates"])
                if single is not None:
                    typ, attrs["insee"], attrs["resolved"] = single["type"], single["insee"], True
                    attrs["candidates"] = []
            out.append(Cand(m.start, m.end, typ, getattr(m, "name", None) or m.text, P_TERRITORY,
                            "territory", attrs))
        return out

    def _ner_cands(self, norm: str, ner: list[tuple[int, int, str]]) -> list[Cand]:
        out = []
        nn = self.rules.not_names
        domain = {d.casefold() for d in self.lexicon.domain_phrases}
        have_linker = self.linker is not None
        for s, e, label in ner:
            span = norm[s:e]
            m = _ELISION.match(span)
            if m:
                s += m.end()
                span = norm[s:e]
            span_stripped = span.rstrip(" .,;:")
            e = s + len(span_stripped)
            span = span_stripped
            if len(span) < 3 or not any(ch.isupper() for ch in span) or "\n" in span:
                continue
            if _NOT_NER.search(span):
                continue
            words = span.split()
            if all(w in nn or w.casefold() in domain for w in words):
                continue
            if span.casefold() in domain or any(d in span.casefold() for d in ("économie sociale", "economie sociale")):
                continue
            if label == "PER":
                if len(words) < 2 or not all(is_cap(w) or w in ("de", "du", "d'", "le", "la") for w in words):
                    continue
                if any(w in nn for w in words):
                    continue
                out.append(Cand(s, e, "Person", span, P_NER, "ner"))
            elif label == "ORG":
                if span in self.rules.legal_kind:
                    continue
                first = span.split(" ", 1)
                if len(first) == 2 and first[0] in self.rules.legal_kind:
                    s += len(first[0]) + 1
                    span = first[1]
                out.append(Cand(s, e, self._kind_from_name(span), span, P_NER, "ner"))
            elif label == "MISC":
                m2 = self.rules.head_re.match(span)
                if m2 and len(words) > 1:
                    out.append(Cand(s, e, self._kind_from_name(span), span, P_NER, "ner"))
            elif label == "LOC":
                if have_linker:
                    continue   # French places come from the linker, foreign ones from the lexicon
                out.append(Cand(s, e, "Commune", span, P_NER - 1, "ner", {"unresolved": True}))
        return out

    def _code_named_epcis(self, entities: list[Entity], date: str | None) -> None:
        """An intercommunality found by a name rule or the model ("Communauté de communes des Savanes
        (CCDS)") gets the SIREN the territory linker gives that whole name, when it gives exactly one."""
        linker = self.linker
        if linker is None:
            return
        for e in entities:
            if e.type != "Intercommunality" or e.insee:
                continue
            name = re.sub(r"\s*\([^()]*\)\s*$", "", e.name)
            entry = linker.epci_by_name(name)
            if entry is not None:
                found = {(entry.code, entry.name)}
            else:
                found = {(m.insee, m.name) for m in linker.find(name, date=date)
                         if m.type == "Intercommunality" and m.insee and m.end - m.start >= 0.8 * len(name)}
            if len(found) == 1:
                e.insee, official = next(iter(found))
                e.country = "FR"
                if official != e.name and official not in e.aliases:
                    e.aliases = sorted(set(e.aliases) | {official})

    def _learned_cands(self, norm: str, spans: list[tuple[int, int, str]]) -> list[Cand]:
        cands = model_cands(norm, spans, self.rules.not_names)
        for c in cands:
            if c.type in ("Organization", "Initiative"):
                c.type = self._head_kind(c.name, c.type)
        return cands

    def _head_kind(self, name: str, label: str) -> str:
        """A generic model label made specific by the name's head word ("Association X", "Forum …")."""
        m = self.rules.head_re.match(name)
        if not m:
            return label
        from .lexicon import _fold
        h = _fold(re.sub(r"\s+", " ", m.group(0)))
        if FAMILY.get(label) == "org":
            return self.rules.org_head_kind.get(h, label)
        return self.rules.action_head_kind.get(h, label)

    def _propagate_names(self, norm: str, kept: list[Cand]) -> list[Cand]:
        """Later bare uses of a name first found with a cue ("la SCIC Mangeons Local" … "Mangeons Local")."""
        names: dict[str, Cand] = {}
        for c in kept:
            if c.source in ("org-head", "legal-form", "action-head", "ner") and FAMILY.get(c.type) in ("org", "action") \
                    and len(c.name) >= 4 and any(ch.isupper() for ch in c.name) and "\n" not in c.name:
                names.setdefault(c.name, c)
        out: list[Cand] = []
        if not names:
            return out
        taken = {(c.start, c.end) for c in kept if c.source not in ("ner", "territory")}
        ordered = sorted(names, key=lambda n: (-len(n), n))[:500]
        rx = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w'-])")
        for m in rx.finditer(norm):
            if (m.start(), m.end()) in taken:
                continue
            c = names[m.group(0)]
            out.append(Cand(m.start(), m.end(), c.type, c.name,
                            max(c.prio - 1, P_TERRITORY + 1) if c.source != "ner" else P_NER,
                            "name-use", {k: v for k, v in c.attrs.items() if k in ("cue",)}))
        return out

    def _attach_surnames(self, norm: str, kept: list[Cand], ner) -> list[Cand]:
        """Single-surname mentions ("M. Leterrier", "Leterrier") of a person named in full."""
        persons = [c for c in kept if c.type == "Person" and not c.attrs.get("surname_only")]
        surnames: dict[str, set[str]] = {}
        for p in persons:
            surnames.setdefault(p.name.split()[-1], set()).add(p.name)
        out = []
        for c in kept:
            if c.type == "Person" and c.attrs.get("surname_only"):
                full = surnames.get(c.name)
                if not full or len(full) != 1:
                    continue
                c.attrs["full"] = next(iter(full))
            out.append(c)
        return out

    # ------------------------------------------------------------------
    def _group(self, clipping: Clipping, norm: str, tok: Tokens, sents: list[T.Span],
               kept: list[Cand]) -> Doc:
        n = len(kept)
        uf = _UF(n)
        keys: dict[tuple, int] = {}
        alias_keys: dict[str, int] = {}

        def key_of(c: Cand) -> tuple:
            lex = c.attrs.get("lex")
            if lex is not None:
                return ("lex", lex.name)
            if c.type == "Person":
                return ("person", norm_key(c.attrs.get("full") or c.name))
            if c.source == "territory":
                ins = c.attrs.get("insee")
                if ins:
                    return ("terr", c.type, ins)
                return ("place", c.type, norm_key(c.name))
            if "long" in c.attrs:
                return (FAMILY.get(c.type, "other"), norm_key(c.attrs["long"]))
            if "acronym" in c.attrs and c.source == "acronym-def":
                return (FAMILY.get(c.type, "other"), norm_key(c.name))
            if c.type == "Intercommunality" and (c.attrs.get("generic") or c.attrs.get("syndicate_acronym")):
                return ("syndicate-generic",)
            name = c.name
            if FAMILY.get(c.type) == "action" and acr_long:
                name = _ACR_WORD.sub(lambda m: acr_long.get(m.group(0), m.group(0)), name)
            return (FAMILY.get(c.type, "other"), norm_key(name))

        # acronyms known in this clipping -> long forms ("Congrès de l'AIMF" = "Congrès de l'Association …")
        acr_long: dict[str, str] = {}
        for c in kept:
            lex = c.attrs.get("lex")
            if lex is not None and lex.acronym:
                acr_long.setdefault(lex.acronym, lex.name)
            if c.attrs.get("long") and c.attrs.get("acronym"):
                acr_long[c.attrs["acronym"]] = c.attrs["long"]

        for i, c in enumerate(kept):
            k = key_of(c)
            if k in keys:
                uf.union(keys[k], i)
            else:
                keys[k] = i
        # acronym definitions whose short form is a lexicon acronym: join both
        for i, c in enumerate(kept):
            if c.source in ("acronym-def", "acronym-use") and "long" in c.attrs:
                k = (FAMILY.get(c.type, "other"), norm_key(c.attrs["long"]))
                if k in keys:
                    uf.union(keys[k], i)
        # syndicates: generic mentions join the single named one
        synd_named = {norm_key(c.name) for c in kept if c.type == "Intercommunality" and c.source == "syndicate"
                      and not (c.attrs.get("generic") or c.attrs.get("syndicate_acronym"))}
        gk = keys.get(("syndicate-generic",))
        if gk is not None and len(synd_named) == 1:
            for i, c in enumerate(kept):
                if c.type == "Intercommunality" and c.source == "syndicate" and norm_key(c.name) in synd_named:
                    uf.union(gk, i)
        # bare heads ("le conseil départemental", "la communauté de communes") join the clipping's single
        # entity whose name starts with that head; otherwise they are dropped below
        bare_drop: set[int] = set()
        for i, c in enumerate(kept):
            if not c.attrs.get("bare"):
                continue
            h = c.attrs.get("cue") or ""
            targets = {uf.find(j) for j, d in enumerate(kept)
                       if j != i and not d.attrs.get("bare") and norm_key(d.name).startswith(norm_key(h))
                       and FAMILY.get(d.type) == FAMILY.get(c.type)}
            if len(targets) == 1:
                uf.union(next(iter(targets)), i)
            else:
                bare_drop.add(i)
        # a mention whose text equals another group's acronym or alias joins it
        for i, c in enumerate(kept):
            acr = c.attrs.get("acronym")
            if acr:
                alias_keys.setdefault(acr, i)
        for i, c in enumerate(kept):
            txt = norm[c.start:c.end]
            j = alias_keys.get(txt)
            if j is not None and j != i and FAMILY.get(kept[j].type) == FAMILY.get(c.type, FAMILY.get(kept[j].type)):
                uf.union(i, j)

        groups: dict[int, list[int]] = {}
        for i in range(n):
            if i in bare_drop:
                continue
            groups.setdefault(uf.find(i), []).append(i)
        ordered = sorted(groups.values(), key=lambda g: kept[g[0]].start)
        if bare_drop:
            keep_idx = [i for i in range(n) if i not in bare_drop]
            remap = {old: new for new, old in enumerate(keep_idx)}
            kept = [kept[i] for i in keep_idx]
            ordered = [[remap[i] for i in g] for g in ordered]
            n = len(kept)
        entities: list[Entity] = []
        ent_of = [0] * n
        for gi, members in enumerate(ordered):
            cs = [kept[i] for i in members]
            ent = self._make_entity(f"e{gi + 1}", cs, clipping)
            entities.append(ent)
            for i in members:
                ent_of[i] = gi
        return Doc(clipping=clipping, text=norm, tokens=tok, sentences=sents, mentions=kept,
                   ent_of=ent_of, entities=entities)

    def _make_entity(self, eid: str, cs: list[Cand], clipping: Clipping) -> Entity:
        text = clipping.text
        named = [c for c in cs if not c.attrs.get("bare")] or cs
        best = max(named, key=lambda c: (c.prio, c.type != "Organization", c.length))
        type_ = best.type
        if FAMILY.get(type_) == "org" and type_ == "Organization":
            specific = [c.type for c in cs if FAMILY.get(c.type) == "org" and c.type != "Organization"]
            if specific:
                type_ = specific[0]
        attrs: dict = {}
        lex = next((c.attrs["lex"] for c in cs if c.attrs.get("lex") is not None), None)
        longs = [c.attrs["long"] for c in cs if c.attrs.get("long")] + \
                [c.name for c in cs if c.source == "acronym-def" and "long" not in c.attrs]
        acr = next((c.attrs["acronym"] for c in cs if c.attrs.get("acronym")), None)
        insee = None
        country = None
        candidates: list = []
        if type_ in TERRITORY_TYPES:
            terr = [c for c in cs if c.source == "territory"]
            if terr:
                tb = max(terr, key=lambda c: c.length)
                insee = tb.attrs.get("insee")
                country = tb.attrs.get("country")
                candidates = tb.attrs.get("candidates") or []
                name = tb.name
            elif lex is not None:
                name = lex.name
                country = lex.country
            else:
                name = max(cs, key=lambda c: c.length).name
        if type_ == "Intercommunality" and any(c.source == "syndicate" for c in cs):
            named = [c for c in cs if c.attrs.get("syndicate_acronym")] or \
                    [c for c in cs if not c.attrs.get("generic")] or cs
            name = max(named, key=lambda c: c.length).name
            if all(c.attrs.get("generic") or c.attrs.get("syndicate_acronym") for c in cs):
                attrs["generic"] = True
        elif type_ not in TERRITORY_TYPES:
            if longs:
                name = max(longs, key=len)
            elif lex is not None and lex.generic:
                qualified = [c.name for c in cs if c.attrs.get("lex") is lex and c.name != lex.name]
                name = max(qualified, key=len) if qualified else lex.name
            elif lex is not None:
                name = lex.name
            elif type_ == "Person":
                name = max((c.attrs.get("full") or c.name for c in cs), key=len)
            else:
                src = [c for c in cs if c.prio == best.prio]
                name = max(src, key=lambda c: c.length).name
        name = re.sub(r"\s+", " ", name).strip()
        if name and name[0].islower() and (type_ in ORG_TYPES + ACTION_TYPES or
                                           (type_ == "Intercommunality" and not insee)):
            name = name[0].upper() + name[1:]
        if lex is not None:
            attrs["lexicon"] = lex.name
            if lex.generic:
                attrs["generic"] = True
        if acr:
            attrs["acronym"] = acr
        mentions = sorted({(c.start, c.end) for c in cs})
        ments = [Mention(s, e, text[s:e]) for s, e in mentions]
        aliases = sorted({m.text for m in ments if m.text != name} | ({acr} if acr and acr != name else set()))
        return Entity(id=eid, type=type_, name=name, mentions=ments, insee=insee, aliases=aliases,
                      country=country, candidates=candidates, attributes=attrs)
