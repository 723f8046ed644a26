"""The change workflow's records: change requests and their revisions, approvals, comments, deployments,
approval policies and notification mutes.

A revision stores its plan as the engine's stable JSON with the plan hash an approval binds to, and the
fingerprint of every touched RRset that the compare-and-set apply checks.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dunops.storage.base import Base, utcnow
from dunops.storage.models.workspace import Role


class ChangeState(StrEnum):
    """Where a change request stands; ``dunops.workflow.states`` holds the table of allowed moves."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    APPLYING = "applying"
    APPLIED = "applied"
    VERIFIED = "verified"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STALE = "stale"
    FAILED = "failed"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class DeploymentState(StrEnum):
    """One application of an approved plan: queued, running, then one final outcome."""

    QUEUED = "queued"
    RUNNING = "running"
    APPLIED = "applied"
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    STALE = "stale"
    FAILED = "failed"
    NOT_STARTED = "not_started"
    PARTIAL = "partial"
    UNKNOWN = "unknown"


class ChangeRequest(Base):
    """A proposed change to one zone; ``current_revision_id`` points at its latest revision.

    ``agent`` names the agent that proposed it on behalf of ``on_behalf_of_id`` (empty for a person).
    ``current_revision_id`` and ``rollback_of_id`` (a deployment) have no foreign key, to keep the tables
    free of cycles; services keep them consistent.
    """

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ChangeState] = mapped_column(default=ChangeState.DRAFT)
    current_revision_id: Mapped[int | None]
    revision_number: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(400), default="")
    agent: Mapped[str] = mapped_column(String(100), default="")
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rollback_of_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ChangeRevision(Base):
    """One plan of a change request, immutable: the plan JSON, its hash, fingerprints and risks.

    ``connection_id`` and ``connection_hash`` (SHA-256 of the connection's kind and non-secret config)
    bind the plan to where it was made; no foreign key, so a deleted connection leaves the binding.
    """

    __tablename__ = "change_revisions"
    __table_args__ = (UniqueConstraint("change_request_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    plan: Mapped[str] = mapped_column(Text)
    plan_hash: Mapped[str] = mapped_column(String(64))
    fingerprints: Mapped[list[Any]] = mapped_column(JSON, default=list)
    risk_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[str] = mapped_column(String(400), default="")
    connection_id: Mapped[int | None]
    connection_hash: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Approval(Base):
    """A reviewer's decision on one revision, bound to the plan hash they stated they reviewed."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("revision_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("change_revisions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    reviewer: Mapped[str] = mapped_column(String(400), default="")
    plan_hash: Mapped[str] = mapped_column(String(64))
    acknowledged: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decision: Mapped[Decision]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    __tablename__ = "change_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deployment(Base):
    """One application of an approved revision: who, when, what the provider said, verification."""

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), index=True)
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("change_revisions.id", ondelete="CASCADE"))
    plan_hash: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(400), default="")
    state: Mapped[DeploymentState] = mapped_column(default=DeploymentState.QUEUED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    request_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stale_rrsets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    duration_seconds: Mapped[float | None]
    verification: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    zone_version_id: Mapped[int | None]
    rollback_of_id: Mapped[int | None] = mapped_column(ForeignKey("deployments.id", ondelete="SET NULL"))
    holder: Mapped[str | None] = mapped_column(String(100))
    """The worker run that owns the deployment while it runs (it also holds the zone's lease)."""
    lease_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    """Renewed while the owner works; once past, the deployment is reconciled with what is served."""
    reconcile_attempts: Mapped[int] = mapped_column(default=0)


class ApprovalPolicy(Base):
    """How many approvals a change needs and from whom; ``zone_id`` NULL is the workspace default.

    ``independent_review``: a change the agent proposed needs an approver other than the person it
    acted for."""

    __tablename__ = "approval_policies"
    __table_args__ = (UniqueConstraint("workspace_id", "zone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    approvals_required: Mapped[int] = mapped_column(default=1)
    min_role: Mapped[Role] = mapped_column(default=Role.EDITOR)
    protected_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    independent_review: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationMute(Base):
    """A member who asked not to receive change-workflow mail from one workspace."""

    __tablename__ = "notification_mutes"
    __table_args__ = (UniqueConstraint("user_id", "workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
