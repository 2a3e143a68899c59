import json
import time

import click

from . import extractor_for, jobs_option, model_option, scheduler_option, store_option

#: phase names as shown on screen
PHASES = {
    "import": "reading files",
    "load models": "loading models",
    "reference": "territory reference",
    "extract": "extracting",
    "map": "mapping",
    "validate": "validating",
    "write": "writing",
    "compact": "compacting the store",
}


def _progress_factory(quiet: bool):
    """A rich progress display: one line for the current phase (name, bar or spinner,
    elapsed time) and, in batched loads, one line for the clippings (rate and ETA)."""
    if quiet:
        return None, None
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description:22}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"),
                        TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    state: dict = {"phase": None, "overall": None, "t0": None}

    def callback(stage: str, done: int, total: int | None) -> None:
        if stage == "clippings":
            if state["overall"] is None:
                state["overall"] = progress.add_task("clippings", total=total, rate="")
                state["t0"] = time.monotonic()
            dt = time.monotonic() - state["t0"]
            rate = f"{done / dt:.1f} clippings/s" if dt > 0 and done else ""
            progress.update(state["overall"], completed=done, total=total, rate=rate)
            return
        name = PHASES.get(stage, stage)
        task = state["phase"]
        if task is not None and progress._tasks[task].description != name:
            progress.remove_task(task)   # a new phase: a new line (its length may be unknown)
            task = None
        if task is None:
            task = state["phase"] = progress.add_task(name, total=total, completed=done, rate="")
        else:
            progress.update(task, completed=done, total=total)
    return progress, callback


def format_summary(rep: dict) -> str:
    lines = [f"clippings   {rep['clippings']} read, {rep['stored']} stored, {rep['skipped']} skipped"]
    if rep.get("mode") == "batched":
        resumed = rep.get("resumed_clippings") or 0
        lines.append(f"mode        batched, {rep['batches']} batches"
                     + (f" ({resumed} clippings already stored by an interrupted run)" if resumed else ""))
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
    lines.append(f"violations  {rep['violations']}" + (f", {rep['dropped_facts']} facts left out"
                                                        if rep.get("dropped_facts") else ""))
    if rep.get("aborted"):
        lines.append("aborted     (--on-invalid abort): nothing of the invalid batch was written")
    for inv in rep["invalid"]:
        if inv.get("dropped_facts") and inv["stored"]:
            what = "stored without: " + "; ".join(inv["dropped_facts"])
        else:
            what = "stored anyway (--on-invalid keep)" if inv["stored"] else "NOT stored"
        lines.append(f"  {inv['clipping']}: {len(inv['violations'])} violation(s), {what}")
        for v in inv["violations"][:5]:
            lines.append(f"    {v.get('focusNode')} {v.get('resultPath') or ''}: {v.get('message')}")
    return "\n".join(lines)


@click.command(help="""Import clippings, extract, validate and store them.

With no PATH, loads the bundled sample collection. PATH may be files or folders
(Pearltrees page text, JSONL, Markdown/text with YAML front matter, Netscape
bookmarks, Zotero CSL-JSON, HTML; curation.yaml files beside them are applied).
An input without any clipping is refused (exit 2, store unchanged).

A load of at most 500 clippings (or any load with --atomic) is written in one
transaction: it lands whole or not at all, on a new store together with the
territory reference graph. A larger load (or --no-atomic) is written
--batch-size clippings at a time: memory does not grow with the corpus, each
clipping graph is replaced whole or not at all, and re-running a killed or
failed load resumes it and ends as one clean load (docs/loading.md).

A fact (an entity, or a relation with its nodes) that violates the shapes is
handled as --on-invalid says, and always reported; exit code 1 when there were
violations. --endpoint writes to a shared SPARQL server instead of the store.""")
@click.argument("paths", nargs=-1, type=click.Path())
@store_option
@click.option("--on-invalid", type=click.Choice(["skip", "keep", "abort"]), default="skip", show_default=True,
              help="skip: leave invalid facts out, store the rest of their clipping; keep: store them; "
                   "abort: stop the load (nothing written in one-transaction mode).")
@click.option("--collection", help="Collection name for clippings whose files name none.")
@click.option("--no-reference", is_flag=True, help="Do not load the French territory reference graph.")
@click.option("--atomic/--no-atomic", default=None,
              help="One transaction for the whole load, or batches. Default: one transaction up to 500 clippings.")
@click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True,
              help="Clippings per batch (and per transaction) when loading in batches.")
@click.option("--endpoint", default=None, metavar="URL",
              help="Write to this SPARQL Update endpoint (e.g. http://host:7878/update) instead of the store.")
@click.option("--query-endpoint", default=None, metavar="URL",
              help="Its query endpoint (default: the update URL with /update replaced by /query).")
@click.option("--auth-header", default=None, envvar="ESSGRAPH_AUTH_HEADER",
              help='HTTP header sent to the endpoint, e.g. "Authorization: Bearer TOKEN" (or $ESSGRAPH_AUTH_HEADER).')
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@click.option("--publish-paths", is_flag=True,
              help="Record each file's absolute local path in ess:sourceFile (default: the path "
                   "relative to the folder loaded, so no local path is published).")
@click.option("--prune", type=click.Path(file_okay=False),
              help="Then remove the clippings whose source file under this directory is gone.")
@model_option
@jobs_option
@scheduler_option
def command(paths, store, on_invalid, collection, no_reference, atomic, batch_size, endpoint, query_endpoint,
            auth_header, fmt, quiet, publish_paths, prune, model, jobs, scheduler):
    from ..pipeline import load
    from ..remote import parse_header
    extractor = None if model is None else extractor_for(model)
    headers = parse_header(auth_header) if auth_header else None
    progress, callback = _progress_factory(quiet or fmt == "json")
    kwargs = dict(on_invalid=on_invalid, with_reference=not no_reference, collection=collection,
                  extractor=extractor, jobs=jobs, atomic=atomic, batch_size=batch_size,
                  endpoint=endpoint, query_endpoint=query_endpoint, headers=headers,
                  publish_paths=publish_paths, scheduler=scheduler)
    if progress:
        with progress:
            report = load(paths or None, None if endpoint else store, progress=callback, **kwargs)
    else:
        report = load(paths or None, None if endpoint else store, **kwargs)
    rep = report.to_dict()
    if prune:
        from ..remove import remove
        rep["removed_graphs"] = sorted(set(rep["removed_graphs"]) | set(remove(store, prune=prune).graphs))
    if fmt == "json":
        click.echo(json.dumps(rep, indent=2, ensure_ascii=False))
    else:
        click.echo(format_summary(rep))
    if report.violations:
        raise SystemExit(1)
