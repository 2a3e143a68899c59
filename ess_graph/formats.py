"""The one registry of RDF and query-result formats.

Every format is one of pyoxigraph's :class:`~pyoxigraph.RdfFormat` or
:class:`~pyoxigraph.QueryResultsFormat` values, which already carry the media
type, the file extension and the W3C format IRI; this module only adds
essgraph's short names (``--format csv``, ``?format=ttl``), the other media
types a client may send, and the other file extensions read. The CLI choices
(``essgraph query --format``), the server's content negotiation
(:mod:`ess_graph.serve.formats`), the result writer (:mod:`ess_graph.results`)
and the RDF file readers (:mod:`ess_graph.validate.rdfio`) all read it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """A named format: its pyoxigraph value and the other spellings essgraph accepts."""

    name: str                                   # short name used by --format and ?format=
    ox: ox.RdfFormat | ox.QueryResultsFormat
    names: tuple[str, ...] = ()                 # other short names
    aliases: tuple[str, ...] = ()               # other media types accepted in Accept / Content-Type
    extensions: tuple[str, ...] = field(default=(), compare=False)  # other file extensions read
    text: bool = True

    @property
    def media_type(self) -> str:
        """The canonical media type (without parameters)."""
        return self.ox.media_type.split(";")[0].strip()

    @property
    def extension(self) -> str:
        """The canonical file extension, without the dot."""
        return self.ox.file_extension

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value sent with this format."""
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type

    @property
    def iri(self) -> str:
        """The format's IRI in the W3C formats namespace (``http://www.w3.org/ns/formats/…``)."""
        return FORMATS_NS + self.ox.iri.rsplit("/", 1)[1]


def _table(*formats: Format) -> dict[str, Format]:
    return {f.name: f for f in formats}


# SELECT / ASK results, in the server's order of preference (JSON is the default).
RESULT_FORMATS: dict[str, Format] = _table(
    Format("json", ox.QueryResultsFormat.JSON, ("srj",), ("application/json",)),
    Format("xml", ox.QueryResultsFormat.XML, ("srx",), ("application/xml", "text/xml")),
    Format("csv", ox.QueryResultsFormat.CSV, (), ("text/plain",)),
    Format("tsv", ox.QueryResultsFormat.TSV),
)

# Graphs (CONSTRUCT, DESCRIBE, resource descriptions, files), Turtle first.
GRAPH_FORMATS: dict[str, Format] = _table(
    Format("turtle", ox.RdfFormat.TURTLE, ("ttl",), ("application/x-turtle",), ("turtle",)),
    Format("ntriples", ox.RdfFormat.N_TRIPLES, ("nt",), ("text/plain",), ("ntriples",)),
    Format("jsonld", ox.RdfFormat.JSON_LD, ("json-ld", "json"), ("application/json", "application/x-json+ld"),
           ("json",)),
    Format("rdfxml", ox.RdfFormat.RDF_XML, ("rdf", "xml", "owl"), ("application/xml", "text/xml"),
           ("owl", "xml")),
    Format("nquads", ox.RdfFormat.N_QUADS, ("nq",), (), ("nquads",)),
    Format("trig", ox.RdfFormat.TRIG),
    Format("n3", ox.RdfFormat.N3),
)

# Graph formats that hold several named graphs (whole-dataset downloads).
DATASET_FORMATS: tuple[str, ...] = ("nquads", "trig")

# Graph formats pyoxigraph can write (N3 is read only).
WRITABLE_GRAPH_FORMATS: tuple[str, ...] = tuple(n for n in GRAPH_FORMATS if n != "n3")

# `essgraph query --format`: a table for people, then every result and graph format.
QUERY_OUTPUT_FORMATS: tuple[str, ...] = ("table", *RESULT_FORMATS, *WRITABLE_GRAPH_FORMATS)

# Extensions that also name non-RDF files: read when a file is named, skipped when a
# directory is scanned for RDF files.
GENERIC_EXTENSIONS = frozenset({".json", ".xml"})


def _file_extensions() -> dict[str, ox.RdfFormat]:
    out: dict[str, ox.RdfFormat] = {}
    for f in GRAPH_FORMATS.values():
        for ext in (f.extension, *f.extensions):
            out.setdefault("." + ext, f.ox)
    return out


# file extension (".ttl") -> RDF syntax, for the file readers
RDF_FILE_EXTENSIONS: dict[str, ox.RdfFormat] = _file_extensions()


def rdf_format_of(path: str | os.PathLike) -> ox.RdfFormat | None:
    """The RDF syntax of a file from its extension (case-insensitive), or None."""
    return RDF_FILE_EXTENSIONS.get(Path(path).suffix.lower())


def by_name(name: str) -> Format:
    """The result or graph format called ``name`` (KeyError if none)."""
    return RESULT_FORMATS.get(name) or GRAPH_FORMATS[name]


def by_media_type(media_type: str, table: dict[str, Format] | None = None) -> Format | None:
    """The format of ``table`` (result and graph formats by default) whose canonical media
    type is ``media_type`` (parameters ignored), or None."""
    mt = media_type.split(";")[0].strip().lower()
    for f in (table.values() if table is not None else (*RESULT_FORMATS.values(), *GRAPH_FORMATS.values())):
        if f.media_type == mt:
            return f
    return None
