"""Where each platform lives and who we are to it: real hosts by default, the sandbox by one setting.

`endpoints_from_settings` reads `[quickbooks]`/`[xero]`; `endpoints_from_sandbox` reads the
sandbox's `/_sandbox/info` document so that `MILEPOST_SANDBOX_URL` alone points both SDKs,
the token endpoints and the credentials (webhook secrets included) at the local stand-in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import requests

QUICKBOOKS_API = "https://quickbooks.api.intuit.com/v3"
QUICKBOOKS_SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
QUICKBOOKS_TOKEN = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
QUICKBOOKS_REVOKE = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
XERO_API = "https://api.xero.com/api.xro/2.0"
XERO_IDENTITY = "https://api.xero.com"
XERO_TOKEN = "https://identity.xero.com/connect/token"
XERO_REVOKE = "https://identity.xero.com/connect/revocation"
# OpenID Connect discovery (Sign in with Intuit / Xero, connector/web/signin.py)
INTUIT_DISCOVERY = "https://developer.api.intuit.com/.well-known/openid_configuration"
INTUIT_SANDBOX_DISCOVERY = "https://developer.api.intuit.com/.well-known/openid_sandbox_configuration"
XERO_DISCOVERY = "https://identity.xero.com/.well-known/openid-configuration"


@dataclass(frozen=True)
class QuickBooksEndpoints:
    api_url: str
    token_url: str
    revoke_url: str
    client_id: str
    client_secret: str = field(repr=False)
    discovery_url: str = ""  # intuit-oauth's `environment` when not sandbox/production
    minor_version: int = 75
    timeout_seconds: float = 30.0

    @property
    def openid_discovery_url(self) -> str:
        """Intuit's OpenID discovery document (the sandbox's, or Intuit's own)."""
        if self.discovery_url:
            return self.discovery_url
        return INTUIT_SANDBOX_DISCOVERY if "sandbox" in self.api_url else INTUIT_DISCOVERY
    # The sandbox's own verifier token (it signs its webhooks with it); empty for the real
    # service, whose token is `[quickbooks] webhook_verifier_token`.
    webhook_verifier_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class XeroEndpoints:
    api_url: str
    identity_url: str
    token_url: str
    revoke_url: str
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    discovery_url: str = XERO_DISCOVERY
    timeout_seconds: int = 30
    webhook_key: str = field(default="", repr=False)  # the sandbox's; see QuickBooksEndpoints


def uses_sandbox(settings: Any, platform: str) -> bool:
    """The sandbox stands in for a platform unless real credentials for it are configured.

    `MILEPOST_SANDBOX_URL` (or `[sandbox] url`) says where the sandbox is; `[sandbox] enabled =
    false` forbids it, and a `client_id` for the platform means the real service is meant.
    """
    section = settings.quickbooks if platform == "quickbooks" else settings.xero
    return bool(settings.sandbox.enabled and not section.client_id)


def endpoints_from_settings(settings: Any) -> tuple[QuickBooksEndpoints, XeroEndpoints]:
    """Endpoints for the real services (or whatever `api_url` overrides) from Settings."""
    qb, xero = settings.quickbooks, settings.xero
    qb_api = qb.api_url or (QUICKBOOKS_SANDBOX_API if qb.environment == "sandbox" else QUICKBOOKS_API)
    discovery = qb.environment if qb.environment.startswith("http") else ""
    return (
        QuickBooksEndpoints(
            api_url=qb_api.rstrip("/"),
            token_url=QUICKBOOKS_TOKEN,
            revoke_url=QUICKBOOKS_REVOKE,
            client_id=qb.client_id,
            client_secret=qb.client_secret or "",
            discovery_url=discovery,
            minor_version=qb.minor_version,
            timeout_seconds=float(qb.timeout_seconds),
        ),
        XeroEndpoints(
            api_url=(xero.api_url or XERO_API).rstrip("/"),
            identity_url=(xero.identity_url or XERO_IDENTITY).rstrip("/"),
            token_url=XERO_TOKEN,
            revoke_url=XERO_REVOKE,
            client_id=xero.client_id,
            client_secret=xero.client_secret or "",
            timeout_seconds=int(xero.timeout_seconds),
        ),
    )


def _pick(data: dict[str, Any], *names: str, default: str = "") -> str:
    for name in names:
        if data.get(name):
            return str(data[name])
    return default


def endpoints_from_sandbox_info(
    info: dict[str, Any], base_url: str
) -> tuple[QuickBooksEndpoints, XeroEndpoints]:
    """Endpoints from a `/_sandbox/info` document (the sandbox publishes its own URLs)."""
    base = base_url.rstrip("/")
    qb, xero = info.get("quickbooks") or {}, info.get("xero") or {}
    discovery = _pick(qb, "discovery_url", "environment", default=f"{base}/quickbooks/.well-known/openid_configuration")
    return (
        QuickBooksEndpoints(
            api_url=_pick(qb, "api_base", "api_url", default=f"{base}/v3").rstrip("/"),
            token_url=_pick(qb, "token_url", "token_endpoint"),
            revoke_url=_pick(qb, "revoke_url", "revocation_endpoint"),
            client_id=_pick(qb, "client_id"),
            client_secret=_pick(qb, "client_secret"),
            discovery_url=discovery,
            webhook_verifier_token=_pick(qb, "webhook_verifier_token"),
        ),
        XeroEndpoints(
            api_url=_pick(xero, "api_base", "api_url", "accounting_url", default=f"{base}/api.xro/2.0").rstrip("/"),
            identity_url=_pick(xero, "identity_base", "identity_url", default=base).rstrip("/"),
            token_url=_pick(xero, "token_url", "token_endpoint"),
            revoke_url=_pick(xero, "revocation_url", "revoke_url", "revocation_endpoint"),
            client_id=_pick(xero, "client_id"),
            client_secret=_pick(xero, "client_secret"),
            authorize_url=_pick(xero, "authorize_url", "authorization_endpoint"),
            discovery_url=_pick(xero, "discovery_url", default=f"{base}/.well-known/openid-configuration"),
            webhook_key=_pick(xero, "webhook_key"),
        ),
    )


def endpoints_from_sandbox(base_url: str, timeout: float = 10.0) -> tuple[QuickBooksEndpoints, XeroEndpoints]:
    """Read `/_sandbox/info` and point both platforms at the sandbox."""
    response = requests.get(f"{base_url.rstrip('/')}/_sandbox/info", timeout=timeout)
    response.raise_for_status()
    info = response.json()
    qb = info.get("quickbooks") or {}
    if qb.get("discovery_url") and not qb.get("token_url"):
        # intuit-oauth learns its endpoints from the discovery document; so do we.
        discovery = requests.get(qb["discovery_url"], timeout=timeout)
        discovery.raise_for_status()
        qb = {**discovery.json(), **qb}
        info = {**info, "quickbooks": qb}
    return endpoints_from_sandbox_info(info, base_url)


def endpoints_for(settings: Any, environ: dict[str, str] | None = None) -> tuple[QuickBooksEndpoints, XeroEndpoints]:
    """The endpoints Milepost should use: the sandbox when `MILEPOST_SANDBOX_URL` is set (or
    `[sandbox]` is enabled and no real client ids are configured), else the real services."""
    env = environ if environ is not None else dict(os.environ)
    sandbox_url = env.get("MILEPOST_SANDBOX_URL", "")
    no_real_app = not settings.quickbooks.client_id and not settings.xero.client_id
    if not sandbox_url and settings.sandbox.enabled and no_real_app:
        sandbox_url = settings.sandbox.url
    if sandbox_url:
        return endpoints_from_sandbox(sandbox_url)
    return endpoints_from_settings(settings)


def platform_endpoints(settings: Any) -> tuple[QuickBooksEndpoints, XeroEndpoints]:
    """Endpoints for both platforms: the sandbox's own where it stands in, else the settings'."""
    real_qb, real_xero = endpoints_from_settings(settings)
    if not (uses_sandbox(settings, "quickbooks") or uses_sandbox(settings, "xero")):
        return real_qb, real_xero
    # The sandbox speaks plain HTTP on loopback; requests-oauthlib refuses that unless told.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    sandbox_qb, sandbox_xero = endpoints_from_sandbox(settings.sandbox.url)
    return (
        sandbox_qb if uses_sandbox(settings, "quickbooks") else real_qb,
        sandbox_xero if uses_sandbox(settings, "xero") else real_xero,
    )
