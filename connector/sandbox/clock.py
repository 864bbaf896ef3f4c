"""The sandbox's single source of time.

Tests must be able to move time (token expiry, rate-limit windows, approval windows) without
sleeping, so nothing in the sandbox calls ``datetime.now`` directly: everything asks the
``Clock``. The clock is real time plus an offset; frozen, it stands still until moved.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Real UTC time shifted by an offset, optionally frozen at an instant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def timestamp(self) -> float:
        """Seconds since the epoch on this clock: what rate-limit windows count in."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move time forward (or back, if negative) and return the new now."""
        with self._lock:
            step = timedelta(seconds=seconds)
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Jump to an instant; a frozen clock stays frozen there."""
        if when.tzinfo is None:
            raise ValueError("the sandbox clock only accepts timezone-aware datetimes")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = when.astimezone(UTC)
            else:
                self._offset = when.astimezone(UTC) - datetime.now(UTC)
        return self.now()

    def freeze(self) -> datetime:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = datetime.now(UTC) + self._offset
            return self._frozen_at

    def unfreeze(self) -> datetime:
        """Let time run again from where it stands (no jump back to wall time)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None
        return self.now()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None

    def to_json(self) -> dict:
        with self._lock:
            return {
                "offset_seconds": self._offset.total_seconds(),
                "frozen_at": self._frozen_at.isoformat() if self._frozen_at else None,
            }

    def load_json(self, data: dict) -> None:
        with self._lock:
            self._offset = timedelta(seconds=float(data.get("offset_seconds", 0)))
            frozen = data.get("frozen_at")
            self._frozen_at = datetime.fromisoformat(frozen) if frozen else None
