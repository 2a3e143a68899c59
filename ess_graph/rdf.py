"""Building RDF: pyoxigraph terms, and one collector of triples for the code that writes graphs.

The mapping (:mod:`ess_graph.mapping`), the territory reference graph
(:mod:`ess_graph.territories.graph`), the export's catalog and VoID
(:mod:`ess_graph.export.catalog`) and the server's descriptions all build
``pyoxigraph`` terms and let pyoxigraph write the syntax: no hand-written
N-Triples, no escaping of our own.
"""
from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from .namespaces import PREFIXES

XSD = PREFIXES["xsd"]
RDF_TYPE = PREFIXES["rdf"] + "type"

Subject = str | ox.NamedNode | ox.BlankNode
Object = str | ox.NamedNode | ox.BlankNode | ox.Literal | int | bool | None


def literal(value, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    """A literal: language-tagged if ``lang``, typed if ``datatype`` (an IRI), else a plain string."""
    if lang:
        return ox.Literal(str(value), language=lang)
    if datatype:
        return ox.Literal(str(value), datatype=ox.NamedNode(datatype))
    return ox.Literal(str(value))


def term(o: Object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """``o`` as an object term: a ``str`` is an IRI, an ``int`` an xsd:integer, a ``bool`` an xsd:boolean."""
    if isinstance(o, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return o
    if isinstance(o, str):
        return ox.NamedNode(o)
    if isinstance(o, bool):
        return ox.Literal(o)
    if isinstance(o, int):
        return literal(o, XSD + "integer")
    raise TypeError(f"unsupported object {o!r}")


def _node(s: Subject) -> ox.NamedNode | ox.BlankNode:
    return ox.NamedNode(s) if isinstance(s, str) else s


class Triples:
    """Triples collected in insertion order, each once. IRIs may be given as ``str``."""

    def __init__(self) -> None:
        self._triples: dict[ox.Triple, None] = {}

    def add(self, s: Subject, p: str | ox.NamedNode, o: Object) -> None:
        """Add ``(s, p, o)``; nothing when ``o`` is None."""
        if o is None:
            return
        self._triples[ox.Triple(_node(s), _node(p), term(o))] = None

    def type(self, s: Subject, *classes: str) -> None:
        """``s rdf:type c`` for each of ``classes``."""
        for c in classes:
            self.add(s, RDF_TYPE, c)

    def __iter__(self):
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def sorted(self) -> list[ox.Triple]:
        """The triples in a fixed order (by their N-Triples text)."""
        return sorted(self._triples, key=str)


def in_graph(triples: Iterable[ox.Triple], graph: ox.NamedNode | ox.DefaultGraph | None = None) -> list[ox.Quad]:
    """``triples`` as quads of ``graph`` (the default graph if None)."""
    g = graph if graph is not None else ox.DefaultGraph()
    return [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]
