"""essgraph's SKOS concept schemes as Python data.

``ontology/concepts.ttl`` is the source of truth for organisation kinds,
roles, themes, commune kinds and intercommunality kinds; this module reads it
so that extraction and mapping use the same identifiers as the ontology::

    >>> from ess_graph import vocab
    >>> vocab.role_slug("adjointe au Maire")
    'adjoint-au-maire'
    >>> vocab.role_concepts()["maire"].pref_label("en")
    'mayor'

Role and theme slugs are :func:`ess_graph.iris.slugify` of the French
preferred label (the masculine form for roles); feminine forms and variants
are ``skos:altLabel`` and are accepted by :func:`role_slug`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .iris import slugify
from .namespaces import CONCEPT
from .resources import ontology_dir

__all__ = [
    "Concept", "SCHEMES", "load_graph", "load_concepts", "scheme_concepts",
    "role_concepts", "theme_concepts", "org_kind_concepts", "commune_kind_concepts",
    "epci_kind_concepts", "role_slug", "role_iri", "theme_slug",
]

#: scheme name -> (scheme IRI, IRI prefix of its concepts)
SCHEMES: dict[str, tuple[str, str]] = {
    "org-kind": (CONCEPT + "org-kind", CONCEPT + "org-kind/"),
    "roles": (CONCEPT + "roles", CONCEPT + "role/"),
    "themes": (CONCEPT + "themes", CONCEPT + "theme/"),
    "commune-kind": (CONCEPT + "commune-kind", CONCEPT + "commune-kind/"),
    "epci-kind": (CONCEPT + "epci-kind", CONCEPT + "epci-kind/"),
    "tenure": (CONCEPT + "tenure", CONCEPT + "tenure/"),
    "selection-kind": (CONCEPT + "selection-kind", CONCEPT + "selection-kind/"),
}

_SKOS = "http://www.w3.org/2004/02/skos/core#"


@dataclass(frozen=True)
class Concept:
    """One SKOS concept with its labels (language tag -> labels)."""

    iri: str
    slug: str                                   # last IRI segment: "adjoint-au-maire", "COMD"
    scheme: str                                 # scheme IRI
    pref_labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    notation: str | None = None
    broader: tuple[str, ...] = ()               # IRIs
    matches: tuple[tuple[str, str], ...] = ()   # (SKOS mapping property local name, IRI)

    def pref_label(self, lang: str = "fr") -> str:
        return self.pref_labels.get(lang) or next(iter(self.pref_labels.values()), self.slug)

    def labels(self, lang: str | None = None) -> tuple[str, ...]:
        """Preferred then alternative labels, for one language or all."""
        langs = sorted(set(self.pref_labels) | set(self.alt_labels)) if lang is None else [lang]
        out: list[str] = []
        for lg in langs:
            if lg in self.pref_labels:
                out.append(self.pref_labels[lg])
            out.extend(self.alt_labels.get(lg, ()))
        return tuple(out)


def _parse_turtle(path: Path):
    import rdflib
    from rdflib.plugins.parsers.notation3 import BadSyntax

    g = rdflib.Graph()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read ontology file: {e.strerror or e}", source=str(path)) from None
    try:
        g.parse(data=data, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as e:
        line = getattr(e, "lines", None)
        why = getattr(e, "_why", None) or "bad Turtle syntax"
        raise InputError(f"invalid Turtle: {why}", source=str(path),
                         line=None if line is None else line + 1) from None
    except Exception as e:  # rdflib raises assorted errors for bad IRIs, literals...
        raise InputError(f"invalid Turtle: {e}", source=str(path)) from None
    return g


def load_graph(paths: list[Path] | None = None):
    """The ontology and concept schemes as one rdflib Graph.

    ``paths`` defaults to every ``*.ttl`` file of the bundled ``ontology/``
    folder, in name order. A malformed file raises :class:`InputError` with
    its path and line.
    """
    import rdflib

    if paths is None:
        paths = sorted(ontology_dir().glob("*.ttl"))
        if not paths:
            raise InputError("no ontology files (*.ttl) found", source=str(ontology_dir()))
    g = rdflib.Graph()
    for p in paths:
        g += _parse_turtle(Path(p))
    return g


def _concepts_from_graph(g) -> dict[str, Concept]:
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF

    skos = lambda n: URIRef(_SKOS + n)  # noqa: E731
    out: dict[str, Concept] = {}
    for c in sorted(set(g.subjects(RDF.type, skos("Concept"))), key=str):
        if not isinstance(c, URIRef):
            continue
        schemes = sorted(str(s) for s in g.objects(c, skos("inScheme")))
        pref: dict[str, str] = {}
        for lit in sorted(g.objects(c, skos("prefLabel")), key=str):
            if isinstance(lit, Literal):
                pref.setdefault(lit.language or "", str(lit))
        alts: dict[str, list[str]] = {}
        for lit in sorted(g.objects(c, skos("altLabel")), key=str):
            if isinstance(lit, Literal):
                alts.setdefault(lit.language or "", []).append(str(lit))
        defs: dict[str, str] = {}
        for lit in sorted(g.objects(c, skos("definition")), key=str):
            if isinstance(lit, Literal):
                defs.setdefault(lit.language or "", str(lit))
        notation = next((str(n) for n in sorted(g.objects(c, skos("notation")), key=str)), None)
        matches = tuple(sorted(
            (m, str(o)) for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
            for o in g.objects(c, skos(m))))
        iri = str(c)
        out[iri] = Concept(
            iri=iri, slug=iri.rstrip("/").rsplit("/", 1)[-1],
            scheme=schemes[0] if schemes else "",
            pref_labels=pref, alt_labels={k: tuple(v) for k, v in alts.items()},
            definitions=defs, notation=notation,
            broader=tuple(sorted(str(b) for b in g.objects(c, skos("broader")))),
            matches=matches)
    return out


@functools.lru_cache(maxsize=4)
def _cached_concepts(paths: tuple[str, ...] | None) -> dict[str, Concept]:
    g = load_graph(None if paths is None else [Path(p) for p in paths])
    return _concepts_from_graph(g)


def load_concepts(paths: list[Path] | None = None) -> dict[str, Concept]:
    """Every SKOS concept of the ontology files, keyed by IRI (cached)."""
    key = None if paths is None else tuple(str(p) for p in paths)
    return dict(_cached_concepts(key))


def scheme_concepts(scheme: str, paths: list[Path] | None = None) -> dict[str, Concept]:
    """Concepts of one scheme (``"roles"``, ``"themes"``, ``"org-kind"``,
    ``"commune-kind"``, ``"epci-kind"``, ``"tenure"``, ``"selection-kind"``), keyed by slug,
    in slug order."""
    if scheme not in SCHEMES:
        raise KeyError(f"unknown concept scheme {scheme!r}; known: {', '.join(SCHEMES)}")
    scheme_iri, _ = SCHEMES[scheme]
    found = [c for c in load_concepts(paths).values() if c.scheme == scheme_iri]
    return {c.slug: c for c in sorted(found, key=lambda c: c.slug)}


def role_concepts(paths: list[Path] | None = None) -> dict[str, Concept]:
    """Roles (``esc:role/{slug}``) keyed by slug, e.g. ``"adjoint-au-maire"``."""
    return scheme_concepts("roles", paths)


def theme_concepts(paths: list[Path] | None = None) -> dict[str, Concept]:
    return scheme_concepts("themes", paths)


def org_kind_concepts(paths: list[Path] | None = None) -> dict[str, Concept]:
    return scheme_concepts("org-kind", paths)


def commune_kind_concepts(paths: list[Path] | None = None) -> dict[str, Concept]:
    return scheme_concepts("commune-kind", paths)


def epci_kind_concepts(paths: list[Path] | None = None) -> dict[str, Concept]:
    return scheme_concepts("epci-kind", paths)


def _label_index(scheme: str, paths: list[Path] | None) -> dict[str, str]:
    index: dict[str, str] = {}
    for slug, c in scheme_concepts(scheme, paths).items():
        index.setdefault(slug, slug)
        for label in c.labels():
            index.setdefault(slugify(label), slug)
    return index


@functools.lru_cache(maxsize=8)
def _cached_index(scheme: str, paths: tuple[str, ...] | None) -> dict[str, str]:
    return _label_index(scheme, None if paths is None else [Path(p) for p in paths])


def role_slug(label: str, paths: list[Path] | None = None) -> str | None:
    """The role concept slug for a role head as written, or None.

    Case, accents, hyphens and gender are normalised through the concept
    labels: "Adjointe au Maire", "maire-adjointe" → ``"adjoint-au-maire"``;
    "conseillère municipale déléguée" → ``"conseiller-municipal-delegue"``.
    The label must be the role head only (no "de Paris", no portfolio).
    """
    key = None if paths is None else tuple(str(p) for p in paths)
    return _cached_index("roles", key).get(slugify(label))


def theme_slug(label: str, paths: list[Path] | None = None) -> str | None:
    """The theme concept slug for a theme label or alias ("ESS" → ``"economie-sociale-et-solidaire"``)."""
    key = None if paths is None else tuple(str(p) for p in paths)
    return _cached_index("themes", key).get(slugify(label))


def role_iri(slug: str) -> str:
    """``esc:role/{slug}`` as a full IRI."""
    return SCHEMES["roles"][1] + slug
