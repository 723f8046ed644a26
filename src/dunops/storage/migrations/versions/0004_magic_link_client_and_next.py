"""magic link client address and next path

A sign-in link records the client address it was asked from, so that requests are limited per client
and per client and address, and the same-site page to return to after signing in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 11:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("magic_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("client_address", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("next_path", sa.String(length=500), server_default="/", nullable=False))
        batch_op.create_index(batch_op.f("ix_magic_links_client_address"), ["client_address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("magic_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_magic_links_client_address"))
        batch_op.drop_column("next_path")
        batch_op.drop_column("client_address")
