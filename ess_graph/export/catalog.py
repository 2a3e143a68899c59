"""DCAT catalog (DCAT-AP 3.0.1 / data.gouv.fr harvester) and VoID description.

No wall-clock time is ever written: ``dct:modified`` and ``dct:issued`` are the
latest date found in the data (clipping dates, curation timestamps), the
temporal coverage runs from the earliest to the latest of these dates, and
``dcat:version`` is derived from the content hash of the N-Quads dump. A store
without any date gets no ``issued``/``modified`` rather than an invented one.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .. import __version__, geometry
from ..iris import short_hash, slugify
from ..formats import GRAPH_FORMATS, by_media_type
from ..namespaces import ID, PREFIXES
from ..rdf import literal
from ..stats import LINK_TARGETS, StoreStats
from ..void import describe_dataset
from .rdfbuild import (ADMS, DCAT, DCATAP, DCT, FOAF, GEO, LOCN, SKOS, SPDX, VCARD, VOID,
                       GraphBuilder, date, integer)

ETALAB_LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
IANA = "https://www.iana.org/assignments/media-types/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
EU_LANG = "http://publications.europa.eu/resource/authority/language/"
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"
EU_AVAILABILITY = "http://publications.europa.eu/resource/authority/planned-availability/"
CRS84 = geometry.CRS84 + " "
RDFS_LABEL = PREFIXES["rdfs"] + "label"

THEME_LABELS = {
    "SOCI": ("Population et société", "Population and society"),
    "ECON": ("Économie et finances", "Economy and finance"),
    "REGI": ("Régions et villes", "Regions and cities"),
    "GOVE": ("Gouvernement et secteur public", "Government and public sector"),
}


@dataclass
class ExportMetadata:
    """What the catalog says about the dataset; every field has a sensible default."""

    dataset_id: str = "essgraph"
    title: str = ("essgraph : économie sociale et solidaire et collectivités locales "
                  "(graphe de connaissances)")
    description: str = (
        "Graphe de connaissances RDF construit à partir de revues de presse sur l'économie "
        "sociale et solidaire (ESS) et les collectivités territoriales françaises : acteurs "
        "(coopératives, associations, mutuelles, réseaux, collectivités, élus), territoires "
        "(codes INSEE), politiques, initiatives et relations, chaque fait étant relié au "
        "passage exact de la coupure de presse qui l'établit (PROV-O, Web Annotation). "
        "Diffusé en N-Quads, TriG, Turtle, N-Triples, JSON-LD, tables CSV (CSVW), GeoJSON et GEXF.")
    publisher_name: str = "essgraph contributors"
    publisher_url: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_url: str | None = "https://w3id.org/essgraph/"
    landing_page: str | None = "https://w3id.org/essgraph/"
    sparql_endpoint: str | None = None
    keywords: tuple[str, ...] = (
        "économie sociale et solidaire", "ESS", "collectivités territoriales", "coopératives",
        "associations", "politiques publiques", "territoires", "linked data", "RDF", "SPARQL")
    themes: tuple[str, ...] = ("SOCI", "ECON", "REGI")
    language: str = "FRA"
    licence: str = ETALAB_LICENCE

    def dataset_iri(self) -> str:
        return f"{ID}dataset/{slugify(self.dataset_id)}"

    def publisher_iri(self) -> str:
        return self.publisher_url or f"{ID}agent/publisher/{slugify(self.publisher_name)}"


@dataclass
class FileInfo:
    """A file of the export as the catalog describes it."""

    path: str                 # relative to the export folder, "/" separated
    url: str                  # download URL (absolute, or relative sentinel-based)
    size: int
    sha256: str
    media_type: str           # inner media type (before gzip)
    title: str
    description: str
    file_type: str | None = None        # EU file-type code
    compressed: bool = False
    conforms_to: tuple[str, ...] = ()
    distribution: bool = True           # False: documentation (foaf:page), not data
    extra: dict = field(default_factory=dict)


def version_of(nquads_sha256: str) -> str:
    return f"{__version__}+{nquads_sha256[:12]}"


def build_catalog(meta: ExportMetadata, stats: StoreStats, files: list[FileInfo], *,
                  nquads_sha256: str, base_url: str) -> GraphBuilder:
    """The DCAT catalog: the catalog, its publisher and themes, the dataset and its distributions."""
    g = GraphBuilder()
    ds = meta.dataset_iri()
    cat = f"{ID}catalog"
    _catalog(g, cat, ds, meta, stats.last_date)
    _publisher_licence_themes(g, meta)
    _dataset(g, ds, meta, stats, nquads_sha256)
    _spatial(g, ds, stats.bbox)
    _contact_point(g, ds, meta)
    if meta.sparql_endpoint:
        _sparql_service(g, cat, ds, meta)
    _distributions(g, ds, meta.licence, files, stats.last_date)
    return g


def _catalog(g: GraphBuilder, cat: str, ds: str, meta: ExportMetadata, last: str | None) -> None:
    g.type(cat, DCAT + "Catalog")
    g.add(cat, DCT + "title", literal(f"Catalogue {meta.dataset_id}", lang="fr"))
    g.add(cat, DCT + "description",
          literal(f"Catalogue DCAT du jeu de données {meta.dataset_id} et de ses distributions.", lang="fr"))
    g.add(cat, DCT + "publisher", meta.publisher_iri())
    g.add(cat, DCT + "license", meta.licence)
    g.add(cat, DCT + "language", EU_LANG + meta.language)
    g.add(cat, DCAT + "dataset", ds)
    g.add(cat, DCAT + "themeTaxonomy", EU_THEME[:-1])
    if meta.landing_page:
        g.add(cat, FOAF + "homepage", meta.landing_page)
        g.type(meta.landing_page, FOAF + "Document")
    if last:
        g.add(cat, DCT + "modified", date(last))


def _publisher_licence_themes(g: GraphBuilder, meta: ExportMetadata) -> None:
    """The publisher, the licence and the vocabularies used as objects."""
    pub, lic = meta.publisher_iri(), meta.licence
    g.type(pub, FOAF + "Agent", FOAF + "Organization")
    g.add(pub, FOAF + "name", literal(meta.publisher_name))
    g.type(lic, DCT + "LicenseDocument")
    g.add(lic, DCT + "title", literal("Licence Ouverte / Open Licence version 2.0", lang="fr"))
    g.add(lic, DCT + "identifier", literal("etalab-2.0"))
    g.type(EU_LANG + meta.language, DCT + "LinguisticSystem")
    g.type(EU_THEME[:-1], SKOS + "ConceptScheme")
    g.add(EU_THEME[:-1], DCT + "title", literal("Data theme", lang="en"))
    for code in meta.themes:
        t = EU_THEME + code
        g.type(t, SKOS + "Concept")
        fr, en = THEME_LABELS.get(code, (code, code))
        g.add(t, SKOS + "prefLabel", literal(fr, lang="fr"))
        g.add(t, SKOS + "prefLabel", literal(en, lang="en"))
        g.add(t, SKOS + "inScheme", EU_THEME[:-1])


def _dataset(g: GraphBuilder, ds: str, meta: ExportMetadata, stats: StoreStats, nquads_sha256: str) -> None:
    pub = meta.publisher_iri()
    first, last = stats.first_date, stats.last_date
    g.type(ds, DCAT + "Dataset")
    g.add(ds, DCT + "title", literal(meta.title, lang="fr"))
    g.add(ds, DCT + "description", literal(meta.description, lang="fr"))
    g.add(ds, DCT + "identifier", literal(ds))
    ident = ds + "#identifier"
    g.add(ds, ADMS + "identifier", ident)
    g.type(ident, ADMS + "Identifier")
    g.add(ident, SKOS + "notation", literal(meta.dataset_id))
    g.add(ds, DCT + "publisher", pub)
    g.add(ds, DCT + "creator", pub)
    g.add(ds, DCT + "license", meta.licence)
    g.add(ds, DCT + "language", EU_LANG + meta.language)
    g.add(ds, DCT + "accrualPeriodicity", EU_FREQ + "IRREG")
    g.type(EU_FREQ + "IRREG", DCT + "Frequency")
    g.add(ds, DCAT + "version", literal(version_of(nquads_sha256)))
    for kw in meta.keywords:
        g.add(ds, DCAT + "keyword", literal(kw, lang="fr"))
    for code in meta.themes:
        g.add(ds, DCAT + "theme", EU_THEME + code)
    if meta.landing_page:
        g.add(ds, DCAT + "landingPage", meta.landing_page)
    if last:
        g.add(ds, DCT + "issued", date(last))
        g.add(ds, DCT + "modified", date(last))
    if first and last:
        per = ds + "#temporal"
        g.add(ds, DCT + "temporal", per)
        g.type(per, DCT + "PeriodOfTime")
        g.add(per, DCAT + "startDate", date(first))
        g.add(per, DCAT + "endDate", date(last))


def _spatial(g: GraphBuilder, ds: str, bbox: tuple[float, float, float, float] | None) -> None:
    """Spatial coverage: France, plus the bounding box of the territories the clippings cover."""
    fra = EU_COUNTRY + "FRA"
    g.add(ds, DCT + "spatial", fra)
    g.type(fra, DCT + "Location")
    g.add(fra, SKOS + "prefLabel", literal("France", lang="fr"))
    if not bbox:
        return
    x0, y0, x1, y1 = (round(v, 6) for v in bbox)
    loc = ds + "#spatial"
    g.add(ds, DCT + "spatial", loc)
    g.type(loc, DCT + "Location")
    poly = f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"
    g.add(loc, DCAT + "bbox", literal(CRS84 + poly, GEO + "wktLiteral"))
    g.add(loc, DCAT + "centroid",
          literal(f"{CRS84}POINT({round((x0 + x1) / 2, 6)} {round((y0 + y1) / 2, 6)})", GEO + "wktLiteral"))
    geom = ds + "#geometry"
    g.add(loc, LOCN + "geometry", geom)
    g.type(geom, LOCN + "Geometry")
    g.add(geom, GEO + "asWKT", literal(CRS84 + poly, GEO + "wktLiteral"))


def _contact_point(g: GraphBuilder, ds: str, meta: ExportMetadata) -> None:
    cp = ds + "#contact"
    g.add(ds, DCAT + "contactPoint", cp)
    g.type(cp, VCARD + "Kind", VCARD + "Organization")
    g.add(cp, VCARD + "fn", literal(meta.contact_name or meta.publisher_name))
    if meta.contact_email:
        g.add(cp, VCARD + "hasEmail", "mailto:" + meta.contact_email)
    if meta.contact_url:
        g.add(cp, VCARD + "hasURL", meta.contact_url)


def _sparql_service(g: GraphBuilder, cat: str, ds: str, meta: ExportMetadata) -> None:
    """The SPARQL endpoint as a data service."""
    svc = ds + "#sparql"
    g.add(cat, DCAT + "service", svc)
    g.type(svc, DCAT + "DataService")
    g.add(svc, DCT + "title", literal(f"Point d'accès SPARQL {meta.dataset_id}", lang="fr"))
    g.add(svc, DCAT + "endpointURL", meta.sparql_endpoint)
    # DCAT-AP 3.0.1 ranges.ttl asks for an explicit rdfs:Resource type here
    g.type(meta.sparql_endpoint, PREFIXES["rdfs"] + "Resource")
    g.add(svc, DCAT + "servesDataset", ds)
    g.add(svc, DCT + "conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
    g.type("https://www.w3.org/TR/sparql11-protocol/", DCT + "Standard")
    g.add(svc, DCT + "license", meta.licence)


def _distributions(g: GraphBuilder, ds: str, lic: str, files: list[FileInfo], last: str | None) -> None:
    """A distribution per data file, a ``foaf:page`` per documentation file."""
    for f in files:
        if not f.distribution:
            g.add(ds, FOAF + "page", f.url)
            g.type(f.url, FOAF + "Document")
            g.add(f.url, DCT + "title", literal(f.title, lang="fr"))
        else:
            _distribution(g, ds, lic, f, last)
    g.type(SPDX + "checksumAlgorithm_sha256", SPDX + "ChecksumAlgorithm")
    g.type(EU_AVAILABILITY + "STABLE", SKOS + "Concept")
    g.add(EU_AVAILABILITY + "STABLE", SKOS + "prefLabel", literal("stable", lang="en"))


def _distribution(g: GraphBuilder, ds: str, lic: str, f: FileInfo, last: str | None) -> None:
    d = f"{ds}/distribution/{slugify(f.path)}"
    g.add(ds, DCAT + "distribution", d)
    g.type(d, DCAT + "Distribution")
    g.add(d, DCT + "title", literal(f.title, lang="fr"))
    g.add(d, DCT + "description", literal(f.description, lang="fr"))
    g.add(d, DCT + "identifier", literal(d))
    g.add(d, DCAT + "downloadURL", f.url)
    g.add(d, DCAT + "accessURL", f.url)
    mt = IANA + f.media_type
    g.add(d, DCAT + "mediaType", mt)
    g.type(mt, DCT + "MediaType")
    if f.file_type:
        ft = EU_FILE_TYPE + f.file_type
        g.add(d, DCT + "format", ft)
        g.type(ft, DCT + "MediaTypeOrExtent")
    if f.compressed:
        g.add(d, DCAT + "compressFormat", IANA + "application/gzip")
        g.type(IANA + "application/gzip", DCT + "MediaType")
    g.add(d, DCAT + "byteSize", integer(f.size, "nonNegativeInteger"))
    ck = d + "#checksum"
    g.add(d, SPDX + "checksum", ck)
    g.type(ck, SPDX + "Checksum")
    g.add(ck, SPDX + "algorithm", SPDX + "checksumAlgorithm_sha256")
    g.add(ck, SPDX + "checksumValue", literal(f.sha256, "http://www.w3.org/2001/XMLSchema#hexBinary"))
    g.add(d, DCT + "license", lic)
    g.add(d, DCATAP + "availability", EU_AVAILABILITY + "STABLE")
    for std in f.conforms_to:
        g.add(d, DCT + "conformsTo", std)
        g.type(std, DCT + "Standard")
    if last:
        g.add(d, DCT + "issued", date(last))
        g.add(d, DCT + "modified", date(last))


# ---------------------------------------------------------------- VoID
EXTERNAL_DATASETS = {
    "insee": ("Code officiel géographique (INSEE, linked data)", "https://rdf.insee.fr/",
              "https://rdf.insee.fr/sparql"),
    "wikidata": ("Wikidata", "https://www.wikidata.org/", "https://query.wikidata.org/sparql"),
}


def build_void(meta: ExportMetadata, stats: StoreStats, dumps: list[FileInfo]) -> GraphBuilder:
    """The export's VoID: the store's figures, its dumps, subsets and link sets."""
    g = GraphBuilder()
    ds = meta.dataset_iri()
    describe_dataset(g, ds, triples=stats.quads, distinct_subjects=stats.distinct_subjects,
                     classes=stats.classes, properties=stats.properties,
                     partition_iri=lambda kind, _i, iri: f"{ds}/void/{kind}/{short_hash(iri)}")
    g.add(ds, DCT + "title", literal(meta.title, lang="fr"))
    g.add(ds, DCT + "license", meta.licence)
    g.add(ds, DCT + "publisher", meta.publisher_iri())
    if stats.last_date:
        g.add(ds, DCT + "modified", date(stats.last_date))
    g.add(ds, VOID + "uriSpace", literal(ID))
    g.add(ds, VOID + "entities", stats.entities)
    g.add(ds, VOID + "distinctObjects", stats.distinct_objects)
    g.add(ds, RDFS_LABEL, literal(f"{stats.triples} distinct triples in the union of all graphs; "
                                  f"{stats.quads} quads; {stats.clipping_count} clipping graphs", lang="en"))
    if meta.sparql_endpoint:
        g.add(ds, VOID + "sparqlEndpoint", meta.sparql_endpoint)
    for f in dumps:
        g.add(ds, VOID + "dataDump", f.url)
        fmt = by_media_type(f.media_type, GRAPH_FORMATS)
        if fmt is not None:
            g.add(ds, VOID + "feature", fmt.iri)
    _void_subsets(g, ds, stats)
    _void_linksets(g, ds, stats)
    return g


def _void_subsets(g: GraphBuilder, ds: str, stats: StoreStats) -> None:
    """The clipping graphs together, and each other graph on its own."""
    clip_prefix = ID + "clipping/"
    clip_triples = sum(n for gname, n in stats.graph_sizes.items() if gname.startswith(clip_prefix))
    if clip_triples:
        sub = f"{ds}/void/subset/clippings"
        g.add(ds, VOID + "subset", sub)
        g.type(sub, VOID + "Dataset")
        g.add(sub, DCT + "title", literal(f"{stats.clipping_count} clipping graphs (one named graph per clipping)", lang="en"))
        g.add(sub, VOID + "triples", clip_triples)
    for gname, n in sorted(stats.graph_sizes.items()):
        if gname.startswith(clip_prefix) or n == 0:
            continue
        key = "default" if gname == "" else short_hash(gname)
        sub = f"{ds}/void/subset/{key}"
        g.add(ds, VOID + "subset", sub)
        g.type(sub, VOID + "Dataset")
        g.add(sub, DCT + "title", literal("default graph" if gname == "" else f"named graph <{gname}>", lang="en"))
        if gname:
            g.add(sub, "http://www.w3.org/ns/sparql-service-description#name", gname)
        g.add(sub, VOID + "triples", n)


def _void_linksets(g: GraphBuilder, ds: str, stats: StoreStats) -> None:
    """Link sets to INSEE and Wikidata, one per predicate, and the external datasets they point to."""
    targets_used = set()
    for (target, pred), n in sorted(stats.linksets.items()):
        targets_used.add(target)
        ext = f"{ID}dataset/external/{target}"
        ls = f"{ds}/void/linkset/{target}-{short_hash(pred, length=8)}"
        g.add(ds, VOID + "subset", ls)
        g.type(ls, VOID + "Linkset")
        g.add(ls, VOID + "linkPredicate", pred)
        g.add(ls, VOID + "subjectsTarget", ds)
        g.add(ls, VOID + "objectsTarget", ext)
        g.add(ls, VOID + "triples", n)
    for target in sorted(targets_used):
        ext = f"{ID}dataset/external/{target}"
        title, home, sparql = EXTERNAL_DATASETS[target]
        g.type(ext, VOID + "Dataset")
        g.add(ext, DCT + "title", literal(title))
        g.add(ext, FOAF + "homepage", home)
        g.add(ext, VOID + "uriSpace", literal(LINK_TARGETS[target]))
        g.add(ext, VOID + "sparqlEndpoint", sparql)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
