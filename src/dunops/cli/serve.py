"""`dunops serve`."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def register(main: typer.Typer) -> None:
    """Add this module's top-level commands to the main app."""
