"""operators, billing and support

Users may be platform admins; users and workspaces carry the reason of a suspension and workspaces when
theirs began; a workspace keeps its Stripe customer and subscription ids. Stripe events handled are kept
by id so a replay changes nothing; support tickets and their messages are workspace data.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 11:36:45.380144
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dunops.storage.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("received_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_billing_events_workspace_id_workspaces"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_billing_events")),
    )
    op.create_table(
        "support_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("question", "data_request", name="ticketkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "answered", "closed", name="ticketstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("zone", sa.String(length=255), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("due_at", dunops.storage.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_support_tickets_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_support_tickets_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_tickets_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "support_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("from_operator", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_support_messages_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_messages_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
    )
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_messages_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("suspended_reason", sa.String(length=500), server_default="", nullable=False)
        )

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", dunops.storage.base.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("suspended_reason", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("stripe_customer_id", sa.String(length=255), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("stripe_subscription_id", sa.String(length=255), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_workspaces_stripe_customer_id"), ["stripe_customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workspaces_stripe_customer_id"))
        batch_op.drop_column("stripe_subscription_id")
        batch_op.drop_column("stripe_customer_id")
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("suspended_at")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("platform_admin")

    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_messages_ticket_id"))

    op.drop_table("support_messages")
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_tickets_workspace_id"))

    op.drop_table("support_tickets")
    op.drop_table("billing_events")
