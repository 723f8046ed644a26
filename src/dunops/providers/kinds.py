"""The provider kinds DunOps ships: each kind's class, and one pydantic model of its config and one of
its secrets, the single place where a connection's fields are defined and checked.

:func:`check_fields` checks a connection's config and secrets with its kind's models and names every
bad field and what it expects (``config.dns_address: expected host:port ...``) in one ``InvalidInput``;
:func:`build` makes a :class:`Provider` after the same check. The models give the API its schema, and
forms their fields (:attr:`ProviderKind.config`, :attr:`ProviderKind.secrets`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import ip_address
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from dunops.dns.names import InvalidName, absolute_name, zone_origin
from dunops.errors import InvalidInput, Problem
from dunops.providers.base import Provider
from dunops.providers.cloudflare import DEFAULT_URL as CLOUDFLARE_URL
from dunops.providers.http import is_identifier
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.rfc2136 import ALGORITHMS as TSIG_ALGORITHMS

MAX_TEXT = 2000
MAX_SECRET = 4096
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_HOST_PORT_HELP = "for example 127.0.0.1:53 (an IPv6 address in brackets: [2001:db8::53]:53)"
_HOST_PORT = f"expected host:port, {_HOST_PORT_HELP}"
_IDENTIFIER_HELP = "letters, digits, '_', '.' and '-' (not '.' or '..'), up to 128"


class FieldType(StrEnum):
    TEXT = "text"
    URL = "url"
    INTEGER = "integer"
    LIST = "list"
    SECRET = "secret"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a connection form, as its kind's model declares it."""

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


# -- field values: each check raises ValueError saying what is expected ---------------------------------


def _text(value: object, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > limit:
        raise ValueError(f"is too long (at most {limit} characters)")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _secret(value: object) -> str:
    return _text(value, MAX_SECRET)


def _host(value: object) -> str:
    """An IP address or a DNS host name, in canonical form."""
    text = _text(value)
    try:
        return str(ip_address(text[1:-1] if text.startswith("[") and text.endswith("]") else text))
    except ValueError:
        pass
    expected = "expected a host name or an IP address, for example ns1.example.net or 192.0.2.53"
    try:
        name = zone_origin(text).rstrip(".")
    except InvalidName as exc:
        raise ValueError(expected) from exc
    if name.rsplit(".", 1)[-1].isdigit():
        raise ValueError(expected)
    return name


def _host_port(value: object) -> str:
    text = _text(value)
    host, colon, port = text.rpartition(":")
    if not colon or not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError(_HOST_PORT)
    bracketed = host.startswith("[") and host.endswith("]")
    if ":" in host and not bracketed:
        raise ValueError(_HOST_PORT)
    try:
        checked = _host(host)
    except ValueError as exc:
        raise ValueError(_HOST_PORT) from exc
    if bracketed and ":" not in checked:
        raise ValueError(_HOST_PORT)
    shown = f"[{checked}]" if ":" in checked else checked
    return f"{shown}:{int(port)}"


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a whole number")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError("must be a whole number")
    if not 1 <= int(text) <= 65535:
        raise ValueError("must be between 1 and 65535")
    return int(text)


def _http_url(value: object) -> str:
    text = _text(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ValueError("is not a valid URL") from exc
    if not url.host:
        raise ValueError("is not a valid URL")
    if url.userinfo:
        raise ValueError("must not hold a user name or password (credentials belong in the secrets)")
    if url.query or url.fragment:
        raise ValueError("must not have a query or a fragment")
    try:
        _host(url.host)
    except ValueError as exc:
        raise ValueError("is not a valid URL: its host is not a host name or an IP address") from exc
    return text.rstrip("/")


def _identifier(value: object) -> str:
    text = _text(value)
    if not is_identifier(text):
        raise ValueError(f"must be an identifier: {_IDENTIFIER_HELP}")
    return text


def _zone(value: object) -> str:
    try:
        return zone_origin(_text(value))
    except InvalidName as exc:
        raise ValueError(str(exc)) from exc


def _dns_name(value: object) -> str:
    text = _text(value)
    try:
        absolute_name(text, ".")
    except InvalidName as exc:
        raise ValueError(str(exc)) from exc
    return text


def _list(value: object) -> object:
    """A list as given, or one from text with items separated by commas or spaces (the CLI's form)."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of strings")
    return list(value)


def _base64(value: object) -> str:
    text = _secret(value)
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("must be base64") from exc
    return text


def _region(value: object) -> str:
    text = _text(value)
    if not _REGION.fullmatch(text):
        raise ValueError("must be an AWS region such as us-east-1")
    return text


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _text(value)
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return text

    return check


Text = Annotated[str, BeforeValidator(_text)]
Secret = Annotated[str, BeforeValidator(_secret)]
Host = Annotated[str, BeforeValidator(_host)]
HostPort = Annotated[str, BeforeValidator(_host_port)]
Port = Annotated[int, BeforeValidator(_port)]
HttpURL = Annotated[str, BeforeValidator(_http_url)]
Identifier = Annotated[str, BeforeValidator(_identifier)]
ZoneName = Annotated[str, BeforeValidator(_zone)]
DnsName = Annotated[str, BeforeValidator(_dns_name)]
Base64Secret = Annotated[str, BeforeValidator(_base64)]
Region = Annotated[str, BeforeValidator(_region)]
TsigAlgorithm = Annotated[str, BeforeValidator(_one_of(tuple(TSIG_ALGORITHMS)))]


def _field(
    label: str,
    default: Any = ...,
    *,
    help: str = "",
    form: FieldType = FieldType.TEXT,
    endpoint: bool = False,
    operator_only: bool = False,
    choices: tuple[str, ...] = (),
) -> Any:
    extra: dict[str, Any] = {"x-form": form.value}
    if choices:
        extra["enum"] = list(choices)
    if endpoint:
        extra["x-endpoint"] = True
    if operator_only:
        extra["x-operator-only"] = True
    return Field(default, title=label, description=help or None, json_schema_extra=extra)


class Fields(BaseModel):
    """The config or the secrets of one kind: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoSecrets(Fields):
    pass


class ZoneFileConfig(Fields):
    directory: Text = _field(
        "Directory of <zone>.zone files", help="relative: kept in the workspace's own folder"
    )
    reload_command: Annotated[list[Text], BeforeValidator(_list)] = _field(
        "Reload command (argv list, {zone} is replaced)", [], form=FieldType.LIST, operator_only=True
    )
    server_address: HostPort = _field(
        "Server serving these files (host:port), for verification", "", help=_HOST_PORT_HELP
    )


class PowerDNSConfig(Fields):
    url: HttpURL = _field(
        "API URL", help="for example http://127.0.0.1:8081", form=FieldType.URL, endpoint=True
    )
    server_id: Identifier = _field("Server id", "localhost", help=_IDENTIFIER_HELP)
    dns_address: HostPort = _field("DNS address (host:port), for verification", "", help=_HOST_PORT_HELP)


class PowerDNSSecrets(Fields):
    api_key: Secret = _field("API key", form=FieldType.SECRET)


class Rfc2136Config(Fields):
    server: Host = _field("Server address", help="an IP address or a host name", endpoint=True)
    port: Port = _field("Port", 53, form=FieldType.INTEGER, endpoint=True)
    zones: Annotated[list[ZoneName], BeforeValidator(_list)] = _field("Zones served", [], form=FieldType.LIST)
    tsig_name: DnsName = _field("TSIG key name")
    tsig_algorithm: TsigAlgorithm = _field("TSIG algorithm", "hmac-sha256", choices=tuple(TSIG_ALGORITHMS))


class Rfc2136Secrets(Fields):
    tsig_secret: Base64Secret = _field("TSIG secret (base64)", form=FieldType.SECRET)


class Route53Config(Fields):
    region: Region = _field("Region", "us-east-1")
    endpoint_url: HttpURL = _field(
        "Endpoint URL", "", help="empty: AWS's own", form=FieldType.URL, endpoint=True
    )


class Route53Secrets(Fields):
    access_key_id: Secret = _field("Access key id", form=FieldType.SECRET)
    secret_access_key: Secret = _field("Secret access key", form=FieldType.SECRET)
    session_token: Secret = _field("Session token", "", form=FieldType.SECRET)


class CloudflareConfig(Fields):
    base_url: HttpURL = _field("API base URL", CLOUDFLARE_URL, form=FieldType.URL, endpoint=True)
    account_id: Identifier = _field("Account id (limits zone listing)", "", help=_IDENTIFIER_HELP)


class CloudflareSecrets(Fields):
    api_token: Secret = _field("API token", form=FieldType.SECRET)


def _specs(model: type[Fields]) -> tuple[FieldSpec, ...]:
    specs = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        required = info.is_required()
        specs.append(
            FieldSpec(
                name,
                info.title or name,
                FieldType(str(extra.get("x-form", FieldType.TEXT))),
                required,
                None if required else info.default,
                info.description or "",
                operator_only=bool(extra.get("x-operator-only")),
                endpoint=bool(extra.get("x-endpoint")),
            )
        )
    return tuple(specs)


@dataclass(frozen=True, slots=True)
class ProviderKind:
    kind: str
    label: str
    config_model: type[Fields]
    secrets_model: type[Fields]
    # The zone-file provider's constructor takes no outbound policy: it reaches the network only to
    # verify, under the policy of the process's settings.
    takes_outbound: bool = True

    @property
    def config(self) -> tuple[FieldSpec, ...]:
        return _specs(self.config_model)

    @property
    def secrets(self) -> tuple[FieldSpec, ...]:
        return _specs(self.secrets_model)

    def provider_class(self) -> type[Provider]:
        return _classes()[self.kind]


KINDS: dict[str, ProviderKind] = {
    "zonefile": ProviderKind("zonefile", "Zone files", ZoneFileConfig, NoSecrets, takes_outbound=False),
    "powerdns": ProviderKind("powerdns", "PowerDNS", PowerDNSConfig, PowerDNSSecrets),
    "rfc2136": ProviderKind("rfc2136", "RFC 2136 server (BIND, Knot)", Rfc2136Config, Rfc2136Secrets),
    "route53": ProviderKind("route53", "Amazon Route 53", Route53Config, Route53Secrets),
    "cloudflare": ProviderKind("cloudflare", "Cloudflare", CloudflareConfig, CloudflareSecrets),
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


def kind_of(kind: str) -> ProviderKind:
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput.single(f"unknown provider kind; use one of {', '.join(sorted(KINDS))}", "kind")
    return spec


def _where(section: str, location: tuple[int | str, ...]) -> str:
    return section + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)


def _checked(
    model: type[Fields], given: Mapping[str, Any], section: str, problems: list[Problem]
) -> dict[str, Any]:
    """The model's values for ``given`` (empty values left out); each problem is added to ``problems``."""
    try:
        values = model.model_validate(given).model_dump()
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False, include_context=False):
            if error["type"] == "missing":
                message = "is required"
            elif error["type"] == "extra_forbidden":
                message = f"is not a {section} field of this kind"
            else:
                message = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(message, _where(section, tuple(error["loc"]))))
        return {}
    return {name: value for name, value in values.items() if value not in ("", (), [])}


def check_fields(
    kind: str, config: Mapping[str, Any], secrets: Mapping[str, Any] | None, *, operator: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cleaned config and secrets, or InvalidInput naming every bad field and what it expects.

    A field given as null or "" takes its default. ``secrets=None`` checks the config alone. With
    ``operator=False`` (input from a workspace member) operator-only fields are refused.
    """
    spec = kind_of(kind)
    problems: list[Problem] = []
    cleaned: list[dict[str, Any]] = [{}, {}]
    sections = [("config", spec.config_model, config)]
    if secrets is not None:
        sections.append(("secrets", spec.secrets_model, secrets))
    for index, (section, model, given) in enumerate(sections):
        kept = {name: value for name, value in given.items() if value is not None and value != ""}
        if not operator:
            for field in _specs(model):
                if field.operator_only and kept.pop(field.name, None) is not None:
                    where = f"{section}.{field.name}"
                    problems.append(Problem(f"is not a {section} field of this kind", where))
        cleaned[index] = _checked(model, kept, section, problems)
    if problems:
        raise InvalidInput.collect(problems, f"the {spec.label} connection settings are invalid")
    return cleaned[0], cleaned[1]


def stored_problems(kind: str, config: Mapping[str, Any]) -> list[Problem]:
    """What a stored connection's config breaks of its kind's model (it needs an edit); none when fine."""
    spec = KINDS.get(kind)
    if spec is None:
        return [Problem(f"unknown provider kind; use one of {', '.join(sorted(KINDS))}", "kind")]
    problems: list[Problem] = []
    _checked(
        spec.config_model, {k: v for k, v in config.items() if v is not None and v != ""}, "config", problems
    )
    return problems


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
    outbound: OutboundPolicy | None = None,
    **injected: Any,
) -> Provider:
    """A ready provider for a connection, reaching out under ``outbound`` (default: the process's
    settings). ``injected`` passes test seams (``transport=``) through."""
    arguments = parse_fields(kind, config, secrets)
    spec = KINDS[kind]
    if outbound is not None and spec.takes_outbound:
        injected["outbound"] = outbound
    return spec.provider_class()(name=name, timeout=timeout, **arguments, **injected)
