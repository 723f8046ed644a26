"""Request rate limits: moving windows counted in memory for one process, or on Redis so replicas share them.

A :class:`RateLimiter` counts hits under a bucket (what is limited: ``api``, ``client``, ``sign-in``)
and a key (whose hits: a token's digest, a session's digest, a client address). A key past its rate
is refused with :class:`dunops.errors.RateLimited`, whose ``retry_after`` says when the window has room
again. When Redis cannot be reached the request is let through and the outage logged: a limit that
fails closed would take the whole service down with its cache.
"""

from __future__ import annotations

import math
import time

import limits
import structlog
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from dunops.errors import RateLimited

log = structlog.get_logger(__name__)

KEY_PREFIX = "dunops-limits"


def storage_for(redis_url: str) -> Storage:
    """Redis at ``redis_url`` (shared by every replica), or this process's memory when it is empty."""
    if redis_url:
        return RedisStorage(redis_url, key_prefix=KEY_PREFIX, wrap_exceptions=True)
    return MemoryStorage()


class RateLimiter:
    """Named rates (``{"api": "600/minute", ...}``) counted in one storage."""

    def __init__(self, storage: Storage, rates: dict[str, str]) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._rates = {bucket: limits.parse(rate) for bucket, rate in rates.items()}

    def hit(self, bucket: str, key: str, refusal: str) -> None:
        """Count one hit of ``key`` in ``bucket``; past the rate, refuse with ``refusal`` and a retry time."""
        rate = self._rates[bucket]
        try:
            if self._limiter.hit(rate, bucket, key):
                return
            reset_at = self._limiter.get_window_stats(rate, bucket, key).reset_time
        except StorageError as exc:
            log.warning("rate limit storage unavailable; request let through", error_type=type(exc).__name__)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"{refusal} (at most {rate.amount} per {_window(rate)}); retry in {retry_after} s",
            retry_after=retry_after,
        )


def _window(rate: limits.RateLimitItem) -> str:
    unit = rate.GRANULARITY.name
    return unit if rate.multiples == 1 else f"{rate.multiples} {unit}s"
