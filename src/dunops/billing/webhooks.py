"""Stripe webhooks: verify the signature, refuse replays, set the workspace's plan; once per event.

Stripe signs ``"{t}.{payload}"`` with HMAC-SHA256 under the endpoint's secret and sends
``Stripe-Signature: t=<unix time>,v1=<hex>``. An event is taken only when a ``v1`` signature matches
and ``t`` is within :data:`TOLERANCE_SECONDS` of now, so a captured request cannot be replayed later;
within that window, a replay or Stripe's own retry finds its event id already stored and changes
nothing. The plan a subscription carries is found by its price (``stripe_price`` of a plan in
``DUNOPS_PLANS``); a subscription that ends puts the workspace back on Free. Nothing is deleted when
a plan shrinks: :mod:`dunops.accounts.plans` only refuses what would add.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import plans
from dunops.config import Settings
from dunops.errors import InvalidInput, NotAuthenticated, NotFound
from dunops.storage.models import BillingEvent, Workspace

TOLERANCE_SECONDS = 300
SUBSCRIPTION_LIVE = frozenset({"active", "trialing", "past_due"})
_HANDLED = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)


def verify(settings: Settings, payload: bytes, header: str, *, now: float | None = None) -> dict[str, Any]:
    """The event in ``payload`` if ``header`` signs it as Stripe does and is fresh; refused otherwise."""
    secret = settings.stripe_webhook_secret.get_secret_value()
    if not settings.billing_enabled:
        raise NotFound("billing is not enabled on this instance")
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in pairs if key.strip() == "t"]
    signatures = [value.strip() for key, value in pairs if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        raise NotAuthenticated("the Stripe-Signature header is missing or malformed")
    signed_at = int(timestamps[0])
    expected = hmac.new(secret.encode(), f"{signed_at}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise NotAuthenticated("the Stripe signature does not match this payload")
    if abs((now if now is not None else time.time()) - signed_at) > TOLERANCE_SECONDS:
        raise NotAuthenticated(
            f"the Stripe signature is older than {TOLERANCE_SECONDS} s; refused as a replay"
        )
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise InvalidInput.single("is not JSON", "body") from exc
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
    ):
        raise InvalidInput.single("is not a Stripe event", "body")
    return event


def _plan_of_price(settings: Settings, price: str) -> str | None:
    return next((name for name, plan in settings.plans.items() if price and plan.stripe_price == price), None)


def _subscription_plan(settings: Settings, subscription: Mapping[str, Any]) -> str:
    if subscription.get("status") not in SUBSCRIPTION_LIVE:
        return plans.FREE
    items = (subscription.get("items") or {}).get("data") or []
    for item in items:
        found = _plan_of_price(settings, str((item.get("price") or {}).get("id", "")))
        if found:
            return found
    named = str((subscription.get("metadata") or {}).get("plan", ""))
    return named if named in settings.plans else plans.FREE


def _workspace(session: Session, obj: Mapping[str, Any]) -> Workspace | None:
    """The workspace an event's object concerns: by the id we gave Stripe, else by its customer."""
    reference = str(obj.get("client_reference_id") or (obj.get("metadata") or {}).get("workspace_id") or "")
    if reference.isdigit():
        found = session.get(Workspace, int(reference))
        if found is not None:
            return found
    customer = str(obj.get("customer") or "")
    if not customer:
        return None
    return session.scalars(select(Workspace).where(Workspace.stripe_customer_id == customer)).first()


def handle(session: Session, settings: Settings, event: Mapping[str, Any]) -> bool:
    """Apply a verified event once; False when its id was handled before (a replay or a retry)."""
    event_id, kind = str(event["id"]), str(event["type"])
    if session.get(BillingEvent, event_id) is not None:
        return False
    obj: Mapping[str, Any] = (event.get("data") or {}).get("object") or {}
    workspace = _workspace(session, obj) if kind in _HANDLED else None
    record = BillingEvent(
        event_id=event_id[:255], type=kind[:100], workspace_id=workspace.id if workspace else None
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:  # the same event, handled at this moment by another replica
        session.rollback()
        return False
    if workspace is None:
        return True
    if kind == "checkout.session.completed":
        workspace.stripe_customer_id = str(obj.get("customer") or workspace.stripe_customer_id)[:255]
        workspace.stripe_subscription_id = str(obj.get("subscription") or "")[:255]
        plan = str((obj.get("metadata") or {}).get("plan", ""))
        if obj.get("payment_status") not in {"paid", "no_payment_required"} or plan not in settings.plans:
            return True
    elif kind == "customer.subscription.deleted":
        plan = plans.FREE
    else:
        workspace.stripe_customer_id = str(obj.get("customer") or workspace.stripe_customer_id)[:255]
        workspace.stripe_subscription_id = str(obj.get("id") or "")[:255]
        plan = _subscription_plan(settings, obj)
    record.plan = plan
    if plan != workspace.plan:
        previous, workspace.plan = workspace.plan, plan
        audit.record(
            session,
            workspace_id=workspace.id,
            actor=None,
            action="workspace.plan",
            target=f"workspace:{workspace.slug}",
            details={"from": previous, "to": plan, "stripe_event": event_id},
        )
    session.flush()
    return True
