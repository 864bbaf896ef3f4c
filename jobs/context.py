"""What every job needs, built once per process: sessions, gateways, locks, rate gate, notifier.

Jobs are plain functions of `(ctx, now)` or `(ctx, connection_id, now)`; `ctx` carries the
session factory and the ways out (gateways, the pause-work notifier). The same `JobContext`
serves the embedded worker and the Celery workers: only `mode` differs, and it decides two
things: where locks and rate budgets live (the process, or Redis shared by every worker).

The pause-work webhook (`[notifications] pause_work_webhook_url` and its secret) and
`[worker] reclaim_after_seconds` come from Settings like everything else; their older
environment names (MILEPOST_PAUSE_WORK_WEBHOOK_URL, ..._SECRET, MILEPOST_RECLAIM_AFTER_SECONDS)
still work because the config loader understands them.

The platform side (SDKs, custody, the rate gate) is imported when a context is built, not
when this module is: a command that only reads the store (`milepost report`, which asks the
jobs for the pause-work flags) must not load both SDKs to do it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings, with_environment
from connector.store.db import engine_for, session_factory

if TYPE_CHECKING:
    from connector.platforms.custody import TokenCipher
    from connector.platforms.endpoints import QuickBooksEndpoints, XeroEndpoints
    from connector.platforms.gateway import AccountingGateway
    from connector.platforms.limits import RateGate

    from .locks import ConnectionLocks

    Endpoints = tuple[QuickBooksEndpoints, XeroEndpoints]

EMBEDDED, CELERY = "embedded", "celery"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    endpoints: Callable[[], Endpoints]
    cipher: TokenCipher = field(repr=False)
    locks: ConnectionLocks
    gate: RateGate | None = None
    mode: str = EMBEDDED
    pause_webhook_url: str = ""
    pause_webhook_secret: str = field(default="", repr=False)
    reclaim_after_seconds: float = 120.0
    gateway_factory: Callable[[int], AccountingGateway] | None = None
    _pass: threading.local = field(default_factory=threading.local, repr=False)

    def gateway_for(self, connection_id: int) -> AccountingGateway:
        """The gateway of a stored connection (NeedsReconnect when its grant is dead); inside
        `one_pass`, the one this thread already opened for it."""
        if self.gateway_factory is not None:
            return self.gateway_factory(connection_id)
        kept: dict[int, AccountingGateway] | None = getattr(self._pass, "gateways", None)
        if kept is not None and connection_id in kept:
            return kept[connection_id]
        from connector.platforms.connect import open_gateway

        gateway = open_gateway(
            self.sessions, connection_id, self.endpoints(), self.cipher, gate=self.gate, clock=utcnow
        )
        if kept is not None:
            kept[connection_id] = gateway
        return gateway

    @contextmanager
    def one_pass(self) -> Iterator[None]:
        """A drain pass: each connection's gateway is opened once on this thread and reused by
        every row the pass carries (its SDK client and keep-alive connection, its token held in
        memory, held_tokens.py); the next pass opens them afresh. Nested passes share the outer one."""
        if getattr(self._pass, "gateways", None) is not None:
            yield
            return
        self._pass.gateways = {}
        try:
            yield
        finally:
            self._pass.gateways = None

    def close(self) -> None:
        self.engine.dispose()


def build_context(
    settings: Settings,
    *,
    mode: str = EMBEDDED,
    environ: Mapping[str, str] | None = None,
    endpoints: Endpoints | None = None,
    **overrides: Any,
) -> JobContext:
    """The context for one worker process: locks and rate budgets in Redis in Celery mode.

    `environ`, when given, is laid over `settings` the way the config loader would (for
    settings built by hand); without it the settings are taken as loaded."""
    from connector.platforms.custody import token_cipher
    from connector.platforms.endpoints import platform_endpoints
    from connector.platforms.limits import RateGate

    from .locks import locks_for

    if environ is not None:
        settings = with_environment(settings, environ)
    env = os.environ if environ is None else environ
    engine = engine_for(settings)
    cached: list[Endpoints] = [endpoints] if endpoints else []

    def lazy_endpoints() -> Endpoints:
        if not cached:
            cached.append(platform_endpoints(settings))
        return cached[0]

    shared = settings.worker.celery_broker if mode == CELERY else None
    return JobContext(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine, settings.mail),
        endpoints=lazy_endpoints,
        cipher=token_cipher(settings, env),
        locks=locks_for(engine, shared),
        gate=RateGate(shared or "memory://", max_wait=30.0),
        mode=mode,
        pause_webhook_url=settings.notifications.pause_work_webhook_url,
        pause_webhook_secret=settings.notifications.pause_work_webhook_secret or "",
        reclaim_after_seconds=float(settings.worker.reclaim_after_seconds),
        **overrides,
    )
