"""What every request of the web app shares: settings, sessions, the token cipher, the endpoints.

Built once per app by `create_app` and kept in `app.extensions["milepost"]`. The platform
endpoints are read lazily, because pointing at the sandbox means asking the sandbox for its
`/_sandbox/info` document, and an app that cannot reach it must still serve its pages.

The admin password and the API keys are `[app] admin_password` and `[app] api_keys` (secrets:
environment or secrets file only), compared in constant time and never shown.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connector.config import Settings
from connector.platforms.custody import TokenCipher, token_cipher
from connector.platforms.endpoints import (
    QuickBooksEndpoints,
    XeroEndpoints,
    platform_endpoints,
    uses_sandbox,
)
from connector.platforms.errors import ConfigurationError

log = logging.getLogger("milepost.web")


@dataclass
class WebResources:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    environ: Mapping[str, str] | None = field(default=None, repr=False)
    _endpoints: tuple[QuickBooksEndpoints, XeroEndpoints] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def admin_password(self) -> str | None:
        return self.settings.app.admin_password or None

    @property
    def api_keys(self) -> tuple[str, ...]:
        return tuple(key for key in self.settings.app.api_keys if key)

    @property
    def xero_scopes_broad(self) -> bool:
        return self.settings.xero.scopes == "broad"

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.settings.app.session_idle_minutes)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.app.session_lifetime_hours)

    def endpoints(self) -> tuple[QuickBooksEndpoints, XeroEndpoints]:
        with self._lock:
            if self._endpoints is None:
                self._endpoints = platform_endpoints(self.settings)
            return self._endpoints

    def webhook_secret(self, platform: str) -> str | None:
        """What a platform signs its webhooks with: the sandbox's own secret where it stands
        in (it signs with nothing else, so `MILEPOST_SANDBOX_URL` alone must be enough), else
        `[quickbooks] webhook_verifier_token` / `[xero] webhook_key`."""
        configured = (self.settings.quickbooks.webhook_verifier_token if platform == "quickbooks"
                      else self.settings.xero.webhook_key)
        if not uses_sandbox(self.settings, platform):
            return configured
        try:
            qb, xero = self.endpoints()
        except (requests.RequestException, ConfigurationError, ValueError) as error:
            log.warning("sandbox unreachable for its %s webhook secret: %s", platform,
                        type(error).__name__)
            return configured
        return (qb.webhook_verifier_token if platform == "quickbooks" else xero.webhook_key) \
            or configured

    def cipher(self) -> TokenCipher:
        return token_cipher(self.settings, self.environ)

    def redirect_uri(self, platform: str) -> str:
        section = self.settings.quickbooks if platform == "quickbooks" else self.settings.xero
        return section.redirect_uri

    def password_ok(self, given: str) -> bool:
        return bool(self.admin_password) and secrets.compare_digest(
            given.encode(), (self.admin_password or "").encode()
        )

    def api_key_ok(self, given: str) -> bool:
        return any(secrets.compare_digest(given.encode(), key.encode()) for key in self.api_keys)


def resources() -> WebResources:
    found = current_app.extensions.get("milepost")
    if found is None:  # pragma: no cover - create_app always sets it
        raise ConfigurationError("the web app was not built by create_app")
    return found  # type: ignore[no-any-return]
