import sys

import click

from . import store_option
from ..errors import QueryError
from ..formats import QUERY_OUTPUT_FORMATS, by_name


def _parse_params(pairs):
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise QueryError(f"--param takes name=value, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v
    return out


@click.command(help="""Run a saved query (NAME), a .rq file or inline SPARQL (-e).

\b
Examples:
  essgraph query communes-coops
  essgraph query actors-in-department --param department=05 --format csv
  essgraph query -e 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
  essgraph query communes-coops --endpoint http://localhost:7878/query
""")
@click.argument("query", required=False)
@click.option("-e", "--expression", help="Inline SPARQL instead of a saved query.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a query parameter (repeatable).")
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(QUERY_OUTPUT_FORMATS),
              help="json = SPARQL 1.1 Query Results JSON.")
@click.option("--endpoint", help="Run against a remote SPARQL endpoint instead of the local store.")
@click.option("--auth-header", help="Header sent to the remote endpoint, e.g. 'Authorization: Bearer TOKEN'.")
@store_option
def command(query, expression, params, fmt, endpoint, auth_header, store):
    from ..queries import execute, get_query, load_query_file, parse_saved_query, remote_query_text
    from ..results import format_result
    from ..store import GraphStore

    if bool(query) == bool(expression):
        raise QueryError("give a saved query NAME, a FILE.rq, or -e SPARQL (exactly one)")
    if expression:
        saved = parse_saved_query(expression, "expression")
    elif query.endswith(".rq") or "/" in query:
        saved = load_query_file(query)
    else:
        saved = get_query(query)
    values = _parse_params(params)
    subs = saved.substitutions(values)
    if endpoint:
        from ..remote import run_remote_query
        headers = {}
        if auth_header:
            if ":" not in auth_header:
                raise QueryError("--auth-header takes 'Name: value'")
            k, v = auth_header.split(":", 1)
            headers[k.strip()] = v.strip()
        text = remote_query_text(saved.text, subs)
        accept = by_name(fmt if fmt != "table" else ("json" if saved.query_type in ("SELECT", "ASK") else "turtle")).media_type
        body = run_remote_query(endpoint, text, accept=accept, headers=headers)
        if fmt == "table":
            body = _remote_table(body, saved.query_type)
        sys.stdout.buffer.write(body)
        return
    gs = GraphStore(store, read_only=True)
    result = execute(gs, saved.text, substitutions=subs, source=str(saved.path or saved.name))
    out = format_result(result, fmt)
    sys.stdout.buffer.write(out)
    if out and not out.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")


def _remote_table(body: bytes, query_type: str) -> bytes:
    import pyoxigraph as ox
    from ..results import format_result
    if query_type not in ("SELECT", "ASK"):
        return body
    try:
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as e:
        raise QueryError(f"the endpoint did not answer with SPARQL results JSON: {e}") from None
    return format_result(result, "table")
