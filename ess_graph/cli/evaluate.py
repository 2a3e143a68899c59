"""``essgraph evaluate``: score an extraction against a gold annotation."""
from __future__ import annotations

import json

import click

from . import extractor_for, model_option


@click.command(help="""Score an extraction against a gold annotation.

GOLD is a JSONL gold file; CLIPPINGS (default: clippings.jsonl beside GOLD) are
extracted and scored, or give --predicted to score an existing `essgraph extract
--format jsonl` output. Prints precision/recall/F1 per entity family, type and
predicate, the territory-code accuracy, and every missed or spurious item; the last
line is the headline (same matching as the project's scorer).""")
@click.argument("gold", type=click.Path(dir_okay=False))
@click.argument("clippings", required=False, type=click.Path(dir_okay=False))
@click.option("--predicted", type=click.Path(dir_okay=False), default=None,
              help="Score this extraction JSONL instead of extracting CLIPPINGS.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@model_option
def command(gold, clippings, predicted, as_json, model):
    from ..extract.evaluate import evaluate, format_report
    res = evaluate(gold, clippings, predicted_path=predicted,
                   extractor=None if predicted else extractor_for(model))
    if as_json:
        click.echo(json.dumps(res, indent=2, ensure_ascii=False))
    else:
        for line in format_report(res):
            click.echo(line)
