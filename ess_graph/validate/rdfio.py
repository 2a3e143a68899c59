"""Reading RDF files into an Oxigraph store and moving terms between pyoxigraph and rdflib.

Files are parsed by Oxigraph (fast, and its syntax errors carry a line and a
column); the format is chosen from the file extension. rdflib is used only for
the (small) shapes graph and for the pySHACL reference engine.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from ..errors import InputError
from ..formats import RDF_FILE_EXTENSIONS, rdf_format_of
from ..names import escape_string

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_LOC = re.compile(r"line (\d+)(?: between)? columns? (\d+)|line (\d+) column (\d+)")


def rdf_format(path: str | os.PathLike) -> ox.RdfFormat:
    """The RDF syntax of ``path``, from its extension (InputError if unknown)."""
    fmt = rdf_format_of(path)
    if fmt is None:
        suffix = Path(path).suffix.lower()
        raise InputError(
            f"unknown RDF file extension {suffix or '(none)'!r} "
            f"(expected one of {', '.join(sorted(RDF_FILE_EXTENSIONS))})", source=str(path))
    return fmt


def _syntax_error(e: SyntaxError, path: str) -> InputError:
    line, col = getattr(e, "lineno", None), getattr(e, "offset", None)
    msg = str(e.msg if getattr(e, "msg", None) else e)
    msg = re.sub(r"\s*\([^()]*, line \d+\)$", "", msg)
    if line is None:
        m = _LOC.search(msg)
        if m:
            line = int(m.group(1) or m.group(3))
            col = int(m.group(2) or m.group(4))
    return InputError(f"invalid RDF: {msg}", source=path, line=line, column=col)


# XML entity expansion ("billion laughs"): Oxigraph expands internal entities in memory
MAX_ENTITY_EXPANSION = 1 << 20          # characters, one entity fully expanded
MAX_TOTAL_EXPANSION = 64 << 20          # characters, all entity references of a document
_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_ENTITY = re.compile(r"<!ENTITY\s+(%\s+)?([^\s\"']+)\s+(?:(SYSTEM|PUBLIC)\b|\"([^\"]*)\"|'([^']*)')", re.S)
_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")


def check_xml_entities(path: str) -> None:
    """Refuse an RDF/XML file whose entity declarations would expand beyond the limits
    (or that declares external or parameter entities), before the parser sees it."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        if not _DOCTYPE.search(head):
            return
        data = head + fh.read()
    text = data.decode("utf-8", errors="replace")
    start = text.find("<!DOCTYPE")
    end = text.find("]>", start)
    subset = text[start:end if end >= 0 else len(text)]
    line = text.count("\n", 0, start) + 1
    decls: dict[str, str] = {}
    for m in _ENTITY.finditer(subset):
        if m.group(1) or m.group(3):
            kind = "parameter" if m.group(1) else "external"
            raise InputError(f"refused: {kind} XML entity {m.group(2)!r} declared "
                             f"(only internal entities are allowed)", source=path, line=line)
        decls.setdefault(m.group(2), m.group(4) if m.group(4) is not None else m.group(5))
    if not decls:
        return
    sizes: dict[str, int] = {}

    def size(name: str, depth: int = 0) -> int:
        if name in sizes:
            return sizes[name]
        if depth > 16:
            raise InputError(f"refused: XML entity {name!r} nested more than 16 deep", source=path, line=line)
        body = decls[name]
        n = len(_REF.sub("", body))
        for r in _REF.findall(body):
            n += size(r, depth + 1) if r in decls else len(r) + 2
            if n > MAX_ENTITY_EXPANSION:
                break
        if n > MAX_ENTITY_EXPANSION:
            raise InputError(f"refused: XML entity {name!r} expands to more than {MAX_ENTITY_EXPANSION:,} "
                             f"characters (entity expansion limit)", source=path, line=line)
        sizes[name] = n
        return n

    total = 0
    for name in decls:
        size(name)
    for r in _REF.findall(text[end + 2 if end >= 0 else len(text):]):
        if r in decls:
            total += sizes[r]
            if total > MAX_TOTAL_EXPANSION:
                raise InputError(f"refused: XML entity references expand to more than "
                                 f"{MAX_TOTAL_EXPANSION:,} characters (entity expansion limit)",
                                 source=path, line=line)


def _rdf_file(p: str | os.PathLike) -> tuple[str, ox.RdfFormat, str]:
    """(path, syntax, base IRI) of an RDF file; InputError if the extension is unknown or it is missing."""
    path = str(p)
    fmt = rdf_format(path)
    if not os.path.isfile(path):
        raise InputError("no such file", source=path)
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_entities(path)
    return path, fmt, Path(path).resolve().as_uri()


@contextmanager
def _reading(path: str):
    """Syntax and read errors of ``path`` as one-line :class:`InputError` with file:line:col."""
    try:
        yield
    except SyntaxError as e:
        raise _syntax_error(e, path) from None
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read RDF: {e}", source=path) from None


def load_files(paths: Iterable[str | os.PathLike], store: ox.Store | None = None) -> ox.Store:
    """Parse RDF files into an (in-memory by default) Oxigraph store.

    Triple formats go to the default graph, quad formats keep their graphs.
    Missing files and syntax errors raise :class:`InputError` with file:line:col.
    """
    store = store if store is not None else ox.Store()
    for p in paths:
        path, fmt, base = _rdf_file(p)
        with _reading(path):
            store.load(path=path, format=fmt, base_iri=base)
    return store


def parse_to_rdflib(paths: Iterable[str | os.PathLike]) -> Graph:
    """Parse RDF files (checked by Oxigraph for precise errors) into one rdflib Graph."""
    g = Graph()
    with quiet_rdflib():
        for p in paths:
            path, fmt, base = _rdf_file(p)
            with _reading(path), open(path, "rb") as fh:
                for q in ox.parse(fh, format=fmt, base_iri=base):
                    g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


# -- term conversion -------------------------------------------------------

class quiet_rdflib:
    """Silence rdflib's warnings about ill-typed literals (they are reported as results)."""

    def __enter__(self):
        import logging
        import warnings
        self._log = logging.getLogger("rdflib.term")
        self._level = self._log.level
        self._log.setLevel(logging.CRITICAL)
        self._warn = warnings.catch_warnings()
        self._warn.__enter__()
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        self._warn.__exit__(*exc)
        self._log.setLevel(self._level)


def to_rdflib(t):
    """pyoxigraph term -> rdflib term (blank node labels are kept)."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        dt = t.datatype.value
        if dt == XSD_STRING:
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(dt), normalize=False)
    if t is None:
        return None
    raise TypeError(f"unsupported term {t!r}")


def store_to_rdflib(store: ox.Store, graphs: list[str] | None = None) -> Graph:
    """The union of all graphs of ``store`` (or of the named ``graphs``) as one rdflib Graph (for pySHACL)."""
    g = Graph()
    add = g.add
    with quiet_rdflib():
        for gn in ([None] if graphs is None else [ox.NamedNode(x) for x in graphs]):
            for q in store.quads_for_pattern(None, None, None, gn):
                add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


def term_key(t) -> str:
    """A canonical string for a term (rdflib or pyoxigraph), N-Triples-like.

    IRIs are given bare, blank nodes as ``_:label``, literals as
    ``"lex"``, ``"lex"@lang`` or ``"lex"^^<datatype>`` (xsd:string omitted).
    """
    if t is None:
        return None
    if isinstance(t, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        t = to_rdflib(t)
    if isinstance(t, URIRef):
        return str(t)
    if isinstance(t, BNode):
        return "_:" + str(t)
    if isinstance(t, Literal):
        lex = escape_string(str(t))
        if t.language:
            return f'"{lex}"@{t.language.lower()}'
        if t.datatype is not None and str(t.datatype) != XSD_STRING:
            return f'"{lex}"^^<{t.datatype}>'
        return f'"{lex}"'
    return str(t)


def sparql_term(t) -> str:
    """An rdflib IRI or literal written as a SPARQL term (blank nodes cannot be)."""
    if isinstance(t, URIRef):
        s = str(t)
        if re.search(r'[\x00-\x20<>"{}|^`\\]', s):
            raise ValueError(f"IRI not expressible in SPARQL: {s!r}")
        return f"<{s}>"
    if isinstance(t, Literal):
        lex = escape_string(str(t))
        if t.language:
            return f'"{lex}"@{t.language}'
        if t.datatype is not None:
            return f'"{lex}"^^<{t.datatype}>'
        return f'"{lex}"'
    if isinstance(t, (ox.NamedNode, ox.Literal)):
        return str(t)
    raise ValueError(f"term not expressible in SPARQL: {t!r}")
