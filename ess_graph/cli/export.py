"""``essgraph export``: dumps, DCAT/VoID, CSV, GeoJSON, GEXF and ontology docs into a folder."""
from __future__ import annotations

import json

import click

from . import store_option


@click.command(help="Write dumps, DCAT/VoID, CSV, GeoJSON and GEXF for open-data portals.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder to write into (created if missing; files of a previous export are replaced).")
@click.option("--base-url", default=None,
              help="URL where the folder will be published; download URLs in the catalog are "
                   "absolute under it. Without it they are relative to the catalog file.")
@store_option
@click.option("--publisher", default=None, help="Publisher name written in the DCAT catalog.")
@click.option("--publisher-url", default=None, help="Publisher IRI/URL (foaf:Agent).")
@click.option("--contact-email", default=None, help="Contact point e-mail (vcard:hasEmail).")
@click.option("--sparql-endpoint", default=None,
              help="Public SPARQL endpoint serving this data (dcat:DataService, void:sparqlEndpoint).")
@click.option("--publish-paths", is_flag=True,
              help="Keep absolute local paths of ess:sourceFile in the dumps and clippings.csv "
                   "(by default such a path is written as the file's name).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def command(out, base_url, store, publisher, publisher_url, contact_email, sparql_endpoint, publish_paths,
            as_json):
    from ..export import ExportMetadata, export_all
    from ..store import GraphStore

    meta = ExportMetadata()
    if publisher:
        meta.publisher_name = publisher
    if publisher_url:
        meta.publisher_url = publisher_url
    if contact_email:
        meta.contact_email = contact_email
    if sparql_endpoint:
        meta.sparql_endpoint = sparql_endpoint
    gs = GraphStore(store, read_only=True)
    try:
        manifest = export_all(gs, out, base_url=base_url, metadata=meta, publish_paths=publish_paths)
    finally:
        gs.close()
    if as_json:
        click.echo(json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"exported {manifest.quads} quads ({manifest.triples} distinct triples), "
               f"version {manifest.version}, to {manifest.out_dir}")
    width = max(len(f.path) for f in manifest.files)
    for f in manifest.files:
        click.echo(f"  {f.path:<{width}}  {f.size:>12,d} B  sha256 {f.sha256[:16]}…")
    for note in manifest.notes:
        click.echo(f"note: {note}")
