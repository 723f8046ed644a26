"""policy documents and data requests

Versioned policy documents and the notices of their material changes, and data-subject requests with their
due dates.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 11:49:04.613998
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dunops.storage.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("published_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_versions")),
        sa.UniqueConstraint("document", "version", name=op.f("uq_legal_versions_document")),
    )
    with op.batch_alter_table("legal_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_versions_document"), ["document"], unique=False)

    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "access", "correction", "export", "deletion", name="requestkind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum("open", "completed", name="requeststate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "self-service",
                "support",
                "workspace-admin",
                name="requestchannel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("filed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("received_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("due_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("completed_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["filed_by_user_id"],
            ["users.id"],
            name=op.f("fk_data_requests_filed_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"],
            ["users.id"],
            name=op.f("fk_data_requests_subject_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_data_requests_workspace_id_workspaces"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_requests_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_data_requests_subject_user_id"), ["subject_user_id"], unique=False
        )

    op.create_table(
        "legal_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_legal_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["legal_versions.id"],
            name=op.f("fk_legal_notices_version_id_legal_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_notices")),
        sa.UniqueConstraint("user_id", "version_id", name=op.f("uq_legal_notices_user_id")),
    )
    with op.batch_alter_table("legal_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_notices_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("legal_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_notices_user_id"))

    op.drop_table("legal_notices")
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_requests_subject_user_id"))
        batch_op.drop_index(batch_op.f("ix_data_requests_due_at"))

    op.drop_table("data_requests")
    with op.batch_alter_table("legal_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_versions_document"))

    op.drop_table("legal_versions")
