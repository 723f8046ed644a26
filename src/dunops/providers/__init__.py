"""DNS provider adapters behind one interface.

Public surface (everything else in this package is private to it):

- :class:`Provider` — one connection to a DNS provider: ``capabilities``, ``test_connection()``,
  ``list_zones()``, ``fetch(zone) -> dunops.dns.zone.Zone``, ``apply(plan, fingerprints) -> ApplyResult``
  (validate against capabilities, compare-and-set, write, read back), ``nameservers(zone)`` and
  ``verify(plan) -> Verification`` (for providers that serve DNS).
- :func:`build` — ``build(kind, config, secrets, *, timeout, name, outbound)`` makes a provider from a
  connection's stored config and decrypted secrets, raising ``InvalidInput`` that names each bad field;
  :func:`stored_problems` names what a stored config breaks (the connection needs an edit).
- :data:`KINDS` — every kind (``zonefile``, ``powerdns``, ``rfc2136``, ``route53``, ``cloudflare``) with
  its label, the pydantic models of its config and its secrets, and their :class:`FieldSpec` lists.
- :class:`OutboundPolicy` — which addresses a provider may reach (``DUNOPS_OUTBOUND_ALLOW`` / ``_DENY``);
  every connection a provider opens is checked against it at connect time.
- Values: :class:`Capabilities`, :class:`ProviderZone`, :class:`ApplyResult`, :class:`ChangeOutcome`
  (:class:`ChangeStatus` written / refused / unknown), :class:`Verification`,
  :class:`VerificationOutcome` (:class:`ServeStatus` served / not_yet_served).

Errors: ``ProviderError`` (refused credentials, unreachable within the timeout, the API refused, the
outbound policy refused the address), ``StalePlan`` (compare-and-set failed; nothing written),
``InvalidInput`` (the plan cannot be held by this provider or breaks the zone; nothing sent).
"""

from dunops.providers.base import PlanLike, PlannedChange, Provider
from dunops.providers.kinds import (
    KINDS,
    FieldSpec,
    FieldType,
    ProviderKind,
    build,
    parse_fields,
    stored_problems,
)
from dunops.providers.outbound import OutboundPolicy
from dunops.providers.results import (
    ApplyResult,
    Capabilities,
    ChangeKind,
    ChangeOutcome,
    ChangeStatus,
    ProviderZone,
    ServedAnswer,
    ServeStatus,
    Verification,
    VerificationOutcome,
)

__all__ = [
    "KINDS",
    "ApplyResult",
    "Capabilities",
    "ChangeKind",
    "ChangeOutcome",
    "ChangeStatus",
    "FieldSpec",
    "FieldType",
    "OutboundPolicy",
    "PlanLike",
    "PlannedChange",
    "Provider",
    "ProviderKind",
    "ProviderZone",
    "ServeStatus",
    "ServedAnswer",
    "Verification",
    "VerificationOutcome",
    "build",
    "parse_fields",
    "stored_problems",
]
