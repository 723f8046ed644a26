"""``dunops keys``: rotate the master key (re-wrapping data keys and re-signing the audit chains) and check
every stored secret."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dunops import audit
from dunops.cli import context
from dunops.cli.output import EXIT_REFUSED, EXIT_USAGE, fail, handled
from dunops.security.master_key import NEW_MASTER_KEY_ENV, load_master_key, parse_master_key, write_key_file
from dunops.security.vault import Vault
from dunops.zones import connections

app = typer.Typer(help="The master key and the secrets it protects.", no_args_is_help=True)


@app.command("rotate")
@handled
def rotate(
    new_master_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-master-key-file", help=f"File holding the new key (or set {NEW_MASTER_KEY_ENV})."
        ),
    ] = None,
) -> None:
    """Re-wrap every workspace data key under a new master key (stored ciphertexts are not touched) and
    re-sign the audit chains under it."""
    settings = context.settings()
    if new_master_key_file is not None:
        text = new_master_key_file.read_text() if new_master_key_file.is_file() else ""
        if not text.strip():
            raise fail(f"{new_master_key_file}: no key there", EXIT_USAGE)
        source = str(new_master_key_file)
    elif os.environ.get(NEW_MASTER_KEY_ENV):
        text, source = os.environ[NEW_MASTER_KEY_ENV], NEW_MASTER_KEY_ENV
    else:
        raise fail(f"give --new-master-key-file or set {NEW_MASTER_KEY_ENV}", EXIT_USAGE)
    new_master = parse_master_key(text, source)
    current = load_master_key(settings)
    if new_master.key_id == current.key_id:
        raise fail("the new master key is the key in use now", EXIT_USAGE)
    with context.unit_of_work() as session:
        count = Vault(current).rotate(session, new_master)
        chains = audit.rotate(session, current, new_master)
    typer.echo(f"re-wrapped {count} data key(s) under master key {new_master.key_id}")
    typer.echo(f"re-signed {chains} audit chain(s) under master key {new_master.key_id}")
    if settings.master_key.get_secret_value():
        typer.echo("now set DUNOPS_MASTER_KEY to the new key and restart every DunOps process")
    else:
        write_key_file(settings.master_key_file, text)
        typer.echo(f"the key file {settings.master_key_file} now holds the new key")


@app.command("check")
@handled
def check() -> None:
    """Decrypt every stored secret; name each one that does not decrypt (exit 1 if any)."""
    vault = context.vault()
    with context.unit_of_work() as session:
        results = connections.check_secrets(session, vault)
    broken = [result for result in results if not result.ok]
    for result in broken:
        typer.echo(
            f"BROKEN {result.workspace} connection {result.connection_id} '{result.connection_name}': "
            f"{result.reason}",
            err=True,
        )
    typer.echo(f"{len(results)} secret(s) checked, {len(broken)} do not decrypt")
    if broken:
        raise typer.Exit(EXIT_REFUSED)
