"""Which rows belong to a workspace, derived once from the schema for every table there is.

A row belongs to a workspace when it names the workspace through a foreign key that deletes with it
(``ON DELETE CASCADE``), directly or through a parent that does: a zone's RRsets through the zone, an
approval through its change request. A table added later (say, conversations) is covered the moment its
model declares such a key: the purge removes its rows and the workspace export carries them, with no
list to extend.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, false, or_, select

import dunops.storage.models  # noqa: F401  (every model registers its table on the metadata)
from dunops.storage.base import Base


def rows_of(root: str, root_id: int) -> dict[Table, ColumnElement[bool]]:
    """For every table holding rows that go with row ``root_id`` of table ``root``, the condition that
    selects exactly those rows; parents come before their children (the order in which to read, the
    reverse of the order in which to delete). The root's own condition comes first."""
    conditions: dict[Table, ColumnElement[bool]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == root:
            conditions[table] = table.c.id == root_id
            continue
        through = [
            key.parent.in_(select(key.column).where(conditions[key.column.table]))
            for key in sorted(table.foreign_keys, key=lambda key: key.parent.name)
            if key.ondelete == "CASCADE"
            and isinstance(key.column.table, Table)
            and key.column.table in conditions
            and key.column.table is not table
        ]
        if through:
            conditions[table] = or_(false(), *through)
    return conditions


def workspace_rows(workspace_id: int) -> dict[Table, ColumnElement[bool]]:
    """Every row of a workspace: its zones, connections, changes, members, tokens, audit chain..."""
    return rows_of("workspaces", workspace_id)


def user_rows(user_id: int) -> dict[Table, ColumnElement[bool]]:
    """Every row that exists only for an account: identities, sessions, memberships, tokens..."""
    return rows_of("users", user_id)
