"""Plan against live: the engine's Plan from what the provider serves now to a desired zone or to
RRset edits, with the fingerprint of every touched RRset as served and the provider's capability check.

Read-only: nothing is stored and nothing is written to the provider. The change workflow stores the
:class:`LivePlan` and hands ``plan`` and ``fingerprints`` to the provider's compare-and-set apply.
Bad edits are refused once, naming every problem with the engine's reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.dns import plan as engine_plan
from dunops.dns.names import InvalidName, absolute_name, is_subdomain
from dunops.dns.plan import Plan, plan_changes
from dunops.dns.rdata import RECORD_TYPES, InvalidValue, canonical_value
from dunops.dns.rrset import MAX_TTL, RRset, content_hash, rrset_fingerprint
from dunops.dns.validation import Level, validate
from dunops.dns.zone import RRsetKey
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import InvalidInput, Problem, ZoneInvalid
from dunops.providers import Capabilities
from dunops.security.vault import Vault
from dunops.storage.database import released
from dunops.storage.models import ProviderConnection, Zone
from dunops.zones import connections, versions, zones

DEFAULT_TTL = 3600
MAX_EDITS = 1000


@dataclass(frozen=True, slots=True)
class LivePlan:
    """A plan made against the zone as served now, with what compare-and-set needs at apply."""

    zone: Zone
    connection_id: int | None
    plan: Plan
    fingerprints: dict[RRsetKey, str]
    unsupported: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    live_hash: str = ""
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
            "live_hash": self.live_hash,
            "matches_last_version": self.matches_last_version,
        }


def _live(session: Session, vault: Vault, zone: Zone) -> tuple[ZoneContent, Capabilities | None, str]:
    """The zone as served (or as last stored, for a plan-only zone), its capabilities and provider label."""
    if zone.connection_id is None:
        return versions.current_content(session, zone), None, ""
    connection = session.get(ProviderConnection, zone.connection_id)
    if connection is None or connection.workspace_id != zone.workspace_id:
        return versions.current_content(session, zone), None, ""
    with connections.provider_for(session, vault, connection) as provider, released(session):
        return provider.fetch(zone.fqdn), provider.capabilities, provider.label


def _edit_problems(
    index: int, edit: Any, live: ZoneContent, seen: set[RRsetKey]
) -> tuple[list[Problem], Any]:
    """Check one edit; returns its problems and, when it is good, ``(key, RRset | None)``."""
    where = f"edits[{index}]"
    if not isinstance(edit, Mapping):
        return [Problem("must be an object with action, name and type", where)], None
    problems: list[Problem] = []
    action = edit.get("action")
    if action not in ("upsert", "delete"):
        problems.append(Problem("must be 'upsert' or 'delete'", f"{where}.action"))
    unknown = set(edit) - {"action", "name", "type", "ttl", "values"}
    problems.extend(Problem("is not an edit field", f"{where}.{key}") for key in sorted(map(str, unknown)))
    name = edit.get("name")
    owner = None
    if not isinstance(name, str):
        problems.append(Problem("is required (a name in the zone, relative or absolute)", f"{where}.name"))
    else:
        try:
            owner = absolute_name(name.strip(), live.origin)
        except InvalidName as exc:
            problems.append(Problem(str(exc), f"{where}.name"))
        else:
            if not is_subdomain(owner, live.origin):
                problems.append(Problem(f"is outside the zone {live.origin}", f"{where}.name"))
                owner = None
    rtype_raw = edit.get("type")
    rtype = rtype_raw.strip().upper() if isinstance(rtype_raw, str) else ""
    if rtype == "SOA":
        problems.append(Problem("the SOA is managed by the provider and cannot be edited", f"{where}.type"))
    elif rtype not in RECORD_TYPES:
        problems.append(Problem("is not a supported record type", f"{where}.type"))
    if problems or owner is None:
        return problems, None
    key = (owner.lower(), rtype)
    if key in seen:
        return [Problem(f"a second edit for {owner} {rtype}", where)], None
    seen.add(key)
    existing = live.get(owner, rtype)
    if action == "delete":
        if existing is None:
            return [Problem(f"{owner} {rtype} is not in the zone", where)], None
        return [], (key, None)
    ttl = edit.get("ttl", existing.ttl if existing is not None else DEFAULT_TTL)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL:
        problems.append(Problem(f"must be a whole number of seconds from 0 to {MAX_TTL}", f"{where}.ttl"))
    values = edit.get("values")
    canonical: list[str] = []
    if not isinstance(values, list) or not values:
        problems.append(Problem("must be a non-empty list of values", f"{where}.values"))
    else:
        for position, value in enumerate(values):
            if not isinstance(value, str):
                problems.append(Problem("must be a string", f"{where}.values[{position}]"))
                continue
            try:
                canonical.append(canonical_value(rtype, value, live.origin))
            except InvalidValue as exc:
                problems.append(Problem(str(exc), f"{where}.values[{position}]"))
    if problems:
        return problems, None
    meta = existing.meta if existing is not None else ""
    return [], (key, RRset(owner, rtype, ttl, canonical, meta))


def apply_edits(live: ZoneContent, edits: Sequence[Any]) -> ZoneContent:
    """The desired zone: ``live`` with the edits made; ``ZoneInvalid`` naming every bad edit."""
    if not isinstance(edits, Sequence) or isinstance(edits, str) or not edits:
        raise InvalidInput.single("must be a non-empty list of edits", "edits")
    if len(edits) > MAX_EDITS:
        raise InvalidInput.single(f"at most {MAX_EDITS} edits in one plan", "edits")
    problems: list[Problem] = []
    seen: set[RRsetKey] = set()
    desired = live.copy()
    for index, edit in enumerate(edits):
        found, result = _edit_problems(index, edit, live, seen)
        problems.extend(found)
        if result is not None:
            key, rrset = result
            if rrset is None:
                desired.remove(*key)
            else:
                desired.add(rrset, replace=True)
    if problems:
        raise ZoneInvalid.collect(problems, f"{len(problems)} problem(s) in the edits")
    return desired


def _new_findings(
    live: ZoneContent, desired: ZoneContent, disabled: frozenset[str]
) -> tuple[list[Problem], list[Problem]]:
    before = {str(f) for f in validate(live, disabled=disabled)}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for finding in validate(desired, disabled=disabled):
        if str(finding) in before:
            continue
        (errors if finding.level is Level.ERROR else warnings).append(finding.to_problem())
    return errors, warnings


def plan_for_zone(
    session: Session,
    vault: Vault,
    zone: Zone,
    *,
    desired: ZoneContent | None = None,
    edits: Sequence[Any] | None = None,
) -> LivePlan:
    """The plan from the zone as served now to ``desired`` or to the live zone with ``edits`` made.

    Service for the API and the change workflow alike; the caller has checked the permission.
    """
    if (desired is None) == (edits is None):
        raise InvalidInput.single("give either a desired zone or a list of edits", "edits")
    live, capabilities, label = _live(session, vault, zone)
    if desired is not None:
        if desired.origin != live.origin:
            raise InvalidInput.single(
                f"the desired zone is for {desired.origin}, not {live.origin}", "desired"
            )
        target = ZoneContent(live.origin, desired.rrsets.values(), soa=live.soa)
    else:
        assert edits is not None
        target = apply_edits(live, edits)
    disabled = capabilities.disabled_checks if capabilities is not None else frozenset()
    errors, warnings = _new_findings(live, target, disabled)
    if errors:
        raise ZoneInvalid.collect(
            errors, f"the desired zone {live.origin} would be invalid: {len(errors)} error(s)"
        )
    engine_capabilities = (
        engine_plan.Capabilities(record_types=capabilities.record_types, root_ns=capabilities.root_ns)
        if capabilities is not None
        else None
    )
    plan = plan_changes(live, target, engine_capabilities)
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
    live_hash = content_hash(live.origin, live.rrsets.values())
    last = versions.current(session, zone)
    return LivePlan(
        zone=zone,
        connection_id=zone.connection_id,
        plan=plan,
        fingerprints=fingerprints,
        unsupported=unsupported,
        warnings=warnings,
        live_hash=live_hash,
        matches_last_version=last is None or last.content_hash == live_hash,
    )


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
