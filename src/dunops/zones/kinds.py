"""What each provider kind takes through the API: non-secret config fields and write-only secrets.

This is the API's allow-list over the providers' own field specs: settings that would let a workspace
admin run commands on the DunOps host (the zone-file provider's reload command) are not offered here.

Validation collects every problem (unknown kind, missing or unknown field, wrong type) and names each
field as ``config.<field>`` or ``secrets.<field>``; a message never repeats a submitted value, so a
secret pasted into the wrong field is not echoed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dunops.errors import InvalidInput, Problem

FieldType = Literal["str", "int", "url"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType = "str"
    required: bool = True
    default: str | int | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: str
    label: str
    config: tuple[FieldSpec, ...] = ()
    secrets: tuple[FieldSpec, ...] = ()


KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            "zonefile",
            "Zone files",
            config=(FieldSpec("directory"), FieldSpec("server_address", required=False)),
        ),
        KindSpec(
            "powerdns",
            "PowerDNS",
            config=(
                FieldSpec("url", "url"),
                FieldSpec("server_id", required=False, default="localhost"),
                FieldSpec("dns_address", required=False),
            ),
            secrets=(FieldSpec("api_key"),),
        ),
        KindSpec(
            "rfc2136",
            "RFC 2136",
            config=(
                FieldSpec("server"),
                FieldSpec("port", "int", required=False, default=53, minimum=1, maximum=65535),
                FieldSpec("tsig_name"),
                FieldSpec("tsig_algorithm", required=False, default="hmac-sha256"),
            ),
            secrets=(FieldSpec("tsig_secret"),),
        ),
        KindSpec(
            "route53",
            "Amazon Route 53",
            config=(
                FieldSpec("region", required=False, default="us-east-1"),
                FieldSpec("endpoint_url", "url", required=False),
            ),
            secrets=(
                FieldSpec("access_key_id"),
                FieldSpec("secret_access_key"),
                FieldSpec("session_token", required=False),
            ),
        ),
        KindSpec(
            "cloudflare",
            "Cloudflare",
            config=(FieldSpec("account_id", required=False),),
            secrets=(FieldSpec("api_token"),),
        ),
    )
}


# API field name -> provider constructor argument, where the two differ.
_PROVIDER_NAMES: dict[str, dict[str, str]] = {
    "rfc2136": {"tsig_name": "key_name", "tsig_algorithm": "key_algorithm", "tsig_secret": "key_secret"},
}


def provider_fields(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Stored config or secrets renamed to what the provider's constructor takes."""
    names = _PROVIDER_NAMES.get(kind, {})
    return {names.get(name, name): value for name, value in fields.items()}


def kind_spec(kind: str) -> KindSpec:
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput.single(
            f"unknown provider kind; expected one of {', '.join(sorted(KINDS))}", "kind"
        )
    return spec


def _check_value(spec: FieldSpec, value: Any, location: str) -> tuple[Any, Problem | None]:
    if spec.type == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None, Problem("must be a whole number", location)
        try:
            number = int(value)
        except ValueError:
            return None, Problem("must be a whole number", location)
        if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum
        ):
            return None, Problem(f"must be between {spec.minimum} and {spec.maximum}", location)
        return number, None
    if not isinstance(value, str):
        return None, Problem("must be a string", location)
    text = value.strip()
    if not text:
        return None, Problem("must not be empty", location)
    if len(text) > 2000:
        return None, Problem("is too long (at most 2000 characters)", location)
    if spec.type == "url" and not text.startswith(("http://", "https://")):
        return None, Problem("must be an http:// or https:// URL", location)
    return (text.rstrip("/") if spec.type == "url" else text), None


def _clean(
    fields: tuple[FieldSpec, ...], given: Mapping[str, Any], section: str, problems: list[Problem]
) -> dict[str, Any]:
    known = {field.name for field in fields}
    for name in given:
        if name not in known:
            problems.append(Problem(f"is not a {section} field of this kind", f"{section}.{name}"))
    cleaned: dict[str, Any] = {}
    for field in fields:
        location = f"{section}.{field.name}"
        value = given.get(field.name)
        if value is None or value == "":
            if field.required:
                problems.append(Problem("is required", location))
            elif field.default is not None:
                cleaned[field.name] = field.default
            continue
        checked, problem = _check_value(field, value, location)
        if problem is not None:
            problems.append(problem)
        else:
            cleaned[field.name] = checked
    return cleaned


def validate(
    kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned config and secrets for ``kind``; ``InvalidInput`` naming every bad field otherwise."""
    spec = kind_spec(kind)
    problems: list[Problem] = []
    cleaned_config = _clean(spec.config, config, "config", problems)
    cleaned_secrets = _clean(spec.secrets, secrets, "secrets", problems)
    if problems:
        raise InvalidInput.collect(
            problems, f"invalid {spec.label} connection" if len(problems) > 1 else None
        )
    return cleaned_config, {name: str(value) for name, value in cleaned_secrets.items()}
