"""The schema: migrations run up from empty and down one step on both databases, and match the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from dunops.storage import models  # noqa: F401
from dunops.storage.base import Base
from dunops.storage.database import alembic_config, downgrade, make_engine, upgrade
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('mig') / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_postgres_database(admin_url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_postgres_database(admin_url, url)


def _head(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_creates_every_table(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert _current(empty_engine) == _head(empty_engine)
    assert set(Base.metadata.tables) <= set(inspect(empty_engine).get_table_names())


def test_downgrade_one_step_and_upgrade_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    head = _head(empty_engine)
    script = ScriptDirectory.from_config(alembic_config(empty_engine)).get_revision(head)
    downgrade(empty_engine, "-1")
    assert _current(empty_engine) == script.down_revision
    upgrade(empty_engine)
    assert _current(empty_engine) == head


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
