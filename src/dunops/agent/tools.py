"""The agent's tools: the only way it sees or touches anything, each run with the asking member's access.

Every call resolves the member's access to the workspace again and goes through the services below (zones,
workflow, and what a zone's servers answer now, asked only where the outbound policy allows). Reading
tools need the read permission; ``propose_change`` needs the propose permission and creates a change
request submitted for review, marked as the agent's on behalf of the member. No tool approves, applies,
cancels, edits a connection or reads a secret; a call naming any other tool is refused and audited.
Results are plain data: record content stays quoted inside them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dunops import audit
from dunops.accounts import access
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.dns.names import InvalidName, absolute_name, relative_name
from dunops.dns.validation import Level, validate
from dunops.dns.zone import Zone as ZoneContent
from dunops.errors import DunopsError, InvalidInput, NotFound, PermissionDenied
from dunops.security.vault import Vault
from dunops.storage.database import transaction
from dunops.storage.models import VersionRRset, ZoneVersion
from dunops.workflow import requests
from dunops.zones import connections, versions, zones

AGENT_NAME = "dunops-agent"
MAX_FOUND = 200
LIVE_TIMEOUT = 3.0

_ZONE = {"type": "string", "description": "A zone of this workspace, e.g. example.com"}
_NAME = {"type": "string", "description": "A name relative to the zone (www, @ for the apex) or absolute"}
_TYPE = {"type": "string", "description": "A record type: A, AAAA, CNAME, MX, TXT, CAA, NS, SRV, ..."}


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model is told about it: name, what it does, JSON Schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


EDIT_SCHEMA = _object(
    {
        "action": {"type": "string", "enum": ["upsert", "delete"]},
        "name": _NAME,
        "type": _TYPE,
        "ttl": {"type": "integer", "minimum": 0},
        "values": {"type": "array", "items": {"type": "string"}},
    },
    ["action", "name", "type"],
)

SPECS: tuple[ToolSpec, ...] = (
    ToolSpec("list_zones", "The zones of this workspace with their record counts.", _object({}, [])),
    ToolSpec(
        "find_records",
        "RRsets of a zone as DunOps stores them; every filter is optional.",
        _object(
            {
                "zone": _ZONE,
                "name": _NAME,
                "type": _TYPE,
                "contains": {"type": "string", "description": "Text the values contain (any case)"},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_FOUND},
            },
            ["zone"],
        ),
    ),
    ToolSpec(
        "zone_summary",
        "Counts by type, delegations, mail (MX, SPF, DMARC), CAA and the engine's warnings for a zone.",
        _object({"zone": _ZONE}, ["zone"]),
    ),
    ToolSpec(
        "record_history",
        "The versions of a zone that changed one RRset, with the deployment that caused each.",
        _object({"zone": _ZONE, "name": _NAME, "type": _TYPE}, ["zone", "name", "type"]),
    ),
    ToolSpec(
        "check_zone",
        "The engine's validation and lint findings for a zone.",
        _object({"zone": _ZONE}, ["zone"]),
    ),
    ToolSpec(
        "lookup_live",
        "What the provider's authoritative servers answer now for a name and type.",
        _object({"zone": _ZONE, "name": _NAME, "type": _TYPE}, ["zone", "name", "type"]),
    ),
    ToolSpec(
        "list_changes",
        "Change requests of the workspace, newest first.",
        _object({"zone": _ZONE, "state": {"type": "string"}}, []),
    ),
    ToolSpec("get_change", "One change request with its plan.", _object({"id": {"type": "integer"}}, ["id"])),
    ToolSpec(
        "propose_change",
        "Propose RRset edits as a change request submitted for review. Each edit upserts one whole RRset "
        "(all its values) or deletes it. It changes nothing until a person approves and applies it.",
        _object(
            {
                "zone": _ZONE,
                "title": {"type": "string"},
                "rationale": {"type": "string"},
                "edits": {"type": "array", "items": EDIT_SCHEMA},
            },
            ["zone", "title", "rationale", "edits"],
        ),
    ),
)

TOOL_NAMES = frozenset(spec.name for spec in SPECS)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What a call returned (data for the model), and the change request it created, if any."""

    result: dict[str, Any]
    refused: bool = False
    change_request_id: int | None = None


class Toolbox:
    """The tools bound to one member, one workspace and one conversation."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        vault: Vault,
        principal: Principal,
        slug: str,
        conversation_id: int,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.vault = vault
        self.principal = principal
        self.slug = slug
        self.conversation_id = conversation_id
        self._tools: dict[str, Callable[[Session, Access, Mapping[str, Any]], dict[str, Any]]] = {
            "list_zones": _list_zones,
            "find_records": _find_records,
            "zone_summary": _zone_summary,
            "record_history": _record_history,
            "check_zone": _check_zone,
            "lookup_live": self._lookup_live,
            "list_changes": _list_changes,
            "get_change": _get_change,
            "propose_change": self._propose_change,
        }

    def run(self, name: str, arguments: Any) -> ToolOutcome:
        """Run one call in its own unit of work; a refusal or an error becomes data for the model."""
        if name not in self._tools:
            return self._refuse(name, f"there is no tool named {name!r}; no other tool can be used")
        if not isinstance(arguments, Mapping):
            return ToolOutcome({"error": "the arguments must be a JSON object"})
        try:
            with transaction(self.factory) as session:
                grant = access.resolve(session, self.principal, self.slug, Permission.ZONES_READ)
                result = self._tools[name](session, grant, arguments)
        except PermissionDenied as error:
            return self._refuse(name, error.detail)
        except DunopsError as error:
            return ToolOutcome({"error": error.detail, "problems": [str(p) for p in error.problems]})
        created = result.pop("_change_request_id", None)
        return ToolOutcome(result, change_request_id=created)

    def _refuse(self, name: str, why: str) -> ToolOutcome:
        with transaction(self.factory) as session:
            grant = access.resolve(session, self.principal, self.slug, Permission.WORKSPACE_READ)
            audit.record(
                session,
                workspace_id=grant.workspace.id,
                actor=self.principal,
                action="agent.tool_refused",
                target=f"conversation:{self.conversation_id}",
                details={"tool": str(name)[:100], "reason": why[:500], "agent": AGENT_NAME},
            )
        return ToolOutcome({"error": f"refused: {why}"}, refused=True)

    def _lookup_live(self, session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
        zone = zones.get(session, grant, _text(arguments, "zone", required=True))
        origin = zone.fqdn + "."
        owner = _owner(arguments.get("name"), origin, required=True)
        rtype = _rtype(arguments.get("type"), required=True)
        if zone.connection_id is None:
            return {
                "zone": zone.fqdn,
                "name": owner,
                "type": rtype,
                "error": "the zone is plan-only: no server",
            }
        served = connections.served_now(session, self.vault, zone, owner, rtype, timeout=LIVE_TIMEOUT)
        answers = [
            {"server": server, "answered": found is not None}
            | ({"ttl": found[0], "values": found[1]} if found is not None else {})
            for server, found in served
        ]
        if not served:
            return {"zone": zone.fqdn, "name": owner, "type": rtype, "error": "the provider serves no DNS"}
        return {"zone": zone.fqdn, "name": owner, "type": rtype, "answers": answers}

    def _propose_change(
        self, session: Session, grant: Access, arguments: Mapping[str, Any]
    ) -> dict[str, Any]:
        grant.require(Permission.CHANGES_PROPOSE)
        rationale = arguments.get("rationale")
        change = requests.create(
            session,
            self.settings,
            grant,
            self.vault,
            zone=arguments.get("zone"),
            title=arguments.get("title"),
            description=f"Proposed by the agent: {rationale}" if isinstance(rationale, str) else None,
            edits=arguments.get("edits"),
            submit=True,
            agent=AGENT_NAME,
            conversation_id=self.conversation_id,
        )
        revision = requests.current_revision(session, change)
        audit.record(
            session,
            workspace_id=grant.workspace.id,
            actor=grant.principal,
            action="agent.propose",
            target=f"change:{change.id}",
            details={
                "conversation": self.conversation_id,
                "plan_hash": revision.plan_hash,
                "agent": AGENT_NAME,
            },
        )
        plan = requests.plan_of(revision)
        return {
            "_change_request_id": change.id,
            "change_request": change.id,
            "state": change.state.value,
            "plan_hash": revision.plan_hash,
            "plan": plan.render(),
            "risk_reasons": revision.risk_reasons,
            "note": "Nothing changes until a person approves this plan by its hash and applies it.",
        }


# -- argument helpers ----------------------------------------------------------------------------------


def _text(arguments: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = arguments.get(key)
    if value is None or value == "":
        if required:
            raise InvalidInput.single("is required", key)
        return ""
    if not isinstance(value, str):
        raise InvalidInput.single("must be text", key)
    return value.strip()


def _owner(value: Any, origin: str, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise InvalidInput.single("is required", "name")
        return ""
    if not isinstance(value, str):
        raise InvalidInput.single("must be text", "name")
    try:
        return absolute_name(value.strip(), origin).lower()
    except InvalidName as exc:
        raise InvalidInput.single(str(exc), "name") from exc


def _rtype(value: Any, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise InvalidInput.single("is required", "type")
        return ""
    if not isinstance(value, str) or not value.strip().isalnum():
        raise InvalidInput.single("must be a record type such as A or TXT", "type")
    return value.strip().upper()


def _rrset_data(rrset: Any, origin: str) -> dict[str, Any]:
    return {
        "name": relative_name(rrset.name, origin),
        "type": rrset.rtype,
        "ttl": rrset.ttl,
        "values": list(rrset.values),
    }


# -- reading tools -------------------------------------------------------------------------------------


def _list_zones(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    found = zones.listing(session, grant)
    return {
        "zones": [
            {
                "zone": view.zone.fqdn,
                "rrsets": view.version.rrset_count if view.version else 0,
                "plan_only": view.zone.connection_id is None,
            }
            for view in found
        ]
    }


def _find_records(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    zone_name = _text(arguments, "zone", required=True)
    limit = arguments.get("limit", 50)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_FOUND:
        raise InvalidInput.single(f"must be a whole number from 1 to {MAX_FOUND}", "limit")
    zone = zones.get(session, grant, zone_name)
    page = zones.record_page(
        session,
        grant,
        zone.fqdn,
        owner=_text(arguments, "name") or None,
        rtype=_rtype(arguments.get("type")) or None,
        contains=_text(arguments, "contains") or None,
        limit=limit,
    )
    origin = zone.fqdn + "."
    return {
        "zone": zone.fqdn,
        "records": [_rrset_data(rrset, origin) for rrset in page.rrsets],
        "more": page.next_cursor is not None,
    }


def _content(session: Session, grant: Access, arguments: Mapping[str, Any]) -> tuple[str, ZoneContent]:
    zone = zones.get(session, grant, _text(arguments, "zone", required=True))
    return zone.fqdn, versions.current_content(session, zone)


def _txt(values: tuple[str, ...]) -> list[str]:
    return ["".join(part.strip('"') for part in value.split('" "')) for value in values]


def _zone_summary(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    fqdn, content = _content(session, grant, arguments)
    origin = content.origin
    apex_txt = content.get(origin, "TXT")
    dmarc = content.get(f"_dmarc.{origin}", "TXT")
    spf = [text for text in _txt(apex_txt.values)] if apex_txt else []
    mx = content.get(origin, "MX")
    caa = content.get(origin, "CAA")
    delegations = sorted(
        relative_name(rrset.name, origin) for rrset in content if rrset.rtype == "NS" and rrset.key != origin
    )
    return {
        "zone": fqdn,
        "rrsets": len(content),
        "by_type": dict(sorted(Counter(rrset.rtype for rrset in content).items())),
        "delegations": delegations,
        "mail": {
            "mx": list(mx.values) if mx else [],
            "spf": [text for text in spf if text.lower().startswith("v=spf1")],
            "dmarc": [t for t in _txt(dmarc.values) if t.lower().startswith("v=dmarc1")] if dmarc else [],
        },
        "caa": list(caa.values) if caa else [],
        "warnings": [str(f) for f in validate(content, lenient=True) if f.level is Level.WARNING][:50],
    }


def _check_zone(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    fqdn, content = _content(session, grant, arguments)
    findings = validate(content)
    return {
        "zone": fqdn,
        "errors": [str(f) for f in findings if f.level is Level.ERROR][:100],
        "warnings": [str(f) for f in findings if f.level is Level.WARNING][:100],
    }


def _record_history(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    zone = zones.get(session, grant, _text(arguments, "zone", required=True))
    origin = zone.fqdn + "."
    owner = _owner(arguments.get("name"), origin, required=True)
    rtype = _rtype(arguments.get("type"), required=True)
    rows = session.execute(
        select(ZoneVersion, VersionRRset)
        .join(VersionRRset, VersionRRset.version_id == ZoneVersion.id)
        .where(ZoneVersion.zone_id == zone.id, VersionRRset.name == owner, VersionRRset.rtype == rtype)
        .order_by(ZoneVersion.number.desc(), VersionRRset.side)
        .limit(100)
    ).all()
    found = list({version.id: version for version, _ in rows}.values())
    causes = versions.causes(session, found)
    history: dict[int, dict[str, Any]] = {}
    for version, delta in rows:
        entry = history.setdefault(
            version.number,
            {
                "version": version.number,
                "at": version.created_at.isoformat(timespec="seconds"),
                "cause": causes.get(version.id, ""),
                "by": version.created_by,
            },
        )
        entry["removed" if delta.side == "-" else "added"] = {"ttl": delta.ttl, "rdata": delta.rdata}
    return {
        "zone": zone.fqdn,
        "name": relative_name(owner, origin),
        "type": rtype,
        "versions": list(history.values()),
    }


def _list_changes(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    rows = requests.page(
        session,
        grant,
        state=_text(arguments, "state") or None,
        zone=_text(arguments, "zone") or None,
        limit=20,
    )
    return {
        "changes": [
            {
                "id": row.change.id,
                "zone": row.zone,
                "title": row.change.title,
                "state": requests.state_of(row.change).value,
                "plan_hash": row.plan_hash,
                "by_agent": bool(row.change.agent),
            }
            for row in rows
        ]
    }


def _get_change(session: Session, grant: Access, arguments: Mapping[str, Any]) -> dict[str, Any]:
    change_id = arguments.get("id")
    if isinstance(change_id, bool) or not isinstance(change_id, int) or change_id < 1:
        raise InvalidInput.single("must be a change request's number", "id")
    try:
        view = requests.view(session, grant, change_id)
    except NotFound:
        return {"error": f"there is no change request {change_id} in this workspace"}
    revision = view.revision
    return {
        "id": view.change.id,
        "zone": view.zone.fqdn,
        "title": view.change.title,
        "state": requests.state_of(view.change).value,
        "plan_hash": revision.plan_hash if revision else None,
        "plan": requests.plan_of(revision).render() if revision else "",
        "risk_reasons": revision.risk_reasons if revision else [],
        "approvals": f"{view.valid_approvals}/{view.policy.approvals_required}",
        "by_agent": bool(view.change.agent),
    }
