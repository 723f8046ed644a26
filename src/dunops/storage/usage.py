"""Daily usage counts per workspace, added to with one statement on SQLite and PostgreSQL alike.

Counting is an upsert that adds to the day's row, so concurrent writers (requests, jobs, replicas) never
lose a count nor collide on the row's creation.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dunops.storage.base import utcnow
from dunops.storage.models import UsageMetric

COUNTED = ("api_calls", "syncs", "applies", "imports", "agent_messages")
"""What is counted per workspace and day."""


def count(session: Session, workspace_id: int, day: date | None = None, **counts: int) -> None:
    """Add ``counts`` (``api_calls=3``, ``syncs=1``...) to the workspace's row for ``day`` (today, UTC)."""
    unknown = set(counts) - set(COUNTED)
    if unknown:
        raise ValueError(f"not a usage count: {', '.join(sorted(unknown))}")
    counts = {name: value for name, value in counts.items() if value}
    if not counts:
        return
    values = {name: counts.get(name, 0) for name in COUNTED}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(UsageMetric).values(workspace_id=workspace_id, day=day or utcnow().date(), **values)
    statement = statement.on_conflict_do_update(
        index_elements=["workspace_id", "day"],
        set_={name: getattr(UsageMetric, name) + statement.excluded[name] for name in counts},
    )
    session.execute(statement)
