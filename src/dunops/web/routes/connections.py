"""``/api/v1/workspaces/{slug}/connections``: provider connections; secrets are write-only.

The OpenAPI schema documents each kind's config and secrets (one request model per kind, a union on
``kind``) from the kinds' own models; the service checks a request with those same models and names
every bad field (``config.dns_address``), so a body is taken here as it comes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Optional, Union

from fastapi import Request, Response, status
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    GetPydanticSchema,
    TypeAdapter,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.providers import OutboundPolicy, ProviderKind
from dunops.security.vault import Vault
from dunops.storage.models import ProviderConnection
from dunops.web.deps import DB, CurrentPrincipal, ReadDB, RowId, settings_of
from dunops.web.routing import api_router
from dunops.zones import connections, kinds
from dunops.zones.kinds import ZoneDirectories

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["connections"])


def vault_of(request: Request) -> Vault:
    """The vault under the configured master key (read per request, so a rotation takes effect at once)."""
    return Vault.from_settings(settings_of(request))


def outbound_of(request: Request) -> OutboundPolicy:
    return OutboundPolicy.from_settings(settings_of(request))


def _creation(spec: ProviderKind) -> type[BaseModel]:
    """The create request of one kind: ``kind`` is its tag in the union of all kinds."""
    tag: Any = Literal[spec.kind]
    model: type[BaseModel] = create_model(
        f"{spec.config_model.__name__.removesuffix('Config')}ConnectionIn",
        __config__=ConfigDict(extra="forbid", title=f"A {spec.label} connection"),
        kind=(tag, ...),
        name=(str, ...),
        config=(spec.config_model, Field(description="Non-secret settings of the kind.")),
        secrets=(
            spec.secrets_model,
            Field(description="Credentials; write-only: stored encrypted, never returned."),
        ),
    )
    return model


def _change(fields_model: type[BaseModel]) -> type[BaseModel]:
    """A kind's config or secrets with every field optional: what a PATCH may change."""
    fields: dict[str, Any] = {
        name: (Optional[info.annotation], Field(None, title=info.title, description=info.description))  # noqa: UP045
        for name, info in fields_model.model_fields.items()
    }
    model: type[BaseModel] = create_model(
        f"{fields_model.__name__}Change", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def _union(models: list[type[BaseModel]], discriminator: str | None = None) -> TypeAdapter[Any]:
    """The union of ``models``, to document a body with."""
    members: Any = Union[tuple(models)]  # noqa: UP007
    if discriminator is not None:
        members = Annotated[members, Field(discriminator=discriminator)]
    return TypeAdapter(members)


_SPECS = list(kinds.KINDS.values())
_CREATIONS = _union([_creation(spec) for spec in _SPECS], discriminator="kind")
_CONFIG_CHANGES = _union([_change(spec.config_model) for spec in _SPECS])
_SECRET_CHANGES = _union([_change(spec.secrets_model) for spec in _SPECS if spec.secrets_model.model_fields])


def _documented_as(adapter: TypeAdapter[Any]) -> GetPydanticSchema:
    """Document a value as ``adapter``'s type; the service checks it, naming each bad field."""
    return GetPydanticSchema(get_pydantic_json_schema=lambda _schema, handler: handler(adapter.core_schema))


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description=f"One of: {', '.join(sorted(kinds.KINDS))}.")
    name: str
    config: dict[str, Any] = Field(default_factory=dict, description="Non-secret settings of the kind.")
    secrets: dict[str, Any] = Field(
        default_factory=dict, description="Credentials; write-only: stored encrypted, never returned."
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Documented as one model per kind; checked by the service, which names each bad field."""
        return handler(_CREATIONS.core_schema)


class ConnectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    config: Annotated[dict[str, Any] | None, _documented_as(_CONFIG_CHANGES)] = Field(
        default=None, description="Fields of the connection's kind to change; null resets one to its default."
    )
    secrets: Annotated[dict[str, Any] | None, _documented_as(_SECRET_CHANGES)] = Field(
        default=None, description="Secret fields of the connection's kind to replace."
    )


class FieldProblem(BaseModel):
    field: str
    message: str


class LastTest(BaseModel):
    ok: bool
    message: str
    at: datetime


class ConnectionOut(BaseModel):
    id: int
    kind: str
    name: str
    config: dict[str, Any]
    secret_fields: list[str] = Field(
        description="Names of the stored secret fields (values are never shown)."
    )
    zones: int
    needs_edit: list[FieldProblem] = Field(
        description="Fields of the stored config its kind no longer accepts: edit them before using it."
    )
    created_at: datetime
    updated_at: datetime
    last_test: LastTest | None

    @classmethod
    def of(cls, connection: ProviderConnection, zones: int) -> ConnectionOut:
        last = None
        if connection.last_tested_at is not None and connection.last_test_ok is not None:
            last = LastTest(
                ok=connection.last_test_ok, message=connection.last_test_message, at=connection.last_tested_at
            )
        return cls(
            id=connection.id,
            kind=connection.kind,
            name=connection.name,
            config=connection.config,
            secret_fields=connections.secret_fields(connection),
            zones=zones,
            needs_edit=[
                FieldProblem(field=problem.location, message=problem.message)
                for problem in connections.needs_edit(connection)
            ],
            created_at=connection.created_at,
            updated_at=connection.updated_at,
            last_test=last,
        )


class TrialOut(BaseModel):
    ok: bool
    message: str


class ProviderZoneOut(BaseModel):
    name: str
    provider_id: str
    record_count: int | None
    note: str


@router.get("/connections")
def list_connections(slug: str, db: ReadDB, principal: CurrentPrincipal) -> list[ConnectionOut]:
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_READ)
    return [ConnectionOut.of(c, connections.zone_count(db, c)) for c in connections.listing(db, grant)]


@router.post("/connections", status_code=status.HTTP_201_CREATED)
def create_connection(
    slug: str, body: ConnectionIn, request: Request, db: DB, principal: CurrentPrincipal
) -> ConnectionOut:
    """Add a connection (admin and above). Config is checked per kind; secrets are sealed at once."""
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_MANAGE)
    connection = connections.create(
        db,
        grant,
        vault_of(request),
        kind=body.kind,
        name=body.name,
        config=body.config,
        secrets=body.secrets,
        directories=ZoneDirectories.for_workspace(settings_of(request), grant.workspace.id),
    )
    return ConnectionOut.of(connection, 0)


@router.get("/connections/{connection_id}")
def get_connection(slug: str, connection_id: RowId, db: ReadDB, principal: CurrentPrincipal) -> ConnectionOut:
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_READ)
    connection = connections.get(db, grant, connection_id)
    return ConnectionOut.of(connection, connections.zone_count(db, connection))


@router.patch("/connections/{connection_id}")
def update_connection(
    slug: str,
    connection_id: RowId,
    body: ConnectionUpdate,
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
) -> ConnectionOut:
    """Rename, change config, or replace secrets (admin and above)."""
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_MANAGE)
    connection = connections.update(
        db,
        grant,
        vault_of(request),
        connection_id,
        directories=ZoneDirectories.for_workspace(settings_of(request), grant.workspace.id),
        name=body.name,
        config=body.config,
        secrets=body.secrets,
    )
    return ConnectionOut.of(connection, connections.zone_count(db, connection))


@router.delete("/connections/{connection_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_connection(
    slug: str, connection_id: RowId, db: DB, principal: CurrentPrincipal, detach: bool = False
) -> Response:
    """Delete a connection; with zones attached only when ``detach=true`` (they become plan-only)."""
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_MANAGE)
    connections.remove(db, grant, connection_id, detach=detach)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/connections/{connection_id}/test")
def test_connection(
    slug: str, connection_id: RowId, request: Request, db: DB, principal: CurrentPrincipal
) -> TrialOut:
    """Try the connection against the provider; a failure is reported in the body, not as an error."""
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_READ)
    result = connections.try_connection(
        db, grant, vault_of(request), connection_id, outbound=outbound_of(request)
    )
    return TrialOut(ok=result.ok, message=result.message)


@router.get("/connections/{connection_id}/zones")
def provider_zones(
    slug: str, connection_id: RowId, request: Request, db: ReadDB, principal: CurrentPrincipal
) -> list[ProviderZoneOut]:
    """The zones the provider holds now (read live)."""
    grant = access.resolve(db, principal, slug, Permission.CONNECTIONS_READ)
    return [
        ProviderZoneOut(name=z.name, provider_id=z.provider_id, record_count=z.record_count, note=z.note)
        for z in connections.provider_zones(
            db, grant, vault_of(request), connection_id, outbound=outbound_of(request)
        )
    ]
