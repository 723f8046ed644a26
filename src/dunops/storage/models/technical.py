"""Technical data, kept only as long as needed: error traces shown to users by id, and daily usage counts
per workspace. Both go with their workspace when it is purged, and age out after their retention
(``DUNOPS_ERROR_TRACE_DAYS``, ``DUNOPS_USAGE_METRICS_DAYS``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class ErrorTrace(Base):
    """An unexpected error while answering a request; the user is shown ``trace_id``. The traceback
    holds code locations and scrubbed messages only, never local variables."""

    __tablename__ = "error_traces"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[str] = mapped_column(String(32), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(16), default="")
    route: Mapped[str] = mapped_column(String(300), default="")
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    error_type: Mapped[str] = mapped_column(String(200))
    traceback: Mapped[str] = mapped_column(Text)


class UsageMetric(Base):
    """What a workspace did on one day (UTC): counts only."""

    __tablename__ = "usage_metrics"
    __table_args__ = (UniqueConstraint("workspace_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    api_calls: Mapped[int] = mapped_column(default=0)
    syncs: Mapped[int] = mapped_column(default=0)
    applies: Mapped[int] = mapped_column(default=0)
    imports: Mapped[int] = mapped_column(default=0)
    agent_messages: Mapped[int] = mapped_column(default=0)
