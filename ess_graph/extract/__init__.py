"""Entity, territory and relation extraction from clippings.

>>> from ess_graph.extract import Extractor
>>> ex = Extractor.default()
>>> extraction = ex.extract(clipping)
>>> extractions = ex.extract_many(clippings)   # + cross-clipping entity resolution
"""
from .pipeline import Extractor

__all__ = ["Extractor"]
