"""``dunops support``: the operators read and answer every workspace's support tickets."""

from __future__ import annotations

import typer

from dunops.accounts import support
from dunops.cli import context
from dunops.cli.context import Id
from dunops.cli.output import handled

app = typer.Typer(help="Support tickets: list, show, answer.", no_args_is_help=True)


@app.command("list")
@handled
def list_tickets(
    status: str | None = typer.Option(None, "--status", help="open, answered or closed."),
) -> None:
    """Every ticket, newest first: id, workspace, kind, status, due date of a data request, subject."""
    with context.unit_of_work() as session:
        for ticket, workspace in support.every(session, status=status):
            due = f"{ticket.due_at:%Y-%m-%d}" if ticket.due_at else "-"
            typer.echo(
                f"{ticket.id}\t{workspace.slug}\t{ticket.kind}\t{ticket.status}\t{due}\t{ticket.subject}"
            )


@app.command("show")
@handled
def show(ticket_id: Id) -> None:
    """A ticket and its messages."""
    with context.unit_of_work() as session:
        thread = support.thread_of(session, ticket_id)
        ticket = thread.ticket
        typer.echo(f"#{ticket.id} {ticket.subject}")
        typer.echo(f"workspace {thread.workspace.slug} · {ticket.kind} · {ticket.status}")
        if ticket.zone or ticket.change_id:
            typer.echo(f"about zone {ticket.zone or '-'} · change {ticket.change_id or '-'}")
        for message in thread.messages:
            typer.echo(f"\n--- {message.author} at {message.created_at:%Y-%m-%d %H:%M} UTC\n{message.body}")


@app.command("answer")
@handled
def answer(
    ticket_id: Id,
    message: str = typer.Option(..., "--message", "-m", help="The answer; mailed to the ticket's members."),
    close: bool = typer.Option(False, "--close", help="Close the ticket with this answer."),
) -> None:
    """Answer a ticket: everyone who wrote in it is emailed."""
    with context.unit_of_work() as session:
        thread = support.answer(session, context.settings(), ticket_id, message, close=close)
        typer.echo(f"answered ticket {thread.ticket.id} ({thread.ticket.status})")
