"""``dunops legal publish``: a new version of a policy document, announced to every member when material."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dunops.cli import context
from dunops.cli.output import fail, handled
from dunops.privacy import legal

app = typer.Typer(help="The policy documents served at /legal/...", no_args_is_help=True)


@app.command("publish")
@handled
def publish(
    document: Annotated[str, typer.Argument(help=f"One of: {', '.join(legal.DOCUMENTS)}.")],
    summary: Annotated[str, typer.Option("--summary", help="What changed, in a sentence.")],
    material: Annotated[
        bool, typer.Option("--material/--minor", help="A material change notifies every member.")
    ] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="The new text; the text shipped with DunOps if left out.")
    ] = None,
) -> None:
    """Publish a new version of DOCUMENT; prints its version and how many members were notified."""
    body = None
    if file is not None:
        try:
            body = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {file}: {exc}", 2) from exc
    with context.unit_of_work() as session:
        published = legal.publish(
            session, context.settings(), document, summary=summary, material=material, body=body
        )
        version = published.version.version
    typer.echo(f"{document}\tversion {version}\t{published.notified} members notified")


@app.command("show")
@handled
def show(document: Annotated[str, typer.Argument(help=f"One of: {', '.join(legal.DOCUMENTS)}.")]) -> None:
    """Print a document's change history, newest first."""
    with context.unit_of_work() as session:
        current = legal.current(session, document)
    for change in current.history:
        version = f"version {change.version}" if change.version else "shipped"
        typer.echo(f"{change.when.isoformat()}\t{version}\t{change.summary}")
