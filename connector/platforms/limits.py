"""Proactive per-connection rate limiting, 5% below each platform's published limits.

Being throttled costs more than waiting: Xero counts a 429 against the day, and QuickBooks asks
for a minute's pause. So every call first takes a slot here: a moving-window budget per
connection (the `limits` package) and a cap on calls in flight at once. With memory storage the
budget is per process; with `redis://...` storage every process and worker on the machine (or
cluster) shares the same budget and the same concurrency cap, which is what the platforms count.

Published limits and ours:
    QuickBooks Online: 500/minute and 10 concurrent per company  -> 475/minute, 8 concurrent
    Xero: 60/minute, 5 concurrent, 5,000/day per organisation    -> 57/minute, 4,800/day, 4

The 5% left is room for calls the gate does not see (someone working on the same company in
another app) and for the platform's window starting a little apart from ours.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import HeldBack


@dataclass(frozen=True)
class Budget:
    """The rates (in `limits` notation) and concurrency allowed per connection."""

    rates: tuple[str, ...]
    concurrency: int


BUDGETS: dict[str, Budget] = {
    "quickbooks": Budget(rates=("475/minute",), concurrency=8),
    "xero": Budget(rates=("57/minute", "4800/day"), concurrency=4),
}

_ACQUIRE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
  return 1
end
return 0
"""


class RateGate:
    """Hands out call slots per (platform, connection); see the module docstring.

    `max_wait` bounds how long a caller is held: beyond it `HeldBack` (a `RateLimited`) is
    raised with the wait as `retry_after`, so a job can come back later instead of holding a
    worker; the retry policy does not sit it out again, and jobs do not count it as a failure.
    """

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        budgets: dict[str, Budget] | None = None,
        max_wait: float = 60.0,
        slot_ttl: float = 180.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._budgets = budgets or BUDGETS
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._items: dict[str, list[RateLimitItem]] = {
            name: [parse(rate) for rate in budget.rates] for name, budget in self._budgets.items()
        }
        self._redis = redis.Redis.from_url(storage_uri) if storage_uri.startswith("redis") else None
        self._acquire_script = self._redis.register_script(_ACQUIRE_SLOT) if self._redis else None
        self._local: dict[tuple[str, str], threading.BoundedSemaphore] = {}
        self._local_lock = threading.Lock()
        self._max_wait = max_wait
        self._slot_ttl = slot_ttl
        self._sleep = sleep

    @contextmanager
    def slot(self, platform: str, connection_id: str) -> Iterator[None]:
        """Hold one call slot for the duration of the `with` block."""
        self._take_rate(platform, connection_id)
        release = self._take_concurrency(platform, connection_id)
        try:
            yield
        finally:
            release()

    def _take_rate(self, platform: str, connection_id: str) -> None:
        items = self._items[platform]
        waited = 0.0
        while True:
            if all(self._limiter.test(item, platform, connection_id) for item in items):
                if all(self._limiter.hit(item, platform, connection_id) for item in items):
                    return
            wait = max(
                self._limiter.get_window_stats(item, platform, connection_id).reset_time
                - time.time()
                for item in items
            )
            waited = self._pause(platform, connection_id, max(wait, 0.05), waited, "rate")

    def _pause(self, platform: str, connection_id: str, wait: float, waited: float, why: str) -> float:
        if waited + wait > self._max_wait:
            raise HeldBack(
                f"{why} budget for connection {connection_id} is spent",
                retry_after=round(wait, 3),
                platform=platform,
                code=f"milepost-{why}",
            )
        self._sleep(min(wait, 1.0))
        return waited + min(wait, 1.0)

    def _take_concurrency(self, platform: str, connection_id: str) -> Callable[[], None]:
        cap = self._budgets[platform].concurrency
        if self._redis is None:
            return self._take_local(platform, connection_id, cap)
        key = f"milepost:inflight:{platform}:{connection_id}"
        token = uuid.uuid4().hex
        waited = 0.0
        assert self._acquire_script is not None
        while not self._acquire_script(keys=[key], args=[time.time(), self._slot_ttl, cap, token]):
            waited = self._pause(platform, connection_id, 0.05, waited, "concurrency")
        redis_client = self._redis

        def release() -> None:
            redis_client.zrem(key, token)

        return release

    def _take_local(self, platform: str, connection_id: str, cap: int) -> Callable[[], None]:
        with self._local_lock:
            semaphore = self._local.setdefault(
                (platform, connection_id), threading.BoundedSemaphore(cap)
            )
        waited = 0.0
        while not semaphore.acquire(blocking=False):
            waited = self._pause(platform, connection_id, 0.05, waited, "concurrency")
        return semaphore.release
