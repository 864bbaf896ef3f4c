"""Replay of repeated writes: QuickBooks ``requestid`` and Xero ``Idempotency-Key``.

Both platforms answer a repeated key with the first answer and do not act twice. What they do
when the same key arrives with a different body is not documented; the sandbox treats that as
the client's bug and reports a conflict, so a connector that reuses keys carelessly finds out.
A key whose first request is still running makes the second one wait for that answer.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fingerprint: str


@dataclass
class _Pending:
    fingerprint: str
    done: threading.Event = field(default_factory=threading.Event)


MAX_ANSWERS = 100_000  # oldest answers are forgotten first, so a long benchmark stays bounded


class Conflict(Exception):
    """The key was used before for a different request body."""


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


class ReplayCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str, str], StoredAnswer] = {}
        self._pending: dict[tuple[str, str, str], _Pending] = {}

    def claim(self, service: str, company: str, key: str, print_: str,
              wait_seconds: float = 30.0) -> StoredAnswer | None:
        """Return the stored answer for a replay, or None when the caller should act.

        A None return obliges the caller to ``store`` or ``release`` the key afterwards.
        Raises ``Conflict`` when the key was used for a different body.
        """
        slot = (service, company, key)
        while True:
            with self._lock:
                answer = self._answers.get(slot)
                if answer is not None:
                    if answer.fingerprint != print_:
                        raise Conflict(key)
                    return answer
                pending = self._pending.get(slot)
                if pending is None:
                    self._pending[slot] = _Pending(print_)
                    return None
            if pending.fingerprint != print_:
                raise Conflict(key)
            if not pending.done.wait(wait_seconds):
                return None

    def store(self, service: str, company: str, key: str, answer: StoredAnswer) -> None:
        slot = (service, company, key)
        with self._lock:
            self._answers[slot] = answer
            while len(self._answers) > MAX_ANSWERS:
                del self._answers[next(iter(self._answers))]
            pending = self._pending.pop(slot, None)
        if pending is not None:
            pending.done.set()

    def release(self, service: str, company: str, key: str) -> None:
        """Forget an in-flight key whose request failed, so a retry may act."""
        with self._lock:
            pending = self._pending.pop((service, company, key), None)
        if pending is not None:
            pending.done.set()

    def reset(self) -> None:
        with self._lock:
            self._answers.clear()
            for pending in self._pending.values():
                pending.done.set()
            self._pending.clear()

    def __len__(self) -> int:
        return len(self._answers)
