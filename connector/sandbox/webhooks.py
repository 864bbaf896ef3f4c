"""Outgoing webhooks: signing, batching over a short window, delivery and a delivery log.

Both platforms sign the raw body with HMAC-SHA256 and send the base64 digest in a header
(``intuit-signature`` / ``x-xero-signature``), and both batch changes over a window before
posting. Each service registers a ``Renderer`` that turns a batch of its events into the body
and headers it would send; the outbox owns timing, delivery and the log that tests read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from .clock import Clock

DELIVERY_TIMEOUT_SECONDS = 5.0
LOG_LIMIT = 500

Renderer = Callable[[list[dict], str], tuple[bytes, dict[str, str]]]


def sign(key: bytes | str, body: bytes) -> str:
    """The platforms' webhook signature: base64 of HMAC-SHA256(key, raw body)."""
    raw_key = key.encode() if isinstance(key, str) else key
    return base64.b64encode(hmac.new(raw_key, body, hashlib.sha256).digest()).decode()


@dataclass
class Channel:
    urls: list[str] = field(default_factory=list)
    format: str = "default"
    window_seconds: float = 0.5
    enabled: bool = True
    pending: list[dict] = field(default_factory=list)
    timer: threading.Timer | None = None


class WebhookOutbox:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        self._renderers: dict[str, Renderer] = {}
        self._log: list[dict[str, Any]] = []

    def register(self, service: str, renderer: Renderer) -> None:
        with self._lock:
            self._renderers[service] = renderer
            self._channels.setdefault(service, Channel())

    def configure(self, service: str, *, urls: list[str] | None = None,
                  format: str | None = None, window_seconds: float | None = None,
                  enabled: bool | None = None) -> dict:
        with self._lock:
            channel = self._channels.setdefault(service, Channel())
            if urls is not None:
                channel.urls = list(urls)
            if format is not None:
                channel.format = format
            if window_seconds is not None:
                channel.window_seconds = max(0.0, float(window_seconds))
            if enabled is not None:
                channel.enabled = bool(enabled)
            return self._describe(service, channel)

    def settings(self) -> dict:
        with self._lock:
            return {name: self._describe(name, ch) for name, ch in self._channels.items()}

    @staticmethod
    def _describe(service: str, channel: Channel) -> dict:
        return {"urls": list(channel.urls), "format": channel.format,
                "window_seconds": channel.window_seconds, "enabled": channel.enabled,
                "pending": len(channel.pending)}

    def channel_format(self, service: str) -> str:
        with self._lock:
            return self._channels.get(service, Channel()).format

    def emit(self, service: str, event: dict) -> None:
        """Queue one change; it is posted with the others of its window."""
        with self._lock:
            channel = self._channels.get(service)
            if channel is None or not channel.enabled or not channel.urls:
                return
            channel.pending.append(event)
            if channel.timer is None:
                channel.timer = threading.Timer(channel.window_seconds, self.flush, (service,))
                channel.timer.daemon = True
                channel.timer.start()

    def flush(self, service: str | None = None) -> list[dict]:
        """Deliver what is pending now (all services when none is named); returns the log rows."""
        services = [service] if service else list(self._channels)
        rows: list[dict] = []
        for name in services:
            with self._lock:
                channel = self._channels.get(name)
                renderer = self._renderers.get(name)
                if channel is None:
                    continue
                if channel.timer is not None:
                    channel.timer.cancel()
                    channel.timer = None
                events, channel.pending = channel.pending, []
                urls, fmt = list(channel.urls), channel.format
            if not events or renderer is None:
                continue
            body, headers = renderer(events, fmt)
            rows.extend(self.post(name, url, body, headers, kind="events") for url in urls)
        return rows

    def post(self, service: str, url: str, body: bytes, headers: dict[str, str],
             kind: str = "events") -> dict:
        """POST once and log the outcome; never raises for the receiver's failures."""
        row: dict[str, Any] = {"service": service, "url": url, "kind": kind,
                               "at": self._clock.now().isoformat(),
                               "body": body.decode("utf-8", "replace"),
                               "headers": dict(headers), "status": None, "error": None}
        try:
            answer = requests.post(url, data=body, timeout=DELIVERY_TIMEOUT_SECONDS,
                                   headers={"Content-Type": "application/json", **headers})
            row["status"] = answer.status_code
        except requests.RequestException as error:
            row["error"] = type(error).__name__
        with self._lock:
            self._log.append(row)
            del self._log[:-LOG_LIMIT]
        return row

    def log(self, service: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._log if service in (None, r["service"])]

    def reset(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                if channel.timer is not None:
                    channel.timer.cancel()
                channel.timer = None
                channel.pending = []
            self._log.clear()
