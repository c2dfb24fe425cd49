"""The rate limit per API token: a moving window kept by the `limits` library.

Counters live in API_RATE_LIMIT_STORAGE: `memory://` counts inside one process; a Redis
URL lets several API processes (replicas behind a load balancer) share one count per
token. Keys are the token's SHA-256 (as stored in the app database), never the secret.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

NAMESPACE = "keskinube-api"


class RateLimitUnavailable(Exception):
    """The counters' storage cannot be reached (a Redis server down)."""


class RateLimiter:
    """`hit(key)` counts one request of `key` against every limit of API_RATE_LIMIT."""

    def __init__(self, limit: str, storage_url: str = "memory://") -> None:
        self.items: list[RateLimitItem] = parse_many(limit)
        storage = storage_from_string(storage_url)
        if not isinstance(storage, Storage):  # an async+ storage: the config refuses those
            raise ValueError(f"not a synchronous rate-limit storage: {storage_url}")
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, key: str) -> int | None:
        """None when `key` may go on; else the seconds until it may (for Retry-After).

        Raises `RateLimitUnavailable` when the storage fails: refusing is safer than
        letting every token through unmetered.
        """
        try:
            for item in self.items:
                if not self.strategy.hit(item, NAMESPACE, key):
                    reset_at, _ = self.strategy.get_window_stats(item, NAMESPACE, key)
                    return max(1, math.ceil(reset_at - time.time()))
        except Exception as exc:
            log.error("rate limit storage failed: %r", exc)
            raise RateLimitUnavailable from exc
        return None

    def reachable(self) -> bool:
        """Whether the storage answers (always, in memory)."""
        try:
            return bool(self.storage.check())
        except Exception:
            return False
