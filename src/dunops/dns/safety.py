"""Safety analysis of a plan: every risky change is a reason with its own id to acknowledge.

There is no global force: :func:`unacknowledged` returns the reasons whose ids a user has not
acknowledged one by one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from dunops.dns.names import name_key
from dunops.dns.plan import Capabilities, Change, ChangeKind, Plan
from dunops.dns.rdata import text_value_octets

DEFAULT_SHARE_THRESHOLD = 0.30
DEFAULT_MIN_RRSETS = 10


@dataclass(frozen=True, slots=True)
class SafetyReason:
    """Why a plan needs a human's explicit acknowledgement; ``id`` is what they acknowledge."""

    id: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.id}] {self.message}"


def _is_spf(change: Change) -> bool:
    if change.rtype == "SPF":
        return True
    if change.rtype != "TXT":
        return False
    rrsets = [r for r in (change.before, change.after) if r is not None]
    return any(text_value_octets(v).lower().startswith(b"v=spf1") for r in rrsets for v in r.values)


def _per_change(change: Change, origin: str, capabilities: Capabilities | None) -> list[SafetyReason]:
    reasons = []
    name, rtype, key = change.name, change.rtype, change.rrset.key
    verb = change.kind.value
    if rtype == "NS" and key == origin:
        reasons.append(SafetyReason("apex-ns", "apex-ns", f"{verb} of the apex NS records of {origin}"))
    elif rtype == "NS":
        reasons.append(SafetyReason(f"delegation:{key}", "delegation", f"{verb} of the delegation {name}"))
    if rtype == "DS":
        reasons.append(SafetyReason(f"ds:{key}", "ds", f"{verb} of DS at {name}: DNSSEC can break"))
    if rtype == "MX":
        reasons.append(SafetyReason(f"mx:{key}", "mx", f"{verb} of MX at {name}: mail delivery changes"))
    if _is_spf(change):
        reasons.append(SafetyReason(f"spf:{key}", "spf", f"{verb} of the SPF policy at {name}"))
    if rtype == "TXT" and key.startswith("_dmarc."):
        reasons.append(SafetyReason(f"dmarc:{key}", "dmarc", f"{verb} of the DMARC policy at {name}"))
    if "._domainkey." in key:
        reasons.append(SafetyReason(f"dkim:{key}", "dkim", f"{verb} of the DKIM key at {name}"))
    if rtype == "CAA":
        reasons.append(
            SafetyReason(f"caa:{key}", "caa", f"{verb} of CAA at {name}: who may issue certificates")
        )
    if key.startswith("*.") or key == "*":
        reasons.append(
            SafetyReason(
                f"wildcard:{key} {rtype}",
                "wildcard",
                f"{verb} of the wildcard {name} {rtype}: it answers for every unlisted name",
            )
        )
    if (
        capabilities is not None
        and change.kind is not ChangeKind.DELETE
        and rtype not in capabilities.record_types
    ):
        reasons.append(
            SafetyReason(
                f"unsupported-type:{key} {rtype}",
                "unsupported-type",
                f"the target cannot hold {rtype} records ({name})",
            )
        )
    return reasons


def analyse(
    plan: Plan,
    *,
    capabilities: Capabilities | None = None,
    threshold: float = DEFAULT_SHARE_THRESHOLD,
    min_rrsets: int = DEFAULT_MIN_RRSETS,
) -> list[SafetyReason]:
    """Every reason the plan is risky, in a stable order; empty for a plan that is safe to apply."""
    origin = name_key(plan.origin)
    reasons: list[SafetyReason] = []
    size = plan.current_size
    if size >= min_rrsets:
        for kind in (ChangeKind.UPDATE, ChangeKind.DELETE):
            share = plan.count(kind) / size
            if share > threshold:
                reasons.append(
                    SafetyReason(
                        f"{kind.value}-share",
                        f"{kind.value}-share",
                        f"the plan would {kind.value} {share:.0%} of {size} RRsets "
                        f"(threshold {threshold:.0%})",
                    )
                )
    if size > 0 and plan.desired_size == 0:
        reasons.append(
            SafetyReason("empty-zone", "empty-zone", "the desired zone is empty: every RRset goes")
        )
    elif size >= min_rrsets and plan.desired_size < size * 0.1:
        reasons.append(
            SafetyReason(
                "near-empty-zone",
                "near-empty-zone",
                f"the desired zone keeps only {plan.desired_size} of {size} RRsets",
            )
        )
    seen: set[str] = set()
    for change in plan.changes:
        for reason in _per_change(change, origin, capabilities):
            if reason.id not in seen:
                seen.add(reason.id)
                reasons.append(reason)
    return reasons


def unacknowledged(reasons: list[SafetyReason], acknowledged: Collection[str]) -> list[SafetyReason]:
    """The reasons still to acknowledge, given the ids a user acknowledged one by one."""
    return [reason for reason in reasons if reason.id not in acknowledged]
