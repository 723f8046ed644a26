"""What every CLI command shares: settings, the database, one transaction per command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts import access, plans, users
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings, load_settings
from dunops.errors import NotAuthenticated
from dunops.security.vault import Vault, ensure_master_key
from dunops.storage.database import (
    make_engine,
    make_read_factory,
    make_session_factory,
    reading,
    transaction,
    upgrade,
)
from dunops.storage.models import User

# Database ids are 32-bit on PostgreSQL; typer refuses anything else as a usage error (exit 2).
MAX_ID = 2**31 - 1
Id = Annotated[int, typer.Argument(min=1, max=MAX_ID, help="The id, as listed.")]


@cache
def settings() -> Settings:
    return load_settings()


@cache
def engine() -> Engine:
    """The configured database, its master key checked; the embedded default is created and migrated
    (and given its key) on first use."""
    current = settings()
    if current.is_embedded_database:
        current.prepare_data_dir()
    created = make_engine(current.sqlalchemy_url, current.database_options)
    if current.is_embedded_database:
        upgrade(created)
    with reading(make_read_factory(created)) as session:
        ensure_master_key(session, current)  # every audited write is signed under it
    audit.configure(current)
    plans.configure(current)
    return created


def writer() -> sessionmaker[Session]:
    return make_session_factory(engine())


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with transaction(writer()) as session:
        yield session


def operator(user: User) -> Principal:
    """The CLI acts as an operator on behalf of the named user."""
    return Principal.system(user)


def member(session: Session, email: str) -> Principal:
    """The user with ``email`` acting through the CLI; a suspended user is refused, as at sign-in."""
    user = users.require_by_email(session, email)
    if not user.is_active:
        raise NotAuthenticated(
            f"{user.email} is {user.status}: a {user.status} user cannot act in a workspace"
        )
    return operator(user)


def grant(session: Session, email: str, workspace: str, permission: Permission) -> Access:
    """The access of the user with ``email`` to ``workspace``, refused unless it carries ``permission``."""
    return access.resolve(session, member(session, email), workspace, permission)


def vault() -> Vault:
    """The vault, under a master key checked against the data keys already sealed (one is made on a
    fresh embedded install)."""
    with reading(make_read_factory(engine())) as session:
        return Vault(ensure_master_key(session, settings()))
