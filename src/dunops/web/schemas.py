"""The workflow's API shapes: edits going in; plans, revisions, change requests and deployments coming out.

Edits are documented here as a union of upsert and delete, but validated by the engine
(:mod:`dunops.sync.edits`), which checks every edit against DNS rules in one pass and names each problem
as ``edits[i].field``; a request body that is not even a list of objects is refused here first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from dunops.dns.rrset import MAX_TTL
from dunops.storage.models import Deployment


class UpsertEdit(BaseModel):
    """Make the RRset at ``name``/``type`` exactly ``values`` (created when absent)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "upsert", "name": "www", "type": "A", "ttl": 300, "values": ["192.0.2.10"]},
                {"action": "upsert", "name": "@", "type": "MX", "values": ["10 mail.example.com."]},
            ]
        },
    )

    action: Literal["upsert"]
    name: str = Field(
        description="Owner name: relative to the zone (`www`, `@` for the apex) or absolute with a "
        "trailing dot (`www.example.com.`)."
    )
    type: str = Field(description="Record type: A, AAAA, CNAME, MX, TXT, SRV, CAA, NS, PTR, ...")
    ttl: int | None = Field(
        default=None,
        ge=0,
        le=MAX_TTL,
        description="Seconds. Left out: an existing RRset keeps its TTL, a new one gets 3600.",
    )
    values: list[str] = Field(
        min_length=1,
        description="Record data in zone-file presentation format, one item per record "
        '(`"10 mail.example.com."`, `"\\"v=spf1 -all\\""`); the RRset becomes exactly these.',
    )


class DeleteEdit(BaseModel):
    """Delete the whole RRset at ``name``/``type``; it must exist."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "delete", "name": "old", "type": "CNAME"}]},
    )

    action: Literal["delete"]
    name: str = Field(description="Owner name, relative to the zone or absolute with a trailing dot.")
    type: str = Field(description="Record type.")


EDIT_SCHEMA = {
    "title": "Edit",
    "description": "An upsert or a delete of one RRset, told apart by `action`.",
    "oneOf": [UpsertEdit.model_json_schema(), DeleteEdit.model_json_schema()],
}

Edit = Annotated[dict[str, Any], WithJsonSchema(EDIT_SCHEMA)]
"""One edit, as the API documents it (:class:`UpsertEdit` or :class:`DeleteEdit`)."""

Edits = Annotated[list[Edit], Field(max_length=1000, description="RRset edits, applied in order.")]


class RRsetData(BaseModel):
    name: str = Field(description="Absolute owner name, with the trailing dot.")
    type: str
    ttl: int
    values: list[str]
    meta: dict[str, Any] | None = Field(
        default=None,
        exclude_if=lambda meta: meta is None,
        description="Provider metadata kept with the RRset.",
    )


class PlannedChange(BaseModel):
    kind: Literal["create", "update", "delete"]
    name: str
    type: str
    ttl_only: bool = Field(description="Only the TTL changes.")
    before: RRsetData | None
    after: RRsetData | None
    before_fingerprint: str | None = Field(
        description="What the RRset must still be at apply time (compare-and-set)."
    )


class PlanData(BaseModel):
    """A plan in the engine's stable form: its SHA-256 is the plan hash an approval binds to."""

    origin: str
    changes: list[PlannedChange]
    unchanged: int = Field(description="RRsets the plan leaves as they are.")
    current_size: int
    desired_size: int
    skipped: list[str] = Field(description="RRsets left out because the provider cannot hold them.")


class RiskReason(BaseModel):
    id: str = Field(description="Acknowledge it by this id when approving (or confirming an apply).")
    code: str
    message: str


class Fingerprint(BaseModel):
    name: str
    type: str
    fingerprint: str


class RevisionBrief(BaseModel):
    number: int
    plan_hash: str
    summary: str
    created_by: str


class RevisionOut(RevisionBrief):
    plan: PlanData
    rendered: str = Field(description="The plan as text, one line per change.")
    risk_reasons: list[RiskReason]
    fingerprints: list[Fingerprint]
    created_at: datetime


class Problem(BaseModel):
    location: str
    message: str


class LivePlanOut(BaseModel):
    """A plan against the zone as its provider serves it now (nothing stored or written)."""

    zone: str
    connection_id: int | None
    plan: PlanData
    plan_hash: str
    summary: str
    fingerprints: list[Fingerprint]
    unsupported: list[Problem]
    warnings: list[Problem]
    matches_last_version: bool
    risk_reasons: list[RiskReason] = Field(
        description="What a change request of this plan would need acknowledged, one reason per risk."
    )


class RRsetOutcome(BaseModel):
    name: str | None = None
    type: str | None = None
    kind: str | None = None
    status: str | None = None
    message: str | None = None
    request_id: str | None = None
    rrset: str | None = Field(default=None, description="For a refusal: the RRset it names.")


class StaleRRset(BaseModel):
    rrset: str
    message: str


class DeploymentOut(BaseModel):
    """One apply of one revision: ``queued``, ``running``, then ``applied`` → ``verified`` /
    ``unverified``, or ``stale``, ``failed``, ``not_started``; a deployment whose worker stopped is
    reconciled with what the provider serves, which may also find it ``partial`` or ``unknown``."""

    id: int
    change_request: int
    revision_id: int
    plan_hash: str
    state: Literal[
        "queued",
        "running",
        "applied",
        "verified",
        "unverified",
        "stale",
        "failed",
        "not_started",
        "partial",
        "unknown",
    ]
    actor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    request_ids: list[str]
    results: list[RRsetOutcome]
    stale_rrsets: list[StaleRRset]
    verification: dict[str, Any] = Field(
        description="The last verification pass: method (dns, read-back, none), attempts, checked_at, and "
        "per change its status (served / not_yet_served) and each server's answer."
    )
    message: str
    zone_version_id: int | None
    rollback_of: int | None

    @classmethod
    def of(cls, deployment: Deployment) -> DeploymentOut:
        return cls(
            id=deployment.id,
            change_request=deployment.change_request_id,
            revision_id=deployment.revision_id,
            plan_hash=deployment.plan_hash,
            state=deployment.state.value,
            actor=deployment.actor,
            created_at=deployment.created_at,
            started_at=deployment.started_at,
            finished_at=deployment.finished_at,
            duration_seconds=deployment.duration_seconds,
            request_ids=list(deployment.request_ids or ()),
            results=[RRsetOutcome.model_validate(item) for item in deployment.results or ()],
            stale_rrsets=[StaleRRset.model_validate(item) for item in deployment.stale_rrsets or ()],
            verification=dict(deployment.verification or {}),
            message=deployment.message,
            zone_version_id=deployment.zone_version_id,
            rollback_of=deployment.rollback_of_id,
        )


class QueuedDeployment(DeploymentOut):
    deployment: int = Field(description="The deployment's id; follow it on GET /deployments/{id}.")
