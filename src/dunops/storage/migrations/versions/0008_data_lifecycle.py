"""data lifecycle

Deletion tombstones (what was deleted and when, naming only an id, re-applied by a backup restore), data
exports (zips of an account's or a workspace's data, built by a job) and email changes waiting for the
link mailed to the new address.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:27:45.945213
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dunops.storage.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletion_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("workspace", "user", name="tombstonekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("purge_after", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("purged_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_tombstones")),
    )
    with op.batch_alter_table("deletion_tombstones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deletion_tombstones_recorded_at"), ["recorded_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deletion_tombstones_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("user", "workspace", name="exportkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "ready",
                "failed",
                "expired",
                name="exportstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.Column("expires_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_exports_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_exports_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_exports_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_exports_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "email_changes",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sa.String(length=320), nullable=False),
        sa.Column("created_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_email_changes")),
    )
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_changes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_changes_user_id"))

    op.drop_table("email_changes")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_exports_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_data_exports_user_id"))

    op.drop_table("data_exports")
    with op.batch_alter_table("deletion_tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deletion_tombstones_subject_id"))
        batch_op.drop_index(batch_op.f("ix_deletion_tombstones_recorded_at"))

    op.drop_table("deletion_tombstones")
