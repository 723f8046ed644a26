"""Alembic environment: runs on the engine handed over in ``config.attributes``.

On SQLite, foreign keys are off while migrations run: batch mode rebuilds a table by copying it and
dropping the old one, and with foreign keys on that drop would cascade into every referring table.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from dunops.storage import models  # noqa: F401  (registers every table)
from dunops.storage.base import Base

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # outside any transaction, where SQLite honours it
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
