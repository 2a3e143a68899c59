"""French territories: the COG reference graph and the mention linker.

>>> from ess_graph.territories import TerritoryLinker
>>> linker = TerritoryLinker.default()
>>> [m.insee for m in linker.find("Le maire de Guillestre, dans les Hautes-Alpes")]
['05065', '05']
"""
from __future__ import annotations

from .data import TerritoryData, default_data, load_data
from .graph import (content_hash, load_reference, reference_graph_iri, reference_lines, reference_quads,
                    reference_triples, write_reference_graph)
from .graph import ensure_reference_graph as _ensure_reference_graph
from .linker import TerritoryLinker, TerritoryMatch

__all__ = [
    "TerritoryLinker", "TerritoryMatch", "TerritoryData", "load_data", "default_data",
    "reference_graph_iri", "ensure_reference_graph", "load_reference", "reference_quads",
    "reference_lines", "reference_triples", "write_reference_graph", "content_hash",
]


def ensure_reference_graph(store, data: TerritoryData | None = None) -> str:
    """:func:`.graph.ensure_reference_graph`, then validate the graph once against the bundled
    shapes and record it in the graph itself (see :mod:`ess_graph.validate.context`)."""
    g = _ensure_reference_graph(store, data)
    if not getattr(store, "read_only", False):
        from ..validate.context import record_validation
        record_validation(store, g)
    return g
