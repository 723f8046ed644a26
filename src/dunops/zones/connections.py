"""Provider connections: create, list, change, test and remove them; open a provider with its secrets.

Secrets are write-only. They are validated, sealed by the vault (bound to the workspace, the connection
and their purpose) and only ever decrypted to build a provider. Nothing here returns, logs or audits a
secret value; provider messages are scrubbed of secret values before they are stored or shown.

Providers reach out under an :class:`~dunops.providers.outbound.OutboundPolicy`: the one a caller
passes (built from its settings), else the one of the process's settings. A connection stored before
its kind's checks grew stricter still loads; it is reported as needing an edit, naming each field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import plans
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.errors import Conflict, DunopsError, InvalidInput, NotFound, Problem, SecretUnreadable
from dunops.providers import OutboundPolicy, Provider, ProviderZone, build, stored_problems
from dunops.security.vault import Binding, Purpose, Sealed, Vault
from dunops.storage.base import utcnow
from dunops.storage.database import released
from dunops.storage.models import ProviderConnection, Workspace, Zone
from dunops.zones import kinds
from dunops.zones.kinds import ZoneDirectories

NAME_MAX = 100
DEFAULT_TIMEOUT = 10.0
"""Seconds a provider may take to answer a question about a few RRsets or about the connection."""
WRITE_TIMEOUT = 120.0
"""Seconds a provider may take to answer a write (PowerDNS rectifies a large zone on every PATCH)."""
WHOLE_ZONE_TIMEOUT = 600.0
"""Seconds a provider may take to answer a whole-zone read (a million RRsets take PowerDNS ~10 s)."""


@dataclass(frozen=True, slots=True)
class TrialResult:
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class SecretCheck:
    """The outcome of decrypting one connection's secrets (``dunops keys check``)."""

    workspace: str
    connection_id: int
    connection_name: str
    ok: bool
    reason: str = ""


def _binding(connection: ProviderConnection) -> Binding:
    return Binding(connection.workspace_id, connection.id, Purpose.CONNECTION_SECRETS)


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput.single("must not be empty", "name")
    if len(cleaned) > NAME_MAX:
        raise InvalidInput.single(f"must be at most {NAME_MAX} characters", "name")
    return cleaned


def _name_taken(session: Session, workspace_id: int, name: str, except_id: int | None = None) -> bool:
    query = select(ProviderConnection.id).where(
        ProviderConnection.workspace_id == workspace_id, ProviderConnection.name == name
    )
    if except_id is not None:
        query = query.where(ProviderConnection.id != except_id)
    return session.scalars(query).first() is not None


def _seal(session: Session, vault: Vault, connection: ProviderConnection, secrets: Mapping[str, str]) -> None:
    plaintext = json.dumps(dict(secrets), sort_keys=True).encode()
    sealed = vault.seal(session, _binding(connection), plaintext)
    connection.secret_ciphertext = sealed.ciphertext
    connection.secret_nonce = sealed.nonce
    connection.secret_key_id = sealed.key_id


def reveal_secrets(session: Session, vault: Vault, connection: ProviderConnection) -> dict[str, str]:
    """Decrypt a connection's secrets, for building its provider only."""
    sealed = Sealed(connection.secret_ciphertext, connection.secret_nonce, connection.secret_key_id)
    plaintext = vault.open(session, _binding(connection), sealed)
    loaded = json.loads(plaintext)
    return {str(key): str(value) for key, value in loaded.items()}


def scrub(message: str, secrets: Mapping[str, str]) -> str:
    """``message`` with every secret value (of 4+ characters) replaced by ``***``."""
    for value in sorted(secrets.values(), key=len, reverse=True):
        if len(value) >= 4:
            message = message.replace(value, "***")
    return message


def create(
    session: Session,
    grant: Access,
    vault: Vault,
    *,
    kind: str,
    name: str,
    config: Mapping[str, Any],
    secrets: Mapping[str, Any],
    directories: ZoneDirectories,
) -> ProviderConnection:
    """Validate and store a new connection; its secrets are sealed, never stored in the clear."""
    grant.require(Permission.CONNECTIONS_MANAGE)
    problems: list[DunopsError] = []
    try:
        cleaned_name = _clean_name(name)
    except InvalidInput as error:
        problems.append(error)
        cleaned_name = ""
    try:
        cleaned_config, cleaned_secrets = kinds.validate(kind, config, secrets, directories)
    except InvalidInput as error:
        problems.append(error)
    if problems:
        raise InvalidInput.collect([p for error in problems for p in error.problems])
    if _name_taken(session, grant.workspace.id, cleaned_name):
        raise InvalidInput.single("a connection of this name exists in the workspace", "name")
    plans.require_connection_room(session, grant.workspace)
    connection = ProviderConnection(
        workspace_id=grant.workspace.id, kind=kind, name=cleaned_name, config=cleaned_config
    )
    session.add(connection)
    try:
        session.flush()  # the id is part of the secrets' associated data
    except IntegrityError as exc:
        raise Conflict("a connection of this name was just created in the workspace") from exc
    _seal(session, vault, connection, cleaned_secrets)
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="connection.create",
        target=f"connection:{connection.id}",
        details={
            "kind": kind,
            "name": cleaned_name,
            "config": cleaned_config,
            "secret_fields": sorted(cleaned_secrets),
        },
    )
    return connection


def listing(session: Session, grant: Access) -> list[ProviderConnection]:
    grant.require(Permission.CONNECTIONS_READ)
    return list(
        session.scalars(
            select(ProviderConnection)
            .where(ProviderConnection.workspace_id == grant.workspace.id)
            .order_by(ProviderConnection.name)
        )
    )


def get(session: Session, grant: Access, connection_id: int) -> ProviderConnection:
    """A connection of the workspace; another workspace's connection is ``NotFound`` like a missing one."""
    grant.require(Permission.CONNECTIONS_READ)
    connection = session.get(ProviderConnection, connection_id)
    if connection is None or connection.workspace_id != grant.workspace.id:
        raise NotFound(f"connection {connection_id} not found")
    return connection


def get_in(session: Session, workspace_id: int, connection_id: int) -> ProviderConnection:
    """A connection of a workspace, for work already authorised (a job acting for a member)."""
    connection = session.get(ProviderConnection, connection_id)
    if connection is None or connection.workspace_id != workspace_id:
        raise NotFound(f"connection {connection_id} not found")
    return connection


def zone_count(session: Session, connection: ProviderConnection) -> int:
    return session.scalar(select(func.count(Zone.id)).where(Zone.connection_id == connection.id)) or 0


def needs_edit(connection: ProviderConnection) -> list[Problem]:
    """What the stored config breaks of its kind's checks, naming each field; empty when it is fine."""
    return stored_problems(connection.kind, connection.config)


def secret_fields(connection: ProviderConnection) -> list[str]:
    """The names of the secret fields this connection's kind takes (never their values)."""
    spec = kinds.KINDS.get(connection.kind)
    return [field.name for field in spec.secrets] if spec else []


def _require_secrets_on_move(
    connection: ProviderConnection, merged_config: Mapping[str, Any], secrets: Mapping[str, Any] | None
) -> None:
    """Refuse to send stored secrets to a new place: moving a connection needs its secrets again."""
    spec = kinds.KINDS.get(connection.kind)
    if spec is None or not spec.secrets or secrets:
        return
    moved = [
        field.name
        for field in spec.config
        if field.endpoint and merged_config.get(field.name) != connection.config.get(field.name)
    ]
    if moved:
        where = ", ".join(f"config.{name}" for name in moved)
        raise InvalidInput.single(
            f"give the secrets again when you change where the connection points ({where})", "secrets"
        )


def update(
    session: Session,
    grant: Access,
    vault: Vault,
    connection_id: int,
    *,
    directories: ZoneDirectories,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> ProviderConnection:
    """Rename, change config fields (``None`` resets one to its default) or replace secrets."""
    grant.require(Permission.CONNECTIONS_MANAGE)
    connection = get(session, grant, connection_id)
    changed: list[str] = []
    if name is not None:
        cleaned_name = _clean_name(name)
        if cleaned_name != connection.name:
            if _name_taken(session, grant.workspace.id, cleaned_name, connection.id):
                raise InvalidInput.single("a connection of this name exists in the workspace", "name")
            connection.name = cleaned_name
            changed.append("name")
    if config is not None or secrets is not None:
        merged_config = dict(connection.config)
        for key, value in (config or {}).items():
            if value is None:
                merged_config.pop(key, None)
            else:
                merged_config[key] = value
        _require_secrets_on_move(connection, merged_config, secrets)
        current_secrets: dict[str, str] = {}
        if secrets:
            # unreadable (moved or damaged ciphertext): the new secrets must then be complete
            with suppress(SecretUnreadable):
                current_secrets = reveal_secrets(session, vault, connection)
        # without new secrets the config is checked alone: the stored secrets were checked when written
        merged_secrets = {**current_secrets, **secrets} if secrets else None
        cleaned_config, cleaned_secrets = kinds.validate(
            connection.kind, merged_config, merged_secrets, directories
        )
        if cleaned_config != connection.config:
            connection.config = cleaned_config
            changed.append("config")
        if secrets:
            _seal(session, vault, connection, cleaned_secrets)
            changed.append("secrets")
    if changed:
        connection.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            workspace_id=grant.workspace.id,
            actor=grant.principal,
            action="connection.update",
            target=f"connection:{connection.id}",
            details={
                "changed": changed,
                "name": connection.name,
                "config": connection.config,
                **({"secret_fields": sorted(secrets or {})} if secrets else {}),
            },
        )
    return connection


def remove(session: Session, grant: Access, connection_id: int, *, detach: bool = False) -> int:
    """Delete a connection; its zones are kept as plan-only zones, but only when ``detach`` is asked.

    Returns the number of zones detached.
    """
    grant.require(Permission.CONNECTIONS_MANAGE)
    connection = get(session, grant, connection_id)
    attached = list(session.scalars(select(Zone).where(Zone.connection_id == connection.id)))
    if attached and not detach:
        names = ", ".join(zone.fqdn for zone in attached[:10])
        raise Conflict(
            f"connection '{connection.name}' has {len(attached)} zone(s) attached ({names}); "
            "delete with detach=true to keep them as plan-only zones"
        )
    for zone in attached:
        zone.connection_id = None
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="connection.delete",
        target=f"connection:{connection.id}",
        details={
            "kind": connection.kind,
            "name": connection.name,
            "detached_zones": [z.fqdn for z in attached],
        },
    )
    session.delete(connection)
    session.flush()
    return len(attached)


@contextmanager
def provider_for(
    session: Session,
    vault: Vault,
    connection: ProviderConnection,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    outbound: OutboundPolicy | None = None,
) -> Iterator[Provider]:
    """The connection's provider, built with its decrypted secrets, for the length of a ``with`` block.

    Any DunOps error raised inside the block (by the provider or the caller) leaves it with every
    secret value scrubbed from its message and problems, and without its foreign cause attached.
    Callers talk to the provider inside :func:`~dunops.storage.database.released`: no transaction stays
    open while it answers.
    """
    secrets = reveal_secrets(session, vault, connection)
    try:
        yield _build(connection, secrets, timeout, outbound)
    except DunopsError as error:
        raise _scrubbed(error, secrets) from None


def _scrubbed(error: DunopsError, secrets: Mapping[str, str]) -> DunopsError:
    error.detail = scrub(error.detail, secrets)
    error.args = (error.detail,)
    error.problems = tuple(
        Problem(scrub(p.message, secrets), scrub(p.location, secrets), p.code) for p in error.problems
    )
    return error


def _build(
    connection: ProviderConnection,
    secrets: Mapping[str, str],
    timeout: float,
    outbound: OutboundPolicy | None,
) -> Provider:
    try:
        return build(
            connection.kind,
            connection.config,
            secrets,
            timeout=timeout,
            name=connection.name,
            outbound=outbound,
        )
    except InvalidInput as error:
        fields = "; ".join(map(str, error.problems))
        raise InvalidInput.collect(
            error.problems, f"connection {connection.name!r} needs an edit before it can be used: {fields}"
        ) from None


def try_connection(
    session: Session,
    grant: Access,
    vault: Vault,
    connection_id: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    outbound: OutboundPolicy | None = None,
) -> TrialResult:
    """Try the connection for real and remember the outcome (a failure is a result, not an error)."""
    grant.require(Permission.CONNECTIONS_READ)
    connection = get(session, grant, connection_id)
    try:
        secrets = reveal_secrets(session, vault, connection)
    except SecretUnreadable as error:
        return _remember(session, grant, connection, TrialResult(False, error.detail))
    try:
        provider = _build(connection, secrets, timeout, outbound)
        with released(session):
            provider.test_connection()
    except DunopsError as error:
        result = TrialResult(False, scrub(error.detail, secrets))
    except Exception as error:
        result = TrialResult(False, f"the provider failed unexpectedly ({type(error).__name__})")
    else:
        result = TrialResult(True, "connection works")
    return _remember(session, grant, connection, result)


def _remember(
    session: Session, grant: Access, connection: ProviderConnection, result: TrialResult
) -> TrialResult:
    connection.last_tested_at = utcnow()
    connection.last_test_ok = result.ok
    connection.last_test_message = result.message[:500]
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="connection.test",
        target=f"connection:{connection.id}",
        details={"ok": result.ok, "message": result.message[:500]},
    )
    return result


def provider_zones(
    session: Session,
    grant: Access,
    vault: Vault,
    connection_id: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    outbound: OutboundPolicy | None = None,
) -> list[ProviderZone]:
    """The zones the provider holds (read live)."""
    grant.require(Permission.CONNECTIONS_READ)
    connection = get(session, grant, connection_id)
    with (
        provider_for(session, vault, connection, timeout=timeout, outbound=outbound) as provider,
        released(session),
    ):
        return provider.list_zones()


def served_now(
    session: Session, vault: Vault, zone: Zone, name: str, rtype: str, *, timeout: float
) -> list[tuple[str, tuple[int, list[str]] | None]]:
    """What the authoritative servers of ``zone`` (which has a connection) answer now for (name,
    rtype), per server as :meth:`Provider.lookup` tells it; none when its provider serves no DNS."""
    assert zone.connection_id is not None, "a plan-only zone has no servers"
    connection = get_in(session, zone.workspace_id, zone.connection_id)
    with provider_for(session, vault, connection, timeout=timeout) as provider, released(session):
        return provider.lookup(zone.fqdn + ".", name, rtype, timeout=timeout)


def check_secrets(session: Session, vault: Vault) -> list[SecretCheck]:
    """Try to decrypt every stored connection secret, across all workspaces (operator only)."""
    results: list[SecretCheck] = []
    rows = session.execute(
        select(ProviderConnection, Workspace.slug)
        .join(Workspace, Workspace.id == ProviderConnection.workspace_id)
        .order_by(Workspace.slug, ProviderConnection.id)
    )
    for connection, slug in rows:
        try:
            reveal_secrets(session, vault, connection)
        except DunopsError as error:
            results.append(SecretCheck(slug, connection.id, connection.name, False, error.detail))
        except ValueError:
            results.append(
                SecretCheck(slug, connection.id, connection.name, False, "decrypted, but not valid JSON")
            )
        else:
            results.append(SecretCheck(slug, connection.id, connection.name, True))
    return results
