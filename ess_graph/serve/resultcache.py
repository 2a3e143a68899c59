"""A small cache of recent answers, kept in the HTTP process.

The same query (same text, dataset, format, parameters) on the same state of
the store gets the same answer, so a repeated request need not reach a worker.
The state of the store is (the server's write generation, the snapshot the
readers use, the store directory's modification time): a write through the
server or an ``essgraph load`` in another process changes it. The directory is
checked at most once a second, the same staleness the workers accept before
reopening their read-only view. Answers of non-deterministic queries
(``RAND()``, ``NOW()``, ``UUID()``, ``STRUUID()``, ``BNODE()``) and of
federated ones (``SERVICE``) are never cached. Bounded by total bytes, least
recently used first out; only answers up to 1 MiB are kept.
"""
from __future__ import annotations

import os
import re
import time
from collections import OrderedDict

_UNCACHEABLE = re.compile(r"\b(?:rand|now|uuid|struuid|bnode)\s*\(|\bservice\b", re.IGNORECASE)
MAX_ENTRY_BYTES = 1024 * 1024


class ResultCache:
    def __init__(self, max_bytes: int, store_path: str):
        self.max_bytes = max_bytes
        self.store_path = store_path
        self.entries: OrderedDict[tuple, tuple[dict, bytes]] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0
        self._stamp = None
        self._checked = 0.0

    def _store_stamp(self):
        now = time.monotonic()
        if now - self._checked > 1.0:
            self._checked = now
            try:
                self._stamp = os.stat(self.store_path).st_mtime_ns
            except OSError:
                self._stamp = None
        return self._stamp

    def key(self, job: dict, body: bytes, state: tuple) -> tuple | None:
        if self.max_bytes <= 0:
            return None
        if job.get("op") not in ("query", "saved", "describe"):
            return None
        if body and _UNCACHEABLE.search(body.decode("utf-8", "replace")):
            return None
        items = []
        for k, v in sorted(job.items()):
            if isinstance(v, (list, dict)):
                v = repr(v)
            items.append((k, v))
        return (tuple(items), body, state, self._store_stamp())

    def get(self, key):
        if key is None:
            return None
        hit = self.entries.get(key)
        if hit is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return hit

    def put(self, key, header: dict, out: bytes) -> None:
        if key is None or header.get("status") != 200 or len(out) > MAX_ENTRY_BYTES:
            return
        if key in self.entries:
            return
        self.entries[key] = (header, out)
        self.size += len(out)
        while self.size > self.max_bytes and self.entries:
            _, (_, old) = self.entries.popitem(last=False)
            self.size -= len(old)

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0
