"""Cloudflare DNS through the v4 API with an API token.

Cloudflare keeps one record per value; the provider groups them into RRsets and keeps the
``proxied`` flag as provider metadata (``{"cloudflare": {"proxied": true}}``). Writes go through the
batch endpoint (each batch all-or-nothing) and fall back to ordered single calls where it does not
exist. Cloudflare is not atomic across batches or calls, so the result names exactly which changes
landed; 429 answers are retried after ``Retry-After``, a bounded number of times. Ids Cloudflare
hands out go into URL paths only when they are identifiers; its error messages are not shown (they may
echo anything), its numeric error codes are.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from typing import Any

import httpx

from dunops.dns.rdata import InvalidValue, canonical_value, text_value_from_bytes
from dunops.dns.rrset import RRset, meta_text
from dunops.dns.zone import RRsetKey, Zone
from dunops.errors import ProviderError, ZoneMissing
from dunops.providers.base import PlannedChange, Provider, change_key, change_rrset, outcome_for
from dunops.providers.http import bad_answer, is_identifier, make_client, refuse_credentials, refused, send
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import Capabilities, ChangeOutcome, ChangeStatus, ProviderZone

DEFAULT_URL = "https://api.cloudflare.com/client/v4"
TYPES = frozenset({"A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SRV", "TXT"})
PAGE_SIZE = 100
_Op = tuple[str, dict[str, Any]]


def _proxied(rrset: RRset | None) -> bool:
    return bool(rrset is not None and rrset.meta_dict.get("cloudflare", {}).get("proxied"))


def record_value(record: dict[str, Any], origin: str) -> str:
    """The canonical presentation value of one Cloudflare record."""
    rtype, content, data = record["type"], str(record.get("content", "")), record.get("data") or {}
    if rtype == "MX":
        return canonical_value("MX", f"{record.get('priority', 0)} {content}.", origin)
    if rtype == "SRV" and data:
        text = f"{data['priority']} {data['weight']} {data['port']} {str(data['target']).rstrip('.')}."
        return canonical_value("SRV", text, origin)
    if rtype == "CAA" and data:
        return canonical_value("CAA", f'{data["flags"]} {data["tag"]} "{data["value"]}"', origin)
    if rtype == "TXT" and not content.startswith('"'):
        return text_value_from_bytes(content.encode("utf-8"))
    if rtype in ("CNAME", "NS", "PTR"):
        content = content.rstrip(".") + "."
    return canonical_value(rtype, content, origin)


def record_body(rrset: RRset, value: str) -> dict[str, Any]:
    """The API body of one value of ``rrset``."""
    body: dict[str, Any] = {
        "type": rrset.rtype,
        "name": rrset.key.rstrip("."),
        "ttl": rrset.ttl,
        "proxied": _proxied(rrset),
    }
    if rrset.rtype == "MX":
        preference, target = value.split()
        body.update(priority=int(preference), content=target.rstrip(".") or ".")
    elif rrset.rtype == "SRV":
        priority, weight, port, target = value.split()
        body["data"] = {
            "priority": int(priority),
            "weight": int(weight),
            "port": int(port),
            "target": target.rstrip(".") or ".",
        }
    elif rrset.rtype == "CAA":
        flags, tag, quoted = value.split(" ", 2)
        body["data"] = {"flags": int(flags), "tag": tag, "value": quoted[1:-1]}
    elif rrset.rtype in ("CNAME", "NS", "PTR"):
        body["content"] = value.rstrip(".")
    else:
        body["content"] = value
    return body


class CloudflareProvider(Provider):
    kind = "cloudflare"
    label = "Cloudflare"
    capabilities = Capabilities(record_types=TYPES, root_ns=False, atomic_apply=False, max_batch=200)

    def __init__(
        self,
        *,
        api_token: str,
        base_url: str = DEFAULT_URL,
        account_id: str = "",
        name: str = "",
        timeout: float = 10.0,
        outbound: OutboundPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        batch_size: int = 200,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
    ) -> None:
        super().__init__(name=name, timeout=timeout, outbound=outbound)
        headers = {"Authorization": f"Bearer {api_token}"}
        self.client = make_client(
            base_url, headers, timeout, transport, outbound=self.outbound, who=self.describe()
        )
        self.account_id = account_id
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._batch_supported = True
        self._zone_ids: dict[str, str] = {}
        self._records: dict[str, dict[RRsetKey, list[dict[str, Any]]]] = {}

    # -- HTTP --------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.max_retries + 1):
            response = send(self.client, self.describe(), method, path, **kwargs)
            refuse_credentials(self.describe(), response)
            if response.status_code != 429:
                return response
            if attempt < self.max_retries:
                time.sleep(min(_retry_after(response), self.max_retry_wait))
        raise ProviderError(
            f"{self.describe()}: Cloudflare kept answering 429 (rate limited) after "
            f"{self.max_retries} retries; try again later"
        )

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self._call("GET", path, params=params)
        body = _json(response)
        if response.status_code == 200 and body.get("success") is True:
            return body
        if response.status_code == 200 and "success" not in body:
            raise bad_answer(self.describe(), f"GET {path}")
        raise refused(self.describe(), f"GET {path}", response, _codes(body))

    def _paged(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._get(path, page=page, per_page=PAGE_SIZE, **params)
            result, info = body.get("result") or [], body.get("result_info") or {}
            try:
                items.extend(result)
                last = page >= int(info.get("total_pages", 1))
            except (TypeError, ValueError, AttributeError) as exc:
                raise bad_answer(self.describe(), f"GET {path}") from exc
            if last:
                return items
            page += 1

    # -- reading -----------------------------------------------------------------------------------

    def test_connection(self) -> None:
        self._get("/user/tokens/verify")

    def _list_zones(self) -> list[ProviderZone]:
        params = {"account.id": self.account_id} if self.account_id else {}
        zones = []
        for item in self._paged("/zones", **params):
            try:
                origin = item["name"].lower() + "."
                zone_id = self._checked_id(item["id"], "listing zones")
                note = str(item.get("status", ""))
            except (KeyError, TypeError, AttributeError) as exc:
                raise bad_answer(self.describe(), "listing zones") from exc
            self._zone_ids[origin] = zone_id
            zones.append(ProviderZone(origin, provider_id=zone_id, note=note))
        return zones

    def _checked_id(self, value: object, what: str) -> str:
        """An id Cloudflare handed out, once it is known to be safe in a URL path."""
        if not is_identifier(value):
            raise bad_answer(self.describe(), what)
        return str(value)

    def _zone_id(self, origin: str) -> str:
        if origin not in self._zone_ids:
            found = self._get("/zones", name=origin.rstrip(".")).get("result") or []
            if not found:
                raise ZoneMissing(f"{self.describe()}: Cloudflare has no zone {origin} for this token")
            try:
                self._zone_ids[origin] = self._checked_id(found[0]["id"], f"looking up the zone {origin}")
            except (KeyError, TypeError) as exc:
                raise bad_answer(self.describe(), f"looking up the zone {origin}") from exc
        return self._zone_ids[origin]

    def nameservers(self, zone: str) -> list[str]:
        origin = zone.lower().rstrip(".") + "."
        found = self._get("/zones", name=origin.rstrip(".")).get("result") or []
        try:
            return (
                [ns.lower().rstrip(".") + "." for ns in (found[0].get("name_servers") or [])] if found else []
            )
        except (TypeError, AttributeError) as exc:
            raise bad_answer(self.describe(), f"looking up the zone {origin}") from exc

    def _key(self, record: Any, what: str) -> RRsetKey:
        """The (owner, type) of one record Cloudflare listed."""
        try:
            return record["name"].lower() + ".", str(record["type"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise bad_answer(self.describe(), what) from exc

    def _fetch(self, origin: str) -> Zone:
        records = self._paged(f"/zones/{self._zone_id(origin)}/dns_records")
        grouped: dict[RRsetKey, list[dict[str, Any]]] = {}
        for record in records:
            key = self._key(record, f"reading the zone {origin}")
            if key[1] in TYPES:
                grouped.setdefault(key, []).append(record)
        self._records[origin] = grouped
        return Zone(origin, (self._rrset(origin, key, group) for key, group in grouped.items()))

    def _read_nodes(self, origin: str, names: Collection[str]) -> list[RRset] | None:
        """Each name's records with the list endpoint's exact ``name`` filter."""
        path = f"/zones/{self._zone_id(origin)}/dns_records"
        known = self._records.setdefault(origin, {})
        found: list[RRset] = []
        for name in sorted(names):
            grouped: dict[RRsetKey, list[dict[str, Any]]] = {}
            for record in self._paged(path, name=name.rstrip(".")):
                key = self._key(record, f"reading {name}")
                if key[0] == name and key[1] in TYPES:
                    grouped.setdefault(key, []).append(record)
            for key in [k for k in known if k[0] == name]:
                known.pop(key)
            known.update(grouped)
            found.extend(self._rrset(origin, key, group) for key, group in grouped.items())
        return found

    def _rrset(self, origin: str, key: RRsetKey, group: list[dict[str, Any]]) -> RRset:
        name, rtype = key
        try:
            values = [record_value(record, origin) for record in group]
            ttl = min(int(r["ttl"]) for r in group)
            for record in group:
                self._checked_id(record["id"], f"reading {name} {rtype}")
        except (InvalidValue, KeyError, TypeError, ValueError) as exc:
            raise bad_answer(self.describe(), f"reading {name} {rtype}") from exc
        proxied = any(record.get("proxied") for record in group)
        meta = meta_text({"cloudflare": {"proxied": True}}) if proxied else ""
        return RRset(name, rtype, ttl, values, meta)

    # -- writing -----------------------------------------------------------------------------------

    def _operations(self, origin: str, change: PlannedChange) -> list[_Op]:
        existing = self._records.get(origin, {}).get(change_key(change), [])
        by_value = {record_value(record, origin): record for record in existing}
        after = change.after
        wanted = set(after.values) if after is not None else set()
        ops: list[_Op] = [
            ("deletes", {"id": r["id"]}) for value, r in by_value.items() if value not in wanted
        ]
        if after is not None:
            for value in after.values:
                body = record_body(after, value)
                record = by_value.get(value)
                if record is None:
                    ops.append(("posts", body))
                elif int(record["ttl"]) != after.ttl or bool(record.get("proxied")) != body["proxied"]:
                    ops.append(
                        ("patches", {"id": record["id"], "ttl": after.ttl, "proxied": body["proxied"]})
                    )
        return ops

    def _apply(
        self, origin: str, changes: Sequence[PlannedChange], current: Zone
    ) -> tuple[list[ChangeOutcome], list[str]]:
        zone_id = self._zone_id(origin)
        order = sorted(
            range(len(changes)), key=lambda i: (changes[i].after is not None, changes[i].before is None)
        )
        work = [(index, self._operations(origin, changes[index])) for index in order]
        outcomes: dict[int, ChangeOutcome] = {}
        request_ids: list[str] = []
        if self._batch_supported:
            self._apply_batches(zone_id, changes, work, outcomes, request_ids)
        if not self._batch_supported:
            self._apply_calls(zone_id, changes, work, outcomes, request_ids)
        return [outcomes[index] for index in range(len(changes))], request_ids

    def _apply_batches(
        self,
        zone_id: str,
        changes: Sequence[PlannedChange],
        work: list[tuple[int, list[_Op]]],
        outcomes: dict[int, ChangeOutcome],
        request_ids: list[str],
    ) -> None:
        batches: list[list[tuple[int, list[_Op]]]] = [[]]
        size = 0
        for item in work:
            if batches[-1] and size + len(item[1]) > self.batch_size:
                batches.append([])
                size = 0
            batches[-1].append(item)
            size += len(item[1])
        failure = ""
        for number, batch in enumerate(batches, start=1):
            indexes = [index for index, _ in batch]
            if failure:
                for index in indexes:
                    outcomes[index] = outcome_for(
                        changes[index], ChangeStatus.REFUSED, f"not sent: {failure}"
                    )
                continue
            body: dict[str, list[dict[str, Any]]] = {"deletes": [], "patches": [], "posts": []}
            for _, ops in batch:
                for section, operation in ops:
                    body[section].append(operation)
            try:
                response = self._call("POST", f"/zones/{zone_id}/dns_records/batch", json=body)
            except ProviderError as exc:
                failure = f"batch {number} failed"
                for index in indexes:
                    outcomes[index] = outcome_for(changes[index], ChangeStatus.UNKNOWN, str(exc))
                continue
            if response.status_code == 404 and number == 1 and _code(response) == 7003:
                self._batch_supported = False
                return
            ray = response.headers.get("cf-ray", "")
            request_ids.append(ray)
            payload = _json(response)
            if response.status_code == 200 and payload.get("success"):
                status, message = ChangeStatus.WRITTEN, ""
            else:
                failure = f"batch {number} failed"
                status = ChangeStatus.UNKNOWN if response.status_code >= 500 else ChangeStatus.REFUSED
                message = str(
                    refused(self.describe(), f"batch {number}/{len(batches)}", response, _codes(payload))
                )
            for index in indexes:
                outcomes[index] = outcome_for(changes[index], status, message, ray)

    def _apply_calls(
        self,
        zone_id: str,
        changes: Sequence[PlannedChange],
        work: list[tuple[int, list[_Op]]],
        outcomes: dict[int, ChangeOutcome],
        request_ids: list[str],
    ) -> None:
        failure = ""
        path = f"/zones/{zone_id}/dns_records"
        for index, ops in work:
            change = changes[index]
            if failure:
                outcomes[index] = outcome_for(change, ChangeStatus.REFUSED, f"not sent: {failure}")
                continue
            rays = []
            ops = sorted(ops, key=lambda op: ("deletes", "patches", "posts").index(op[0]))
            for done, (section, item) in enumerate(ops):
                method, url, body = _call_for(path, section, item)
                try:
                    response = self._call(method, url, json=body)
                except ProviderError as exc:
                    failure = f"a call for {change_rrset(change).name} failed"
                    outcomes[index] = outcome_for(change, ChangeStatus.UNKNOWN, str(exc))
                    break
                rays.append(response.headers.get("cf-ray", ""))
                payload = _json(response)
                if response.status_code != 200 or not payload.get("success"):
                    failure = f"a call for {change_rrset(change).name} failed"
                    status = (
                        ChangeStatus.REFUSED
                        if done == 0 and response.status_code < 500
                        else ChangeStatus.UNKNOWN
                    )
                    what = f"{method} {done + 1}/{len(ops)}"
                    message = str(refused(self.describe(), what, response, _codes(payload)))
                    outcomes[index] = outcome_for(change, status, message, ",".join(rays))
                    break
            else:
                outcomes[index] = outcome_for(change, ChangeStatus.WRITTEN, "", ",".join(rays))
            request_ids.extend(ray for ray in rays if ray)


def _call_for(path: str, section: str, item: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    """The single API call doing one batch operation: (method, path, body)."""
    if section == "deletes":
        return "DELETE", f"{path}/{item['id']}", None
    if section == "patches":
        return "PATCH", f"{path}/{item['id']}", {key: value for key, value in item.items() if key != "id"}
    return "POST", path, item


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_codes(body: dict[str, Any]) -> list[int]:
    """The numeric codes of Cloudflare's error envelope; its messages are left out."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [e["code"] for e in errors if isinstance(e, dict) and type(e.get("code")) is int][:5]


def _code(response: httpx.Response) -> int:
    codes = _error_codes(_json(response))
    return codes[0] if codes else 0


def _codes(body: dict[str, Any]) -> str:
    codes = _error_codes(body)
    return f"Cloudflare error {', '.join(map(str, codes))}" if codes else ""


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
