"""Map an :class:`~ess_graph.model.Extraction` to RDF quads with provenance.

Everything one clipping says goes into one named graph whose name is the
clipping's IRI: its metadata, the entities it mentions, the facts it supports,
and for each mention and fact an ``oa:Annotation`` whose target selects the
exact span (TextQuoteSelector + TextPositionSelector). Each fact is also
reified as an ``ess:Statement`` naming its rule, evidence and whether it is a
candidate left for review (candidates are *not* asserted as plain triples).

The model is documented in docs/ontology.md; IRIs in docs/iri-scheme.md. The
output depends only on the extraction (no clock), so re-mapping the same input
yields the same graph.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from . import __version__, iris
from .model import Clipping, Entity, Extraction, Relation
from .namespaces import (DCTERMS, ESSV as ESS, FOAF, ID, IGEO, M8G, OA, ORG, PERSON,
                         PROV, RDF, RDFS, SCHEMA, SKOS, TIME, XSD, CONCEPT)

N = ox.NamedNode

ORG_CLASS = {
    "Organization": None,
    "Cooperative": ESS.Cooperative,
    "Mutual": ESS.Mutual,
    "Association": ESS.Association,
    "Network": ESS.Network,
    "PublicBody": ESS.PublicBody,
    "Company": ESS.Company,
}
ORG_KIND = {
    "Organization": "organization", "Cooperative": "cooperative", "Mutual": "mutual",
    "Association": "association", "Network": "network", "PublicBody": "public-body",
    "Company": "company",
}
TERRITORY_CLASS = {
    "Commune": IGEO.Commune,
    "Intercommunality": IGEO.Intercommunalite,
    "Department": IGEO.Departement,
    "Region": IGEO.Region,
    "Country": ESS.Country,
}
ACTION_CLASS = {"Policy": ESS.Policy, "Initiative": ESS.Initiative, "Event": ESS.Event}
PREDICATE_IRI = {
    "memberOf": ESS.memberOf, "partnerOf": ESS.partnerOf, "supplies": ESS.supplies,
    "funds": ESS.funds, "locatedIn": ESS.locatedIn, "implements": ESS.implements,
    "organizes": ESS.organizes, "presides": ESS.presides, "createdBy": ESS.createdBy,
    "participatesIn": ESS.participatesIn,
}

# role head (as written, lower case) -> concept slug in the esc:roles scheme
ROLE_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p, re.I), s) for p, s in [
    (r"\bmaire[- ]adjoint|\badjoint", "adjoint-au-maire"),
    (r"conseill\w* municipa\w*\s+d[ée]l[ée]gu", "conseiller-municipal-delegue"),
    (r"conseill\w* municipa", "conseiller-municipal"),
    (r"conseill\w* g[ée]n[ée]ra", "conseiller-general"),
    (r"conseill\w* d[ée]partementa", "conseiller-departemental"),
    (r"conseill\w* r[ée]giona", "conseiller-regional"),
    (r"conseill\w* communautaire", "conseiller-communautaire"),
    (r"conseill\w* m[ée]tropolitain", "conseiller-metropolitain"),
    (r"vice[- ]pr[ée]siden", "vice-president"),
    (r"pr[ée]sident\w*\s+directeur|pr[ée]sidente?\s+directrice", "president-directeur-general"),
    (r"pr[ée]siden", "president"),
    (r"\bmaire\b", "maire"),
    (r"d[ée]put[ée]", "depute"),
    (r"s[ée]nat", "senateur"),
    (r"ministre", "ministre"),
    (r"secr[ée]taire g[ée]n[ée]ra", "secretaire-general"),
    (r"direct(eur|rice)\s+g[ée]n[ée]ra", "directeur-general"),
    (r"direct(eur|rice)", "directeur"),
    (r"charg[ée]e? de mission", "charge-de-mission"),
    (r"responsable", "responsable"),
    (r"d[ée]l[ée]gu[ée]", "delegue"),
    (r"fondat(eur|rice)", "fondateur"),
    (r"entrepreneu", "entrepreneur-solidaire"),
    (r"g[ée]rant", "gerant"),
    (r"administrat(?:eur|rice)|membre du (?:conseil d.administration|CA)\b", "administrateur"),
    (r"tr[ée]sori", "tresorier"),
    (r"coordinat", "coordinateur"),
]]


def role_slug(role: str | None) -> str:
    """The esc:roles concept for a role as written: the scheme's own labels first
    (ontology/concepts.ttl), then the role head patterns; a role the scheme does
    not list gets a concept minted from its label (and carries that label)."""
    if not role:
        return "membre"
    from .vocab import role_slug as scheme_slug
    known = scheme_slug(role)
    if known:
        return known
    for pat, slug in ROLE_PATTERNS:
        if pat.search(role):
            return slug
    return iris.slugify(role, max_len=40)


def _scheme_roles() -> set[str]:
    from .vocab import role_concepts
    return set(role_concepts())


def _lit(value, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    if datatype:
        return ox.Literal(str(value), datatype=N(datatype))
    return ox.Literal(str(value))


def date_literal(value: str | None) -> ox.Literal | None:
    """xsd:date, xsd:gYearMonth, xsd:gYear or xsd:dateTime from an ISO string."""
    if not value:
        return None
    v = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return _lit(v, XSD.date)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?", v):
        return _lit(v if v.count(":") >= 2 else v + ":00", XSD.dateTime)
    if re.fullmatch(r"\d{4}-\d{2}", v):
        return _lit(v, XSD.gYearMonth)
    if re.fullmatch(r"\d{4}", v):
        return _lit(v, XSD.gYear)
    return None


def activity_iri(c: Clipping) -> str:
    return f"{ID}activity/extract/{__version__}/{c.sha256[:12]}"


def agent_iri() -> str:
    return f"{ID}agent/essgraph/{__version__}"


def curator_iri(name: str) -> str:
    return f"{ID}agent/{iris.slugify(name)}"


class _Emitter:
    def __init__(self, graph: str):
        self.g = N(graph)
        self.quads: list[ox.Quad] = []
        self._seen: set = set()

    def add(self, s: str, p: str, o) -> None:
        obj = o if isinstance(o, (ox.Literal, ox.NamedNode)) else N(o)
        key = (s, p, obj)
        if key in self._seen:
            return
        self._seen.add(key)
        self.quads.append(ox.Quad(N(s), N(p), obj, self.g))


def _is_territory(e: Entity) -> bool:
    return e.type in TERRITORY_CLASS


def place_node(e: Entity) -> str:
    return iris.entity_iri(e)


def actor_node(e: Entity) -> str:
    """The node that acts for an entity: a commune/département/région acts through its collectivité."""
    key = iris.entity_key(e)
    if e.type in ("Commune", "Department", "Region") and key.startswith("territory/"):
        return iris.authority_iri(key)
    return iris.ID + key


_ARTICLE_DE = re.compile(r"^(?:[AEIOUYÂÊÎÔÛÉÈHaeiouyâêîôûéèh])")


def authority_label(e: Entity) -> str:
    """Display form of a collectivité ("Commune de Guillestre", "Département : Hautes-Alpes"),
    published as its ``skos:altLabel``; its ``rdfs:label`` is the plain name."""
    name = e.name
    de = "d'" if _ARTICLE_DE.match(name) else "de "
    if e.type == "Commune":
        return f"Commune {de}{name}"
    if e.type == "Department":
        return f"Département : {name}"
    return f"Région : {name}"


def describe_entity(em: _Emitter, e: Entity) -> None:
    iri = iris.entity_iri(e)
    key = iris.entity_key(e)
    em.add(iri, RDFS.label, _lit(e.name))
    if e.type == "Person":
        em.add(iri, RDF.type, PERSON.Person)
        em.add(iri, RDF.type, FOAF.Person)
        em.add(iri, FOAF.name, _lit(e.name))
    elif e.type in ORG_CLASS:
        em.add(iri, RDF.type, ORG.Organization)
        em.add(iri, SKOS.prefLabel, _lit(e.name))
        cls = ORG_CLASS[e.type]
        if cls:
            em.add(iri, RDF.type, cls)
            em.add(iri, RDF.type, ORG.FormalOrganization)
        em.add(iri, ESS.organisationKind, f"{CONCEPT}org-kind/{ORG_KIND[e.type]}")
    elif _is_territory(e):
        if key.startswith("territory/"):
            em.add(iri, RDF.type, ESS.Territory)
            em.add(iri, RDF.type, ESS.Place)
            if key.startswith(("territory/syndicate/", "territory/intercommunality/")):
                em.add(iri, RDF.type, ESS.Intercommunality)
                em.add(iri, RDF.type, ORG.Organization)
                if key.startswith("territory/syndicate/"):
                    em.add(iri, RDF.type, ESS.Syndicate)
            else:
                em.add(iri, RDF.type, TERRITORY_CLASS[e.type])
                if e.type == "Intercommunality":
                    em.add(iri, RDF.type, ESS.Intercommunality)
                    em.add(iri, RDF.type, ORG.Organization)
                if e.insee:
                    em.add(iri, IGEO.codeINSEE, _lit(e.insee))
        elif key.startswith("place/unresolved/"):
            em.add(iri, RDF.type, ESS.Place)
            em.add(iri, RDF.type, ESS.UnresolvedPlace)
            for cand in e.candidates:
                if cand.get("insee") and cand.get("type") in iris.TERRITORY_SEGMENT:
                    ci = iris.territory_iri(cand["type"], cand["insee"])
                    em.add(iri, ESS.candidateTerritory, ci)
                    # each candidate is described too, so the clipping graph stands on its own
                    em.add(ci, RDF.type, ESS.Territory)
                    em.add(ci, RDF.type, ESS.Place)
                    em.add(ci, RDF.type, TERRITORY_CLASS[cand["type"]])
                    em.add(ci, IGEO.codeINSEE, _lit(cand["insee"]))
                    em.add(ci, RDFS.label, _lit(cand.get("name") or cand["insee"]))
        else:
            em.add(iri, RDF.type, ESS.Place)
            em.add(iri, RDF.type, ESS.ForeignPlace)
        if e.country:
            em.add(iri, ESS.country, _lit(e.country))
    elif e.type in ACTION_CLASS:
        em.add(iri, RDF.type, ACTION_CLASS[e.type])
    for alias in sorted(set(e.aliases) - {e.name}):
        em.add(iri, SKOS.altLabel, _lit(alias))


def describe_authority(em: _Emitter, e: Entity) -> str:
    node = actor_node(e)
    if node != iris.entity_iri(e):
        em.add(node, RDF.type, ESS.LocalAuthority)
        em.add(node, RDF.type, ESS.PublicBody)
        em.add(node, RDF.type, M8G.PublicOrganisation)
        em.add(node, RDF.type, ORG.Organization)
        em.add(node, RDF.type, ORG.FormalOrganization)
        em.add(node, RDFS.label, _lit(e.name))
        em.add(node, SKOS.altLabel, _lit(authority_label(e), lang="fr"))
        em.add(node, ESS.organisationKind, f"{CONCEPT}org-kind/local-authority")
        em.add(node, ESS.governs, iris.entity_iri(e))
    return node


def _annotate(em: _Emitter, clip_iri: str, body: str, text: str, start: int, end: int,
              motivation: str, activity: str) -> str:
    ann = f"{ID}annotation/{iris.short_hash(clip_iri, body, str(start), str(end), length=16)}"
    target, quote, pos = ann + "#target", ann + "#quote", ann + "#position"
    em.add(ann, RDF.type, OA.Annotation)
    em.add(ann, OA.motivatedBy, motivation)
    em.add(ann, OA.hasBody, body)
    em.add(ann, OA.hasTarget, target)
    em.add(ann, PROV.wasGeneratedBy, activity)
    em.add(target, RDF.type, OA.SpecificResource)
    em.add(target, OA.hasSource, clip_iri)
    em.add(target, OA.hasSelector, quote)
    em.add(target, OA.hasSelector, pos)
    em.add(quote, RDF.type, OA.TextQuoteSelector)
    em.add(quote, OA.exact, _lit(text[start:end]))
    em.add(quote, OA.prefix, _lit(text[max(0, start - 32):start]))
    em.add(quote, OA.suffix, _lit(text[end:end + 32]))
    em.add(pos, RDF.type, OA.TextPositionSelector)
    # Web Annotation types these as xsd:nonNegativeInteger, but Oxigraph stores every
    # integer-derived literal as xsd:integer: emit xsd:integer (>= 0, checked by the
    # shapes) so the store and exports hold exactly what the mapping produced.
    em.add(pos, OA.start, _lit(start, XSD.integer))
    em.add(pos, OA.end, _lit(end, XSD.integer))
    return ann


def clipping_quads(em: _Emitter, c: Clipping) -> str:
    ci = iris.clipping_iri(c)
    em.add(ci, RDF.type, ESS.Clipping)
    em.add(ci, DCTERMS.identifier, _lit(c.id))
    if c.title:
        em.add(ci, DCTERMS.title, _lit(c.title))
    if c.url and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", c.url) and not re.search(r"[<>\"{}|\\^`]", c.url):
        em.add(ci, SCHEMA.url, N(c.url))
    d = date_literal(c.date)
    if d is not None:
        em.add(ci, DCTERMS.date, d)
    if c.collection:
        coll = iris.collection_iri(c.collection)
        em.add(ci, DCTERMS.isPartOf, coll)
        em.add(coll, RDF.type, ESS.Collection)
        em.add(coll, RDFS.label, _lit(c.collection))
    em.add(ci, SCHEMA.text, _lit(c.text))
    em.add(ci, ESS.sha256, _lit(c.sha256))
    if c.source_file:
        em.add(ci, ESS.sourceFile, _lit(c.source_file))
    if c.source_format:
        em.add(ci, ESS.sourceFormat, _lit(c.source_format))
    if c.source_offset is not None:
        em.add(ci, ESS.sourceOffset, _lit(c.source_offset, XSD.integer))
    if c.source_line is not None:
        em.add(ci, ESS.sourceLine, _lit(c.source_line, XSD.integer))
    em.add(ci, ESS.extractedBy, activity_iri(c))
    return ci


def fact_iri(clip_iri: str, s: str, p: str, o: str, r: Relation, derived: str = "") -> str:
    """The statement's IRI; ``derived`` names a statement the mapping derives from another reading
    (a president's post and ess:presides), so that it never shares the IRI of a reading of its own."""
    parts = (clip_iri, s, p, o, str(r.evidence_start), str(r.role or "")) + ((derived,) if derived else ())
    return f"{ID}fact/{iris.short_hash(*parts, length=16)}"


def _fact(em: _Emitter, clip_iri: str, activity: str, text: str, s: str, p: str, o: str,
          r: Relation, assert_triple: bool = True, derived: str = "") -> str:
    f = fact_iri(clip_iri, s, p, o, r, derived)
    if assert_triple and not r.candidate:
        em.add(s, p, o)
    em.add(f, RDF.type, ESS.Statement)
    em.add(f, RDF.subject, s)
    em.add(f, RDF.predicate, p)
    em.add(f, RDF.object, o)
    em.add(f, PROV.wasDerivedFrom, clip_iri)
    em.add(f, PROV.wasGeneratedBy, activity)
    em.add(f, ESS.candidate, _lit("true" if r.candidate else "false", XSD.boolean))
    if r.rule:
        em.add(f, ESS.rule, _lit(r.rule))
    if r.confidence is not None:
        em.add(f, ESS.confidence, _lit(f"{r.confidence:.4f}", XSD.decimal))
    if r.source == "curation":
        em.add(f, ESS.source, _lit("curation"))
        if r.curator:
            em.add(f, PROV.wasAttributedTo, curator_iri(r.curator))
        gt = date_literal(r.curated_at)
        if gt is not None:
            em.add(f, PROV.generatedAtTime, gt)
    if r.evidence:
        em.add(f, ESS.evidence, _lit(r.evidence, lang="fr"))
    if r.evidence_start is not None and r.evidence_end is not None and 0 <= r.evidence_start < r.evidence_end <= len(text):
        _annotate(em, clip_iri, f, text, r.evidence_start, r.evidence_end, OA.describing, activity)
    return f


#: role concepts whose holder chairs the organisation: such a post also asserts ess:presides
PRESIDING_ROLES = frozenset({"president", "president-directeur-general"})
#: predicates whose object is an organisation for ess:presides to become a post (an event is chaired, not held)
_POST_BODIES = ("Organization", "Cooperative", "Mutual", "Association", "Network", "PublicBody", "Company",
                "Commune", "Intercommunality", "Department", "Region")

_TIME_PROP = {XSD.gYear: TIME.inXSDgYear, XSD.gYearMonth: TIME.inXSDgYearMonth,
              XSD.date: TIME.inXSDDate, XSD.dateTime: TIME.inXSDDateTimeStamp}


def _instant(em: _Emitter, node: str, value: str) -> bool:
    lit = date_literal(value)
    if lit is None:
        return False
    em.add(node, RDF.type, TIME.Instant)
    em.add(node, _TIME_PROP[lit.datatype.value], lit)
    return True


def _post_label(slug: str, r: Relation, target: Entity) -> str:
    """The post's own label: the role concept's preferred label, the portfolio and the body
    ("maire – Guillestre"); the role as written stays on each holder's membership."""
    from .vocab import role_concepts
    concept = role_concepts().get(slug)
    head = concept.pref_label("fr") if concept is not None else (r.role or slug)
    if r.portfolio:
        head += f" ({r.portfolio})"
    return f"{head} – {target.name}"


def _tenure(em: _Emitter, membership: str, tenure, date: str | None) -> None:
    """org:memberDuring with an OWL-Time interval (docs/ontology.md, "Posts over time")."""
    if not tenure:
        return
    during = membership + "#during"
    em.add(membership, ORG.memberDuring, during)
    em.add(during, RDF.type, TIME.ProperInterval)
    if tenure.start and _instant(em, membership + "#start", tenure.start):
        em.add(during, TIME.hasBeginning, membership + "#start")
    if tenure.end and _instant(em, membership + "#end", tenure.end):
        em.add(during, TIME.hasEnd, membership + "#end")
    if tenure.status:
        em.add(membership, ESS.tenure, f"{CONCEPT}tenure/{tenure.status}")
        # current: the interval contains the clipping date; former: it ended before it
        if date and _instant(em, membership + "#asof", date):
            em.add(during, TIME.inside if tenure.status == "current" else TIME.before, membership + "#asof")
    if tenure.attested:
        att = membership + "#attested"
        em.add(membership, ESS.attestedDuring, att)
        em.add(att, RDF.type, TIME.ProperInterval)
        if _instant(em, att + "-start", tenure.attested[0]):
            em.add(att, TIME.hasBeginning, att + "-start")
        if _instant(em, att + "-end", tenure.attested[1]):
            em.add(att, TIME.hasEnd, att + "-end")


def _role(em: _Emitter, clip_iri: str, activity: str, text: str, person: Entity,
          target: Entity, r: Relation, date: str | None, others: list[tuple[int, int]] = (),
          as_written: bool = True, derived: str = "") -> str | None:
    """A post held: org:Post (shared by its holders), org:Membership (one per holder and clipping,
    with the role as written, portfolio, tenure and source) and the ``org:holds`` statement.
    Returns the role concept slug."""
    from .extract.tenure import read_tenure
    person_iri = iris.entity_iri(person)
    org = actor_node(target)
    org_key = org[len(ID):]
    slug = role_slug(r.role)
    post = f"{ID}post/{org_key}/{slug}"
    if r.portfolio:
        post += "-" + iris.slugify(r.portfolio, max_len=40)
    role_concept = f"{CONCEPT}role/{slug}"
    # one membership per holder and clipping: two clippings of the same day stay apart
    membership = f"{ID}membership/{iris.short_hash(person_iri, post, date or '', clip_iri, length=16)}"
    if not r.candidate:
        em.add(post, RDF.type, ORG.Post)
        em.add(post, ORG.postIn, org)
        em.add(post, ORG.role, role_concept)
        em.add(post, RDFS.label, _lit(_post_label(slug, r, target), lang="fr"))
        em.add(person_iri, ORG.holds, post)
        em.add(membership, RDF.type, ORG.Membership)
        em.add(membership, ORG.member, person_iri)
        em.add(membership, ORG.organization, org)
        em.add(membership, ORG.role, role_concept)
        em.add(membership, ESS.post, post)
        em.add(membership, PROV.wasDerivedFrom, clip_iri)
        if r.role and as_written:
            em.add(membership, ESS.roleLabel, _lit(r.role, lang="fr"))
        if r.portfolio:
            em.add(membership, ESS.portfolio, _lit(r.portfolio, lang="fr"))
        d = date_literal(date)
        if d is not None:
            em.add(membership, DCTERMS.date, d)
        ev = None
        if r.evidence_start is not None and r.evidence_end is not None \
                and 0 <= r.evidence_start < r.evidence_end <= len(text):
            ev = (r.evidence_start, r.evidence_end)
            _annotate(em, clip_iri, membership, text, ev[0], ev[1], OA.describing, activity)
        spans = [(m.start, m.end) for m in person.mentions if 0 <= m.start < m.end <= len(text)]
        _tenure(em, membership, read_tenure(text, ev, spans, list(others), slug, r.role), date)
        em.add(role_concept, RDF.type, SKOS.Concept)
        em.add(role_concept, RDF.type, ORG.Role)
        em.add(role_concept, SKOS.inScheme, f"{CONCEPT}roles")
        if slug not in _scheme_roles():
            em.add(role_concept, SKOS.prefLabel, _lit(r.role, lang="fr"))
    f = _fact(em, clip_iri, activity, text, person_iri, ORG.holds, post, r, assert_triple=False, derived=derived)
    if not r.candidate:
        em.add(f, ESS.membership, membership)
    return slug


def _refined(em: _Emitter, clip_iri: str, activity: str, text: str, s: str, o: str,
             s_ent: Entity, o_ent: Entity, r: Relation) -> None:
    """The finer fact a sentence supports besides the extracted one (docs/ontology.md, "Selections
    and offers"): ess:selectedFor with its ess:selectionKind, or ess:offers."""
    from .extract.relations import relation_kind
    kind = relation_kind(r.predicate, r.evidence, s_ent.type, o_ent.type, o_ent.name)
    if kind is None:
        return
    pred = ESS.offers if kind == "offer" else ESS.selectedFor
    f = _fact(em, clip_iri, activity, text, s, pred, o, r)
    if kind == "offer":
        if not r.candidate:
            em.add(o, RDF.type, ESS.Offer)
    else:
        em.add(f, ESS.selectionKind, f"{CONCEPT}selection-kind/{kind}")


def extraction_quads(ex: Extraction) -> list[ox.Quad]:
    """All quads of one clipping's named graph."""
    c = ex.clipping
    clip_iri = iris.clipping_iri(c)
    em = _Emitter(clip_iri)
    activity = activity_iri(c)
    clipping_quads(em, c)
    by_id = {e.id: e for e in ex.entities}
    acting: set[str] = set()
    for r in ex.relations:
        if r.predicate == "hasRole":
            acting.add(r.object)
        elif r.predicate != "locatedIn":
            acting.update((r.subject, r.object))
    for e in ex.entities:
        describe_entity(em, e)
        iri = iris.entity_iri(e)
        em.add(clip_iri, SCHEMA.mentions, iri)
        if e.id in acting and e.type in ("Commune", "Department", "Region"):
            describe_authority(em, e)
        for m in e.mentions:
            if 0 <= m.start < m.end <= len(c.text):
                _annotate(em, clip_iri, iri, c.text, m.start, m.end, OA.identifying, activity)
    persons = [e for e in ex.entities if e.type == "Person"]
    presided = {(r.subject, r.object) for r in ex.relations if r.predicate == "presides" and not r.candidate}
    chair_posts = {(r.subject, r.object) for r in ex.relations
                   if r.predicate == "hasRole" and not r.candidate and role_slug(r.role) in PRESIDING_ROLES}
    for r in ex.relations:
        s_ent, o_ent = by_id.get(r.subject), by_id.get(r.object)
        if s_ent is None or o_ent is None:
            continue
        if r.predicate == "hasRole":
            others = [(m.start, m.end) for e in persons if e.id != s_ent.id for m in e.mentions]
            slug = _role(em, clip_iri, activity, c.text, s_ent, o_ent, r, r.date or c.date, others)
            if slug in PRESIDING_ROLES and not r.candidate:
                if (r.subject, r.object) not in presided:
                    # a president's post also answers "who presides X" (ess:presides)
                    _fact(em, clip_iri, activity, c.text, actor_node(s_ent), ESS.presides, actor_node(o_ent),
                          Relation(r.subject, "presides", r.object, r.evidence, r.evidence_start,
                                   r.evidence_end, rule=(r.rule or "post") + "+presides",
                                   confidence=r.confidence, source=r.source, curator=r.curator,
                                   curated_at=r.curated_at), derived="post")
            continue
        pred = PREDICATE_IRI.get(r.predicate)
        if pred is None:
            continue
        if r.predicate == "locatedIn":  # a place relation: territories stay territories
            s, o = place_node(s_ent), place_node(o_ent)
        else:
            s, o = actor_node(s_ent), actor_node(o_ent)
        _fact(em, clip_iri, activity, c.text, s, pred, o, r)
        _refined(em, clip_iri, activity, c.text, s, o, s_ent, o_ent, r)
        if r.predicate == "presides" and not r.candidate and s_ent.type == "Person" \
                and o_ent.type in _POST_BODIES and (r.subject, r.object) not in chair_posts:
            # "présidé par X", "X préside Y": the chair is a post with role président too
            others = [(m.start, m.end) for e in persons if e.id != s_ent.id for m in e.mentions]
            post_rel = Relation(r.subject, "hasRole", r.object, r.evidence, r.evidence_start, r.evidence_end,
                                role="président", rule=(r.rule or "presides") + "+post", date=r.date,
                                confidence=r.confidence, source=r.source, curator=r.curator,
                                curated_at=r.curated_at)
            _role(em, clip_iri, activity, c.text, s_ent, o_ent, post_rel, r.date or c.date, others,
                  as_written=False, derived="presides")
            chair_posts.add((r.subject, r.object))
    return em.quads


def provenance_quads(extractions: Iterable[Extraction], started_at: str) -> list[ox.Quad]:
    """Activities and the software agent, for the provenance graph."""
    from .store import PROVENANCE_GRAPH
    em = _Emitter(PROVENANCE_GRAPH)
    agent = agent_iri()
    em.add(agent, RDF.type, PROV.SoftwareAgent)
    em.add(agent, RDFS.label, _lit(f"essgraph {__version__}"))
    em.add(agent, SCHEMA.softwareVersion, _lit(__version__))
    for ex in extractions:
        a = activity_iri(ex.clipping)
        em.add(a, RDF.type, PROV.Activity)
        em.add(a, PROV.used, iris.clipping_iri(ex.clipping))
        em.add(a, PROV.wasAssociatedWith, agent)
        em.add(a, PROV.startedAtTime, _lit(started_at, XSD.dateTime))
    return em.quads
