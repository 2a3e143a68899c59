import json

import click

from . import extractor_for, jobs_option, model_option, scheduler_option, store_option


def _progress_factory(quiet: bool):
    if quiet:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    progress = Progress(TextColumn("{task.description:10}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    tasks: dict[str, int] = {}

    def callback(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)
    return progress, callback


def format_summary(rep: dict) -> str:
    lines = [f"clippings   {rep['clippings']} read, {rep['stored']} stored, {rep['skipped']} skipped"]
    ents = rep["entities_by_type"]
    if ents:
        lines.append("entities    " + ", ".join(f"{k} {v}" for k, v in ents.items()))
    rels = rep["relations_by_predicate"]
    if rels or rep["candidate_relations"]:
        lines.append("relations   " + ", ".join(f"{k} {v}" for k, v in rels.items())
                     + f" (+{rep['candidate_relations']} candidates for review)")
    lines.append(f"triples     {rep['triples_written']} written, {rep['store_triples']} in the store")
    if rep["reference_graph"]:
        lines.append(f"reference   {rep['reference_graph']}")
    if rep["removed_graphs"]:
        lines.append(f"removed     {len(rep['removed_graphs'])} graphs of items no longer in their files")
    lines.append(f"violations  {rep['violations']}")
    for inv in rep["invalid"]:
        what = "stored anyway (--on-invalid keep)" if inv["stored"] else "NOT stored"
        lines.append(f"  {inv['clipping']}: {len(inv['violations'])} violation(s), {what}")
        for v in inv["violations"][:5]:
            lines.append(f"    {v.get('focusNode')} {v.get('resultPath') or ''}: {v.get('message')}")
    return "\n".join(lines)


@click.command(help="""Import clippings, extract, validate and store them.

With no PATH, loads the bundled sample collection. PATH may be files or folders
(Pearltrees page text, JSONL, Markdown/text with YAML front matter, Netscape
bookmarks, Zotero CSL-JSON, HTML; curation.yaml files beside them are applied).
The load is atomic: it lands whole or not at all. A clipping whose graph violates
the shapes is handled as --on-invalid says, and always reported; exit code 1
when there were violations.""")
@click.argument("paths", nargs=-1, type=click.Path())
@store_option
@click.option("--on-invalid", type=click.Choice(["skip", "keep", "abort"]), default="skip", show_default=True,
              help="skip: do not store invalid clippings; keep: store them; abort: store nothing.")
@click.option("--collection", help="Collection name for clippings whose files name none.")
@click.option("--no-reference", is_flag=True, help="Do not load the French territory reference graph.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@model_option
@jobs_option
@scheduler_option
def command(paths, store, on_invalid, collection, no_reference, fmt, quiet, model, jobs, scheduler):
    from ..pipeline import load
    extractor = None if model is None else extractor_for(model)
    progress, callback = _progress_factory(quiet or fmt == "json")
    if progress:
        with progress:
            report = load(paths or None, store, on_invalid=on_invalid, with_reference=not no_reference,
                          collection=collection, progress=callback, extractor=extractor, jobs=jobs, scheduler=scheduler)
    else:
        report = load(paths or None, store, on_invalid=on_invalid, with_reference=not no_reference,
                      collection=collection, extractor=extractor, jobs=jobs, scheduler=scheduler)
    rep = report.to_dict()
    if fmt == "json":
        click.echo(json.dumps(rep, indent=2, ensure_ascii=False))
    else:
        click.echo(format_summary(rep))
    if report.violations:
        raise SystemExit(1)
