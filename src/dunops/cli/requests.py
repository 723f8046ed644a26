"""``dunops requests list|complete``: the data-subject requests operators must answer within 30 days."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dunops.cli import context
from dunops.cli.context import Id
from dunops.cli.output import emit_json, handled
from dunops.privacy import requests
from dunops.storage.base import utcnow

app = typer.Typer(help="Data requests (access, correction, export, deletion).", no_args_is_help=True)


@app.command("list")
@handled
def list_(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past their due date.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open requests, soonest due first: id, kind, channel, subject, received, due."""
    now = utcnow()
    with context.unit_of_work() as session:
        found: list[dict[str, Any]] = [
            {
                "id": r.id,
                "kind": r.kind.value,
                "channel": r.channel.value,
                "subject_user_id": r.subject_user_id,
                "workspace_id": r.workspace_id,
                "received_at": r.received_at.isoformat(),
                "due_at": r.due_at.isoformat(),
                "overdue": r.due_at < now,
                "details": r.details,
            }
            for r in requests.listing(session, overdue=overdue, now=now)
        ]
    if as_json:
        emit_json(found)
        return
    for row in found:
        late = "\tOVERDUE" if row["overdue"] else ""
        typer.echo(
            f"{row['id']}\t{row['kind']}\t{row['channel']}\tuser {row['subject_user_id']}"
            f"\treceived {row['received_at'][:10]}\tdue {row['due_at'][:10]}{late}"
        )
    if not found:
        typer.echo("no overdue requests" if overdue else "no open requests")


@app.command("complete")
@handled
def complete(request_id: Id) -> None:
    """Mark a request answered."""
    with context.unit_of_work() as session:
        done = requests.complete(session, request_id)
        typer.echo(f"{done.id}\tcompleted")
