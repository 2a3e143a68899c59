"""``essgraph push``: send the graph to a SPARQL 1.1 Graph Store Protocol server, graph by graph."""
from __future__ import annotations

import click

from . import store_option


@click.command(help="Send the graph to a SPARQL Graph Store Protocol server (PUT per named graph, "
                    "resumable; unchanged graphs are skipped).")
@click.option("--endpoint", required=True,
              help="Graph Store Protocol URL, e.g. http://localhost:7878/store (Oxigraph), "
                   "http://localhost:3030/ds/data (Fuseki).")
@click.option("--auth-header", default=None, envvar="ESSGRAPH_AUTH_HEADER",
              help='HTTP header sent with every request, e.g. "Authorization: Bearer TOKEN" '
                   "(or $ESSGRAPH_AUTH_HEADER, which keeps it out of the shell history).")
@store_option
@click.option("--state-file", type=click.Path(dir_okay=False), default=None,
              help="Where sent graphs and their hashes are recorded "
                   "(default: <store>.push-<hash of endpoint>.json next to the store).")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Send at most N graphs in this run (run again to continue).")
@click.option("--timeout", type=float, default=300, show_default=True,
              help="Seconds to wait for each request.")
@click.option("--graph-param", default="graph", show_default=True,
              help="Query parameter naming the graph (Virtuoso: graph-uri).")
def command(endpoint, auth_header, store, state_file, limit, timeout, graph_param):
    from ..export.gsp import push
    from ..store import GraphStore

    gs = GraphStore(store, read_only=True)
    try:
        report = push(gs, endpoint, auth_header=auth_header, state_file=state_file,
                      limit=limit, timeout=timeout, graph_param=graph_param)
    finally:
        gs.close()
    click.echo(f"pushed {len(report.sent)} graphs ({report.triples_sent} triples, "
               f"{report.requests} requests) to {endpoint}; "
               f"{len(report.skipped)} unchanged, {len(report.deleted)} deleted")
    if report.remaining:
        click.echo(f"{len(report.remaining)} graphs left: run the same command again to continue")
    if report.state_file:
        click.echo(f"state: {report.state_file}")
