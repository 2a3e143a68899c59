"""Namespaces, literals and the triple collector of the metadata graphs (DCAT, VoID)."""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..rdf import Triples, literal

XSD = PREFIXES["xsd"]

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


def date(v: str) -> ox.Literal:
    return literal(v, XSD + "date")


def integer(v: int, datatype: str = "integer") -> ox.Literal:
    return literal(int(v), XSD + datatype)


class GraphBuilder(Triples):
    """The catalog's or VoID's triples, written sorted with the metadata prefixes."""

    def serialize(self, fmt: ox.RdfFormat) -> bytes:
        data = ox.serialize(self.sorted(), format=fmt, prefixes=META_PREFIXES)
        return data.replace(RELATIVE_SENTINEL.encode(), b"")
