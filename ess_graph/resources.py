"""Where the bundled ontology, shapes, saved queries and data live.

In a wheel they are installed under ``ess_graph/_bundled/``; in a source
checkout (editable install, tests) they are the top-level folders.
"""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def bundled(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``bundled("queries")``."""
    installed = _PKG / "_bundled" / Path(*parts)
    if installed.exists():
        return installed
    return _PKG.parent / Path(*parts)


def ontology_dir() -> Path:
    return bundled("ontology")


def shapes_dir() -> Path:
    return bundled("shapes")


def queries_dir() -> Path:
    return bundled("queries")


def data_dir() -> Path:
    return bundled("data")


def sample_dir() -> Path:
    return bundled("data", "samples")
