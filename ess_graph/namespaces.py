"""Namespaces used by essgraph, and the prefixes handed to every SPARQL query.

The ontology namespace and the resource namespace are essgraph's own; everything
else is an established vocabulary that essgraph reuses (see docs/ontology.md).
"""
from __future__ import annotations

BASE = "https://w3id.org/essgraph/"
ESS = BASE + "ontology#"          # ontology terms (classes, properties)
ID = BASE + "id/"                 # resources minted by essgraph
CONCEPT = BASE + "concept/"       # SKOS concept schemes (kinds, roles, themes)

PREFIXES: dict[str, str] = {
    "ess": ESS,
    "essr": ID,
    "esc": CONCEPT,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "person": "http://www.w3.org/ns/person#",
    "rov": "http://www.w3.org/ns/regorg#",
    "m8g": "http://data.europa.eu/m8g/",
    "igeo": "http://rdf.insee.fr/def/geo#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "geof": "http://www.opengis.net/def/function/geosparql/",
    "sf": "http://www.opengis.net/ont/sf#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "oa": "http://www.w3.org/ns/oa#",
    "schema": "http://schema.org/",
    "essglobal": "http://purl.org/essglobal/vocab/",
    "sh": "http://www.w3.org/ns/shacl#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
}

# One prefix per family of essgraph IRIs, so that an IRI printed anywhere is a valid SPARQL
# prefixed name: commune:05065, epci:200067452, role:maire, clipping:seed-000.  ``org`` and
# ``person`` already name W3C vocabularies, hence ``essorg:`` and ``essperson:``.  A local part
# that still holds a "/" (post:authority\/commune\/75056\/maire) is escaped by ess_graph.curie.
IRI_FAMILIES: dict[str, str] = {
    "commune": ID + "territory/commune/",
    "epci": ID + "territory/epci/",
    "departement": ID + "territory/departement/",
    "region": ID + "territory/region/",
    "country": ID + "territory/country/",
    "syndicate": ID + "territory/syndicate/",
    "intercommunality": ID + "territory/intercommunality/",
    "place": ID + "place/",
    "unresolved": ID + "place/unresolved/",
    "authority": ID + "authority/",
    "essorg": ID + "org/",
    "essperson": ID + "person/",
    "policy": ID + "policy/",
    "initiative": ID + "initiative/",
    "event": ID + "event/",
    "clipping": ID + "clipping/",
    "collection": ID + "collection/",
    "post": ID + "post/",
    "membership": ID + "membership/",
    "fact": ID + "fact/",
    "annotation": ID + "annotation/",
    "role": CONCEPT + "role/",
    "theme": CONCEPT + "theme/",
    "org-kind": CONCEPT + "org-kind/",
    "commune-kind": CONCEPT + "commune-kind/",
    "epci-kind": CONCEPT + "epci-kind/",
    "tenure": CONCEPT + "tenure/",
    "selection-kind": CONCEPT + "selection-kind/",
}
PREFIXES.update(IRI_FAMILIES)


def sparql_prefix_block(names: list[str] | None = None) -> str:
    """PREFIX declarations for the given prefix names (all by default)."""
    items = PREFIXES.items() if names is None else ((n, PREFIXES[n]) for n in names)
    return "".join(f"PREFIX {n}: <{iri}>\n" for n, iri in items)


class _NS:
    """A namespace whose attributes are IRIs: ``ESSV.Cooperative``, ``DCTERMS.title``.

    Not a ``str`` subclass on purpose: ``DCTERMS.title`` must be the IRI, not
    the string method.
    """

    __slots__ = ("base",)

    def __init__(self, base: str):
        self.base = base

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.base + name

    def __getitem__(self, name: str) -> str:
        return self.base + name

    def __str__(self) -> str:
        return self.base

    def __repr__(self) -> str:
        return f"_NS({self.base!r})"


RDF = _NS(PREFIXES["rdf"])
RDFS = _NS(PREFIXES["rdfs"])
OWL = _NS(PREFIXES["owl"])
XSD = _NS(PREFIXES["xsd"])
SKOS = _NS(PREFIXES["skos"])
DCTERMS = _NS(PREFIXES["dcterms"])
FOAF = _NS(PREFIXES["foaf"])
ORG = _NS(PREFIXES["org"])
PERSON = _NS(PREFIXES["person"])
M8G = _NS(PREFIXES["m8g"])
IGEO = _NS(PREFIXES["igeo"])
GEO = _NS(PREFIXES["geo"])
SF = _NS(PREFIXES["sf"])
PROV = _NS(PREFIXES["prov"])
TIME = _NS(PREFIXES["time"])
OA = _NS(PREFIXES["oa"])
SCHEMA = _NS(PREFIXES["schema"])
SH = _NS(PREFIXES["sh"])
DCAT = _NS(PREFIXES["dcat"])
VOID = _NS(PREFIXES["void"])
ESSV = _NS(ESS)
