"""``dunops purge``: purge now every deleted workspace whose grace period is over, and the technical
data (request logs, error traces, usage counts) past its retention."""

from __future__ import annotations

import typer

from dunops.cli import context
from dunops.cli.output import handled
from dunops.privacy import purge as purging
from dunops.privacy import retention


def register(main: typer.Typer) -> None:
    """Add ``dunops purge`` to the main app."""
    main.command("purge")(purge)


@handled
def purge() -> None:
    """Purge every workspace whose deletion grace period is over (one line each), then the technical data
    past its retention (one line)."""
    receipts = purging.run_due_purges(context.settings(), context.engine())
    for receipt in receipts:
        rows = sum(receipt.rows.values())
        typer.echo(f"workspace {receipt.workspace_id}\tpurged\t{rows} rows\t{receipt.files} files")
    if not receipts:
        typer.echo("nothing to purge")
    typer.echo(retention.run(context.settings(), context.engine()).line())
