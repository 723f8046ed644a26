"""The provider interface and the algorithm every provider shares.

A provider declares its :class:`Capabilities` and translates between DunOps RRsets and its native
API in four primitives (``_list_zones``, ``_fetch``, ``_apply``, ``_dns_servers``), plus, where its API
can, ``_read_rrsets``: exactly some RRsets, without reading the whole zone. The base class owns the
rest, octoDNS-style: it validates a plan against the capabilities before anything is sent, re-reads
the touched RRsets and compares them to the plan's fingerprints (compare-and-set,
:class:`~dunops.errors.StalePlan` naming each RRset that differs), hands the changes to ``_apply``,
reads the touched RRsets back to settle any outcome the provider could not report, and verifies
changes on the authoritative servers where the provider serves DNS. Work on a plan costs the RRsets it
touches, not the zone, wherever the provider's API allows.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import ClassVar, Protocol

from dunops.dns.names import InvalidName, zone_origin
from dunops.dns.rrset import RRset, rrset_fingerprint
from dunops.dns.validation import Finding, Level, validate
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import InvalidInput, Problem, ProviderError, StalePlan
from dunops.providers.metrics import observed
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import (
    ApplyResult,
    Capabilities,
    ChangeKind,
    ChangeOutcome,
    ChangeStatus,
    ProviderZone,
    Verification,
)


class PlannedChange(Protocol):
    """One RRset-level change of a plan: ``before`` is absent for a create, ``after`` for a delete."""

    @property
    def before(self) -> RRset | None: ...

    @property
    def after(self) -> RRset | None: ...


class PlanLike(Protocol):
    """What a provider needs of a plan: its ordered changes (the zone is given by ``origin``/``zone``)."""

    @property
    def changes(self) -> Sequence[PlannedChange]: ...


def change_kind(change: PlannedChange) -> ChangeKind:
    if change.before is None:
        return ChangeKind.CREATE
    if change.after is None:
        return ChangeKind.DELETE
    return ChangeKind.UPDATE


def change_rrset(change: PlannedChange) -> RRset:
    """The RRset a change is about (its after state, or its before state for a delete)."""
    rrset = change.after if change.after is not None else change.before
    if rrset is None:
        raise InvalidInput.single("a change has neither a before nor an after RRset", "plan.changes")
    return rrset


def change_key(change: PlannedChange) -> RRsetKey:
    rrset = change_rrset(change)
    return (rrset.key, rrset.rtype)


def zone_name(text: str) -> str:
    """A zone name in the absolute, lower-case, punycode form every provider uses; only plain DNS names
    pass, since a zone name becomes part of a provider's file names and URLs."""
    try:
        return zone_origin(text)
    except InvalidName as exc:
        raise InvalidInput.single(str(exc), "zone") from exc


def plan_origin(plan: PlanLike) -> str:
    for attribute in ("origin", "zone", "zone_name"):
        value = getattr(plan, attribute, None)
        if isinstance(value, str) and value:
            return zone_name(value)
        origin = getattr(value, "origin", None)
        if isinstance(origin, str):
            return zone_name(origin)
    raise InvalidInput.single("the plan does not say which zone it is for", "plan.zone")


class Provider(ABC):
    """One DNS provider connection. Credentials come through the constructor; no database access."""

    kind: ClassVar[str]
    label: ClassVar[str]
    capabilities: Capabilities
    partial_read_limit: ClassVar[int] = 100
    """Above this many RRsets, one whole-zone read is cheaper than reading them one by one."""

    def __init__(
        self, *, name: str = "", timeout: float = 10.0, outbound: OutboundPolicy | None = None
    ) -> None:
        self.name = name or self.kind
        self.timeout = timeout
        # what every connection this provider opens must pass; the process's settings unless given
        self.outbound = outbound if outbound is not None else OutboundPolicy.from_environment()

    # -- what each provider implements -------------------------------------------------------------

    @abstractmethod
    def test_connection(self) -> None:
        """Raise ProviderError naming the connection when it cannot be used (credentials, reachability)."""

    @abstractmethod
    def _list_zones(self) -> list[ProviderZone]: ...

    @abstractmethod
    def _fetch(self, origin: str) -> Zone: ...

    @abstractmethod
    def _apply(
        self, origin: str, changes: Sequence[PlannedChange], current: Zone
    ) -> tuple[list[ChangeOutcome], list[str]]:
        """Write ``changes`` (already checked); return the outcome of each change and request ids."""

    def _dns_servers(self, origin: str) -> list[tuple[str, int]]:
        """The (address, port) of servers that answer authoritatively for the zone; none by default."""
        return []

    def _read_nodes(self, origin: str, names: Collection[str]) -> list[RRset] | None:
        """Every served RRset owned by one of ``names`` (lower case), or None when this provider cannot
        read a name apart from the whole zone; by default it cannot."""
        return None

    def _read_rrsets(self, origin: str, keys: Collection[RRsetKey]) -> dict[RRsetKey, RRset] | None:
        """Exactly the served RRsets among ``keys`` (absent ones left out), or None when this provider
        cannot read them apart from the whole zone; by default, from the nodes of their names."""
        nodes = self._read_nodes(origin, {name for name, _ in keys})
        if nodes is None:
            return None
        return {key: rrset for rrset in nodes if (key := (rrset.key, rrset.rtype)) in keys}

    # -- the shared algorithm ---------------------------------------------------------------------

    def describe(self) -> str:
        """How messages name this connection: ``connection 'name' (PowerDNS)``."""
        return f"connection {self.name!r} ({self.label})"

    def list_zones(self) -> list[ProviderZone]:
        with observed(self.kind, "list_zones"):
            return sorted(self._list_zones(), key=lambda zone: zone.name)

    def fetch(self, zone: str) -> Zone:
        """The zone's content as the provider serves it, quirks normalised (SOA kept apart)."""
        with observed(self.kind, "fetch"):
            return self._fetch(zone_name(zone))

    def read_rrsets(self, zone: str, keys: Iterable[RRsetKey]) -> Zone:
        """The RRsets among ``keys`` as served now, as a partial zone (a key it lacks is absent).

        Reads only those RRsets where the provider's API allows, else the whole zone once.
        """
        origin = zone_name(zone)
        wanted = {(name.lower(), rtype) for name, rtype in keys}
        found = self._read_rrsets(origin, wanted) if 0 < len(wanted) <= self.partial_read_limit else None
        if found is None:
            whole = self._fetch(origin) if wanted else Zone(origin)
            found = {key: whole.rrsets[key] for key in wanted if key in whole.rrsets}
        return Zone(origin, (found[key] for key in sorted(found)))

    def read_for(self, origin: str, changes: Sequence[PlannedChange]) -> Zone:
        """What checking ``changes`` needs as served now: every RRset at the names they touch.

        A provider that cannot read a name's node reads the touched RRsets and each name's CNAME (what
        exclusivity needs for a new non-CNAME type), or the whole zone when a CNAME is written.
        """
        names = {change_key(change)[0] for change in changes}
        if len(names) <= self.partial_read_limit:
            nodes = self._read_nodes(origin, names)
            if nodes is not None:
                return Zone(origin, nodes)
        if any(change.after is not None and change.after.rtype == "CNAME" for change in changes):
            return self._fetch(origin)
        return self.read_rrsets(origin, {*map(change_key, changes), *((name, "CNAME") for name in names)})

    def nameservers(self, zone: str) -> list[str]:
        """The apex NS names the provider publishes for the zone."""
        origin = zone_name(zone)
        rrset = self.read_rrsets(origin, [(origin, "NS")]).get(origin, "NS")
        return list(rrset.values) if rrset is not None else []

    def check_plan(self, origin: str, changes: Sequence[PlannedChange], current: Zone) -> None:
        """Refuse, naming every reason, a plan this provider cannot hold or that breaks the zone.

        ``current`` holds at least the touched RRsets; the zone around them was checked when the plan
        was made, so the invariants checked here are those among the touched RRsets themselves.
        """
        problems: list[Problem] = []
        for change in changes:
            rrset = change_rrset(change)
            where = f"{rrset.name} {rrset.rtype}"
            if not self.capabilities.supports(rrset.rtype):
                problems.append(Problem(f"{self.label} does not support {rrset.rtype} records", where))
            if rrset.rtype == "NS" and rrset.key == origin and not self.capabilities.root_ns:
                problems.append(Problem(f"{self.label} does not let DunOps manage the apex NS", where))
            if change.after is not None:
                problems.extend(self._check_rrset(origin, change.after))
        result = current.copy()
        for change in changes:
            key = change_key(change)
            result.remove(*key)
            if change.after is not None:
                result.add(change.after, replace=True)
        before = {str(f) for f in self._zone_errors(current)}
        touched = {key for key, _ in map(change_key, changes)}
        for finding in self._zone_errors(result):
            name = finding.location.split(" ")[0].lower()
            if str(finding) not in before and (name in touched or not finding.location):
                problems.append(finding.to_problem())
        if problems:
            raise InvalidInput.collect(problems, f"{self.describe()}: the plan cannot be applied")

    def _check_rrset(self, origin: str, rrset: RRset) -> list[Problem]:
        """Provider-specific value checks (the API's own limits); none by default."""
        return []

    def _zone_errors(self, zone: Zone) -> list[Finding]:
        disabled = self.capabilities.disabled_checks
        return [f for f in validate(zone, disabled=disabled) if f.level is Level.ERROR]

    def apply(self, plan: PlanLike, fingerprints: Mapping[RRsetKey, str] | None = None) -> ApplyResult:
        """Check, compare-and-set, write, read back. ``fingerprints`` default to the plan's before states."""
        with observed(self.kind, "apply"):
            return self._checked_apply(plan, fingerprints)

    def _checked_apply(self, plan: PlanLike, fingerprints: Mapping[RRsetKey, str] | None) -> ApplyResult:
        origin = plan_origin(plan)
        changes = list(plan.changes)
        if not changes:
            return ApplyResult(origin, ())
        if fingerprints is None:
            fingerprints = {change_key(c): rrset_fingerprint(c.before) for c in changes}
        else:
            fingerprints = {(name.lower(), rtype): value for (name, rtype), value in fingerprints.items()}
        touched = [change_key(change) for change in changes]
        current = self.read_for(origin, changes)
        self.check_plan(origin, changes, current)
        self.compare(origin, changes, fingerprints, current)
        started = time.monotonic()
        outcomes, request_ids = self._apply(origin, changes, current)
        read_back: Zone | None
        try:
            read_back = self.read_rrsets(origin, touched)
        except ProviderError:
            read_back = None
        if read_back is not None:
            outcomes = [
                settle(outcome, change, read_back) for outcome, change in zip(outcomes, changes, strict=True)
            ]
        return ApplyResult(origin, tuple(outcomes), tuple(request_ids), time.monotonic() - started, read_back)

    def compare(
        self,
        origin: str,
        changes: Sequence[PlannedChange],
        fingerprints: Mapping[RRsetKey, str],
        current: Zone,
    ) -> None:
        """Raise StalePlan naming every touched RRset whose served state differs from its fingerprint."""
        stale = []
        for change in changes:
            key = change_key(change)
            expected = fingerprints.get(key, rrset_fingerprint(change.before))
            served = current.get(*key)
            if rrset_fingerprint(served) != expected:
                what = (
                    "exists now" if change.before is None else "was deleted" if served is None else "changed"
                )
                stale.append(
                    Problem(f"{what} since the plan was made", f"{change_rrset(change).name} {key[1]}")
                )
        if stale:
            names = ", ".join(problem.location for problem in stale)
            raise StalePlan(
                f"{self.describe()}: the zone {origin} changed since the plan was made: {names}", stale
            )

    def dns_servers(self, zone: str) -> list[tuple[str, int]]:
        """The (address, port) of the servers that answer authoritatively for ``zone``; none when the
        provider serves no DNS."""
        return self._dns_servers(zone_name(zone))

    def lookup(
        self, zone: str, name: str, rtype: str, *, timeout: float | None = None
    ) -> list[tuple[str, tuple[int, list[str]] | None]]:
        """What each of ``zone``'s authoritative servers answers now for (name, rtype): per server
        (``host:port``, (ttl, canonical values), ``(0, [])`` when absent, None when it gave no answer),
        asked only where the outbound policy allows; none when the provider serves no DNS."""
        from dunops.providers.verification import lookup_rrset

        origin = zone_name(zone)
        return lookup_rrset(
            origin,
            name,
            rtype,
            self._dns_servers(origin),
            timeout=self.timeout if timeout is None else timeout,
            outbound=self.outbound,
            who=self.describe(),
        )

    def verify(
        self, plan: PlanLike, *, timeout: float | None = None, deadline: float | None = None
    ) -> Verification:
        """Query the zone's authoritative servers for each changed RRset: served or not yet served.

        Queries run side by side, each waiting ``timeout`` seconds at most (the provider's own timeout
        by default); none is sent after ``deadline`` (a ``time.monotonic()`` value).
        """
        from dunops.providers.verification import verify_changes

        origin = plan_origin(plan)
        servers = self._dns_servers(origin)
        if not servers:
            raise ProviderError(f"{self.describe()} does not serve DNS: there is no server to verify against")
        return verify_changes(
            origin,
            list(plan.changes),
            servers,
            timeout=self.timeout if timeout is None else timeout,
            outbound=self.outbound,
            who=self.describe(),
            deadline=deadline,
        )


def settle(outcome: ChangeOutcome, change: PlannedChange, read_back: Zone) -> ChangeOutcome:
    """Reconcile an outcome with the read-back, so the result says exactly what landed.

    A provider that could not tell (a timeout, a 5xx) reports UNKNOWN; one that is looser than it
    claims (moto, an RFC 2136 server silently ignoring an add) may report the wrong thing. The served
    state decides: the after state is served -> written, the before state -> refused.
    """
    served = read_back.get(*change_key(change))
    if served == change.after:
        if outcome.status is ChangeStatus.WRITTEN:
            return outcome
        return outcome_with(
            outcome, ChangeStatus.WRITTEN, f"{outcome.message} (the read-back shows it landed)"
        )
    if served == change.before:
        if outcome.status is ChangeStatus.REFUSED:
            return outcome
        return outcome_with(
            outcome, ChangeStatus.REFUSED, f"{outcome.message} (the read-back shows it did not land)"
        )
    if outcome.status is ChangeStatus.WRITTEN:
        return outcome_with(
            outcome, ChangeStatus.UNKNOWN, "reported written, but the read-back differs from the plan"
        )
    return outcome


def outcome_with(outcome: ChangeOutcome, status: ChangeStatus, message: str) -> ChangeOutcome:
    return ChangeOutcome(
        outcome.name, outcome.rtype, outcome.kind, status, message.strip(), outcome.request_id
    )


def outcome_for(
    change: PlannedChange, status: ChangeStatus, message: str = "", request_id: str = ""
) -> ChangeOutcome:
    rrset = change_rrset(change)
    return ChangeOutcome(rrset.name, rrset.rtype, change_kind(change), status, message, request_id)


def outcomes_for(
    changes: Sequence[PlannedChange], status: ChangeStatus, message: str = "", request_id: str = ""
) -> list[ChangeOutcome]:
    return [outcome_for(change, status, message, request_id) for change in changes]
