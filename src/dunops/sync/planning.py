"""Plan against live: the engine's Plan from what the provider serves now to a desired zone, to RRset
edits or to replacements, with the fingerprint of every touched RRset as served and the provider's
capability check.

Edits and replacements cost the RRsets they touch: those are read from the provider (a plan-only zone:
from its stored rows), and the zone rules judge them in their stored neighbourhood
(:mod:`dunops.sync.context`). A desired zone is compared whole with the zone as served. No transaction
is open while the provider answers.

Read-only: nothing is stored and nothing is written to the provider. The change workflow stores the
:class:`LivePlan` and hands ``plan`` and ``fingerprints`` to the provider's compare-and-set apply.
Bad input is refused once, naming every problem with the engine's reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.dns import plan as engine_plan
from dunops.dns.plan import Plan, plan_changes
from dunops.dns.rrset import RRset, rrset_fingerprint
from dunops.dns.safety import analyse
from dunops.dns.validation import Level, validate
from dunops.dns.zone import RRsetKey
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import InvalidInput, Problem, ZoneInvalid
from dunops.providers import Capabilities, Provider
from dunops.security.vault import Vault
from dunops.storage.database import released
from dunops.storage.models import ProviderConnection, Zone
from dunops.sync import context, edits
from dunops.zones import connections, records, versions, zones


@dataclass(frozen=True, slots=True)
class LivePlan:
    """A plan made against the zone as served now, with what compare-and-set needs at apply."""

    zone: Zone
    connection_id: int | None
    plan: Plan
    fingerprints: dict[RRsetKey, str]
    unsupported: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    matches_last_version: bool = True

    def to_data(self) -> dict[str, Any]:
        return {
            "zone": self.zone.fqdn,
            "connection_id": self.connection_id,
            "plan": self.plan.to_data(),
            "plan_hash": self.plan.hash,
            "summary": self.plan.summary(),
            "fingerprints": [
                {"name": name, "type": rtype, "fingerprint": value}
                for (name, rtype), value in sorted(self.fingerprints.items())
            ],
            "unsupported": [{"location": p.location, "message": p.message} for p in self.unsupported],
            "warnings": [
                {"location": p.location, "message": p.message, "check": p.code} for p in self.warnings
            ],
            "matches_last_version": self.matches_last_version,
            "risk_reasons": [{"id": r.id, "code": r.code, "message": r.message} for r in analyse(self.plan)],
        }


def _provider(
    session: Session,
    vault: Vault,
    zone: Zone,
    stack: ExitStack,
    *,
    timeout: float = connections.DEFAULT_TIMEOUT,
) -> tuple[Provider | None, Capabilities | None, str]:
    """The zone's provider (None for a plan-only zone), its capabilities and label."""
    if zone.connection_id is None:
        return None, None, ""
    connection = session.get(ProviderConnection, zone.connection_id)
    if connection is None or connection.workspace_id != zone.workspace_id:
        return None, None, ""
    provider = stack.enter_context(connections.provider_for(session, vault, connection, timeout=timeout))
    return provider, provider.capabilities, provider.label


def _new_findings(
    before: ZoneContent, after: ZoneContent, disabled: frozenset[str]
) -> tuple[list[Problem], list[Problem]]:
    seen = {str(f) for f in validate(before, disabled=disabled)}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for finding in validate(after, disabled=disabled):
        if str(finding) in seen:
            continue
        (errors if finding.level is Level.ERROR else warnings).append(finding.to_problem())
    return errors, warnings


def _finish(
    zone: Zone,
    live: ZoneContent,
    plan: Plan,
    capabilities: Capabilities | None,
    label: str,
    *,
    warnings: list[Problem],
    matches: bool,
) -> LivePlan:
    fingerprints = {
        (c.rrset.key, c.rtype): rrset_fingerprint(live.get(c.rrset.key, c.rtype)) for c in plan.changes
    }
    unsupported = []
    if capabilities is not None:
        unsupported = [
            Problem(f"{label} does not support {change.rtype} records", f"{change.name} {change.rtype}")
            for change in plan.changes
            if change.after is not None and not capabilities.supports(change.rtype)
        ]
    return LivePlan(
        zone=zone,
        connection_id=zone.connection_id,
        plan=plan,
        fingerprints=fingerprints,
        unsupported=unsupported,
        warnings=warnings,
        matches_last_version=matches,
    )


def _refuse(errors: list[Problem], origin: str) -> ZoneInvalid:
    return ZoneInvalid(f"the desired zone {origin} would be invalid: {len(errors)} error(s)", errors)


def _engine_capabilities(capabilities: Capabilities | None) -> engine_plan.Capabilities | None:
    return capabilities.for_planning() if capabilities is not None else None


def plan_whole(session: Session, vault: Vault, zone: Zone, desired: ZoneContent) -> LivePlan:
    """The plan from the whole zone as served now to the whole ``desired`` zone."""
    origin = zone.fqdn + "."
    if desired.origin != origin:
        raise InvalidInput.single(f"the desired zone is for {desired.origin}, not {origin}", "desired")
    with ExitStack() as stack:
        whole = connections.WHOLE_ZONE_TIMEOUT
        provider, capabilities, label = _provider(session, vault, zone, stack, timeout=whole)
        stored = versions.current_content(session, zone)
        if provider is None:
            live = stored
        else:
            with released(session):
                live = provider.fetch(zone.fqdn)
    target = ZoneContent(origin, desired.rrsets.values(), soa=live.soa)
    disabled = capabilities.disabled_checks if capabilities is not None else frozenset()
    errors, warnings = _new_findings(live, target, disabled)
    if errors:
        raise _refuse(errors, origin)
    plan = plan_changes(live, target, _engine_capabilities(capabilities))
    return _finish(
        zone, live, plan, capabilities, label, warnings=warnings, matches=stored.rrsets == live.rrsets
    )


def plan_rrsets(
    session: Session,
    vault: Vault,
    zone: Zone,
    *,
    parsed: edits.Parsed | None = None,
    replacements: Mapping[RRsetKey, RRset | None] | None = None,
) -> LivePlan:
    """The plan for a few RRsets (parsed edits or replacements): reads those, and their neighbourhood."""
    origin = zone.fqdn + "."
    parsed = parsed or edits.Parsed([], [])
    keys = sorted({edit.key for edit in parsed.edits} | set(replacements or {}))
    announced = [rrset for rrset in (replacements or {}).values() if rrset is not None]
    announced += [RRset(e.name, e.rtype, e.ttl or 0, e.values) for e in parsed.edits if e.action == "upsert"]
    with ExitStack() as stack:
        provider, capabilities, label = _provider(session, vault, zone, stack)
        around = context.neighbourhood(session, zone.id, origin, keys, announced)
        stored = records.get(session, zone.id, keys)
        size = versions.current(session, zone)
        zone_size = size.rrset_count if size is not None else 0
        if provider is None:
            live = ZoneContent(origin, stored.values())
        else:
            with released(session):
                live = provider.read_rrsets(zone.fqdn, keys)
    wanted = dict(replacements or {})
    wanted.update(edits.resolve_edits(parsed, live))
    before = ZoneContent(origin, around)
    for key in keys:
        before.remove(*key)
        served = live.get(*key)
        if served is not None:
            before.add(served, replace=True)
    after = before.copy()
    for key, rrset in wanted.items():
        after.remove(*key)
        if rrset is not None:
            after.add(rrset, replace=True)
    disabled = capabilities.disabled_checks if capabilities is not None else frozenset()
    errors, warnings = _new_findings(before, after, disabled)
    if errors:
        raise _refuse(errors, origin)
    current = ZoneContent(origin, live.rrsets.values())
    desired = ZoneContent(origin, (rrset for rrset in wanted.values() if rrset is not None))
    for key, rrset in current.rrsets.items():
        if key not in wanted:
            desired.add(rrset)
    plan = plan_changes(current, desired, _engine_capabilities(capabilities), zone_size=zone_size)
    matches = all(stored.get(key) == live.get(*key) for key in keys)
    return _finish(zone, live, plan, capabilities, label, warnings=warnings, matches=matches)


def plan_for_zone(
    session: Session,
    vault: Vault,
    zone: Zone,
    *,
    desired: ZoneContent | None = None,
    edits: Sequence[Any] | None = None,
    replacements: Mapping[RRsetKey, RRset | None] | None = None,
) -> LivePlan:
    """The plan from the zone as served now to ``desired``, to the ``edits`` made, or to the
    ``replacements`` made (exactly one of them).

    Service for the API and the change workflow alike; the caller has checked the permission.
    """
    given = [item for item in (desired, edits, replacements) if item is not None]
    if len(given) != 1:
        raise InvalidInput.single("give either a desired zone or a list of edits", "edits")
    if desired is not None:
        return plan_whole(session, vault, zone, desired)
    if replacements is not None:
        return plan_rrsets(session, vault, zone, replacements=replacements)
    return plan_rrsets(session, vault, zone, parsed=_parse(edits, zone))


def _parse(given: Any, zone: Zone) -> edits.Parsed:
    return edits.parse_edits(given, zone.fqdn + ".")


def plan_against_live(
    session: Session,
    grant: Access,
    vault: Vault,
    name: str,
    *,
    desired: ZoneContent | None = None,
    edits: Sequence[Any] | None = None,
) -> LivePlan:
    """:func:`plan_for_zone` for a zone of the caller's workspace (needs the propose permission)."""
    grant.require(Permission.CHANGES_PROPOSE)
    return plan_for_zone(session, vault, zones.get(session, grant, name), desired=desired, edits=edits)
