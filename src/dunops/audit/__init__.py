"""Audit service: the signed, hash-chained, append-only record of every state change."""

from dunops.audit.chain import HEAD_REPAIRED, listing, record
from dunops.audit.export import ExportCheck, check_export, export
from dunops.audit.keyring import configure
from dunops.audit.signatures import rotate
from dunops.audit.verification import ChainBreak, Finding, verify

__all__ = [
    "HEAD_REPAIRED",
    "ChainBreak",
    "ExportCheck",
    "Finding",
    "check_export",
    "configure",
    "export",
    "listing",
    "record",
    "rotate",
    "verify",
]
