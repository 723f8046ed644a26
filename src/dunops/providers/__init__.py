"""DNS provider adapters behind one interface.

Public surface (everything else in this package is private to it):

- :class:`Provider` — one connection to a DNS provider: ``capabilities``, ``test_connection()``,
  ``list_zones()``, ``fetch(zone) -> dunops.dns.zone.Zone``, ``apply(plan, fingerprints) -> ApplyResult``
  (validate against capabilities, compare-and-set, write, read back), ``nameservers(zone)`` and
  ``verify(plan) -> Verification`` (for providers that serve DNS).
- :func:`build` — ``build(kind, config, secrets, *, timeout, name)`` makes a provider from a connection's
  stored config and decrypted secrets, raising ``InvalidInput`` that names each bad field.
- :data:`KINDS` — every kind (``zonefile``, ``powerdns``, ``rfc2136``, ``route53``, ``cloudflare``) with
  its label and config/secret :class:`FieldSpec` lists, for forms and validation.
- Values: :class:`Capabilities`, :class:`ProviderZone`, :class:`ApplyResult`, :class:`ChangeOutcome`
  (:class:`ChangeStatus` written / refused / unknown), :class:`Verification`,
  :class:`VerificationOutcome` (:class:`ServeStatus` served / not_yet_served).

Errors: ``ProviderError`` (refused credentials, unreachable within the timeout, the API refused),
``StalePlan`` (compare-and-set failed; nothing written), ``InvalidInput`` (the plan cannot be held
by this provider or breaks the zone; nothing sent).
"""

from dunops.providers.base import PlanLike, PlannedChange, Provider
from dunops.providers.kinds import KINDS, FieldSpec, FieldType, ProviderKind, build, parse_fields
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
]
