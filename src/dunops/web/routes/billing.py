"""Billing: the workspace's plan and limits, Stripe Checkout and portal links, and Stripe's webhook.

Every route but the webhook answers 404 unless Stripe is configured; the webhook takes only events
signed with ``DUNOPS_STRIPE_WEBHOOK_SECRET`` (:mod:`dunops.billing.webhooks`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from dunops.accounts import access, plans
from dunops.accounts.permissions import Permission
from dunops.billing import checkout, webhooks
from dunops.errors import DunopsError, PermissionDenied
from dunops.security.tokens import same
from dunops.storage.database import reading, transaction
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, ReadDB, reader_of, writer_of
from dunops.web.routes.auth import error_page, render, signed_in_record
from dunops.web.routing import api_router

router = api_router(tags=["billing"])


class PlanOut(BaseModel):
    name: str
    label: str
    zones: int
    zone_rrsets: int
    change_rrsets: int
    connections: int
    members: int
    agent_messages_per_day: int


class BillingOut(BaseModel):
    plan: str
    limits: PlanOut
    plans: list[PlanOut]
    stripe: bool
    subscribed: bool


class CheckoutIn(BaseModel):
    plan: str = Field(max_length=32)


class RedirectOut(BaseModel):
    url: str


def _plan_out(name: str, settings: AppSettings) -> PlanOut:
    return PlanOut(name=name, **settings.plans[name].model_dump(exclude={"stripe_price"}))


@router.get("/api/v1/workspaces/{slug}/billing")
def billing(slug: str, db: ReadDB, settings: AppSettings, principal: CurrentPrincipal) -> BillingOut:
    """The workspace's plan and its limits, and the plans there are."""
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    current = grant.workspace.plan if grant.workspace.plan in settings.plans else plans.FREE
    return BillingOut(
        plan=current,
        limits=_plan_out(current, settings),
        plans=[_plan_out(name, settings) for name in settings.plans],
        stripe=settings.billing_enabled,
        subscribed=bool(grant.workspace.stripe_subscription_id),
    )


def _checkout(
    request: Request, settings: AppSettings, principal: CurrentPrincipal, slug: str, plan: str
) -> str:
    with reading(reader_of(request)) as db:
        grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
        bought = checkout.purchase(settings, grant, plan)
    return checkout.checkout_url(settings, bought)  # no transaction is open while Stripe answers


def _portal(request: Request, settings: AppSettings, principal: CurrentPrincipal, slug: str) -> str:
    with reading(reader_of(request)) as db:
        grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
        customer, slug = checkout.portal_customer(settings, grant)
    return checkout.portal_url(settings, customer, slug)


@router.post("/api/v1/workspaces/{slug}/billing/checkout")
async def start_checkout(
    slug: str, body: CheckoutIn, request: Request, settings: AppSettings, principal: CurrentPrincipal
) -> RedirectOut:
    """A Stripe Checkout URL for upgrading to ``plan`` (owners only); card details go to Stripe alone."""
    return RedirectOut(url=await run_in_threadpool(_checkout, request, settings, principal, slug, body.plan))


@router.post("/api/v1/workspaces/{slug}/billing/portal")
async def open_portal(
    slug: str, request: Request, settings: AppSettings, principal: CurrentPrincipal
) -> RedirectOut:
    """A Stripe customer portal URL where an owner changes or cancels the subscription."""
    return RedirectOut(url=await run_in_threadpool(_portal, request, settings, principal, slug))


@router.post("/billing/stripe/webhook", include_in_schema=False)
async def stripe_webhook(request: Request, settings: AppSettings) -> dict[str, Any]:
    """Stripe's events: verified, taken once, setting the workspace's plan."""
    payload = await request.body()
    event = webhooks.verify(settings, payload, request.headers.get("stripe-signature", ""))
    return await run_in_threadpool(_handle, request, settings, event)


def _handle(request: Request, settings: AppSettings, event: dict[str, Any]) -> dict[str, Any]:
    with transaction(writer_of(request)) as db:
        taken = webhooks.handle(db, settings, event)
    return {"received": True, "duplicate": not taken}


@router.get("/billing/{slug}", include_in_schema=False)
def billing_page(
    request: Request, db: ReadDB, settings: AppSettings, slug: str, checkout: str = ""
) -> Response:
    current = signed_in_record(request, db)
    if current is None:
        return RedirectResponse(f"/sign-in?next=/billing/{slug}", status_code=303)
    record, principal = current
    try:
        grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    except DunopsError as error:
        return error_page(request, error, csrf_token=record.csrf_token)
    return render(
        request,
        "billing.html",
        workspace=grant.workspace,
        current=plans.limits_of(grant.workspace),
        plans=settings.plans,
        stripe=settings.billing_enabled,
        outcome={
            "done": "Thank you: your plan changes as soon as Stripe confirms the payment.",
            "cancelled": "Checkout was cancelled; nothing changed.",
        }.get(checkout, ""),
        csrf_token=record.csrf_token,
    )


@router.post("/billing/{slug}/checkout", include_in_schema=False)
def billing_checkout(
    request: Request,
    db: DB,
    settings: AppSettings,
    slug: str,
    plan: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    current = signed_in_record(request, db)
    if current is None:
        return RedirectResponse(f"/sign-in?next=/billing/{slug}", status_code=303)
    record, principal = current
    db.rollback()
    try:
        if not csrf_token or not same(csrf_token, record.csrf_token):
            raise PermissionDenied("missing or wrong CSRF token; reload the page and try again")
        url = (
            _checkout(request, settings, principal, slug, plan)
            if plan
            else _portal(request, settings, principal, slug)
        )
    except DunopsError as error:
        return error_page(request, error, csrf_token=record.csrf_token)
    return RedirectResponse(url, status_code=303)
