"""Connection pages: the list with the last test, a form per provider kind built from the kind's own
field models (secrets in password fields, never shown again), test, discover the provider's zones and
import them, remove. Also the form that adds a plan-only zone from a file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from dunops.accounts.permissions import Permission
from dunops.errors import InvalidInput, ProviderError
from dunops.providers.kinds import KINDS, FieldSpec, FieldType, kind_of
from dunops.web.deps import DB, CurrentPrincipal, ReadDB, RowId, settings_of
from dunops.web.pages.base import FormProblems, PostedForm, Workspace, page_router, render, workspace
from dunops.web.routes.connections import outbound_of, vault_of
from dunops.zones import connections, zones
from dunops.zones.kinds import ZoneDirectories

router = page_router()

FORMATS = ("bind", "octodns", "json")


def _fields(specs: tuple[FieldSpec, ...]) -> list[FieldSpec]:
    """The fields a workspace member may set (those only the operator sets are left out)."""
    return [spec for spec in specs if not spec.operator_only]


def _list_page(request: Request, db: Any, ws: Workspace, **context: Any) -> Response:
    found = connections.listing(db, ws.grant)
    return render(
        request,
        "connections.html",
        ws=ws,
        connections=[(item, connections.zone_count(db, item)) for item in found],
        kinds=KINDS,
        **context,
    )


@router.get("/w/{slug}/connections")
def connection_list(slug: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.CONNECTIONS_READ)
    return _list_page(request, db, ws)


def _form_page(
    request: Request,
    ws: Workspace,
    kind: str,
    values: dict[str, str],
    problems: FormProblems,
    status: int = 200,
) -> Response:
    spec = kind_of(kind)
    return render(
        request,
        "connection_new.html",
        status,
        ws=ws,
        kinds=KINDS,
        spec=spec,
        config=_fields(spec.config),
        secrets=_fields(spec.secrets),
        values=values,
        problems=problems,
        field_type=FieldType,
    )


@router.get("/w/{slug}/connections/new")
def new_connection(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    kind: Annotated[str, Query(max_length=40)] = "powerdns",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CONNECTIONS_MANAGE)
    return _form_page(request, ws, kind, {}, FormProblems())


def _section(form: FormData, prefix: str, specs: list[FieldSpec]) -> dict[str, Any]:
    taken: dict[str, Any] = {}
    for spec in specs:
        text = str(form.get(f"{prefix}.{spec.name}", "")).strip()
        if spec.type == FieldType.LIST:
            taken[spec.name] = [item.strip() for item in text.replace(",", "\n").splitlines() if item.strip()]
        elif text or spec.type != FieldType.SECRET:
            taken[spec.name] = text
    return taken


@router.post("/w/{slug}/connections/new")
def create_connection(
    slug: str, request: Request, db: DB, principal: CurrentPrincipal, form: PostedForm
) -> Response:
    ws = workspace(db, principal, slug, Permission.CONNECTIONS_MANAGE)
    kind = str(form.get("kind", ""))
    spec = kind_of(kind)
    name = str(form.get("name", ""))
    config = _section(form, "config", _fields(spec.config))
    typed = {"name": name} | {f"config.{key}": str(form.get(f"config.{key}", "")) for key in config}
    try:
        created = connections.create(
            db,
            ws.grant,
            vault_of(request),
            kind=kind,
            name=name,
            config=config,
            secrets=_section(form, "secrets", _fields(spec.secrets)),
            directories=ZoneDirectories.for_workspace(settings_of(request), ws.grant.workspace.id),
        )
    except InvalidInput as error:
        db.rollback()
        fields = {"name": "name"} | {
            f"{section}.{item.name}": f"{section}.{item.name}"
            for section, specs in (("config", spec.config), ("secrets", spec.secrets))
            for item in specs
        }
        return _form_page(request, ws, kind, typed, FormProblems.of(error, fields), 422)
    return RedirectResponse(f"/w/{slug}/connections#connection-{created.id}", status_code=303)


@router.post("/w/{slug}/connections/{connection_id}/test")
def test_connection(
    slug: str, connection_id: RowId, request: Request, db: DB, principal: CurrentPrincipal
) -> Response:
    ws = workspace(db, principal, slug, Permission.CONNECTIONS_READ)
    result = connections.try_connection(
        db, ws.grant, vault_of(request), connection_id, outbound=outbound_of(request)
    )
    return _list_page(request, db, ws, tested=connection_id, result=result)


@router.get("/w/{slug}/connections/{connection_id}/zones")
def discover(
    slug: str, connection_id: RowId, request: Request, db: ReadDB, principal: CurrentPrincipal
) -> Response:
    ws = workspace(db, principal, slug, Permission.CONNECTIONS_READ)
    connection = connections.get(db, ws.grant, connection_id)
    known = {view.zone.fqdn for view in zones.listing(db, ws.grant)}
    try:
        found = connections.provider_zones(
            db, ws.grant, vault_of(request), connection_id, outbound=outbound_of(request)
        )
        failure = ""
    except ProviderError as error:
        found, failure = [], error.detail
    return render(
        request,
        "discover.html",
        502 if failure else 200,
        ws=ws,
        connection=connection,
        zones=found,
        known={name.rstrip(".") for name in known},
        failure=failure,
    )


@router.post("/w/{slug}/connections/{connection_id}/import")
def import_zone(
    slug: str,
    connection_id: RowId,
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_MANAGE)
    view = zones.import_from_connection(
        db, ws.grant, vault_of(request), name=name, connection_id=connection_id
    )
    return RedirectResponse(f"/w/{slug}/zones/{view.zone.fqdn}", status_code=303)


@router.post("/w/{slug}/connections/{connection_id}/remove")
def remove_connection(
    slug: str,
    connection_id: RowId,
    db: DB,
    principal: CurrentPrincipal,
    detach: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CONNECTIONS_MANAGE)
    connections.remove(db, ws.grant, connection_id, detach=bool(detach))
    return RedirectResponse(f"/w/{slug}/connections", status_code=303)


@router.get("/w/{slug}/zones/new")
def new_zone(slug: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_MANAGE)
    return _zone_form(request, ws, {"format": "bind"}, FormProblems())


def _zone_form(
    request: Request, ws: Workspace, values: dict[str, str], problems: FormProblems, status: int = 200
) -> Response:
    return render(request, "zone_new.html", status, ws=ws, values=values, formats=FORMATS, problems=problems)


@router.post("/w/{slug}/zones/new")
def upload_zone(
    slug: str,
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str, Form(max_length=300)] = "",
    format: Annotated[str, Form(max_length=20)] = "bind",
) -> Response:
    """A plan-only zone from an uploaded file (BIND, octoDNS YAML or JSON)."""
    ws = workspace(db, principal, slug, Permission.ZONES_MANAGE)
    try:
        raw = file.file.read() if file is not None else b""
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput.single("the file is not UTF-8 text", "content") from exc
        view = zones.import_from_file(db, ws.grant, name=name, format=format, content=content)
    except InvalidInput as error:
        db.rollback()
        fields = {"name": "name", "content": "file", "format": "format"}
        return _zone_form(request, ws, {"name": name, "format": format}, FormProblems.of(error, fields), 422)
    return RedirectResponse(f"/w/{slug}/zones/{view.zone.fqdn}", status_code=303)
