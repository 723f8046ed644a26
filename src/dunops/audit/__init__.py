"""Audit service: the hash-chained, append-only record of every state change."""

from dunops.audit.chain import ChainBreak, listing, record, verify

__all__ = ["ChainBreak", "listing", "record", "verify"]
