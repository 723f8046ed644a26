"""Bounds on what reading one zone file may build, and on how much of its input an error message repeats.

A few bytes of input must never make a reader build (or an error repeat) more than the zone could hold:
every reader stops at ``max_rrsets`` RRsets, and names a bad value by a short description, never by
the whole of it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ZONE_RRSETS = 2_000_000
"""The RRsets a reader builds when its caller gives no limit: the default of ``DUNOPS_MAX_ZONE_RRSETS``.
Callers holding the settings pass the configured limit."""

_SHOWN_CHARS = 60


def too_many_rrsets(limit: int) -> str:
    return f"the zone holds more than {limit:,} RRsets; a zone may hold at most {limit:,}"


def describe(value: Any) -> str:
    """A short description of a value read from a file, for an error message: a collection by its kind
    alone, any other value by the start of its text."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return f"a {type(value).__name__}"
    text = repr(value[: _SHOWN_CHARS + 1] if isinstance(value, str | bytes) else value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."
