"""error traces and usage metrics

Unexpected errors stored under the trace id shown to the user, and daily usage counts per workspace.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 13:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dunops.storage.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "error_traces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column("error_type", sa.String(length=200), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_error_traces_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_traces")),
        sa.UniqueConstraint("trace_id", name=op.f("uq_error_traces_trace_id")),
    )
    with op.batch_alter_table("error_traces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_error_traces_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_error_traces_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "usage_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("syncs", sa.Integer(), nullable=False),
        sa.Column("applies", sa.Integer(), nullable=False),
        sa.Column("imports", sa.Integer(), nullable=False),
        sa.Column("agent_messages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_usage_metrics_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_metrics")),
        sa.UniqueConstraint("workspace_id", "day", name=op.f("uq_usage_metrics_workspace_id")),
    )
    with op.batch_alter_table("usage_metrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_metrics_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_metrics_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_metrics_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_usage_metrics_day"))

    op.drop_table("usage_metrics")
    with op.batch_alter_table("error_traces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_error_traces_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_error_traces_occurred_at"))

    op.drop_table("error_traces")
