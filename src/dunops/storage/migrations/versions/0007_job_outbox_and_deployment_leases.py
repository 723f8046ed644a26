"""job outbox and deployment leases

Jobs are recorded in ``job_outbox`` with the state that needs them and handed to the queue after the
commit. A deployment names the worker run that owns it and until when (``holder``,
``lease_expires_at``), so one whose worker died is found and reconciled with what the provider serves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dunops.storage.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("created_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("next_try_at", dunops.storage.base.UTCDateTime(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
    )
    op.create_index(op.f("ix_job_outbox_next_try_at"), "job_outbox", ["next_try_at"], unique=False)
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("holder", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", dunops.storage.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reconcile_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index(batch.f("ix_deployments_lease_expires_at"), ["lease_expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_index(batch.f("ix_deployments_lease_expires_at"))
        batch.drop_column("reconcile_attempts")
        batch.drop_column("lease_expires_at")
        batch.drop_column("holder")
    op.drop_index(op.f("ix_job_outbox_next_try_at"), table_name="job_outbox")
    op.drop_table("job_outbox")
