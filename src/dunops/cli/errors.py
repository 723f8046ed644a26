"""``dunops errors list|show``: the unexpected errors users were shown a trace id for."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dunops.cli import context
from dunops.cli.output import emit_json, handled
from dunops.privacy import error_traces
from dunops.storage.models import ErrorTrace

app = typer.Typer(help="Error traces of unexpected errors (500s).", no_args_is_help=True)


def _summary(trace: ErrorTrace) -> dict[str, Any]:
    return {
        "trace_id": trace.trace_id,
        "occurred_at": trace.occurred_at.isoformat(),
        "method": trace.method,
        "route": trace.route,
        "workspace_id": trace.workspace_id,
        "error_type": trace.error_type,
        "request_id": trace.request_id,
    }


@app.command("list")
@handled
def list_(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The latest error traces: trace id, time, method and route, error type."""
    with context.unit_of_work() as session:
        found = [_summary(trace) for trace in error_traces.recent(session, limit)]
    if as_json:
        emit_json(found)
        return
    for item in found:
        where = f"{item['method']} {item['route']}"
        typer.echo(f"{item['trace_id']}\t{item['occurred_at']}\t{where}\t{item['error_type']}")
    if not found:
        typer.echo("no error traces")


@app.command("show")
@handled
def show(
    trace_id: Annotated[str, typer.Argument(help="The trace id a user was shown.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One error trace with its scrubbed traceback."""
    with context.unit_of_work() as session:
        trace = error_traces.get(session, trace_id)
        item = {**_summary(trace), "traceback": trace.traceback}
    if as_json:
        emit_json(item)
        return
    for name, value in item.items():
        if name != "traceback":
            typer.echo(f"{name}: {'' if value is None else value}")
    typer.echo("")
    typer.echo(str(item["traceback"]).rstrip())
