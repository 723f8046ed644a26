"""Editing from the browser: add, change or delete an RRset from the zone page, or upload a desired zone
file; each becomes a change request (a draft, or submitted for review), never a write to a provider."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dunops.accounts.permissions import Permission
from dunops.errors import InvalidInput
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB
from dunops.web.pages.base import FormProblems, Workspace, lines, page_router, render, workspace
from dunops.web.pages.changes import change_path
from dunops.web.routes.connections import vault_of
from dunops.workflow import requests
from dunops.zones import zones

router = page_router()

FORMATS = ("bind", "octodns", "json")
_EDIT_FIELDS = {
    "edits[0].name": "name",
    "edits[0].type": "type",
    "edits[0].ttl": "ttl",
    "edits[0].values": "values",
    "edits[0]": "values",
    "edits": "values",
    "title": "title",
    "description": "description",
}
_UPLOAD_FIELDS = {"desired": "file", "content": "file", "format": "format", "zone": "zone", "title": "title"}


@router.get("/w/{slug}/zones/{zone}/edit")
def edit_form(
    slug: str,
    zone: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    name: Annotated[str, Query(max_length=300)] = "",
    type: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The RRset form: empty to add one, or holding the RRset at ``name``/``type`` to change or delete it."""
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    view = zones.show(db, ws.grant, zone)
    values: dict[str, Any] = {"name": name, "type": type.upper(), "ttl": "", "values": "", "title": ""}
    existing = False
    if name and type:
        found = zones.record_page(db, ws.grant, zone, owner=name, rtype=type, limit=1)
        for rrset in found.rrsets:
            existing = True
            values.update(ttl=str(rrset.ttl), values="\n".join(rrset.values))
    return render(
        request, "edit.html", ws=ws, zone=view.zone, values=values, existing=existing, problems=FormProblems()
    )


@router.post("/w/{slug}/zones/{zone}/changes")
def propose_edit(
    slug: str,
    zone: str,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    action: Annotated[str, Form(max_length=10)] = "upsert",
    name: Annotated[str, Form(max_length=300)] = "",
    type: Annotated[str, Form(max_length=20)] = "",
    ttl: Annotated[str, Form(max_length=20)] = "",
    values: Annotated[str, Form(max_length=100_000)] = "",
    title: Annotated[str, Form(max_length=1000)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
    submit: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    found = zones.get(db, ws.grant, zone)
    edit: dict[str, Any] = {
        "action": "delete" if action == "delete" else "upsert",
        "name": name,
        "type": type,
    }
    typed = {
        "name": name,
        "type": type,
        "ttl": ttl,
        "values": values,
        "title": title,
        "description": description,
    }
    try:
        if edit["action"] == "upsert":
            edit["values"] = lines(values)
            if ttl.strip():
                if not ttl.strip().isdigit():
                    raise InvalidInput.single("must be a whole number of seconds", "edits[0].ttl")
                edit["ttl"] = int(ttl.strip())
        verb = "Delete" if edit["action"] == "delete" else "Set"
        change = requests.create(
            db,
            settings,
            ws.grant,
            vault_of(request),
            zone=found.fqdn,
            title=title.strip() or f"{verb} {name.strip() or '@'} {type.strip().upper()}",
            description=description,
            edits=[edit],
            submit=bool(submit),
        )
    except InvalidInput as error:
        db.rollback()
        return render(
            request,
            "edit.html",
            422,
            ws=ws,
            zone=found,
            values=typed,
            existing=action == "delete",
            problems=FormProblems.of(error, _EDIT_FIELDS),
        )
    return RedirectResponse(change_path(slug, change.id), status_code=303)


@router.get("/w/{slug}/upload")
def upload_form(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    zone: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    return _upload_page(request, db, ws, {"zone": zone, "format": "bind", "title": ""}, FormProblems())


def _upload_page(
    request: Request,
    db: Session,
    ws: Workspace,
    values: dict[str, str],
    problems: FormProblems,
    status: int = 200,
) -> Response:
    names = [view.zone.fqdn for view in zones.listing(db, ws.grant)]
    return render(
        request, "upload.html", status, ws=ws, zones=names, formats=FORMATS, values=values, problems=problems
    )


@router.post("/w/{slug}/upload")
def upload_desired(
    slug: str,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile | None, File()] = None,
    zone: Annotated[str, Form(max_length=300)] = "",
    format: Annotated[str, Form(max_length=20)] = "bind",
    title: Annotated[str, Form(max_length=1000)] = "",
    submit: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Plan an uploaded desired zone against the provider's zone: a change request, never a write."""
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    typed = {"zone": zone, "format": format, "title": title}
    try:
        raw = file.file.read() if file is not None else b""
        if not raw.strip():
            raise InvalidInput.single("choose a zone file to upload", "content")
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput.single("the file is not UTF-8 text", "content") from exc
        fqdn = zones.clean_fqdn(zone, "zone")
        change = requests.create(
            db,
            settings,
            ws.grant,
            vault_of(request),
            zone=fqdn,
            title=title.strip() or f"Upload {fqdn}",
            desired={"format": format, "content": content},
            submit=bool(submit),
        )
    except InvalidInput as error:
        db.rollback()
        return _upload_page(request, db, ws, typed, FormProblems.of(error, _UPLOAD_FIELDS), 422)
    return RedirectResponse(change_path(slug, change.id), status_code=303)
