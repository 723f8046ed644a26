"""``dunops users``: create, list, suspend and unsuspend through the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunops.cli import context
from dunops.cli.main import app

Invoke = Callable[..., Result]


@contextmanager
def cli_environment(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run ``dunops`` against the test database with a fresh data dir; shared by the CLI tests."""
    monkeypatch.setenv("DUNOPS_DATABASE_URL", database_url)
    monkeypatch.setenv("DUNOPS_DATA_DIR", str(tmp_path / "cli-data"))
    context.settings.cache_clear()
    context.engine.cache_clear()
    runner = CliRunner()
    try:
        yield lambda *args: runner.invoke(app, [str(arg) for arg in args])
    finally:
        if context.engine.cache_info().currsize:
            context.engine().dispose()
        context.settings.cache_clear()
        context.engine.cache_clear()


@pytest.fixture
def cli(
    database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    """``engine`` is requested so that PostgreSQL tables are emptied after each test."""
    with cli_environment(database_url, tmp_path, monkeypatch) as invoke:
        yield invoke


def test_create_list_suspend_unsuspend(cli: Invoke) -> None:
    created = cli("users", "create", "--email", "Alice@Example.com", "--name", "Alice")
    assert created.exit_code == 0, created.output
    assert "alice@example.com" in created.output
    listed = cli("users", "list")
    assert listed.exit_code == 0
    assert "alice@example.com\tactive\tAlice" in listed.stdout
    assert cli("users", "suspend", "alice@example.com").exit_code == 0
    assert "alice@example.com\tsuspended" in cli("users", "list").stdout
    assert cli("users", "unsuspend", "ALICE@example.com").exit_code == 0
    assert "alice@example.com\tactive" in cli("users", "list").stdout


def test_refusals_exit_1_and_usage_errors_exit_2(cli: Invoke) -> None:
    assert cli("users", "create", "--email", "alice@example.com").exit_code == 0
    duplicate = cli("users", "create", "--email", "alice@example.com")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr
    bad = cli("users", "create", "--email", "not an email")
    assert bad.exit_code == 1
    assert "not an email address" in bad.stderr
    assert cli("users", "suspend", "ghost@example.com").exit_code == 1
    assert cli("users", "create").exit_code == 2
