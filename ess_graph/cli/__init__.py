"""The ``essgraph`` command line: thin click wrappers over the Python API.

Each command lives in its own module of this package and is imported only when
it runs (spaCy and the web stack are slow to import). Every user error is an
:class:`~ess_graph.errors.EssGraphError`, printed as one line with a non-zero
exit code and no traceback.
"""
from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import EssGraphError

# command name -> (module, help line shown by `essgraph --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "load": ("load", "Import clippings, extract, validate and store them."),
    "validate": ("validate", "Validate the store or RDF files against SHACL shapes."),
    "remove": ("remove", "Remove clippings (by id or source file) and the facts only they supported."),
    "extract": ("extract", "Extract entities and relations without touching the store."),
    "evaluate": ("evaluate", "Score an extraction against a gold annotation."),
    "train": ("train", "Train the entity recogniser and relation classifier on annotated passages."),
    "query": ("query", "Run a saved query, a .rq file or inline SPARQL."),
    "queries": ("queries", "List the saved queries with their parameters."),
    "stats": ("stats", "Triples, graphs, entities by class, clippings."),
    "serve": ("serve", "Serve the store: SPARQL endpoint, saved-query API, resource pages."),
    "export": ("export", "Write dumps, DCAT/VoID, CSV, GeoJSON and GEXF for open-data portals."),
    "push": ("push", "Send the graph to a SPARQL Graph Store Protocol server."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        mod = importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
        return mod.command

    def format_commands(self, ctx, formatter):
        rows = [(n, h) for n, (_, h) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EssGraphError as e:
            click.echo(f"essgraph: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("essgraph: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="essgraph")
def main() -> None:
    """essgraph: clippings about the social and solidarity economy (ESS) and
    French local governments, as a knowledge graph you query with SPARQL.

    The store is ./essgraph-store unless --store DIR or $ESSGRAPH_STORE says otherwise.
    """


store_option = click.option(
    "--store", "store", envvar="ESSGRAPH_STORE", type=click.Path(file_okay=False),
    default=None, help="Store directory (default ./essgraph-store, or $ESSGRAPH_STORE).")


model_option = click.option(
    "--model", "model", envvar="ESSGRAPH_MODEL", type=click.Path(exists=True, file_okay=False), default=None,
    help="Model directory written by `essgraph train` (default: the shipped models, or $ESSGRAPH_MODEL).")


jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
    help="Worker processes for extraction (same output as one process).")


scheduler_option = click.option(
    "--scheduler", "scheduler", envvar="ESSGRAPH_SCHEDULER", default=None, metavar="ADDRESS",
    help="Run extraction on a Dask distributed cluster (e.g. tcp://host:8786; needs the "
         "'distributed' extra). Same output as one process; overrides --jobs.")


def extractor_for(model: str | None):
    """The shared default extractor, or one with the models of ``model``."""
    from ..extract import Extractor
    return Extractor.default() if model is None else Extractor(model_dir=model)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
