"""The VoID description of a store: one writer for the server's ``/void`` and the export's ``void.ttl``.

The figures come from :mod:`ess_graph.stats`; each caller adds what only it
knows (the server its endpoint and example resource, the export its dumps,
subsets and link sets) to the same :class:`~ess_graph.rdf.Triples`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .namespaces import PREFIXES
from .rdf import Triples

VOID = PREFIXES["void"]

# (kind "class" or "property", position in IRI order, class or property IRI) -> partition IRI
PartitionIri = Callable[[str, int, str], str]


def vocabularies(iris: Iterable[str]) -> list[str]:
    """The namespaces of ``PREFIXES`` that ``iris`` use (longest match), sorted."""
    namespaces = sorted(set(PREFIXES.values()), key=len, reverse=True)
    used = set()
    for iri in iris:
        for ns in namespaces:
            if iri.startswith(ns):
                used.add(ns)
                break
    return sorted(used)


def describe_dataset(g: Triples, ds: str, *, triples: int, distinct_subjects: int,
                     classes: dict[str, int], properties: dict[str, int],
                     partition_iri: PartitionIri) -> None:
    """``ds`` as a ``void:Dataset``: sizes, vocabularies, class and property partitions."""
    g.type(ds, VOID + "Dataset")
    g.add(ds, VOID + "triples", triples)
    g.add(ds, VOID + "distinctSubjects", distinct_subjects)
    g.add(ds, VOID + "classes", len(classes))
    g.add(ds, VOID + "properties", len(properties))
    for ns in vocabularies(list(classes) + list(properties)):
        g.add(ds, VOID + "vocabulary", ns)
    for i, (cls, n) in enumerate(sorted(classes.items())):
        part = partition_iri("class", i, cls)
        g.add(ds, VOID + "classPartition", part)
        g.add(part, VOID + "class", cls)
        g.add(part, VOID + "entities", n)
    for i, (prop, n) in enumerate(sorted(properties.items())):
        part = partition_iri("property", i, prop)
        g.add(ds, VOID + "propertyPartition", part)
        g.add(part, VOID + "property", prop)
        g.add(part, VOID + "triples", n)
