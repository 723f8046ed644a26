"""The one exception tree of DunOps.

Every refusal the product makes is a ``DunopsError``; foreign exceptions are translated at the boundary
(``raise X(...) from exc``). The API maps the tree to HTTP status codes in one place
(``dunops.web.problems``), the CLI to exit codes in one place (``dunops.cli.output``)::

    DunopsError
    ├── InvalidInput            422  bad input; carries every Problem found, not just the first
    │   └── ZoneInvalid         422  a zone or record failed DNS validation or parsing
    ├── NotAuthenticated        401  no, bad, expired or revoked credentials
    ├── PermissionDenied        403  authenticated, but the role does not allow the action
    │   └── Suspended           403  the account or the workspace is suspended by the operator
    ├── NotFound                404  no such object, or one the caller may not know exists
    │   └── ZoneMissing         404  the provider holds no such zone
    ├── Conflict                409  the action contradicts current state (last owner, a state transition)
    │   ├── StalePlan           409  compare-and-set failed: the provider changed since the plan was made
    │   ├── SecretUnreadable    409  a sealed secret cannot be opened (key destroyed, moved or tampered with)
    │   └── Locked              409  another apply or sync holds the zone
    ├── ContentTooLarge         413  a request body or an upload is over the limit set for it
    ├── RateLimited             429  too many attempts; retry later
    ├── ProviderError           502  a DNS provider refused, failed or could not be reached
    └── ConfigurationError      a setting is missing or wrong; stops start-up with one clear line

An error's size does not grow with its input: it keeps at most :data:`MAX_PROBLEMS` problems and counts
the rest, and cuts every message, location and detail to a bounded length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar

MAX_PROBLEMS = 100
"""Problems an error keeps; the others are only counted (``DunopsError.more_problems``)."""
MAX_MESSAGE_CHARS = 500
"""The longest message or location a problem keeps; longer text is cut and ends with "..."."""
MAX_DETAIL_CHARS = 1000
"""The longest detail an error keeps."""


def _shortened(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text``, cut to at most ``limit`` characters ending with "..." where it was cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FrozenValue:
    """A small read-only value that equals, hashes and shows itself by its fields (``FIELDS``, in the
    order ``__init__`` takes them), as a frozen dataclass does. The DNS engine's values use it instead
    of ``dataclasses``, whose import (it loads ``inspect``) costs more than the rest of ``dunops zone``'s
    start-up."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, FrozenValue)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[type[FrozenValue], tuple[object, ...]]:
        """Pickled and copied by its fields, given back to ``__init__`` in order."""
        return type(self), self._fields()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: cannot delete {name}")


class Problem(FrozenValue):
    """One reason for a refusal: what was wrong and where (a field path, a file position, a record)."""

    __slots__ = ("code", "location", "message")
    FIELDS = ("message", "location", "code")
    message: str
    location: str
    code: str

    def __init__(self, message: str, location: str = "", code: str = "") -> None:
        object.__setattr__(self, "message", _shortened(message))
        object.__setattr__(self, "location", _shortened(location))
        object.__setattr__(self, "code", code)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class DunopsError(Exception):
    """Root of every error DunOps raises on purpose."""

    title = "Request failed"

    def __init__(self, detail: str, problems: Iterable[Problem] = ()) -> None:
        detail = _shortened(detail, MAX_DETAIL_CHARS)
        super().__init__(detail)
        self.detail = detail
        remaining = iter(problems)
        self.problems: tuple[Problem, ...] = tuple(islice(remaining, MAX_PROBLEMS))
        self.more_problems = sum(1 for _ in remaining)

    def __str__(self) -> str:
        return self.detail


class InvalidInput(DunopsError):
    title = "Invalid input"

    @classmethod
    def single(cls, message: str, location: str = "", code: str = "") -> InvalidInput:
        return cls(f"{location}: {message}" if location else message, [Problem(message, location, code)])

    @classmethod
    def collect(cls, problems: Sequence[Problem], detail: str | None = None) -> InvalidInput:
        summary = detail or (str(problems[0]) if len(problems) == 1 else f"{len(problems)} problems found")
        return cls(summary, problems)


class ZoneInvalid(InvalidInput):
    title = "Invalid zone"


class ContentTooLarge(DunopsError):
    title = "Content too large"


class NotAuthenticated(DunopsError):
    title = "Not authenticated"


class PermissionDenied(DunopsError):
    title = "Permission denied"


class Suspended(PermissionDenied):
    title = "Suspended"


class NotFound(DunopsError):
    title = "Not found"


class ZoneMissing(NotFound):
    title = "Zone not found at the provider"


class Conflict(DunopsError):
    title = "Conflict"


class StalePlan(Conflict):
    title = "Stale plan"


class SecretUnreadable(Conflict):
    """A sealed secret cannot be opened: its data key was destroyed, or it was moved or tampered with."""

    title = "Secret unreadable"


class Locked(Conflict):
    title = "Zone is busy"


class RateLimited(DunopsError):
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ProviderError(DunopsError):
    title = "Provider error"


class ConfigurationError(DunopsError):
    title = "Configuration error"
