"""``essgraph serve``: a thin wrapper over :func:`ess_graph.serve.run`."""
from __future__ import annotations

import click

from . import store_option
from ..serve.app import (DEFAULT_MAX_QUERY_MEMORY_MIB, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESULT_BYTES,
                         DEFAULT_MAX_ROWS, DEFAULT_MAX_TOTAL_MEMORY_MIB, DEFAULT_MAX_UPLOAD_BYTES,
                         DEFAULT_PER_PAGE, DEFAULT_RESULT_CACHE_MIB, DEFAULT_TIMEOUT)


@click.command("serve")
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7878, show_default=True, type=int, help="Port to listen on.")
@click.option("--write-token", envvar="ESSGRAPH_WRITE_TOKEN", default=None,
              help="Enable SPARQL Update and Graph Store writes; each write must carry "
                   "'Authorization: Bearer <token>' (or $ESSGRAPH_WRITE_TOKEN).")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=float,
              help="Seconds after which a query is stopped (its worker process is killed).")
@click.option("--max-rows", default=DEFAULT_MAX_ROWS, show_default=True, type=int,
              help="Largest result (rows or triples) returned; larger ones are an error.")
@click.option("--max-result-bytes", default=DEFAULT_MAX_RESULT_BYTES, show_default=True, type=int,
              help="Largest serialised result in bytes.")
@click.option("--max-request-bytes", default=DEFAULT_MAX_REQUEST_BYTES, show_default=True, type=int,
              help="Largest query or update (413 beyond).")
@click.option("--max-upload-bytes", default=DEFAULT_MAX_UPLOAD_BYTES, show_default=True, type=int,
              help="Largest Graph Store upload (413 beyond).")
@click.option("--cors", "cors", multiple=True, metavar="ORIGIN",
              help="Allow cross-origin requests from ORIGIN ('*' for any); repeatable. Off by default.")
@click.option("--allow-service", multiple=True, metavar="URL-PREFIX",
              help="Allow SERVICE (federated query) to endpoints starting with URL-PREFIX; repeatable. "
                   "Without it, SERVICE and LOAD to any host are refused.")
@click.option("--base-url", default=None,
              help="The server's public URL, e.g. https://data.example.org/ (as in 'essgraph export'): "
                   "every absolute URL the server writes is built from it (never from the Host "
                   "header), and its id/ is the IRI namespace served under /id/ (default "
                   "https://w3id.org/essgraph/id/).")
@click.option("--workers", default=0, type=int,
              help="Query worker processes of the fast lane (default: four per CPU, between 4 and 16). "
                   "A query running longer than 0.5 s moves to the slow lane (lower CPU priority) "
                   "and a fresh worker takes its place.")
@click.option("--max-heavy", default=0, type=int,
              help="Long-running queries (over 0.5 s) run at once (default: one per CPU); "
                   "further ones are paused until a slot frees.")
@click.option("--max-query-memory", default=DEFAULT_MAX_QUERY_MEMORY_MIB, show_default=True, type=int,
              metavar="MIB", help="Resident memory a query's worker may use; past it the query is "
                                  "stopped with 422 (0: no limit).")
@click.option("--max-total-memory", default=DEFAULT_MAX_TOTAL_MEMORY_MIB, show_default=True, type=int,
              metavar="MIB", help="Resident memory of all workers together; past it the largest "
                                  "query is stopped with 422 (0: no limit).")
@click.option("--result-cache", "result_cache_mib", default=DEFAULT_RESULT_CACHE_MIB, show_default=True,
              type=int, metavar="MIB",
              help="Keep recent answers (up to 1 MiB each) for repeated identical requests on the "
                   "same state of the store; 0 turns it off.")
@click.option("--per-page", default=DEFAULT_PER_PAGE, show_default=True, type=int,
              help="Default page size of the saved-query API.")
@click.option("--queries-dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Directory of saved .rq queries (default: the bundled queries/).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def command(store, host, port, write_token, timeout, max_rows, max_result_bytes, max_request_bytes,
            max_upload_bytes, cors, allow_service, base_url, workers, max_heavy, max_query_memory,
            max_total_memory, result_cache_mib, per_page, queries_dir, log_level):
    """Serve the store: SPARQL 1.1 endpoint (/sparql), Graph Store (/store),
    saved queries as a Web API (/queries, /openapi.json), a page for every
    essgraph IRI (/id/...) and a query page (/).

    Read-only unless a write token is given.
    """
    from ..serve import run
    click.echo(f"essgraph: serving {'read-write' if write_token else 'read-only'} at http://{host}:{port}/",
               err=True)
    run(store, host=host, port=port, log_level=log_level, write_token=write_token, timeout=timeout,
        max_rows=max_rows, max_result_bytes=max_result_bytes, max_request_bytes=max_request_bytes,
        max_upload_bytes=max_upload_bytes, cors_origins=tuple(cors), allow_service=tuple(allow_service),
        base_url=base_url, workers=workers, per_page=per_page, queries_dir=queries_dir,
        max_heavy=max_heavy, max_query_memory=max_query_memory, max_total_memory=max_total_memory,
        result_cache_mib=result_cache_mib)
