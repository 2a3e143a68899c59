"""``essgraph extract``: import clippings, extract, write JSONL / TriG / Turtle."""
from __future__ import annotations

import json
import sys

import click

from . import extractor_for, jobs_option, model_option, scheduler_option


@click.command(help="""Extract entities and relations without touching the store.

PATH are clipping files or folders (Pearltrees text, JSONL, Markdown, bookmarks,
Zotero CSL-JSON, HTML); curation.yaml / *.curation.yaml files found there are
applied. Without PATH, the bundled samples are used.

jsonl writes one record per clipping (what `essgraph evaluate` and the project's
scorer read); trig writes one named graph per clipping; turtle writes the union.""")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["jsonl", "trig", "turtle"]), default="jsonl",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Output file (default: stdout).")
@click.option("--collection", default=None, help="Collection name for clippings that have none.")
@model_option
@jobs_option
@scheduler_option
def command(paths, fmt, output, collection, model, jobs, scheduler):
    from ..pipeline import extract_paths
    extractions = extract_paths(list(paths) or None, collection=collection, extractor=extractor_for(model),
                                jobs=jobs, scheduler=scheduler)
    data = render(extractions, fmt)
    if output:
        tmp = output + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        import os
        os.replace(tmp, output)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def render(extractions, fmt: str) -> bytes:
    """Serialise extractions: deterministic bytes for the same input."""
    if fmt == "jsonl":
        lines = [json.dumps(e.to_jsonl_record(), ensure_ascii=False, sort_keys=False) for e in extractions]
        return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    import pyoxigraph as ox
    from ..mapping import extraction_quads
    from ..namespaces import PREFIXES
    quads = []
    for e in extractions:
        quads.extend(extraction_quads(e))
    quads = sorted(set(quads), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    if fmt == "turtle":
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads},
                         key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES))
