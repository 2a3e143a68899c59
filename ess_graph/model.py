"""The data that flows through essgraph: clippings in, extractions out.

import  -> :class:`Clipping`
extract -> :class:`Extraction` (entities with :class:`Mention` spans, relations)
map     -> RDF quads (``ess_graph.mapping``)

Offsets are Python ``str`` offsets (Unicode code points) into ``Clipping.text``,
0-based, end exclusive — the convention of the Web Annotation
TextPositionSelector once the text is fixed, which is why the clipping keeps its
exact text and its SHA-256.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, asdict
from typing import Any

from . import iris  # iris needs model's classes for type annotations only: no cycle

ENTITY_TYPES = (
    "Person", "Organization", "Cooperative", "Mutual", "Association", "Network",
    "PublicBody", "Company", "Commune", "Intercommunality", "Department", "Region",
    "Country", "Policy", "Initiative", "Event",
)
ORG_TYPES = ("Organization", "Cooperative", "Mutual", "Association", "Network",
             "PublicBody", "Company")
TERRITORY_TYPES = ("Commune", "Intercommunality", "Department", "Region", "Country")
ACTION_TYPES = ("Policy", "Initiative", "Event")
PREDICATES = (
    "hasRole", "memberOf", "partnerOf", "supplies", "locatedIn", "implements",
    "organizes", "funds", "presides", "createdBy", "participatesIn",
)


@dataclass
class Clipping:
    """One clipping: an item of a collection with its exact text."""

    id: str                      # stable key, unique within a load (IRI is minted from it)
    text: str                    # exact text that offsets refer to
    title: str | None = None
    url: str | None = None
    date: str | None = None      # ISO 8601 date (publication or clipping date)
    collection: str | None = None
    source_file: str | None = None
    source_format: str | None = None   # pearltrees-text, jsonl, markdown, text, bookmarks, csl-json, html
    source_offset: int | None = None   # character offset of ``text`` in the decoded source file
    source_line: int | None = None     # 1-based line of the item in the source file
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sha256"] = self.sha256
        return d


@dataclass
class Mention:
    start: int
    end: int
    text: str


@dataclass
class Entity:
    """An entity found in one clipping (or, after resolution, in many)."""

    id: str                      # local id within the extraction, e.g. "e3"
    type: str                    # one of ENTITY_TYPES
    name: str                    # canonical name
    mentions: list[Mention] = field(default_factory=list)
    insee: str | None = None     # commune/département/région code, SIREN of an EPCI
    key: str | None = None       # IRI key chosen by entity resolution (see ess_graph.iris)
    aliases: list[str] = field(default_factory=list)
    country: str | None = None   # ISO 3166-1 alpha-2 for places; "FR" for French territories
    candidates: list[dict[str, Any]] = field(default_factory=list)  # unresolved territory: [{insee,type,name,population}]
    attributes: dict[str, Any] = field(default_factory=dict)        # e.g. legal form cue, acronym
    source: str = "extraction"   # "extraction" or "curation"

    @property
    def text(self) -> str:
        return self.mentions[0].text if self.mentions else self.name


@dataclass
class Relation:
    subject: str                 # Entity.id
    predicate: str               # one of PREDICATES
    object: str                  # Entity.id
    evidence: str | None = None  # the supporting sentence, exact text
    evidence_start: int | None = None
    evidence_end: int | None = None
    role: str | None = None      # hasRole: role label as written ("adjointe au maire")
    portfolio: str | None = None # hasRole: delegation ("économie sociale et solidaire")
    candidate: bool = False      # a reading left for review, not an asserted fact
    rule: str | None = None      # which rule (or "curation") produced it
    date: str | None = None      # time context (the clipping's date)
    source: str = "extraction"   # "extraction" or "curation"
    curator: str | None = None
    curated_at: str | None = None
    confidence: float | None = None  # the relation classifier's probability (None: a rule or a curator)


@dataclass
class Extraction:
    clipping: Clipping
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def entity(self, eid: str) -> Entity:
        for e in self.entities:
            if e.id == eid:
                return e
        raise KeyError(eid)

    def to_jsonl_record(self) -> dict[str, Any]:
        """The record ../shared/tools/score_extraction.py reads."""
        ents = []
        for e in self.entities:
            ents.append({
                "id": e.id, "text": e.text, "type": e.type, "name": e.name,
                "insee": e.insee, "iri": iris.entity_iri(e),
                "aliases": e.aliases,
                "mentions": [{"text": m.text, "start": m.start, "end": m.end} for m in e.mentions],
                **({"country": e.country} if e.country else {}),
                **({"candidates": e.candidates} if e.candidates else {}),
                **({"source": e.source} if e.source != "extraction" else {}),
            })
        rels = []
        for r in self.relations:
            rec = {"subject": r.subject, "predicate": r.predicate, "object": r.object,
                   "evidence": r.evidence, "evidence_start": r.evidence_start,
                   "evidence_end": r.evidence_end}
            if r.role:
                rec["role"] = r.role
            if r.portfolio:
                rec["portfolio"] = r.portfolio
            if r.candidate:
                rec["candidate"] = True
            if r.rule:
                rec["rule"] = r.rule
            if r.confidence is not None:
                rec["confidence"] = r.confidence
            if r.source != "extraction":
                rec["source"] = r.source
            rels.append(rec)
        return {"id": self.clipping.id, "title": self.clipping.title,
                "entities": ents, "relations": rels}
