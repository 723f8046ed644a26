"""A workspace's settings (owners): deleting the workspace, confirmed by typing its slug."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from dunops.accounts.permissions import Permission
from dunops.errors import InvalidInput
from dunops.privacy import workspace_deletion
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB
from dunops.web.pages.base import FormProblems, page_router, render, workspace

router = page_router()


@router.get("/w/{slug}/settings")
def settings_page(slug: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.WORKSPACE_DELETE)
    return render(request, "settings.html", ws=ws, problems=FormProblems())


@router.post("/w/{slug}/delete")
def delete_workspace(
    slug: str,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    confirm_slug: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Access ends and provider credentials are destroyed now; the rest is purged after the grace period."""
    ws = workspace(db, principal, slug, Permission.WORKSPACE_DELETE)
    if confirm_slug.strip() != ws.slug:
        problems = FormProblems.of(
            InvalidInput.single(f"type the workspace's slug, {ws.slug}, exactly", "confirm_slug"),
            {"confirm_slug": "confirm_slug"},
        )
        return render(request, "settings.html", 422, ws=ws, problems=problems)
    tombstone = workspace_deletion.delete_workspace(db, settings, ws.grant)
    purge = tombstone.purge_after.strftime("%Y-%m-%d %H:%M UTC")
    return render(
        request,
        "message.html",
        title="Workspace deleted",
        message=f"{ws.grant.workspace.name} is deleted: nobody can use it now and its provider credentials "
        f"are destroyed. Everything it holds is purged after {purge}; until then an owner may take it back "
        f"with POST /api/v1/workspaces/{ws.slug}/restore.",
        home_link=True,
    )
