"""Mention proposers: lexicon, acronym definitions, person names, organisation,
syndicate and action heads. Each returns :class:`Cand` spans on the
normalised text (same offsets as the clipping text).

All patterns are either literal alternations or token scans, so their cost is
linear in the text length (no nested quantifiers that could backtrack).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from ..names import strip_accents
from .lexicon import Lexicon, _fold, _loose

# Priorities: a higher one wins an overlap.
P_LEXICON = 100
P_ACRONYM = 101
P_PERSON = 90
P_SYNDICATE = 88
P_ORG = 80
P_ACTION = 75
P_TERRITORY = 70
P_PLACE = 65
P_EPCI = 60
P_NER = 10


@dataclass
class Cand:
    start: int
    end: int
    type: str
    name: str
    prio: int
    source: str
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.end - self.start


# ---------------------------------------------------------------------------
# tokens
_TOK = re.compile(
    r"(?:(?<![^\W\d_])(?:[dlDLjJnNsScCmMtT]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu)')"
    r"|[^\W_]+(?:[-'][^\W_]+)*+"
    r"|\S")
_UPPER_START = re.compile(r"[A-ZÀ-ÖØ-ÞŒ]")
_ADJ = re.compile(r"[a-zà-öø-ÿœ-]{2,}(?:ale|ales|aux|al|ique|iques|elle|elles|aire|aires|ienne|iennes|ien|iens"
                  r"|ée|ées|if|ive|ifs|ives|oise|ois|aise|eur|eurs|ère|ères|ste|stes|enne|ennes|aine|aines)")
FUNC = {"de", "du", "des", "d'", "l'", "la", "le", "les", "et", "en", "sur", "sous", "lès", "aux", "au", "à",
        "pour", "D'", "L'"}
_YEARS = re.compile(r"(?:19|20)\d\d(?:-(?:19|20)?\d\d)?")
# PublicBody heads that stay in the name even in lower case ("le conseil départemental de la Gironde");
# other ones ("une délégation de …", "une agence") are only names when capitalised.
COUNCIL_WORDS = {"conseil", "ministere", "prefecture", "secretariat", "parc"}
_DEFINITE = re.compile(r"(?:\b(?:le|la|du|au)|l')\s*$", re.I)
PLACE_PREP = {"à", "au", "aux", "en", "pour", "sur", "dans"}
STOP_CONTENT = {"de", "du", "des", "d'", "l'", "la", "le", "les", "et", "à", "au", "aux", "en", "pour", "sur",
                "un", "une", "dans", "par"}
OPEN_QUOTES = {"«": "»", '"': '"', "“": "”"}
ORDINAL = re.compile(r"(?:\d{1,3}(?:e|è|ème|eme|er|ère|re)|premier|première|deuxième|troisième|quatrième|"
                     r"cinquième|dixième|Premier|Première|Deuxième|Troisième)", re.I)


class Tokens:
    """Tokens of a text: parallel lists of starts, ends and strings."""

    def __init__(self, text: str):
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.words: list[str] = []
        for m in _TOK.finditer(text):
            self.starts.append(m.start())
            self.ends.append(m.end())
            self.words.append(m.group(0))

    def __len__(self) -> int:
        return len(self.words)

    def index_at(self, pos: int) -> int:
        """Index of the first token starting at or after ``pos``."""
        return bisect_left(self.starts, pos)

    def index_ending_before(self, pos: int) -> int:
        """Index of the last token ending at or before ``pos`` (-1 if none)."""
        return bisect_left(self.ends, pos + 1) - 1


def is_cap(w: str, not_names: set[str] | None = None) -> bool:
    if not w or not _UPPER_START.match(w):
        return False
    if not_names and w in not_names:
        return False
    return True


def is_adj(w: str) -> bool:
    return bool(_ADJ.fullmatch(w))


def norm_key(s: str) -> str:
    s = strip_accents(s).casefold().replace("'", " ").replace("\u2019", " ")
    s = re.sub(r"[^\w]+", " ", s).strip()
    s = re.sub(r"^(?:(?:le|la|les|l|du|des|de|d)\s+)+", "", s)
    return s


def extend_name(tok: Tokens, i: int, stop_at: int, not_names: set[str], *, allow_adj: bool,
                objects: set[str] | None = None, max_tokens: int = 12) -> tuple[int, bool, bool]:
    """Scan a name continuation from token ``i``.

    Returns (end token index exclusive, has_capitalised_token, has_quote).
    Stops at punctuation, at ``stop_at`` (char offset) and after ``max_tokens``.
    """
    n = len(tok)
    j = i
    last = i
    has_cap = False
    has_quote = False
    after_func = False
    words = tok.words
    while j < n and tok.starts[j] < stop_at and j - i < max_tokens:
        w = words[j]
        if w in OPEN_QUOTES and j == last:
            close = OPEN_QUOTES[w]
            k = j + 1
            while k < n and k - j < 25 and words[k] != close and words[k] != "\n":
                k += 1
            if k < n and words[k] == close and k > j + 1:
                last = k + 1
                has_quote = True
            break
        if j == i and w in ("Le", "La", "Les", "L'") and j + 1 < n and is_cap(words[j + 1], not_names):
            j += 1          # a name's own article: "l'association Les Petits Débrouillards"
            continue
        if is_cap(w, not_names) or (w.isupper() and len(w) >= 2 and w.isalpha()):
            j += 1
            last = j
            has_cap = True
            continue
        if allow_adj and is_adj(w) and (j == last or after_func):
            j += 1
            last = j
            after_func = False
            continue
        if objects is not None and j == last and j > i and _YEARS.fullmatch(w):
            j += 1          # "Plan régional de l'ESS 2022-2028"
            last = j
            continue
        if objects is not None and w in objects and (j == last or after_func) and j > i:
            j += 1
            last = j
            after_func = False
            continue
        if w in FUNC or w.lower() in FUNC:
            k = j + 1
            while k < n and k - j < 3 and words[k] in FUNC and words[k] not in ("et",):
                k += 1
            if k < n and tok.starts[k] < stop_at:
                nxt = words[k]
                if w.lower() in PLACE_PREP and k == j + 1:
                    break          # "... à Poitiers": a place, not part of the name
                if is_cap(nxt, not_names) or (nxt.isupper() and len(nxt) >= 2):
                    j = k
                    continue
                if objects is not None and (nxt in objects or (w == "et" and is_adj(nxt))):
                    j = k
                    after_func = True
                    continue
            break
        break
    return last, has_cap, has_quote


def _stop_for(text: str, pos: int, limit: int = 300) -> int:
    """First sentence-breaking punctuation after pos (bounded look-ahead)."""
    end = min(len(text), pos + limit)
    m = _BREAK.search(text, pos, end)
    return m.start() if m else end


_BREAK = re.compile(r"[.;:!?()\[\]\n,]|\s-\s")


class MentionRules:
    """The rule-based proposers, compiled once from a :class:`Lexicon`."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        self.not_names = set(lex.not_names)
        self.objects = set(lex.action_objects)
        self.fixed_re, self.fixed_index = lex.fixed_matcher()
        # heads -> kind
        self.org_head_kind: dict[str, str] = {}
        for kind, heads in lex.org_heads.items():
            for h in heads:
                self.org_head_kind[_fold(h)] = kind
        self.action_head_kind: dict[str, str] = {}
        for kind, heads in lex.action_heads.items():
            for h in heads:
                self.action_head_kind[_fold(h)] = kind
        self.synd_heads = [_fold(h) for h in lex.syndicate_heads]
        self.epci_heads = {_fold(h) for h in lex.epci_heads}
        heads = sorted(set(self.org_head_kind) | set(self.action_head_kind) | set(self.synd_heads) | self.epci_heads,
                       key=lambda s: (-len(s), s))
        self.head_re = re.compile(
            r"(?<![\w-])(?:" + "|".join(_loose(h) for h in heads) + r")(?![\w-])", re.I)
        self.legal_kind: dict[str, str] = {}
        for kind, forms in lex.legal_forms.items():
            for f in forms:
                self.legal_kind[f] = kind
        self.legal_re = re.compile(r"(?<![\w-])(?:" + "|".join(
            re.escape(f) for f in sorted(self.legal_kind, key=len, reverse=True)) + r")(?=\s)")
        self.synd_acr_re = re.compile(r"(?<![\w-])(?:" + "|".join(
            re.escape(a) for a in sorted(set(lex.syndicate_acronyms), key=len, reverse=True)) + r")(?![\w-])")
        first = sorted(lex.first_names, key=lambda s: (-len(s), s))
        fn_alt = "|".join(re.escape(f) for f in first)
        surname = r"(?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:['-][A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)*+|[A-ZÀ-ÖØ-Þ]{2,}(?:-[A-ZÀ-ÖØ-Þ]{2,})*+)"
        self.person_re = re.compile(
            rf"(?<![\w'-])(?<!Saint )(?<!Sainte )(?<!St )(?:{fn_alt})(?:-(?:{fn_alt}))?"
            rf"(?: (?:{fn_alt}))?"
            rf"\s(?:(?:de la|de|du|d'|van|von|le|ben|el) ?)?{surname}(?:\s{surname})?(?![\w'-])")
        self.civ_re = re.compile(rf"(?<![\w-])(?:M\.|Mme|Mlle|Madame|Monsieur)\s({surname})(?![\w'-])")
        self.acr_def_re = re.compile(r"\(\s*([A-ZÀ-Þ][A-Za-zÀ-ÿ0-9&]*+(?:-[A-Za-zÀ-ÿ0-9]+)?)\s*\)")

    # ------------------------------------------------------------------
    def lexicon(self, text: str, tok: "Tokens | None" = None) -> list[Cand]:
        out = []
        for m in self.fixed_re.finditer(text):
            e = self.lex.lookup_form(m.group(0))
            if e is None:
                continue
            end = m.end()
            if e.generic and tok is not None:
                # one body per territory: keep its qualifier ("URSCOP d'Occitanie", "CRESS Bretagne")
                i = tok.index_at(end)
                if i < len(tok) and (tok.words[i] in FUNC or is_cap(tok.words[i], self.not_names)) \
                        and tok.words[i] not in ("et", "à", "au", "aux", "en", "pour", "sur"):
                    j, has_cap, _ = extend_name(tok, i, _stop_for(text, end), self.not_names, allow_adj=False,
                                                max_tokens=5)
                    if has_cap and j > i:
                        end = tok.ends[j - 1]
            out.append(Cand(m.start(), end, e.type, text[m.start():end] if end != m.end() else e.name,
                            P_LEXICON if e.type not in
                            ("Commune", "Region", "Country") else P_PLACE, "lexicon",
                            {"lex": e, "acronym": e.acronym if m.group(0) == e.acronym else None}))
        return out

    def persons(self, text: str) -> list[Cand]:
        out = []
        for m in self.person_re.finditer(text):
            s = m.group(0)
            words = s.split()
            if words[-1] in self.not_names or words[-1].upper() in ("ESS",):
                continue
            out.append(Cand(m.start(), m.end(), "Person", re.sub(r"\s+", " ", s), P_PERSON, "person-rule"))
        for m in self.civ_re.finditer(text):
            out.append(Cand(m.start(1), m.end(1), "Person", m.group(1), P_PERSON - 5, "civility",
                            {"surname_only": True}))
        return out

    def heads(self, text: str, tok: Tokens, sent_starts: set[int]) -> list[Cand]:
        out: list[Cand] = []
        nn = self.not_names
        for m in self.head_re.finditer(text):
            h = _fold(re.sub(r"\s+", " ", m.group(0)))
            head_txt = m.group(0)
            cap = head_txt[0].isupper() and m.start() not in sent_starts
            i = tok.index_at(m.end())
            stop = _stop_for(text, m.end())
            if h in self.epci_heads:
                # an EPCI the linker did not resolve: needs a capitalised name after the head
                j, has_cap, _ = extend_name(tok, i, stop, nn, allow_adj=False)
                if has_cap and j > i:
                    end = tok.ends[j - 1]
                    out.append(Cand(m.start(), end, "Intercommunality", text[m.start():end], P_EPCI,
                                    "epci-head", {"cue": h}))
                elif _DEFINITE.search(text, max(0, m.start() - 4), m.start()):
                    # "la communauté de communes": the clipping's only one, if there is exactly one
                    out.append(Cand(m.start(), m.end(), "Intercommunality", head_txt, P_EPCI - 1, "bare-head",
                                    {"cue": h, "bare": True}))
                continue
            if h in self.synd_heads:
                j, has_cap, _ = extend_name(tok, i, stop, nn, allow_adj=False)
                end = tok.ends[j - 1] if j > i else m.end()
                out.append(Cand(m.start(), end, "Intercommunality", text[m.start():end], P_SYNDICATE,
                                "syndicate", {"generic": j == i, "cue": h}))
                continue
            if h in self.org_head_kind:
                kind = self.org_head_kind[h]
                j, has_cap, has_quote = extend_name(tok, i, stop, nn, allow_adj=True,
                                                    objects=self.objects if kind == "PublicBody" else None)
                if not (has_cap or has_quote):
                    if cap and " " in h:
                        out.append(Cand(m.start(), m.end(), kind, head_txt, P_ORG - 5, "org-head",
                                        {"cue": h}))
                    elif kind == "PublicBody" and " " in h and h.split(" ")[0] in COUNCIL_WORDS \
                            and _DEFINITE.search(text, max(0, m.start() - 4), m.start()):
                        # "du conseil départemental": the clipping's only one, if there is exactly one
                        out.append(Cand(m.start(), m.end(), kind, head_txt, P_ORG - 6, "bare-head",
                                        {"cue": h, "bare": True}))
                    continue
                end = tok.ends[j - 1]
                council = kind == "PublicBody" and h.split(" ")[0] in COUNCIL_WORDS
                if kind == "PublicBody" and not (cap or council):
                    continue        # "une délégation de la Chambre …" is a group of people, not a body
                if cap or council:
                    name = text[m.start():end]
                    start = m.start()
                else:
                    # classifier: "la coopérative Enercoop" -> Enercoop
                    k = i
                    while k < j and not (is_cap(tok.words[k], nn) or tok.words[k] in OPEN_QUOTES
                                         or tok.words[k].isupper()):
                        k += 1
                    if k >= j:
                        continue
                    if k > i and tok.words[k - 1] in ("Le", "La", "Les", "L'"):
                        k -= 1      # the name's own article
                    start = tok.starts[k]
                    name = text[start:end]
                    if tok.words[k] in OPEN_QUOTES:
                        name = name[1:-1].strip() or name
                out.append(Cand(start, end, kind, name, P_ORG, "org-head", {"cue": h}))
                continue
            kind = self.action_head_kind[h]
            j, has_cap, has_quote = extend_name(tok, i, stop, nn, allow_adj=True, objects=self.objects)
            specific = has_cap or has_quote or any(tok.words[k] in self.objects for k in range(i, j))
            if not specific:
                continue
            start = m.start()
            # a leading ordinal belongs to the event name ("33ème Congrès")
            pi = tok.index_ending_before(start)
            if pi >= 0 and ORDINAL.fullmatch(tok.words[pi]):
                start = tok.starts[pi]
            end = tok.ends[j - 1]
            out.append(Cand(start, end, kind, text[start:end], P_ACTION, "action-head",
                            {"cue": h, "quoted": has_quote}))
        # a head inside a longer head-based name belongs to that name ("Forum des Coopératives Agricoles")
        out.sort(key=lambda c: (c.start, -c.end))
        pruned: list[Cand] = []
        for c in out:
            if any(p.start <= c.start and c.end <= p.end and (p.start, p.end) != (c.start, c.end) for p in pruned[-8:]):
                continue
            pruned.append(c)
        out = pruned
        # legal forms: "la SCIC Enercoop"
        for m in self.legal_re.finditer(text):
            i = tok.index_at(m.end())
            stop = _stop_for(text, m.end())
            if i >= len(tok) or not (is_cap(tok.words[i], nn) or tok.words[i] in OPEN_QUOTES or (
                    tok.words[i] in ("Le", "La", "Les", "L'") and i + 1 < len(tok) and is_cap(tok.words[i + 1], nn))):
                continue
            j, has_cap, has_quote = extend_name(tok, i, stop, nn, allow_adj=False)
            if j > i and (has_cap or has_quote):
                start, end = tok.starts[i], tok.ends[j - 1]
                out.append(Cand(start, end, self.legal_kind[m.group(0)], text[start:end].strip('"«» '),
                                P_ORG, "legal-form", {"cue": m.group(0)}))
        for m in self.synd_acr_re.finditer(text):
            out.append(Cand(m.start(), m.end(), "Intercommunality", m.group(0), P_SYNDICATE, "syndicate",
                            {"syndicate_acronym": True}))
        return out

    def acronym_definitions(self, text: str, tok: Tokens) -> list[tuple[Cand, Cand]]:
        """``Long Name (ACR)``: both spans, the long one checked by initials."""
        out = []
        for m in self.acr_def_re.finditer(text):
            acr = m.group(1)
            letters = [c for c in strip_accents(acr).upper() if c.isalpha()]
            if len(letters) < 2 or sum(1 for c in acr if c.isupper()) < 2 or len(letters) > 12:
                continue
            k = tok.index_ending_before(m.start())
            content = []
            found = None
            steps = 0
            while k >= 0 and steps < 16:
                w = tok.words[k]
                steps += 1
                if not (w[0].isalnum()):
                    break
                if w.lower() not in STOP_CONTENT:
                    content.append(w)
                    initials = [strip_accents(p[0]).upper() for c in content for p in c.split("-") if p]
                    if len(initials) >= len(letters) - 1 and strip_accents(w[0]).upper() == letters[0] and is_cap(w):
                        pool = list(initials)
                        ok = True
                        for c in letters:
                            if c in pool:
                                pool.remove(c)
                            else:
                                ok = False
                                break
                        if ok:
                            found = k
                            break
                k -= 1
            if found is None:
                continue
            ls, le = tok.starts[found], tok.ends[tok.index_ending_before(m.start())]
            long_c = Cand(ls, le, "Organization", text[ls:le], P_ACRONYM, "acronym-def", {"acronym": acr})
            short_c = Cand(m.start(1), m.end(1), "Organization", acr, P_ACRONYM, "acronym-def",
                           {"acronym": acr, "long": text[ls:le]})
            out.append((long_c, short_c))
        return out
