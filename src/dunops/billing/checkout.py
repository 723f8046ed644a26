"""Stripe Checkout for upgrading and the Stripe customer portal for managing a subscription.

DunOps never sees card data: it asks Stripe for a Checkout Session or a portal session and sends the
owner to the URL Stripe returns; what the owner then buys reaches DunOps only as a signed webhook
(:mod:`dunops.billing.webhooks`). Only when ``DUNOPS_STRIPE_SECRET_KEY`` and
``DUNOPS_STRIPE_WEBHOOK_SECRET`` are set; no database transaction is open while Stripe answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from dunops.accounts import plans
from dunops.accounts.access import Access
from dunops.config import Settings
from dunops.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ProviderError
from dunops.storage.models import Role

TIMEOUT_SECONDS = 20


@dataclass(frozen=True, slots=True)
class Purchase:
    """What an owner asked to buy, read from the workspace before Stripe is called."""

    workspace_id: int
    slug: str
    plan: str
    price: str
    customer: str


def client(settings: Settings) -> stripe.StripeClient:
    if not settings.billing_enabled:
        raise NotFound("billing is not enabled on this instance")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=1,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def _require_owner(grant: Access) -> None:
    if grant.role != Role.OWNER:
        raise PermissionDenied("only an owner of the workspace manages its plan and billing")


def purchase(settings: Settings, grant: Access, plan: str) -> Purchase:
    """Check that an owner may buy ``plan`` for the workspace (call inside the request's transaction)."""
    client(settings)
    _require_owner(grant)
    chosen = plans.known(plan)
    price = settings.plans[chosen].stripe_price
    if not price:
        raise InvalidInput.single(f"the plan '{chosen}' is not sold through Stripe", "plan")
    if grant.workspace.plan == chosen:
        raise Conflict(f"workspace '{grant.workspace.slug}' is already on the {chosen} plan")
    workspace = grant.workspace
    return Purchase(workspace.id, workspace.slug, chosen, price, workspace.stripe_customer_id)


def checkout_url(settings: Settings, bought: Purchase) -> str:
    """A Stripe Checkout Session for the purchase; the owner is sent to its URL."""
    back = f"{settings.public_url}/billing/{bought.slug}"
    params: dict[str, object] = {
        "mode": "subscription",
        "line_items": [{"price": bought.price, "quantity": 1}],
        "success_url": back + "?checkout=done",
        "cancel_url": back + "?checkout=cancelled",
        "client_reference_id": str(bought.workspace_id),
        "metadata": {"workspace_id": str(bought.workspace_id), "plan": bought.plan},
        "subscription_data": {"metadata": {"workspace_id": str(bought.workspace_id), "plan": bought.plan}},
    }
    if bought.customer:
        params["customer"] = bought.customer
    try:
        session = client(settings).v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the checkout: {exc.user_message or type(exc).__name__}") from exc
    return str(session.url)


def portal_customer(settings: Settings, grant: Access) -> tuple[str, str]:
    """The workspace's Stripe customer and slug, for the portal (call inside the request's transaction)."""
    client(settings)
    _require_owner(grant)
    if not grant.workspace.stripe_customer_id:
        raise Conflict(f"workspace '{grant.workspace.slug}' has no subscription yet; upgrade first")
    return grant.workspace.stripe_customer_id, grant.workspace.slug


def portal_url(settings: Settings, customer: str, slug: str) -> str:
    """A Stripe customer portal session where the owner changes or cancels the subscription."""
    params = {"customer": customer, "return_url": f"{settings.public_url}/billing/{slug}"}
    try:
        session = client(settings).v1.billing_portal.sessions.create(params=params)  # type: ignore[arg-type]
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the portal: {exc.user_message or type(exc).__name__}") from exc
    return str(session.url)
