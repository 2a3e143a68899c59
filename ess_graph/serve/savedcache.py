"""Saved queries parsed once per file version (YAML headers are slow to parse
on every request); a changed or removed file is read again."""
from __future__ import annotations

import os
from pathlib import Path

from ..queries import get_query
from ..resources import queries_dir

_cache: dict[tuple[str, str], tuple[int, object]] = {}


def cached_query(name: str, directory: str | None = None):
    d = Path(directory) if directory else queries_dir()
    try:
        mtime = os.stat(d / f"{name}.rq").st_mtime_ns if name.replace("-", "").replace("_", "").replace(".", "").isalnum() else -1
    except OSError:
        mtime = -1
    key = (str(d), name)
    hit = _cache.get(key)
    if hit is not None and mtime != -1 and hit[0] == mtime:
        return hit[1]
    sq = get_query(name, directory)  # QueryError for unknown names, with the list of known ones
    if mtime != -1:
        _cache[key] = (mtime, sq)
    return sq
