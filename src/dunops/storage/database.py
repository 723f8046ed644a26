"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL.

Two kinds of session share one engine: a *writer* (the default) and a *reader* (:func:`make_read_factory`).
On SQLite a writer's transaction begins ``BEGIN IMMEDIATE`` (writers take turns without deadlocks) and a
reader's begins deferred under ``PRAGMA query_only`` (on PostgreSQL: a read-only transaction), so a read
never waits for a writer and can never write. Both wait at most the busy timeout for a lock; connections
come from a bounded pool whose wait is bounded too. Whoever waits too long gets an ``OperationalError``
or a pool ``TimeoutError``, which the API answers with 503 and ``Retry-After``.

No transaction may stay open across network I/O: :func:`released` ends a transaction that has only read,
for the length of a provider call, and the next query begins a new one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from dunops.config import DatabaseOptions

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
READ_ONLY = "dunops_read_only"
"""Execution option marking a reader's connection (deferred, query-only transactions on SQLite)."""
_WROTE = "dunops_wrote"


def make_engine(url: str, options: DatabaseOptions | None = None) -> Engine:
    """An engine with the per-dialect settings DunOps relies on (see the module docstring)."""
    options = options or DatabaseOptions()
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": options.busy_timeout},
            pool_size=options.pool_size,
            max_overflow=options.pool_size,
            pool_timeout=options.pool_timeout,
        )
        busy_ms = int(options.busy_timeout * 1000)
        turn = _WriterTurn(options.busy_timeout)
        event.listen(engine, "connect", lambda connection, _record: _sqlite_pragmas(connection, busy_ms))
        event.listen(engine, "begin", turn.begin)
        event.listen(engine, "commit", turn.end)
        event.listen(engine, "rollback", turn.end)
        event.listen(engine.pool, "reset", turn.reset)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=options.pool_size,
        max_overflow=options.pool_size // 2,
        pool_timeout=options.pool_timeout,
    )


def _sqlite_pragmas(dbapi_connection: Any, busy_ms: int) -> None:
    # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE serialises writers without deadlocks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so a purge leaves nothing of them in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


def _query_only(connection: Connection, on: bool) -> None:
    """Switch SQLite's query_only mode, remembered per connection so that an unchanged mode costs nothing."""
    if connection.info.get("dunops_query_only") is not on:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        connection.info["dunops_query_only"] = on


class _WriterTurn:
    """Writers of one process take the SQLite write lock in turn, first come first served.

    SQLite's own busy handler makes a waiting writer sleep in growing steps (up to 100 ms) and lets
    a newcomer overtake it; under load a write could wait seconds though the lock was free most of
    the time. Here a writer waits on a lock of this process instead and starts the moment the previous
    one ends; ``BEGIN IMMEDIATE`` then only waits for writers of other processes (the busy timeout).
    """

    _HELD = "dunops_writer_turn"

    def __init__(self, timeout: float) -> None:
        self.lock = threading.Lock()
        self.timeout = timeout

    def begin(self, connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            _query_only(connection, True)
            connection.exec_driver_sql("BEGIN")
            return
        if not self.lock.acquire(timeout=self.timeout):
            raise OperationalError("BEGIN IMMEDIATE", {}, TimeoutError("database is locked (writers queued)"))
        connection.info[self._HELD] = True
        try:
            _query_only(connection, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release(connection.info)
            raise

    def end(self, connection: Connection) -> None:
        self._release(connection.info)

    def reset(self, _dbapi_connection: Any, record: Any, _state: Any) -> None:
        self._release(record.info)

    def _release(self, info: dict[Any, Any]) -> None:
        if info.pop(self._HELD, False):
            self.lock.release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that may write (on SQLite each transaction waits its turn to write)."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: they never wait for a writer, and the database refuses their writes."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any exception."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only unit of work; what was loaded stays readable after the block (detached)."""
    with factory() as session:
        yield session


@contextmanager
def released(session: Session) -> Iterator[None]:
    """Hold no transaction for the length of the block: for network I/O in the middle of a unit of work.

    The transaction so far must have only read; it ends here (there is nothing to commit), and the next
    query after the block begins a new one. Loaded objects keep their state: re-read what must be current.
    """
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        raise RuntimeError("a transaction that has written cannot be released for network I/O")
    session.commit()
    yield


def mark_written(session: Session) -> None:
    """Say that this transaction has written (something it will store at commit, such as audit events)."""
    session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
