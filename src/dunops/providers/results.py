"""The values a provider hands back: zone listings, capabilities, apply results and verifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dunops.dns.plan import Capabilities as PlanCapabilities
from dunops.dns.zone import Zone


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can hold and how it writes; the base class checks plans against this.

    ``max_batch`` is the largest number of resource records one request may carry (0: no limit).
    ``disabled_checks`` names validation checks that do not apply to this provider (for example
    Route53 allows its ALIAS records below the apex).
    """

    record_types: frozenset[str]
    root_ns: bool
    atomic_apply: bool
    max_batch: int = 0
    disabled_checks: frozenset[str] = frozenset()

    def supports(self, rtype: str) -> bool:
        return rtype in self.record_types

    def for_planning(self) -> PlanCapabilities:
        """The subset :func:`dunops.dns.plan.plan_changes` takes."""
        return PlanCapabilities(record_types=self.record_types, root_ns=self.root_ns)


@dataclass(frozen=True, slots=True)
class ProviderZone:
    """One zone as a provider lists it."""

    name: str
    provider_id: str = ""
    private: bool = False
    record_count: int | None = None
    note: str = ""


class ChangeKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class ChangeStatus(StrEnum):
    """What happened to one change: it landed, the provider refused it, or nobody can tell."""

    WRITTEN = "written"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """The fate of one planned change (identified by owner name and type)."""

    name: str
    rtype: str
    kind: ChangeKind
    status: ChangeStatus
    message: str = ""
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Everything an apply did: per change outcome, provider request ids, duration and the read-back.

    ``read_back`` holds the touched RRsets as the provider serves them after the apply (a partial zone:
    a touched RRset missing from it is absent), or None when they could not be read.
    """

    zone: str
    outcomes: tuple[ChangeOutcome, ...]
    request_ids: tuple[str, ...] = ()
    duration_seconds: float = 0.0
    read_back: Zone | None = field(default=None, compare=False)

    @property
    def complete(self) -> bool:
        """True when every change was written."""
        return all(outcome.status is ChangeStatus.WRITTEN for outcome in self.outcomes)

    def by_status(self, status: ChangeStatus) -> list[ChangeOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status is status]


class ServeStatus(StrEnum):
    SERVED = "served"
    NOT_YET_SERVED = "not_yet_served"


@dataclass(frozen=True, slots=True)
class ServedAnswer:
    """What one authoritative server answered for one changed RRset."""

    server: str
    matches: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class VerificationOutcome:
    """Whether every queried authoritative server serves one change as planned."""

    name: str
    rtype: str
    kind: ChangeKind
    status: ServeStatus
    answers: tuple[ServedAnswer, ...] = ()


@dataclass(frozen=True, slots=True)
class Verification:
    """Per change: served / not yet served, after querying the zone's authoritative servers."""

    zone: str
    servers: tuple[str, ...]
    outcomes: tuple[VerificationOutcome, ...]

    @property
    def all_served(self) -> bool:
        return all(outcome.status is ServeStatus.SERVED for outcome in self.outcomes)

    def pending(self) -> Sequence[VerificationOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status is not ServeStatus.SERVED]
