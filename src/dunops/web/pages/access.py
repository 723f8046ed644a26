"""Members and access: members with roles (invite, change role, remove), API tokens (the secret shown
once), the approval policy, and the audit log with filters and its chain's verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import invitations, memberships, permissions, tokens
from dunops.accounts.permissions import Permission
from dunops.errors import InvalidInput
from dunops.storage.models import Role
from dunops.web.deps import DB, MAX_ID, AppSettings, CurrentPrincipal, ReadDB, RowId
from dunops.web.pages.base import FormProblems, Workspace, lines, page_router, render, workspace
from dunops.workflow import policy as policies
from dunops.workflow import review

router = page_router()

AUDIT_PER_PAGE = 100
ROLES = [role.value for role in Role]


def _role(text: str, location: str = "role") -> Role:
    try:
        return Role(text)
    except ValueError:
        raise InvalidInput.single(f"unknown role; expected one of {', '.join(ROLES)}", location) from None


def _members_page(
    request: Request, db: Session, ws: Workspace, status: int = 200, **context: Any
) -> Response:
    context.setdefault("problems", FormProblems())
    context.setdefault("values", {"email": "", "role": Role.EDITOR.value})
    return render(
        request,
        "members.html",
        status,
        ws=ws,
        members=memberships.listing(db, ws.grant),
        grantable=[role for role in ROLES if permissions.can_grant(ws.grant.role, Role(role))],
        **context,
    )


@router.get("/w/{slug}/members")
def members(slug: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.MEMBERS_READ)
    return _members_page(request, db, ws)


@router.post("/w/{slug}/members/invite")
def invite(
    slug: str,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    email: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.MEMBERS_MANAGE)
    try:
        sent = invitations.invite(db, settings, ws.grant, email, _role(role))
    except InvalidInput as error:
        db.rollback()
        problems = FormProblems.of(error, {"email": "email", "role": "role"})
        return _members_page(request, db, ws, 422, problems=problems, values={"email": email, "role": role})
    return _members_page(request, db, ws, invited=sent.email)


@router.post("/w/{slug}/members/{user_id}/role")
def change_role(
    slug: str,
    user_id: RowId,
    db: DB,
    principal: CurrentPrincipal,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.MEMBERS_MANAGE)
    memberships.change_role(db, ws.grant, user_id, _role(role))
    return RedirectResponse(f"/w/{slug}/members", status_code=303)


@router.post("/w/{slug}/members/{user_id}/remove")
def remove_member(slug: str, user_id: RowId, db: DB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.WORKSPACE_READ)
    memberships.remove(db, ws.grant, user_id)
    leaving = user_id == principal.user.id
    return RedirectResponse("/" if leaving else f"/w/{slug}/members", status_code=303)


def _tokens_page(request: Request, db: Session, ws: Workspace, status: int = 200, **context: Any) -> Response:
    context.setdefault("problems", FormProblems())
    context.setdefault("values", {"name": "", "role": Role.VIEWER.value, "expires_days": ""})
    return render(
        request,
        "tokens.html",
        status,
        ws=ws,
        tokens=tokens.listing(db, ws.grant),
        roles=[role for role in ROLES if Role(role).rank <= ws.grant.role.rank],
        **context,
    )


@router.get("/w/{slug}/tokens")
def token_list(slug: str, request: Request, db: ReadDB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.TOKENS_MANAGE)
    return _tokens_page(request, db, ws)


@router.post("/w/{slug}/tokens")
def create_token(
    slug: str,
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    expires_days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.TOKENS_MANAGE)
    values = {"name": name, "role": role, "expires_days": expires_days}
    try:
        days = expires_days.strip()
        if days and not (days.isdigit() and 1 <= int(days) <= tokens.EXPIRY_DAYS_MAX):
            raise InvalidInput.single(
                f"must be a whole number of days from 1 to {tokens.EXPIRY_DAYS_MAX}", "expires_days"
            )
        issued = tokens.create(
            db, ws.grant, role=_role(role), name=name, expires_days=int(days) if days else None
        )
    except InvalidInput as error:
        db.rollback()
        problems = FormProblems.of(error, {"name": "name", "role": "role", "expires_days": "expires_days"})
        return _tokens_page(request, db, ws, 422, problems=problems, values=values)
    return _tokens_page(request, db, ws, issued=issued)


@router.post("/w/{slug}/tokens/{token_id}/revoke")
def revoke_token(slug: str, token_id: RowId, db: DB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.TOKENS_MANAGE)
    tokens.revoke(db, ws.grant, token_id)
    return RedirectResponse(f"/w/{slug}/tokens", status_code=303)


def _policy_page(
    request: Request, db: Session, ws: Workspace, status: int = 200, editing: str = "", **context: Any
) -> Response:
    default, overrides = policies.show(db, ws.grant)
    zone = editing.strip().lower().rstrip(".")
    shown = next((item for item in overrides if item.zone and item.zone.rstrip(".") == zone), default)
    context.setdefault("problems", FormProblems())
    context.setdefault(
        "values",
        {
            "zone": editing,
            "approvals_required": str(shown.approvals_required),
            "min_role": shown.min_role.value,
            "protected_names": "\n".join(shown.protected_names),
            "independent_review": shown.independent_review,
        },
    )
    return render(
        request,
        "policy.html",
        status,
        ws=ws,
        default=default,
        overrides=overrides,
        roles=ROLES,
        editing=editing,
        **context,
    )


@router.get("/w/{slug}/policy")
def policy(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    zone: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """The policies in force; ``zone`` fills the form with that zone's own policy (else the default)."""
    ws = workspace(db, principal, slug, Permission.WORKSPACE_READ)
    return _policy_page(request, db, ws, editing=zone)


@router.post("/w/{slug}/policy")
def update_policy(
    slug: str,
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    zone: Annotated[str, Form(max_length=300)] = "",
    approvals_required: Annotated[str, Form(max_length=10)] = "",
    min_role: Annotated[str, Form(max_length=20)] = "",
    protected_names: Annotated[str, Form(max_length=20_000)] = "",
    independent_review: Annotated[str, Form(max_length=10)] = "",
    clear: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.POLICY_MANAGE)
    required: Any = approvals_required.strip()
    try:
        review.update_policy(
            db,
            ws.grant,
            zone=zone.strip() or None,
            approvals_required=int(required) if required.isdigit() else (required or None),
            min_role=min_role or None,
            protected_names=lines(protected_names),
            independent_review=bool(independent_review),
            clear=bool(clear),
        )
    except InvalidInput as error:
        db.rollback()
        fields = {
            key: key
            for key in ("zone", "approvals_required", "min_role", "protected_names", "independent_review")
        }
        values = {
            "zone": zone,
            "approvals_required": approvals_required,
            "min_role": min_role,
            "protected_names": protected_names,
            "independent_review": bool(independent_review),
        }
        return _policy_page(
            request, db, ws, 422, editing=zone, problems=FormProblems.of(error, fields), values=values
        )
    return _policy_page(request, db, ws, saved=True)


@router.get("/w/{slug}/audit")
def audit_log(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    action: Annotated[str, Query(max_length=100)] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    verify: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.AUDIT_READ)
    events = audit.listing(
        db,
        ws.grant.workspace.id,
        limit=AUDIT_PER_PAGE,
        before=before,
        action=action or None,
        actor=actor or None,
    )
    checked = audit.verify(db, ws.grant.workspace.id) if verify else None
    return render(
        request,
        "audit.html",
        ws=ws,
        events=events,
        filters={"action": action, "actor": actor},
        older=events[-1].sequence if len(events) == AUDIT_PER_PAGE else None,
        checked=checked,
    )
