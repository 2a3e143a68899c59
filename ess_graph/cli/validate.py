"""``essgraph validate``: SHACL validation of the store or of RDF files."""
from __future__ import annotations

import sys

import click

from . import store_option


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--shapes", "shapes", multiple=True, type=click.Path(),
              help="Shapes file or directory (repeatable; default: the bundled shapes).")
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text",
              show_default=True, help="Report format.")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="fast: SHACL compiled to SPARQL in Oxigraph; pyshacl: the reference engine.")
@click.option("--changed", is_flag=True,
              help="Only the nodes of the clipping graphs written by the last load.")
@click.option("--full", is_flag=True,
              help="Also re-check the nodes of the territory reference graph (validated when it was "
                   "written, and skipped while its content and the shapes are unchanged).")
@store_option
def command(paths, shapes, fmt, engine, changed, full, store):
    """Validate the store (default) or RDF FILES against SHACL shapes.

    The union of all graphs is validated. The territory reference graph is
    validated once, when it is written; it stays in the data graph (facts point
    at its territories) but its own nodes are not checked again while its
    content and the shapes are unchanged (--full checks them). Exit status: 0 conforms, 1 at least one
    result (of any severity, as in SHACL), 2 bad input.
    """
    from ..validate import validate

    if paths and changed:
        raise click.UsageError("--changed applies to the store, not to files")
    if paths:
        report = validate(list(paths), list(shapes) or None, engine=engine)
    else:
        from ..store import GraphStore
        gs = GraphStore(store, read_only=True)
        report = validate(gs, list(shapes) or None, engine=engine, changed=changed, full=full)
    out = {"json": report.to_json, "turtle": report.to_turtle, "text": report.to_text}[fmt]()
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.exit(0 if report.conforms else 1)
