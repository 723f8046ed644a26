"""The provider kinds DunOps ships: each kind's class and the config and secret fields it takes.

:func:`build` turns a connection's stored config and decrypted secrets into a :class:`Provider`,
checking every field first and naming each bad one (``config.url``, ``secrets.api_key``) in one
``InvalidInput``. Services describe forms and validate input from :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from dunops.errors import InvalidInput, Problem
from dunops.providers.base import Provider


class FieldType(StrEnum):
    TEXT = "text"
    URL = "url"
    INTEGER = "integer"
    LIST = "list"
    SECRET = "secret"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a connection form: a constructor argument of the provider class."""

    name: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = True
    default: Any = None
    help: str = ""
    # Only the operator may set it (it would let a workspace admin act on the DunOps host).
    operator_only: bool = False
    # Where the connection sends its credentials: changing it means giving the secrets again.
    endpoint: bool = False
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class ProviderKind:
    kind: str
    label: str
    config: tuple[FieldSpec, ...]
    secrets: tuple[FieldSpec, ...]

    def provider_class(self) -> type[Provider]:
        return _classes()[self.kind]


_TEXT, _URL, _INT, _LIST, _SECRET = (
    FieldType.TEXT,
    FieldType.URL,
    FieldType.INTEGER,
    FieldType.LIST,
    FieldType.SECRET,
)

KINDS: dict[str, ProviderKind] = {
    "zonefile": ProviderKind(
        "zonefile",
        "Zone files",
        (
            FieldSpec("directory", "Directory of <zone>.zone files"),
            FieldSpec(
                "reload_command",
                "Reload command (argv list, {zone} is replaced)",
                _LIST,
                required=False,
                default=(),
                operator_only=True,
            ),
            FieldSpec(
                "server_address",
                "Server serving these files (host:port), for verification",
                required=False,
                default="",
            ),
        ),
        (),
    ),
    "powerdns": ProviderKind(
        "powerdns",
        "PowerDNS",
        (
            FieldSpec("url", "API URL", _URL, help="for example http://127.0.0.1:8081", endpoint=True),
            FieldSpec("server_id", "Server id", required=False, default="localhost"),
            FieldSpec("dns_address", "DNS address (host:port), for verification", required=False, default=""),
        ),
        (FieldSpec("api_key", "API key", _SECRET),),
    ),
    "rfc2136": ProviderKind(
        "rfc2136",
        "RFC 2136 server (BIND, Knot)",
        (
            FieldSpec("server", "Server address", endpoint=True),
            FieldSpec("port", "Port", _INT, False, 53, minimum=1, maximum=65535, endpoint=True),
            FieldSpec("zones", "Zones served", _LIST, False, ()),
            FieldSpec("tsig_name", "TSIG key name"),
            FieldSpec("tsig_algorithm", "TSIG algorithm", required=False, default="hmac-sha256"),
        ),
        (FieldSpec("tsig_secret", "TSIG secret (base64)", _SECRET),),
    ),
    "route53": ProviderKind(
        "route53",
        "Amazon Route 53",
        (
            FieldSpec("region", "Region", required=False, default="us-east-1"),
            FieldSpec("endpoint_url", "Endpoint URL", _URL, False, "", endpoint=True),
        ),
        (
            FieldSpec("access_key_id", "Access key id", _SECRET),
            FieldSpec("secret_access_key", "Secret access key", _SECRET),
            FieldSpec("session_token", "Session token", _SECRET, False, ""),
        ),
    ),
    "cloudflare": ProviderKind(
        "cloudflare",
        "Cloudflare",
        (
            FieldSpec(
                "base_url", "API base URL", _URL, False, "https://api.cloudflare.com/client/v4", endpoint=True
            ),
            FieldSpec("account_id", "Account id (limits zone listing)", required=False, default=""),
        ),
        (FieldSpec("api_token", "API token", _SECRET),),
    ),
}


def _classes() -> dict[str, type[Provider]]:
    from dunops.providers.cloudflare import CloudflareProvider
    from dunops.providers.powerdns import PowerDNSProvider
    from dunops.providers.rfc2136 import Rfc2136Provider
    from dunops.providers.route53 import Route53Provider
    from dunops.providers.zonefile import ZoneFileProvider

    classes: list[type[Provider]] = [
        ZoneFileProvider,
        PowerDNSProvider,
        Rfc2136Provider,
        Route53Provider,
        CloudflareProvider,
    ]
    return {cls.kind: cls for cls in classes}


_MAX_TEXT = 2000


def _coerce(spec: FieldSpec, value: Any, where: str, problems: list[Problem]) -> Any:
    if spec.type is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            problems.append(Problem("must be a whole number", where))
            return None
        number = int(value)
        low, high = spec.minimum, spec.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            problems.append(Problem(f"must be between {low} and {high}", where))
        return number
    if spec.type is FieldType.LIST:
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            problems.append(Problem("must be a list of strings", where))
            return None
        return list(value)
    if not isinstance(value, str):
        problems.append(Problem("must be a string", where))
        return None
    if len(value) > _MAX_TEXT:
        problems.append(Problem(f"is too long (at most {_MAX_TEXT} characters)", where))
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        problems.append(Problem("must not contain control characters", where))
        return None
    value = value.strip()
    if spec.type is FieldType.URL:
        if value and not value.startswith(("http://", "https://")):
            problems.append(Problem("must start with http:// or https://", where))
            return None
        try:
            host = httpx.URL(value).host if value else "-"
        except httpx.InvalidURL:
            host = ""
        if not host:
            problems.append(Problem("is not a valid URL", where))
            return None
        return value.rstrip("/")
    return value


def kind_of(kind: str) -> ProviderKind:
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput.single(f"unknown provider kind; use one of {', '.join(sorted(KINDS))}", "kind")
    return spec


def check_fields(
    kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any], *, operator: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cleaned config and secrets, or InvalidInput naming every bad field.

    With ``operator=False`` (input from a workspace member) operator-only fields are refused.
    """
    spec = kind_of(kind)
    problems: list[Problem] = []
    cleaned: list[dict[str, Any]] = []
    for section, fields, given in (("config", spec.config, config), ("secrets", spec.secrets, secrets)):
        offered = {field.name: field for field in fields if operator or not field.operator_only}
        problems.extend(
            Problem(f"is not a {section} field of this kind", f"{section}.{name}")
            for name in given
            if name not in offered
        )
        arguments: dict[str, Any] = {}
        for field in offered.values():
            where = f"{section}.{field.name}"
            value = given.get(field.name)
            if value is None or value == "":
                if field.required:
                    problems.append(Problem("is required", where))
                elif field.default not in (None, "", ()):
                    arguments[field.name] = field.default
                continue
            arguments[field.name] = _coerce(field, value, where, problems)
        cleaned.append(arguments)
    if problems:
        raise InvalidInput.collect(problems, f"the {spec.label} connection settings are invalid")
    return cleaned[0], cleaned[1]


def parse_fields(kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments from config and secrets, or InvalidInput naming every bad field."""
    config_arguments, secret_arguments = check_fields(kind, config, secrets)
    return {**config_arguments, **secret_arguments}


def build(
    kind: str,
    config: Mapping[str, Any],
    secrets: Mapping[str, Any],
    *,
    timeout: float = 10.0,
    name: str = "",
    **injected: Any,
) -> Provider:
    """A ready provider for a connection. ``injected`` passes test seams (``transport=``) through."""
    arguments = parse_fields(kind, config, secrets)
    return KINDS[kind].provider_class()(name=name, timeout=timeout, **arguments, **injected)
