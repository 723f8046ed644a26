"""``dunops outbox``: the mails written to the local outbox (the default when no SMTP server is set)."""

from __future__ import annotations

import typer

from dunops.cli import context
from dunops.cli.output import handled
from dunops.notify import read_mail, recent_mails

app = typer.Typer(
    help="Mail in the local outbox: list recent mails, or show one.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(main: typer.Typer) -> None:
    """Add ``dunops outbox`` (and ``dunops outbox show ID``) to the main app."""
    main.add_typer(app, name="outbox")


@app.callback()
@handled
def list_mails(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many of the newest mails to list."),
) -> None:
    """List the newest mails: id, time (UTC), recipient, subject."""
    if ctx.invoked_subcommand is not None:
        return
    settings = context.settings()
    if settings.smtp_host:
        typer.echo(f"note: mail is sent through {settings.smtp_host}:{settings.smtp_port}", err=True)
    mails = recent_mails(settings, limit)
    if not mails:
        typer.echo("The outbox is empty.")
        return
    for mail in mails:
        short_id = mail.id.rsplit("-", 1)[-1]
        typer.echo(f"{short_id}  {mail.created:%Y-%m-%d %H:%M:%S}  {mail.to}  {mail.subject}")


@app.command("show")
@handled
def show_mail(
    mail_id: str = typer.Argument(..., metavar="ID", help="The id shown by `dunops outbox`."),
) -> None:
    """Print one mail as it was written (headers and body)."""
    mail = read_mail(context.settings(), mail_id)
    typer.echo(mail.raw.decode("utf-8", errors="replace").replace("\r\n", "\n"), nl=False)
