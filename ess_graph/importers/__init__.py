"""Import: files and folders of clippings in, :class:`~ess_graph.model.Clipping` out.

Formats (``Clipping.source_format``), one module each with ``read(path, text)``:

===================  ==========================  =================================
format               module                      detected by
===================  ==========================  =================================
``pearltrees-text``  :mod:`.pearltrees`          ``.txt`` starting with "background preloader"
                                                 or with a "Facebook Twitter" line
``pearltrees-rdf``   :mod:`.pearltrees_rdf`      ``.rdf`` using the Pearltrees RDF vocabulary
``text``             :mod:`.markdown`            other ``.txt``
``markdown``         :mod:`.markdown`            ``.md``, ``.markdown``
``jsonl``            :mod:`.jsonl`               ``.jsonl``, ``.ndjson``; ``.json`` starting with ``{``
``csl-json``         :mod:`.csl_json`            ``.json`` starting with ``[``
``bookmarks``        :mod:`.bookmarks`           ``.html``/``.htm`` with the Netscape bookmark DOCTYPE
``html``             :mod:`.html_page`           other ``.html``/``.htm``
===================  ==========================  =================================

Bytes are decoded with :func:`ess_graph.errors.decode_text` (UTF-8 with or
without BOM, else cp1252). Every problem is an :class:`~ess_graph.errors.InputError`
naming the file and, when known, the line and column.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from ..errors import InputError, decode_text
from ..model import Clipping
from . import bookmarks, csl_json, html_page, jsonl, markdown, pearltrees, pearltrees_rdf
from ._common import source_name

__all__ = ["read_clippings", "read_file", "detect_format", "list_input_files",
           "FORMATS", "SUPPORTED_SUFFIXES"]

#: format name -> module exposing ``read(path, text) -> list[Clipping]``
FORMATS = {
    "pearltrees-text": pearltrees,
    "pearltrees-rdf": pearltrees_rdf,
    "text": markdown,
    "markdown": markdown,
    "jsonl": jsonl,
    "csl-json": csl_json,
    "bookmarks": bookmarks,
    "html": html_page,
}
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".jsonl", ".ndjson", ".json", ".html", ".htm", ".rdf")
_HEAD_BYTES = 65536


def detect_format(path: str | Path, head: bytes) -> str:
    """The format of a file from its name and its first bytes (or all of them).

    Raises :class:`InputError` for an unsupported extension or a ``.json`` file
    that is neither a JSON array (CSL-JSON) nor JSON objects (JSON Lines).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    src = source_name(p)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    sample = head.decode("utf-8", errors="replace")
    if suffix == ".txt":
        return "pearltrees-text" if pearltrees.looks_like(sample) else "text"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        first = sample.lstrip()[:1]
        if first == "[":
            return "csl-json"
        if first == "{":
            return "jsonl"
        raise InputError("a .json file must be a CSL-JSON array ('[') or JSON Lines objects ('{')"
                         + ("; the file is empty" if not first else ""), source=src, line=1)
    if suffix == ".rdf":
        if pearltrees_rdf.looks_like(sample):
            return "pearltrees-rdf"
        raise InputError("an .rdf file must be a Pearltrees RDF export (vocabulary "
                         "http://www.pearltrees.com/rdf/0.1/#)", source=src, line=1)
    if suffix in (".html", ".htm"):
        return "bookmarks" if bookmarks.looks_like(sample) else "html"
    raise InputError(f"unsupported file type {suffix or '(no extension)'!r}; supported: "
                     + ", ".join(SUPPORTED_SUFFIXES), source=src)


def read_file(path: str | Path, *, collection: str | None = None) -> list[Clipping]:
    """All clippings of one file, whatever its format.

    ``collection`` is used for clippings whose format gives none (CSL-JSON,
    HTML pages, Markdown without ``collection`` in its front matter…).
    """
    p = Path(path)
    src = source_name(p)
    if p.is_dir():
        raise InputError("is a directory, not a file (read_clippings walks folders)", source=src)
    if p.suffix.lower() not in SUPPORTED_SUFFIXES:
        detect_format(p, b"")  # raises the unsupported-type error
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=src) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", source=src) from None
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", source=src) from None
    fmt = detect_format(p, data)
    text = decode_text(data, src)
    clippings = FORMATS[fmt].read(p, text)
    if collection:
        for c in clippings:
            if not c.collection:
                c.collection = collection
    return clippings


def _hidden(name: str) -> bool:
    return name.startswith(".")


def list_input_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files :func:`read_clippings` reads, in the order it reads them.

    Folders are walked recursively in sorted order; hidden files and folders
    and files with unsupported extensions inside folders are skipped. A file
    named explicitly is always kept (an unsupported one fails when read).
    """
    out: list[Path] = []
    seen: set[Path] = set()

    def add(f: Path) -> None:
        key = f.resolve()
        if key not in seen:  # a file named twice (or inside a named folder) is read once
            seen.add(key)
            out.append(f)

    for given in paths:
        p = Path(given)
        if p.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(p, onerror=None):
                dirs[:] = sorted(d for d in dirs if not _hidden(d))
                for f in files:
                    if not _hidden(f) and Path(f).suffix.lower() in SUPPORTED_SUFFIXES:
                        found.append(Path(root) / f)
            found.sort(key=lambda q: q.relative_to(p).parts)
            for f in found:
                add(f)
        elif p.exists():
            add(p)
        else:
            raise InputError("no such file or directory", source=source_name(p))
    return out


def read_clippings(paths: Iterable[str | Path], *,
                   progress: Callable[[int], None] | None = None,
                   collection: str | None = None) -> list[Clipping]:
    """Every clipping of the given files and folders, in a deterministic order.

    ``progress``, when given, is called after each file with the number of
    files read so far (use :func:`list_input_files` for the total).
    ``collection`` is the fallback collection name (see :func:`read_file`).
    Two clippings with the same id are an :class:`InputError` naming both files.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    clippings: list[Clipping] = []
    where: dict[str, Clipping] = {}
    for n, f in enumerate(list_input_files(paths), start=1):
        for c in read_file(f, collection=collection):
            prev = where.get(c.id)
            if prev is not None:
                raise InputError(
                    f"duplicate clipping id {c.id!r}: already read from {_place(prev)}",
                    source=c.source_file, line=c.source_line)
            where[c.id] = c
            clippings.append(c)
        if progress is not None:
            progress(n)
    return clippings


def _place(c: Clipping) -> str:
    return f"{c.source_file}:{c.source_line}" if c.source_line else str(c.source_file)
