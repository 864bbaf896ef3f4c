"""Sliding-window request limits and concurrency caps, counted on the sandbox clock.

Each service states its own limits as ``Window`` values and renders its own 429; this module
only counts. A request is admitted only if every window it touches has room, and only then is
it recorded in all of them, so a refused request does not eat into the budget.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class Window:
    key: tuple            # e.g. ("quickbooks", realm, "minute")
    limit: int
    seconds: float
    problem: str          # the name the service uses for this limit ("minute", "day", ...)


@dataclass(frozen=True)
class Refusal:
    problem: str
    retry_after: int      # whole seconds until the oldest counted request leaves the window
    window: Window


@dataclass(frozen=True)
class Admission:
    """What was left in each window after this request was counted."""

    remaining: dict[str, int]


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[tuple, deque[float]] = {}
        self._active: dict[tuple, int] = {}
        self.enabled = True

    def admit(self, windows: Sequence[Window]) -> Admission | Refusal:
        """Count one request against every window, or refuse it without counting."""
        now = self._clock.timestamp()
        with self._lock:
            queues = []
            for window in windows:
                hits = self._hits.setdefault(window.key, deque())
                while hits and hits[0] <= now - window.seconds:
                    hits.popleft()
                if self.enabled and len(hits) >= window.limit:
                    wait = max(1, int(hits[0] + window.seconds - now + 0.999))
                    return Refusal(window.problem, wait, window)
                queues.append((window, hits))
            remaining = {}
            for window, hits in queues:
                hits.append(now)
                remaining[window.problem] = max(0, window.limit - len(hits))
            return Admission(remaining)

    def remaining(self, window: Window) -> int:
        """How many requests the window would still take, without counting one."""
        now = self._clock.timestamp()
        with self._lock:
            hits = self._hits.get(window.key, deque())
            return max(0, window.limit - sum(1 for t in hits if t > now - window.seconds))

    def enter(self, key: tuple, limit: int) -> bool:
        """Take one concurrency slot; False when ``limit`` requests are already in flight."""
        with self._lock:
            active = self._active.get(key, 0)
            if self.enabled and active >= limit:
                return False
            self._active[key] = active + 1
            return True

    def leave(self, key: tuple) -> None:
        with self._lock:
            active = self._active.get(key, 0)
            if active <= 1:
                self._active.pop(key, None)
            else:
                self._active[key] = active - 1

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._active.clear()
