import json

import click


@click.command(help="List the saved queries with their descriptions and parameters.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(fmt):
    from ..queries import list_queries
    qs = list_queries()
    if fmt == "json":
        click.echo(json.dumps([q.to_dict() for q in qs], indent=2, ensure_ascii=False, default=str))
        return
    for q in qs:
        click.echo(click.style(q.name, bold=True) + f"  ({q.query_type}) {q.title}")
        if q.description:
            for line in q.description.splitlines():
                click.echo(f"    {line}")
        for p in q.params:
            req = "required" if p.required else (f"default {p.default}" if p.default is not None else "optional")
            click.echo(f"    --param {p.name}=<{p.type}>  {req}. {p.description}")
        click.echo()
