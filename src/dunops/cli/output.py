"""The one place that turns errors into CLI exit codes: 0 ok, 1 refused, 2 usage or unreadable input."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer

from dunops.errors import ConfigurationError, DunopsError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = EXIT_REFUSED) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def report(error: DunopsError) -> typer.Exit:
    typer.echo(f"error: {error.detail}", err=True)
    for item in error.problems:
        if str(item) != error.detail:
            typer.echo(f"  {item}", err=True)
    if error.more_problems:
        typer.echo(f"  ... and {error.more_problems:,} more", err=True)
    return typer.Exit(EXIT_USAGE if isinstance(error, ConfigurationError) else EXIT_REFUSED)


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that every ``DunopsError`` becomes a message on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DunopsError as error:
            raise report(error) from error

    return wrapper


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
