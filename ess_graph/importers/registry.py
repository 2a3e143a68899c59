"""The importer registry: each format module registers itself here.

A format is one module of this package that calls :func:`register` once at
import time (the manner of rdflib's plugin registry)::

    from .registry import register

    def looks_like(head: str) -> bool:          # optional content sniffing
        return head.lstrip().startswith("<rdf:RDF")

    def read(path: Path, text: str) -> list[Clipping]:
        ...

    register("pearltrees-rdf", suffixes=(".rdf", ".xml"), read=read, sniff=looks_like)

:mod:`ess_graph.importers` imports every module of the package (except
those whose name starts with ``_``), so nothing else lists formats or
suffixes: detection, the suffixes accepted in folders and the error messages
all come from the registry.

How a file's format is chosen (:func:`choose`):

1. an importer with a ``magic`` byte prefix that the file starts with wins,
   whatever the file is called (a PDF named ``.txt`` is read as a PDF);
2. otherwise the importers claiming the file's suffix are tried, highest
   ``priority`` first: the first whose ``sniff(head)`` is true wins, and an
   importer registered without ``sniff`` is the fallback for its suffixes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import InputError
from ..model import Clipping

#: what ``sniff`` sees: the first characters of the decoded file
HEAD_CHARS = 65536


@dataclass(frozen=True)
class Importer:
    """One registered format."""

    name: str                                         #: ``Clipping.source_format``
    suffixes: tuple[str, ...]                         #: lower-case, with the dot
    read: Callable[[Path, "str | bytes"], list[Clipping]]
    sniff: Callable[[str], bool] | None = None        #: content test on the decoded head
    priority: int = 0                                 #: tried first when higher
    magic: bytes | None = None                        #: leading bytes that identify the format
    binary: bool = False                              #: ``read`` gets the raw bytes, not text
    description: str = ""                             #: shown in error messages and docs


_REGISTRY: dict[str, Importer] = {}


def register(name: str, *, suffixes: tuple[str, ...] | list[str],
             read: Callable[[Path, "str | bytes"], list[Clipping]],
             sniff: Callable[[str], bool] | None = None, priority: int = 0,
             magic: bytes | None = None, binary: bool = False,
             description: str = "") -> Importer:
    """Register a format (call once, at module level, in the format's module).

    ``read(path, text)`` returns the clippings of one file (``read(path, data)``
    with the raw bytes when ``binary``). ``sniff(head)`` tells, from the first
    :data:`HEAD_CHARS` decoded characters, whether a file with one of
    ``suffixes`` is in this format; without it the importer takes every file
    with those suffixes that no sniffing importer claimed.
    """
    if name in _REGISTRY:
        raise ValueError(f"importer {name!r} is already registered")
    sfx = tuple(s.lower() if s.startswith(".") else "." + s.lower() for s in suffixes)
    imp = Importer(name=name, suffixes=sfx, read=read, sniff=sniff, priority=priority,
                   magic=magic, binary=binary, description=description or name)
    _REGISTRY[name] = imp
    return imp


def unregister(name: str) -> None:
    """Remove a registered format (for tests and plug-ins that replace one)."""
    del _REGISTRY[name]


def importers() -> list[Importer]:
    """Every registered importer, in a stable order (by name)."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get(name: str) -> Importer:
    """The importer registered as ``name`` (KeyError if none)."""
    return _REGISTRY[name]


def suffixes() -> tuple[str, ...]:
    """Every suffix some importer claims, sorted."""
    return tuple(sorted({s for imp in _REGISTRY.values() for s in imp.suffixes}))


def by_magic(data: bytes) -> Importer | None:
    """The importer whose magic bytes ``data`` starts with, if any."""
    for imp in importers():
        if imp.magic and data.startswith(imp.magic):
            return imp
    return None


def choose(path: str | Path, head: str, *, source: str) -> Importer:
    """The importer for a (text) file from its suffix and decoded head.

    Raises :class:`InputError` when the suffix is not supported or no importer
    for that suffix recognises the content.
    """
    suffix = Path(path).suffix.lower()
    claim = [imp for imp in _REGISTRY.values() if suffix in imp.suffixes]
    if not claim:
        raise InputError(f"unsupported file type {suffix or '(no extension)'!r}; supported: "
                         + ", ".join(suffixes()), source=source)
    cands = [imp for imp in claim if not imp.binary]
    if not cands:  # binary formats are recognised by their magic bytes only
        raise InputError(f"not a {claim[0].description} file: it does not start with "
                         f"{claim[0].magic!r}", source=source)
    cands.sort(key=lambda i: (i.sniff is None, -i.priority, i.name))
    sample = head[:HEAD_CHARS]
    for imp in cands:
        if imp.sniff is None or imp.sniff(sample):
            return imp
    expected = " or ".join(imp.description for imp in cands)
    empty = "; the file is empty" if not sample.strip() else ""
    raise InputError(f"not a recognised {suffix} file: expected {expected}{empty}",
                     source=source, line=1)
