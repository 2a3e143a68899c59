"""``essgraph train``: build the learned extractor from annotated real passages."""
from __future__ import annotations

import click


@click.command(help="""Train the entity recogniser and the relation classifier.

PATH are annotated sets (folders holding clippings.jsonl + gold.jsonl, searched
recursively); without PATH, the bundled data/annotations (every set except the
blind ones, whose folder is named 'blind'). --with-curation DIR adds the
clippings of DIR with the researcher's curation.yaml applied as training
examples. Writes ess_ner/, relations.json and metrics.json into OUTPUT; the same
data and --seed give the same models. The shipped models are rebuilt with
`essgraph train -o data/models --calibrate-folds 5` from a source checkout.""")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", type=click.Path(file_okay=False), default="essgraph-model", show_default=True,
              help="Model directory to write.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--epochs", type=click.IntRange(1, 500), default=20, show_default=True,
              help="Passes over the passages for the entity recogniser.")
@click.option("--with-curation", "curation", type=click.Path(exists=True), multiple=True,
              help="Folder (or file) of clippings with curation.yaml files: curated extractions become training examples.")
@click.option("--relations-only", is_flag=True, help="Train the relation classifier only (no entity recogniser).")
@click.option("--calibrate-folds", type=click.IntRange(0, 20), default=0, show_default=True,
              help="Choose the relation thresholds on end-to-end extractions cross-validated over this many "
                   "folds (one more training per fold), and report those scores.")
def command(paths, output, seed, epochs, curation, relations_only, calibrate_folds):
    from ..extract.train import curation_docs, default_training_sets, train
    sets = list(paths) or default_training_sets()
    extra = curation_docs(list(curation)) if curation else []
    metrics = train(sets, output, seed=seed, epochs=epochs, extra_docs=extra, ner=not relations_only,
                    calibrate_folds=calibrate_folds, log=lambda m: click.echo(m, err=True))
    cv = metrics["relations_cv_on_gold_entities"]
    click.echo(f"trained on {metrics['passages']} passages ({metrics['entities']} entities, "
               f"{metrics['relations']} relations) in {metrics['seconds']} s -> {output}")
    click.echo(f"relations out-of-fold on gold entities: P={cv['precision']} R={cv['recall']} F1={cv['f1']}")
    e2e = metrics.get("cv_end_to_end")
    if e2e:
        click.echo(f"end to end, {e2e['folds']}-fold cross-validated: entity F1={e2e['entities_family']['f1']} "
                   f"typed F1={e2e['entities_typed']['f1']} relation F1={e2e['relations']['f1']} "
                   f"(P={e2e['relations']['precision']}) codes={e2e['territory_code_accuracy']:.3f}")
    for name, size in metrics["sizes_bytes"].items():
        click.echo(f"  {name}: {size / 1e6:.1f} MB")
