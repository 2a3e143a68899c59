"""When a post was held, as the clipping says it: start, end, former or current.

A post ("maire de Guillestre", "adjointe en charge de l'ESS") is read by the
relation rules or the classifier; this module reads the time cues around the
person who holds it:

====================================  =======================================
"élue en 2020", "réélu en mars 2014"  start 2020 / 2014-03
"élue lors des municipales de 2008"   start 2008
"depuis 2014", "depuis mars 2014"     start, current
"de 2008 à 2014", "entre 2008 et …"   start and end
"jusqu'en 2014"                       end
"ancien maire", "ex-maire",           former: ended before the clipping date
"maire … de l'époque", "alors maire"
"actuel maire", "maire en exercice"   current at the clipping date
"dans les années 90" (with former)    held at some time in 1990-1999
====================================  =======================================

Cues are read only in the *window* of the person: the stretch of the sentence
between the previous and the next person mention, so that two people named in
one sentence ("A, ancien maire, et B, l'actuel maire") never share cues. An
election cue ("élue … en 2008") is also read in the windows of the person's
other mentions when the post is an elected local office. Output is a
:class:`Tenure`; the mapping writes it as ``org:memberDuring`` with an OWL-Time
interval (docs/ontology.md, "Posts over time").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Tenure", "read_tenure", "ELECTED_ROLES"]

MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}
#: role concept slugs of elected local offices: an election cue elsewhere in the clipping dates them
ELECTED_ROLES = frozenset({
    "maire", "adjoint-au-maire", "conseiller-municipal", "conseiller-municipal-delegue",
    "conseiller-general", "conseiller-departemental", "conseiller-regional", "conseiller-communautaire",
    "conseiller-metropolitain", "vice-president", "president", "depute", "senateur", "delegue",
})

_MONTH = r"(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre)"
_DATE = rf"(?:(?:(?:le\s+)?(?:1er|\d{{1,2}})\s+)?(?P<{{p}}m>{_MONTH})\s+)?(?P<{{p}}y>(?:19|20)\d\d)"


def _date(prefix: str) -> str:
    return _DATE.replace("{p}", prefix)


_ELECTED = re.compile(
    rf"(?<![\w])(?:r[ée])?[ée]lue?s?\b[^.;\n]{{0,80}}?\b(?:en|lors\s+des?\s+(?:[ée]lections\s+)?[\w-]+\s+(?:de|d')|de|d')"
    rf"\s*{_date('s')}", re.I)
_SINCE = re.compile(rf"(?<![\w])depuis\s+(?:l'année\s+|le\s+)?{_date('s')}", re.I)
_FROM_TO = re.compile(
    rf"(?<![\w])(?:de|entre)\s+{_date('s')}\s+(?:à|a|et|jusqu'en)\s+{_date('e')}", re.I)
_UNTIL = re.compile(rf"(?<![\w])jusqu'(?:en|au|à)\s+{_date('e')}", re.I)
_DECADE = re.compile(r"(?<![\w])(?:dans\s+|durant\s+|pendant\s+)?les\s+années\s+(?:19)?(?P<d>[1-9]0)\b", re.I)
_FORMER = re.compile(r"(?<![\w])(?:l'|l’)?(?:ancien(?:ne)?s?|alors(?!\s+que)|à l['’]époque)(?![\w])|"
                     r"(?<![\w])ex-(?=\w)|\bde l['’]époque\b", re.I)
_CURRENT = re.compile(r"(?<![\w])(?:l['’])?actuel(?:le)?s?(?![\w])|\ben exercice\b|\baujourd'hui\b|\baujourd’hui\b",
                      re.I)


@dataclass(frozen=True)
class Tenure:
    """Time context of a post: ISO ``start``/``end`` (YYYY, YYYY-MM), ``status`` ("former",
    "current" or None) and ``attested`` (start, end) of a period the text places the post in."""

    start: str | None = None
    end: str | None = None
    status: str | None = None
    attested: tuple[str, str] | None = None

    def __bool__(self) -> bool:
        return bool(self.start or self.end or self.status or self.attested)


def _iso(m: re.Match, p: str) -> str:
    y = m.group(p + "y")
    mo = m.group(p + "m")
    if mo:
        return f"{y}-{MONTHS[mo.lower()]:02d}"
    return y


def _windows(text: str, sent: tuple[int, int], own: list[tuple[int, int]],
             others: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """For each mention of the person inside ``sent``: the stretch between the nearest other
    person mentions (or the sentence bounds)."""
    s0, s1 = sent
    out = []
    for a, b in own:
        if not (s0 <= a < s1):
            continue
        lo = max([e for _, e in others if s0 <= e <= a] + [s0])
        hi = min([s for s, _ in others if b <= s < s1] + [s1])
        if lo > s0:
            # what follows the previous person up to a coordination is that person's: "A, ancien maire, et B"
            m = None
            for m in re.finditer(r"(?:,\s*|\s+)(?:et|ou|tandis que|alors que|puis)\s+", text[lo:a]):
                pass
            if m is not None:
                lo += m.end()
        # a coordination before the next person belongs to that person: "…, et B, l'actuel maire"
        tail = text[b:hi]
        m = re.search(r"(?:,\s*|\s+)(?:et|ou|tandis que|alors que|puis)\s+[^,]{0,30}$", tail)
        if m is not None and hi < s1:
            hi = b + m.start()
        out.append((lo, hi))
    return out


def _status_zones(text: str, lo: int, hi: int, person: list[tuple[int, int]],
                  role_label: str | None) -> list[str]:
    """Where a "former"/"current" cue counts: the role as written and the few words before it
    (``l'actuel maire``), else the words right around the person's mention."""
    zones = []
    if role_label:
        i = text.find(role_label, lo, hi)
        while i != -1:
            zones.append(text[max(lo, i - 20):i + len(role_label)])
            i = text.find(role_label, i + 1, hi)
    if not zones:
        for a, b in person:
            if lo <= a < hi:
                zones.append(text[max(lo, a - 30):min(hi, b + 30)])
    return zones


def _sentence_of(text: str, pos: int) -> tuple[int, int]:
    lo = max(text.rfind(".", 0, pos), text.rfind("\n", 0, pos), text.rfind("!", 0, pos), text.rfind("?", 0, pos))
    hi_c = [i for i in (text.find(".", pos), text.find("\n", pos), text.find("!", pos), text.find("?", pos)) if i != -1]
    return lo + 1, (min(hi_c) if hi_c else len(text))


def read_tenure(text: str, evidence: tuple[int, int] | None, person: list[tuple[int, int]],
                others: list[tuple[int, int]], role_slug: str | None = None,
                role_label: str | None = None) -> Tenure:
    """The tenure of one post read from ``text``.

    ``evidence`` is the span of the sentence that states the post; ``person`` the spans of
    the holder's mentions, ``others`` those of every other person of the clipping.
    ``role_label`` is the role as written ("actuel maire de Guillestre"): it counts as part
    of the person's window wherever it is found in the evidence.
    """
    start = end = status = None
    attested = None
    windows: list[tuple[int, int]] = []
    if evidence is not None:
        windows = _windows(text, evidence, person, others)
        if not windows and role_label:
            i = text.find(role_label, evidence[0], evidence[1])
            if i != -1:
                windows = [(i, i + len(role_label))]
    for lo, hi in windows:
        w = text[lo:hi]
        m = _FROM_TO.search(w)
        if m is not None:
            start, end = start or _iso(m, "s"), end or _iso(m, "e")
        m = _SINCE.search(w)
        if m is not None and start is None:
            start = _iso(m, "s")
            if not _FROM_TO.search(w) and not _UNTIL.search(w):
                status = status or "current"    # "depuis 2014": still held at the clipping date
        m = _ELECTED.search(w)
        if m is not None and start is None:
            start = _iso(m, "s")
        m = _UNTIL.search(w)
        if m is not None and end is None:
            end = _iso(m, "e")
        for zone in _status_zones(text, lo, hi, person, role_label):
            if _CURRENT.search(zone):
                status = "current"
            elif _FORMER.search(zone) and status is None:
                status = "former"
    if status == "former" and evidence is not None:
        m = _DECADE.search(text, evidence[0], evidence[1])
        if m is not None:
            d = int(m.group("d"))
            y = (1900 if d >= 20 else 2000) + d
            attested = (str(y), str(y + 9))
    if start is None and role_slug in ELECTED_ROLES:
        # "Elue à la ville de Caen lors des élections municipales de mars 2008, Annie Berger …"
        for a, b in person:
            sent = _sentence_of(text, a)
            if evidence is not None and sent[0] >= evidence[0] and sent[1] <= evidence[1]:
                continue
            for lo, hi in _windows(text, sent, [(a, b)], others):
                m = _ELECTED.search(text, lo, hi)
                if m is not None:
                    start = _iso(m, "s")
                    break
            if start is not None:
                break
    if end is not None and status is None:
        status = "former"
    return Tenure(start=start, end=end, status=status, attested=attested)
