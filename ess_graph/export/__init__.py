"""Export the store for open-data portals and researchers; push it to a remote store.

>>> from ess_graph.store import GraphStore
>>> from ess_graph.export import export_all
>>> manifest = export_all(GraphStore("essgraph-store", read_only=True), "export",
...                       base_url="https://data.example.org/essgraph/")

Files written (see docs/export.md): RDF dumps (N-Quads, TriG, JSON-LD with named
graphs; Turtle and N-Triples of the union of graphs; all gzip), a DCAT catalog
(Turtle, JSON-LD), a VoID description, CSV tables with CSVW metadata, GeoJSON,
GEXF, the ontology documentation and a ``SHA256SUMS`` file. Re-running the
export on an unchanged store gives byte-identical files.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .. import ontology_docs
from ..errors import InputError, StoreError
from ..resources import ontology_dir
from ..stats import compute_stats
from ..store import GraphStore
from .catalog import ExportMetadata, FileInfo, build_catalog, build_void, sha256_file, version_of
from .dumps import CONTEXT_FILE, DUMPS, canonical_dump, public_source_path, write_bytes, write_dumps
from .network import geojson, gexf
from .rdfbuild import RELATIVE_SENTINEL
from .tables import CSVW_FILE, TABLES, csvw_metadata, render_csv, table_rows
from .views import read_views

__all__ = ["export_all", "ExportManifest", "ExportedFile", "ExportMetadata", "push", "PushReport"]

CATALOG_TTL = "catalog.ttl"
CATALOG_JSONLD = "catalog.jsonld"
VOID_TTL = "void.ttl"
SUMS = "SHA256SUMS"
GEOJSON = "territories.geojson"
GEXF = "actor-territory.gexf"
ONTOLOGY_HTML = "ontology/index.html"


@dataclass
class ExportedFile:
    path: str          # relative to the export folder, "/" separated
    size: int
    sha256: str
    media_type: str
    title: str
    triples: int | None = None   # RDF dumps: statements it holds


@dataclass
class ExportManifest:
    out_dir: Path
    files: list[ExportedFile]
    quads: int
    triples: int
    version: str
    notes: list[str] = field(default_factory=list)

    def file(self, path: str) -> ExportedFile:
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(path)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        return d


def _check_base_url(base_url: str | None) -> str | None:
    if base_url is None:
        return None
    if not (base_url.startswith("http://") or base_url.startswith("https://")):
        raise InputError(f"--base-url must be an http(s) URL, got {base_url!r}")
    return base_url if base_url.endswith("/") else base_url + "/"


def _ontology_docs() -> tuple[bytes | None, str | None]:
    """HTML documentation of the ontology, or a note saying why it is missing."""
    try:
        html = ontology_docs.render_html()
    except Exception as e:  # an ontology problem must not lose the data export
        return None, f"ontology documentation not included: render_html() failed: {e}"
    return html.encode("utf-8"), None


def _ontology_files() -> list[tuple[Path, str]]:
    """Ontology Turtle files with their path relative to the ontology folder."""
    d = ontology_dir()
    if not d.is_dir():
        return []
    return sorted(((p, p.relative_to(d).as_posix()) for p in d.rglob("*.ttl") if p.is_file()),
                  key=lambda t: t[1])


def _make_folder(out_dir) -> Path:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("the export target exists and is not a directory", source=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the export folder: {e.strerror}", source=str(out)) from None
    return out


class _Export:
    """One export run: the folder, the URL the files are published under, the files written."""

    def __init__(self, out: Path, url_base: str, meta: ExportMetadata):
        self.out, self.url_base, self.meta = out, url_base, meta
        self.infos: list[FileInfo] = []
        self.notes: list[str] = []

    def add(self, path: str, media: str, title: str, description: str, **kw) -> FileInfo:
        """Record the file ``path`` (already written) for the catalog."""
        p = self.out / path
        fi = FileInfo(path=path, url=self.url_base + path, size=p.stat().st_size, sha256=sha256_file(p),
                      media_type=media, title=title, description=description, **kw)
        self.infos.append(fi)
        return fi

    def write(self, path: str, data: bytes, media: str, title: str, description: str, **kw) -> FileInfo:
        (self.out / path).parent.mkdir(parents=True, exist_ok=True)
        write_bytes(self.out / path, data)
        return self.add(path, media, title, description, **kw)

    def dumps(self, canon) -> list[FileInfo]:
        """The RDF dumps, and the JSON-LD context the JSON-LD dump is compacted with."""
        write_dumps(canon, self.out)
        infos = [self.add(spec.name, spec.media_type, spec.title, spec.description,
                          file_type=spec.file_type, compressed=True,
                          extra={"triples": canon.triple_count if spec.union else canon.quad_count})
                 for spec in DUMPS]
        self.add(CONTEXT_FILE, "application/ld+json", "JSON-LD context",
                 "One term per class and property of the essgraph ontology, and the vocabularies' "
                 "prefixes; essgraph.jsonld.gz is compacted with it.", file_type="JSON_LD",
                 distribution=False)
        return infos

    def tables(self, store: GraphStore, *, publish_paths: bool = False) -> None:
        """CSV tables with their CSVW schema, GeoJSON and GEXF, all from the same views
        (source paths reduced to what may be published unless ``publish_paths``)."""
        views = read_views(store)
        if not publish_paths:
            for c in views.clippings.values():
                c.source_file = public_source_path(c.source_file)
        rows = table_rows(views)
        for t in TABLES:
            self.write(t.file, render_csv(t, rows[t.file]), "text/csv", f"Table CSV : {t.title}",
                       t.description, file_type="CSV", conforms_to=("https://www.rfc-editor.org/rfc/rfc4180",))
        self.write(CSVW_FILE, csvw_metadata(self.meta.licence, self.meta.title), "csvm+json",
                   "Schéma des tables CSV (CSVW)",
                   "Métadonnées CSV on the Web : colonnes, types, clés des tables CSV.", file_type="JSON",
                   conforms_to=("http://www.w3.org/ns/csvw",))
        self.write(GEOJSON, geojson(views), "application/geo+json", "Territoires, acteurs et initiatives (GeoJSON)",
                   "Territoires cités, avec leurs acteurs et initiatives ; géométrie = centroïde "
                   "(ou contour simplifié quand il est connu).", file_type="GEOJSON",
                   conforms_to=("https://www.rfc-editor.org/rfc/rfc7946",))
        self.write(GEXF, gexf(views), "application/xml", "Réseau acteurs–territoires (GEXF, Gephi)",
                   "Acteurs, territoires et initiatives reliés par les relations affirmées ; "
                   "poids = nombre de graphes qui affirment la relation.", file_type="XML",
                   conforms_to=("http://gexf.net/1.3",))

    def ontology(self) -> None:
        """The ontology's HTML documentation (or a note why not) and its Turtle files."""
        html, note = _ontology_docs()
        if html is not None:
            self.write(ONTOLOGY_HTML, html, "text/html", "Documentation de l'ontologie essgraph",
                       "Classes et propriétés de l'ontologie essgraph (HTML).", file_type="HTML",
                       distribution=False)
        else:
            self.notes.append(note)
        for src, name in _ontology_files():
            self.write("ontology/" + name, src.read_bytes(), "text/turtle", f"Ontologie essgraph : {name}",
                       "Fichier de l'ontologie essgraph (Turtle).", file_type="RDF_TURTLE",
                       conforms_to=("http://www.w3.org/2002/07/owl",))

    def metadata(self, stats, dump_infos: list[FileInfo], nquads_sha: str, base: str | None) -> None:
        """VoID, then the DCAT catalog describing every file written before it."""
        self.write(VOID_TTL, build_void(self.meta, stats, dump_infos).serialize(ox.RdfFormat.TURTLE),
                   "text/turtle", "Description VoID et statistiques",
                   "Nombre de triplets, d'entités, partitions par classe et par propriété, "
                   "jeux de liens vers l'INSEE et Wikidata.", file_type="RDF_TURTLE",
                   conforms_to=("http://rdfs.org/ns/void#",))
        cat = build_catalog(self.meta, stats, self.infos, nquads_sha256=nquads_sha, base_url=base or "")
        write_bytes(self.out / CATALOG_TTL, cat.serialize(ox.RdfFormat.TURTLE))
        jsonld = json.loads(cat.serialize(ox.RdfFormat.JSON_LD))
        write_bytes(self.out / CATALOG_JSONLD,
                    (json.dumps(jsonld, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))

    def checksums(self) -> list[ExportedFile]:
        """Every file with its checksum, also written as SHA256SUMS (``sha256sum -c SHA256SUMS``)."""
        files = [ExportedFile(fi.path, fi.size, fi.sha256, fi.media_type, fi.title, fi.extra.get("triples"))
                 for fi in self.infos]
        for path, media, title in ((CATALOG_TTL, "text/turtle", "DCAT catalog (Turtle)"),
                                   (CATALOG_JSONLD, "application/ld+json", "DCAT catalog (JSON-LD)")):
            p = self.out / path
            files.append(ExportedFile(path, p.stat().st_size, sha256_file(p), media, title))
        files.sort(key=lambda f: f.path)
        write_bytes(self.out / SUMS, "".join(f"{f.sha256}  {f.path}\n" for f in files).encode("utf-8"))
        return files


def export_all(store: GraphStore, out_dir, *, base_url: str | None = None,
               metadata: ExportMetadata | None = None, publish_paths: bool = False) -> ExportManifest:
    """Write every export file into ``out_dir`` and return the list of files.

    ``publish_paths``: keep absolute local paths of ``ess:sourceFile`` in the dumps and
    clippings.csv (by default such a path is reduced to the file's name).

    ``base_url``: where the folder will be published (download URLs in the
    catalog). Without it the catalog uses URLs relative to the catalog file.
    """
    meta = metadata or ExportMetadata()
    base = _check_base_url(base_url)
    run = _Export(_make_folder(out_dir), base or RELATIVE_SENTINEL, meta)
    canon = canonical_dump(store, publish_paths=publish_paths)
    dump_infos = run.dumps(canon)
    nquads_sha = hashlib.sha256(canon.nquads).hexdigest()
    run.tables(store, publish_paths=publish_paths)
    run.ontology()
    stats = compute_stats(store, canon.quad_count, canon.triple_count, canon.graph_sizes)
    run.metadata(stats, dump_infos, nquads_sha, base)
    files = run.checksums()
    return ExportManifest(run.out, files, canon.quad_count, canon.triple_count, version_of(nquads_sha),
                          run.notes)


def __getattr__(name):  # push lives in its own module (imports httpx)
    if name in ("push", "PushReport"):
        from . import gsp
        return getattr(gsp, name)
    raise AttributeError(name)
