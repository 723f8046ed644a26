"""The ``dunops`` command: a thin edge over the same services the API uses.

Each command's module is imported only when that command runs, so ``dunops zone ...`` (a command people
run in CI jobs and pre-commit hooks) loads the DNS engine and nothing else: no web framework, database,
queue or cloud SDK. ``dunops --help`` imports every module to list them all.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import typer
from typer.core import TyperGroup

# Command name -> the module that defines it. A module either has ``app`` (a group named after the
# command) or ``register(main)`` (adding its top-level commands); listed in the order help shows them.
_COMMANDS: dict[str, str] = {
    "db": "dunops.cli.db",
    "users": "dunops.cli.users",
    "workspaces": "dunops.cli.workspaces",
    "members": "dunops.cli.members",
    "tokens": "dunops.cli.tokens",
    "audit": "dunops.cli.audit",
    "zone": "dunops.cli.zone",
    "keys": "dunops.cli.keys",
    "connections": "dunops.cli.connections",
    "zones": "dunops.cli.zones",
    "changes": "dunops.cli.changes",
    "deployments": "dunops.cli.deployments",
    "policy": "dunops.cli.policy",
    "ask": "dunops.cli.conversations",
    "conversations": "dunops.cli.conversations",
    "export": "dunops.cli.export",
    "backup": "dunops.cli.backup",
    "legal": "dunops.cli.legal",
    "requests": "dunops.cli.requests",
    "purge": "dunops.cli.privacy",
    "errors": "dunops.cli.errors",
    "admin": "dunops.cli.admin",
    "support": "dunops.cli.support",
    "serve": "dunops.cli.serve",
    "worker": "dunops.cli.serve",
    "outbox": "dunops.cli.outbox",
}
_ENGINE_ONLY = frozenset({"zone"})
"""Commands that run the pure DNS engine alone: they log nothing and load no logging set-up."""


def _zone(context: typer.Context) -> None:
    """Validate, convert and diff zone files (BIND, octoDNS YAML, JSON) offline."""
    from dunops.cli.zone import main

    raise typer.Exit(main(context.args))


_PASS_THROUGH = {"zone": _zone}


def _load_command(name: str) -> Any:
    """The click command ``name``, built from its module exactly as ``add_typer``/``register`` would.

    ``zone`` reads its own arguments (:mod:`dunops.cli.zone`, which loads no CLI framework): every
    argument after it is handed over as it is."""
    holder = typer.Typer()
    if name in _PASS_THROUGH:
        holder.command(
            name,
            add_help_option=False,
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        )(_PASS_THROUGH[name])
    else:
        module = importlib.import_module(_COMMANDS[name])
        if hasattr(module, "register"):
            module.register(holder)
        else:
            holder.add_typer(module.app, name=name)
    holder.command("_")(lambda: None)  # two commands or more: typer builds a group holding them by name
    group = typer.main.get_command(holder)
    return group.commands[name]  # type: ignore[attr-defined]


class _LazyGroup(TyperGroup):
    """The top-level group: every command's module is imported the first time the command is used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*_COMMANDS, *(name for name in super().list_commands(ctx) if name not in _COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            self.add_command(_load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=_LazyGroup,
    help="DunOps: DNS operations for teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _logs_to_stderr(context: typer.Context) -> None:
    """Log warnings and errors to stderr while a command runs: stdout carries only what the command
    prints, so a script can read it (``--json`` stays JSON). ``serve`` and ``worker`` set up their own."""
    if context.invoked_subcommand in _ENGINE_ONLY:
        return
    import structlog

    def stderr_logger(*_names: object) -> structlog.PrintLogger:
        return structlog.PrintLogger(sys.stderr)

    previous = structlog.get_config()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING), logger_factory=stderr_logger
    )
    context.call_on_close(lambda: structlog.configure(**previous))


if __name__ == "__main__":
    app()
