import json

import click

from . import store_option


@click.command(help="Triples, graphs, entities by class, clippings.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(store, fmt):
    from ..stats import format_stats_text, store_stats
    from ..store import GraphStore
    gs = GraphStore(store, read_only=True)
    s = store_stats(gs)
    if fmt == "json":
        click.echo(json.dumps(s, indent=2, ensure_ascii=False))
    else:
        click.echo(format_stats_text(s), nl=False)
