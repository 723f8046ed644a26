"""Database fixtures: every test that touches the database runs on SQLite and, when
``DUNOPS_TEST_DATABASE_URL`` is set, on PostgreSQL too (a fresh database per run, tables emptied per test)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.config import Settings
from dunops.security.master_key import create_key_file
from dunops.storage.base import Base
from dunops.storage.database import make_engine, make_session_factory, upgrade
from dunops.web.app import create_app
from tests.support import missing_server

POSTGRES_URL = os.environ.get("DUNOPS_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("DUNOPS_TEST_REDIS_URL", "")

BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _psycopg_url(url: str) -> str:
    return "postgresql+psycopg://" + url.removeprefix("postgresql://").removeprefix("postgresql+psycopg://")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    if not POSTGRES_URL:
        missing_server("PostgreSQL (set DUNOPS_TEST_DATABASE_URL)")
    return _psycopg_url(POSTGRES_URL)


def create_postgres_database(admin_url: str) -> str:
    """A new, empty database next to the configured one; returns its URL."""
    name = f"dunops_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        missing_server(f"PostgreSQL at {make_url(admin_url).render_as_string(hide_password=True)}")
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each SQLite test copies (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "dunops.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_postgres_database(admin_url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_database(admin_url, url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "dunops.sqlite3"
        shutil.copy(request.getfixturevalue("migrated_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
def engine(database_url: str, settings: Settings) -> Iterator[Engine]:
    created = make_engine(database_url)
    audit.configure(settings)  # audit events are signed under the test's master key
    yield created
    if created.dialect.name == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with created.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    created.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking state; commit explicitly where the app must see it."""
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    data_dir = tmp_path / "data"
    configured = Settings(
        data_dir=data_dir, database_url=database_url, base_url="http://testserver", zonefile_roots=[tmp_path]
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database and on Redis, so a CI log shows every variant ran."""
    passed = terminalreporter.stats.get("passed", [])
    counts = {
        "sqlite": sum("sqlite" in report.nodeid for report in passed),
        "postgresql": sum("postgresql" in report.nodeid for report in passed),
        "redis": sum("redis" in report.nodeid for report in passed),
    }
    terminalreporter.write_line(
        "variants passed: " + ", ".join(f"{name} {count}" for name, count in counts.items())
    )
