"""How an RRset is stored in a row (a zone's current content, one side of a version's delta) and read back.

``tree_key`` orders and groups the names (:func:`dunops.dns.names.tree_key`); ``rdata`` is the JSON list
of the canonical values; ``meta`` the provider metadata's canonical JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from dunops.dns.names import tree_key
from dunops.dns.rrset import RRset


def rrset_of(row: Any) -> RRset:
    """The RRset of a row with (name, rtype, ttl, rdata, meta)."""
    return RRset(row.name, row.rtype, row.ttl, json.loads(row.rdata), row.meta)


def row_of(rrset: RRset, **extra: Any) -> dict[str, Any]:
    """The column values storing ``rrset`` (plus ``extra`` columns such as the zone or version id)."""
    return {
        **extra,
        "tree_key": tree_key(rrset.key),
        "rtype": rrset.rtype,
        "name": rrset.name,
        "ttl": rrset.ttl,
        "rdata": json.dumps(list(rrset.values), ensure_ascii=False),
        "meta": rrset.meta,
    }
