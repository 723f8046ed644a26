"""signed audit chains

Each chain gets a head signed under the audit-chain key, and every event is re-signed with HMAC-SHA256
under that key, in sequence order. Events whose unkeyed hash did not match keep their hash, so a chain
broken before the upgrade still shows the same break after it. Re-signing needs the master key
(``DUNOPS_MASTER_KEY`` or the data dir's key file), only when there are events.

Going down drops the heads and hashes every event with unkeyed SHA-256 again, in sequence order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:10:41.208114
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dunops.storage.base
from dunops.audit.digest import GENESIS, ChainKey, content, legacy_hash
from dunops.audit.signatures import EVENTS as _events
from dunops.audit.signatures import resign
from dunops.config import load_settings
from dunops.errors import ConfigurationError
from dunops.security.master_key import load_master_key

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("master_key_id", sa.String(length=40), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("updated_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_audit_heads_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_heads")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_audit_heads_workspace_id")),
    )
    connection = op.get_bind()
    if connection.execute(sa.select(_events.c.id).limit(1)).first() is None:
        return
    try:
        master = load_master_key(load_settings())
    except ConfigurationError as exc:
        raise ConfigurationError(f"signing the audit chains needs the master key: {exc.detail}") from exc
    resign(connection, None, ChainKey.of(master))


def downgrade() -> None:
    op.drop_table("audit_heads")
    connection = op.get_bind()
    chains = connection.scalars(sa.select(_events.c.workspace_id).distinct()).all()
    for workspace_id in chains:
        in_chain = (
            _events.c.workspace_id.is_(None)
            if workspace_id is None
            else _events.c.workspace_id == workspace_id
        )
        previous = GENESIS
        for row in connection.execute(sa.select(_events).where(in_chain).order_by(_events.c.sequence)).all():
            event_hash = legacy_hash({**content(row), "previous_hash": previous})
            connection.execute(
                sa.update(_events)
                .where(_events.c.id == row.id)
                .values(previous_hash=previous, hash=event_hash)
            )
            previous = event_hash
