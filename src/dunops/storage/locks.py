"""Transaction-scoped locks for check-then-write sequences that must not interleave.

On PostgreSQL a ``pg_advisory_xact_lock`` keyed by a scope and a name, released when the transaction
ends. SQLite needs none: every DunOps transaction there starts with ``BEGIN IMMEDIATE``, so writers
already take turns.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def hold(session: Session, scope: str, name: str) -> None:
    """Wait until no other transaction holds (scope, name), then hold it until this one ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:scope), hashtext(:name))"),
        {"scope": scope, "name": name},
    )
