"""Shared fixtures.

The tests import the installed ``ess_graph`` (the README's test command installs
the package non-editable), so they also check that the wheel carries the
ontology, shapes, queries and data.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ESSGRAPH_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (dev-gold, scorer, conformance suites) — skipped with a reason when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared material not found at {SHARED} (set ESSGRAPH_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def extractor():
    """One extractor (spaCy model, lexicon, territory linker) for the whole session."""
    from ess_graph.extract import Extractor
    return Extractor.default()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, extractor):
    """An on-disk store with the bundled sample collection and the reference graph loaded once."""
    from ess_graph.pipeline import load
    from ess_graph.store import GraphStore
    path = tmp_path_factory.mktemp("sample") / "store"
    gs = GraphStore(path)
    report = load(None, gs, extractor=extractor)
    gs.close()
    return path, report
