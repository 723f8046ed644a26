"""The ``cli`` fixture: ``dunops`` pointed at the test database, data dir and zone-file roots."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from dunops.cli import context
from dunops.cli.main import app
from dunops.config import Settings

Invoke = Callable[..., Result]


@pytest.fixture
def cli(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run ``dunops ARGS...``; ``engine`` is requested so that PostgreSQL tables are emptied afterwards."""
    monkeypatch.setenv("DUNOPS_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("DUNOPS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DUNOPS_ZONEFILE_ROOTS", json.dumps([str(root) for root in settings.zonefile_roots]))
    monkeypatch.delenv("DUNOPS_MASTER_KEY", raising=False)
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


def add_zone_files(directory: Path, *member: str) -> Result:
    """``dunops connections add`` of a zone-file connection named "files" over ``directory``."""
    arguments = ["connections", "add", *member, "--kind", "zonefile", "--name", "files"]
    return CliRunner().invoke(app, [*arguments, "--config", f"directory={directory}"])
