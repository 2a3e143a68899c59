"""A tiny helper to build the metadata graphs (DCAT, VoID) as pyoxigraph triples."""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import PREFIXES

XSD = PREFIXES["xsd"]
RDF_TYPE = PREFIXES["rdf"] + "type"

# written where a download URL is relative to the export folder (no --base-url);
# removed from the serialised text so that the IRIs stay relative and resolve
# against wherever the catalog file is published.
RELATIVE_SENTINEL = "https://relative.essgraph.invalid/export/"

META_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "dcatap": "http://data.europa.eu/r5r/",
    "adms": "http://www.w3.org/ns/adms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "void": "http://rdfs.org/ns/void#",
    "xsd": XSD,
    "rdfs": PREFIXES["rdfs"],
    "locn": "http://www.w3.org/ns/locn#",
    "geo": PREFIXES["geo"],
    "owl": PREFIXES["owl"],
    "prov": PREFIXES["prov"],
    "ess": PREFIXES["ess"],
    "org": PREFIXES["org"],
    "person": PREFIXES["person"],
    "igeo": PREFIXES["igeo"],
    "oa": PREFIXES["oa"],
    "schema": PREFIXES["schema"],
    "m8g": PREFIXES["m8g"],
}
DCAT = META_PREFIXES["dcat"]
DCT = META_PREFIXES["dcterms"]
FOAF = META_PREFIXES["foaf"]
VCARD = META_PREFIXES["vcard"]
SPDX = META_PREFIXES["spdx"]
DCATAP = META_PREFIXES["dcatap"]
ADMS = META_PREFIXES["adms"]
SKOS = META_PREFIXES["skos"]
VOID = META_PREFIXES["void"]
LOCN = META_PREFIXES["locn"]
GEO = META_PREFIXES["geo"]


class Lit:
    """A literal waiting to become an :class:`ox.Literal`."""

    __slots__ = ("value", "datatype", "lang")

    def __init__(self, value, datatype: str | None = None, lang: str | None = None):
        self.value = str(value)
        self.datatype = datatype
        self.lang = lang

    def term(self) -> ox.Literal:
        if self.lang:
            return ox.Literal(self.value, language=self.lang)
        if self.datatype:
            return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype))
        return ox.Literal(self.value)


def date(v: str) -> Lit:
    return Lit(v, XSD + "date")


def integer(v: int, datatype: str = "integer") -> Lit:
    return Lit(int(v), XSD + datatype)


class GraphBuilder:
    """Collects triples; IRIs are plain ``str``, literals :class:`Lit` (or str for plain)."""

    def __init__(self) -> None:
        self.triples: set[ox.Triple] = set()

    def add(self, s: str, p: str, o) -> None:
        if o is None:
            return
        if isinstance(o, Lit):
            obj = o.term()
        elif isinstance(o, str):
            obj = ox.NamedNode(o)
        elif isinstance(o, (int, bool)):
            obj = integer(o).term() if not isinstance(o, bool) else ox.Literal(o)
        else:
            raise TypeError(f"unsupported object {o!r}")
        self.triples.add(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), obj))

    def type(self, s: str, *classes: str) -> None:
        for c in classes:
            self.add(s, RDF_TYPE, c)

    def sorted_triples(self) -> list[ox.Triple]:
        return sorted(self.triples, key=str)

    def serialize(self, fmt: ox.RdfFormat) -> bytes:
        data = ox.serialize(self.sorted_triples(), format=fmt, prefixes=META_PREFIXES)
        return data.replace(RELATIVE_SENTINEL.encode(), b"")
