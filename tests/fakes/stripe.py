"""A small stateful fake of the Stripe API over HTTP on loopback, for the calls DunOps makes.

It follows Stripe's documented API: form-encoded bodies with bracketed keys (``line_items[0][price]``),
``Authorization: Bearer sk_...``, the error envelope ``{"error": {"type", "message", "param"}}`` with
400/401/404, ``POST /v1/checkout/sessions`` (``mode``, ``success_url``, ``line_items`` of known prices
required in subscription mode; returns an open session with a ``url``), ``GET /v1/checkout/sessions/{id}``
and ``POST /v1/billing_portal/sessions`` (an existing ``customer`` and ``return_url``). A test plays the
customer with :meth:`FakeStripe.complete`, which creates the customer and subscription and returns the
``checkout.session.completed`` event Stripe would send, and :meth:`FakeStripe.subscription_event` for
``customer.subscription.*``. :func:`sign` signs a payload exactly as Stripe signs its webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

SECRET_KEY = "sk_test_fake"


def sign(payload: bytes, secret: str, at: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<time>,v1=<HMAC-SHA256 of "t.payload">``."""
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs as nested dicts and lists, as Stripe reads them."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node: Any = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            last = following is None
            container: Any = [] if following is not None and following.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if last:
                    node[index] = value
                else:
                    node[index] = node[index] if node[index] is not None else container
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, container)
    return root


class _Refused(Exception):
    def __init__(
        self, status: int, message: str, param: str = "", kind: str = "invalid_request_error"
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind


class FakeStripe:
    """The state: prices on sale, checkout sessions, customers, subscriptions, portal sessions."""

    def __init__(self, prices: dict[str, str]) -> None:
        self.prices = dict(prices)  # price id -> product name
        self.sessions: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    def __enter__(self) -> FakeStripe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the API ------------------------------------------------------------------------------------

    def _create_checkout(self, body: dict[str, Any]) -> dict[str, Any]:
        mode = body.get("mode")
        if mode not in {"payment", "setup", "subscription"}:
            raise _Refused(400, "Missing required param: mode.", "mode")
        if not body.get("success_url"):
            raise _Refused(400, "Missing required param: success_url.", "success_url")
        items = body.get("line_items") or []
        if mode == "subscription" and not items:
            raise _Refused(400, "Missing required param: line_items.", "line_items")
        for index, item in enumerate(items):
            if item.get("price") not in self.prices:
                raise _Refused(400, f"No such price: '{item.get('price')}'", f"line_items[{index}][price]")
        customer = body.get("customer")
        if customer is not None and customer not in self.customers:
            raise _Refused(400, f"No such customer: '{customer}'", "customer")
        session_id = self._id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "success_url": body["success_url"],
            "cancel_url": body.get("cancel_url"),
            "client_reference_id": body.get("client_reference_id"),
            "customer": customer,
            "subscription": None,
            "metadata": body.get("metadata") or {},
            "line_items": items,
            "subscription_data": body.get("subscription_data") or {},
        }
        self.sessions[session_id] = session
        return session

    def _create_portal(self, body: dict[str, Any]) -> dict[str, Any]:
        customer = body.get("customer")
        if not customer:
            raise _Refused(400, "Missing required param: customer.", "customer")
        if customer not in self.customers:
            raise _Refused(400, f"No such customer: '{customer}'", "customer")
        portal = {
            "id": self._id("bps"),
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": body.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/{self._id('live')}",
        }
        self.portal_sessions.append(portal)
        return portal

    def route(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_checkout(body)
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            found = self.sessions.get(path.rsplit("/", 1)[1])
            if found is None:
                raise _Refused(404, "No such checkout.session", "id")
            return found
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return self._create_portal(body)
        raise _Refused(404, f"Unrecognized request URL ({method}: {path}).")

    # -- the customer's side ------------------------------------------------------------------------

    def complete(self, session_id: str) -> dict[str, Any]:
        """The customer pays: a customer and an active subscription exist; returns Stripe's event."""
        session = self.sessions[session_id]
        customer = session["customer"] or self._id("cus")
        self.customers.setdefault(customer, {"id": customer, "object": "customer"})
        price = session["line_items"][0]["price"]
        subscription = {
            "id": self._id("sub"),
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "items": {"object": "list", "data": [{"id": self._id("si"), "price": {"id": price}}]},
            "metadata": session["subscription_data"].get("metadata") or {},
        }
        self.subscriptions[subscription["id"]] = subscription
        session.update(
            status="complete", payment_status="paid", customer=customer, subscription=subscription["id"]
        )
        return self.event("checkout.session.completed", session)

    def subscription_event(self, kind: str, subscription_id: str, **changes: Any) -> dict[str, Any]:
        subscription = self.subscriptions[subscription_id]
        subscription.update(changes)
        return self.event(kind, subscription)

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._id("evt"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                try:
                    if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
                        raise _Refused(401, "Invalid API Key provided", kind="invalid_request_error")
                    path = self.path.split("?", 1)[0]
                    result = fake.route(method, path, _nested(parse_qsl(raw, keep_blank_values=True)))
                    status, payload = 200, result
                except _Refused as refused:
                    status = refused.status
                    payload = {
                        "error": {"type": refused.kind, "message": refused.message, "param": refused.param}
                    }
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self._answer("POST")

            def do_GET(self) -> None:
                self._answer("GET")

            def log_message(self, *_: object) -> None:
                return

        return Handler


def running(prices: dict[str, str]) -> Iterator[FakeStripe]:
    with FakeStripe(prices) as fake:
        yield fake
