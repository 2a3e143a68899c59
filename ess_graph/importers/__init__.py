"""Import: files and folders of clippings in, :class:`~ess_graph.model.Clipping` out.

Each format is one module of this package that registers itself with
:func:`.registry.register` (suffixes, a content-sniffing function, a reader);
this package imports every such module, so a new format is one new file.
Formats (``Clipping.source_format``):

===================  ==========================  =================================
format               module                      detected by
===================  ==========================  =================================
``pearltrees-text``  :mod:`.pearltrees`          ``.txt`` starting with "background preloader"
                                                 or with a "Facebook Twitter" line
``pearltrees-rdf``   :mod:`.pearltrees_rdf`      ``.rdf`` using the Pearltrees RDF vocabulary
``text``             :mod:`.markdown`            other ``.txt``
``markdown``         :mod:`.markdown`            ``.md``, ``.markdown``
``csl-json``         :mod:`.csl_json`            ``.json`` starting with ``[``
``jsonl``            :mod:`.jsonl`               ``.jsonl``, ``.ndjson``, other ``.json``
``bookmarks``        :mod:`.bookmarks`           ``.html``/``.htm`` with the Netscape bookmark DOCTYPE
``html``             :mod:`.html_page`           other ``.html``/``.htm``
``pdf``              :mod:`.pdf`                 ``%PDF-`` signature, whatever the suffix
===================  ==========================  =================================

Bytes are decoded with :func:`ess_graph.errors.decode_text` (byte order mark,
then UTF-8, then charset-normalizer; garbled or binary content is refused).
Every problem is an :class:`~ess_graph.errors.InputError` naming the file and,
when known, the line and column. :func:`read_clippings` stops at the first one,
or, given ``on_error``, reports each and skips only the bad record or file.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import stat
from pathlib import Path
from typing import Callable, Iterable

from ..errors import InputError, decode_text
from ..model import Clipping
from ._common import collecting_errors, skip_or_raise, source_name
from .registry import Importer, by_magic, choose, importers, register, suffixes

#: the format modules of this package, each of which registers itself when imported
#: (every module whose name does not start with "_", except the registry): a new
#: format is one new file here, nothing to add to a list
FORMAT_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                              if not m.name.startswith("_") and m.name != "registry"))
for _name in FORMAT_MODULES:
    importlib.import_module(f"{__name__}.{_name}")

__all__ = ["read_clippings", "read_file", "detect_format", "list_input_files",
           "register", "importers", "Importer", "suffixes"]


def _sample(data: bytes, source: str) -> str:
    try:
        return decode_text(data, source)
    except InputError:  # a head cut inside a character, or refused content: sniff what we can
        return data.decode("utf-8", errors="replace")


def detect_format(path: str | Path, head: bytes) -> str:
    """The format name of a file from its name and its first bytes (or all of them).

    Raises :class:`InputError` for an unsupported suffix or content that no
    importer registered for the suffix recognises.
    """
    src = source_name(path)
    imp = by_magic(head)
    if imp is not None:
        return imp.name
    return choose(path, _sample(head, src), source=src).name


def _read_bytes(p: Path, src: str) -> bytes:
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("no such file", source=src) from None
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", source=src) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a file (read_clippings walks folders)", source=src)
    if not stat.S_ISREG(st.st_mode):
        # never open a FIFO, socket or device: reading one can block for ever
        raise InputError("not a regular file (a FIFO, socket or device): give clipping files "
                         "or folders", source=src)
    try:
        return p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", source=src) from None


def read_file(path: str | Path, *, collection: str | None = None) -> list[Clipping]:
    """All clippings of one file, whatever its format.

    ``collection`` is used for clippings whose format gives none (CSL-JSON,
    HTML pages, Markdown without ``collection`` in its front matter…).
    """
    p = Path(path)
    src = source_name(p)
    if p.suffix.lower() not in suffixes() and not p.is_dir():
        choose(p, "", source=src)  # raises the unsupported-type error before reading anything
    data = _read_bytes(p, src)
    imp: Importer | None = by_magic(data)
    if imp is not None and imp.binary:
        clippings = imp.read(p, data)
    else:
        text = decode_text(data, src)
        imp = imp or choose(p, text, source=src)
        try:
            clippings = imp.read(p, text)
        except RecursionError:  # a parser fed absurdly nested data
            raise InputError("nested too deeply to read", source=src) from None
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
    files with unsupported extensions and anything that is not a regular file
    (FIFOs, sockets, devices: opening one can block) inside folders are skipped.
    A file named explicitly is always kept (an unsupported one fails when read).
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
                known = suffixes()
                for f in files:
                    if not _hidden(f) and Path(f).suffix.lower() in known \
                            and _regular(Path(root) / f):
                        found.append(Path(root) / f)
            found.sort(key=lambda q: q.relative_to(p).parts)
            for f in found:
                add(f)
        elif p.exists():
            add(p)
        else:
            raise InputError("no such file or directory", source=source_name(p))
    return out


def _regular(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.stat().st_mode)
    except OSError:
        return False


def read_clippings(paths: Iterable[str | Path], *,
                   progress: Callable[[int], None] | None = None,
                   collection: str | None = None,
                   on_error: Callable[[InputError], None] | None = None) -> list[Clipping]:
    """Every clipping of the given files and folders, in a deterministic order.

    ``progress``, when given, is called after each file with the number of
    files read so far (use :func:`list_input_files` for the total).
    ``collection`` is the fallback collection name (see :func:`read_file`).
    Two clippings with the same id are an :class:`InputError` naming both files.

    Without ``on_error`` the first problem raises its :class:`InputError`
    (nothing is returned). With it, each problem is passed to ``on_error`` and
    only what it concerns is skipped: one record (a JSON Lines line, a CSL
    item, a bookmark, a later clipping with an already-read id) or, for a
    problem with the file itself, that file. Every other clipping is returned.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    clippings: list[Clipping] = []
    where: dict[str, Clipping] = {}
    with collecting_errors(on_error):
        for n, f in enumerate(list_input_files(paths), start=1):
            try:
                got = read_file(f, collection=collection)
            except InputError as e:
                skip_or_raise(e)
                got = []
            for c in got:
                prev = where.get(c.id)
                if prev is not None:
                    skip_or_raise(InputError(
                        f"duplicate clipping id {c.id!r}: already read from {_place(prev)}",
                        source=c.source_file, line=c.source_line))
                    continue
                where[c.id] = c
                clippings.append(c)
            if progress is not None:
                progress(n)
    return clippings


def _place(c: Clipping) -> str:
    return f"{c.source_file}:{c.source_line}" if c.source_line else str(c.source_file)
