"""The job outbox: a job recorded in the same transaction as the state that needs it.

A row is written with that state, handed to the queue after the commit, and deleted when the job has run.
A row still here after ``next_try_at`` was lost on its way (the queue was down, or dropped it) or is
still running, and is handed to the queue again; the jobs it holds are idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow


class OutboxJob(Base):
    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_try_at: Mapped[datetime] = mapped_column(index=True)
    sends: Mapped[int] = mapped_column(default=0)
