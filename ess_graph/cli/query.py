import sys

import click

from . import store_option
from ..errors import QueryError
from ..formats import QUERY_OUTPUT_FORMATS, by_name
from ..queries import DEFAULT_TIMEOUT


def _check_utf8(what: str, value: str | None) -> None:
    """Arguments that were not UTF-8 reach Python with lone surrogates: refuse them."""
    if not value:
        return
    for i, ch in enumerate(value):
        if "\udc80" <= ch <= "\udcff":
            raise QueryError(f"the {what} is not valid UTF-8 (byte 0x{ord(ch) - 0xDC00:02x} at "
                             f"character {i + 1}); pass UTF-8 text")
        if "\ud800" <= ch <= "\udfff":
            raise QueryError(f"the {what} is not valid text (U+{ord(ch):04X} at character {i + 1})")


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
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
              metavar="SECONDS",
              help="Stop the query (and any SERVICE call it makes, or the remote endpoint) "
                   "after this many seconds; 0 = no limit.")
@store_option
def command(query, expression, params, fmt, endpoint, auth_header, timeout, store):
    from ..queries import get_query, load_query_file, parse_saved_query, remote_query_text, run_query

    if bool(query) == bool(expression):
        raise QueryError("give a saved query NAME, a FILE.rq, or -e SPARQL (exactly one)")
    for what, value in (("query argument", query), ("-e expression", expression),
                        *(("--param", p) for p in params)):
        _check_utf8(what, value)
    if expression:
        saved = parse_saved_query(expression, "expression")
    elif query.endswith(".rq") or "/" in query:
        saved = load_query_file(query)
    else:
        saved = get_query(query)
    values = _parse_params(params)
    subs = saved.substitutions(values)
    if endpoint:
        from ..remote import run_remote_query, union_default_graph_warning
        headers = {}
        if auth_header:
            if ":" not in auth_header:
                raise QueryError("--auth-header takes 'Name: value'")
            k, v = auth_header.split(":", 1)
            headers[k.strip()] = v.strip()
        text = remote_query_text(saved.text, subs)
        accept = by_name(fmt if fmt != "table" else ("json" if saved.query_type in ("SELECT", "ASK") else "turtle")).media_type
        warning = union_default_graph_warning(endpoint, headers=headers, timeout=timeout or None)
        if warning:
            click.echo(f"essgraph: warning: {warning}", err=True)
        body = run_remote_query(endpoint, text, accept=accept, headers=headers,
                                timeout=timeout or None)
        if fmt == "table":
            body = _remote_table(body, saved.query_type)
        sys.stdout.buffer.write(body)
        return
    out = run_query(store, saved.text, substitutions=subs, fmt=fmt,
                    source=str(saved.path or saved.name), timeout=timeout)
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
