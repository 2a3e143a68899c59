"""``essgraph remove``: delete clippings and the facts only they supported."""
from __future__ import annotations

import json

import click

from . import store_option


@click.command("remove")
@click.argument("clipping_ids", nargs=-1)
@click.option("--source", "sources", multiple=True, type=click.Path(dir_okay=False),
              help="Remove every clipping read from this source file (repeatable).")
@click.option("--prune", "prune", type=click.Path(file_okay=False),
              help="Remove the clippings whose source file under this directory no longer exists.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@store_option
def command(clipping_ids, sources, prune, dry_run, fmt, store):
    """Remove clippings (by CLIPPING-ID, IRI, or --source FILE) from the store.

    Each clipping's named graph goes, with its extraction activity in the
    provenance graph and any other link to it; facts that another clipping also
    states stay. One transaction: all or nothing. An unknown id or source file
    is refused (exit 2) and nothing is removed.
    """
    from ..remove import remove

    report = remove(store, clipping_ids, sources=sources, prune=prune, dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {len(report.clippings)} clipping(s): {report.clipping_quads} quads in their graphs, "
               f"{report.other_quads} provenance quads")
    for c in report.clippings:
        click.echo(f"  {c['id'] or c['graph']}  ({c['source'] or 'no source file'}, {c['quads']} quads)")
