"""A small stateful fake of the Cloudflare v4 API, served through ``httpx.MockTransport``.

It implements the documented endpoints the provider calls: token verification, zone listing,
DNS record list/create/patch/delete, the batch endpoint (deletes, patches, puts, posts in that order,
all or nothing), pagination with ``result_info``, the error envelope ``{"success": false, "errors":
[...]}`` and 429 answers with ``Retry-After``. Tests can inject failures and rate limits.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

BASE_URL = "https://api.cloudflare.test/client/v4"


class _Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class FakeZone:
    id: str
    name: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


class CloudflareFake:
    """State: zones and their records. ``transport`` is what the provider's httpx client uses."""

    def __init__(self, token: str = "good-token") -> None:
        self.token = token
        self.zones: dict[str, FakeZone] = {}
        self.requests: list[tuple[str, str]] = []
        self.rate_limited = 0
        self.retry_after = "0"
        self.fail_writes_after: int | None = None
        self.writes = 0
        self.batch_enabled = True
        self._ids = itertools.count(1)
        self.transport = httpx.MockTransport(self.handle)

    # -- arranging state ---------------------------------------------------------------------------

    def add_zone(self, name: str) -> FakeZone:
        zone = FakeZone(f"zone{next(self._ids):04d}", name.rstrip(".").lower())
        self.zones[zone.id] = zone
        return zone

    def zone_named(self, name: str) -> FakeZone:
        return next(zone for zone in self.zones.values() if zone.name == name.rstrip(".").lower())

    def add_record(self, zone: FakeZone, **record: Any) -> dict[str, Any]:
        return self._create(zone, record)

    def fail_after_writes(self, count: int) -> None:
        """Let ``count`` more write requests succeed, then answer every further write with a 500."""
        self.fail_writes_after = self.writes + count

    # -- HTTP --------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 10000, "Authentication error")
        if self.rate_limited:
            self.rate_limited -= 1
            return _error(
                429,
                971,
                "Please wait and consider throttling your request speed",
                {"Retry-After": self.retry_after},
            )
        if request.method != "GET":
            if self.fail_writes_after is not None and self.writes >= self.fail_writes_after:
                return _error(500, 1000, "Internal server error")
            self.writes += 1
        path = request.url.path.removeprefix(httpx.URL(BASE_URL).path)
        try:
            return self._route(request, path)
        except _Refused as refused:
            return _error(refused.status, refused.code, refused.message)

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        if path == "/user/tokens/verify":
            return _ok({"id": "token", "status": "active"})
        if path == "/zones" and request.method == "GET":
            name = request.url.params.get("name")
            zones = [z for z in self.zones.values() if name is None or z.name == name]
            return _page(
                request,
                [
                    {
                        "id": z.id,
                        "name": z.name,
                        "status": "active",
                        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
                    }
                    for z in zones
                ],
            )
        match = re.fullmatch(r"/zones/([^/]+)/dns_records(?:/([^/]+))?", path)
        if match is None:
            raise _Refused(404, 7003, "Could not route to the requested path")
        zone = self.zones.get(match[1])
        if zone is None:
            raise _Refused(404, 7003, "Could not route to /zones: zone not found")
        record_id = match[2]
        if record_id == "batch" and request.method == "POST":
            if not self.batch_enabled:
                raise _Refused(404, 7003, "Could not route to the requested path")
            return self._batch(zone, body)
        if record_id is None:
            if request.method == "GET":
                records = sorted(zone.records.values(), key=lambda r: (r["name"], r["type"], r["id"]))
                for field in ("name", "type"):  # exact-match filters, as the API documents them
                    wanted = request.url.params.get(field) or request.url.params.get(f"{field}.exact")
                    if wanted is not None:
                        records = [r for r in records if r[field].lower() == wanted.lower()]
                return _page(request, records)
            if request.method == "POST":
                return _ok(self._create(zone, body))
        elif request.method == "DELETE":
            self._delete(zone, record_id)
            return _ok({"id": record_id})
        elif request.method in ("PATCH", "PUT"):
            return _ok(self._update(zone, record_id, body, request.method == "PUT"))
        raise _Refused(405, 10000, "Method not allowed")

    def _batch(self, zone: FakeZone, body: dict[str, Any]) -> httpx.Response:
        saved = {rid: dict(record) for rid, record in zone.records.items()}
        try:
            result = {
                "deletes": [self._delete(zone, item["id"]) for item in body.get("deletes", [])],
                "patches": [self._update(zone, item["id"], item, False) for item in body.get("patches", [])],
                "puts": [self._update(zone, item["id"], item, True) for item in body.get("puts", [])],
                "posts": [self._create(zone, item) for item in body.get("posts", [])],
            }
        except _Refused:
            zone.records = saved
            raise
        return _ok(result)

    def _create(self, zone: FakeZone, body: dict[str, Any]) -> dict[str, Any]:
        record = self._validated(zone, body)
        record["id"] = f"rec{next(self._ids):05d}"
        zone.records[record["id"]] = record
        return record

    def _update(self, zone: FakeZone, record_id: str, body: dict[str, Any], replace: bool) -> dict[str, Any]:
        existing = zone.records.get(record_id)
        if existing is None:
            raise _Refused(404, 81044, "Record does not exist.")
        merged = dict(body) if replace else {**existing, **body}
        record = self._validated(zone, merged, ignore=record_id)
        record["id"] = record_id
        zone.records[record_id] = record
        return record

    def _delete(self, zone: FakeZone, record_id: str) -> dict[str, Any]:
        if zone.records.pop(record_id, None) is None:
            raise _Refused(404, 81044, "Record does not exist.")
        return {"id": record_id}

    def _validated(self, zone: FakeZone, body: dict[str, Any], ignore: str = "") -> dict[str, Any]:
        rtype, name = body.get("type"), str(body.get("name", "")).lower().rstrip(".")
        if name != zone.name and not name.endswith("." + zone.name):
            raise _Refused(400, 9005, f"Record name {name} is outside the zone")
        others = [r for r in zone.records.values() if r["name"] == name and r["id"] != ignore]
        if (rtype == "CNAME" and others) or any(r["type"] == "CNAME" for r in others):
            raise _Refused(400, 81053, "An A, AAAA, or CNAME record with that host already exists.")
        if any(
            r["type"] == rtype
            and r.get("content") == body.get("content")
            and r.get("data") == body.get("data")
            and r.get("priority") == body.get("priority")
            for r in others
        ):
            raise _Refused(400, 81058, "An identical record already exists.")
        ttl = int(body.get("ttl", 1))
        if ttl != 1 and not 30 <= ttl <= 86400:
            raise _Refused(
                400, 9021, "Invalid TTL. Must be between 30 and 86400 seconds, or 1 for Automatic."
            )
        record: dict[str, Any] = {
            "type": rtype,
            "name": name,
            "ttl": ttl,
            "proxied": bool(body.get("proxied", False)),
            "proxiable": rtype in ("A", "AAAA", "CNAME"),
        }
        for key in ("content", "priority", "data", "comment"):
            if key in body:
                record[key] = body[key]
        if record["proxied"] and not record["proxiable"]:
            raise _Refused(400, 9004, "This record type cannot be proxied.")
        return record


def _ok(result: Any, info: dict[str, int] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        body["result_info"] = info
    return httpx.Response(200, json=body, headers={"cf-ray": f"fake-{id(body):x}"})


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    return httpx.Response(status, json=body, headers=headers)


def _page(request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
    page = int(request.url.params.get("page", "1"))
    per_page = int(request.url.params.get("per_page", "20"))
    chunk = items[(page - 1) * per_page : page * per_page]
    pages = max(1, -(-len(items) // per_page))
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": pages,
    }
    return _ok(chunk, info)
