"""The QuickBooks Online stand-in: OAuth (intuit-oauth) and the v3 API (python-quickbooks).

Public face for the app and control API:
  ``blueprint()``                  -> list of Flask blueprints (OAuth, v3 API)
  ``quickbooks_info(state, base)`` -> the ``quickbooks`` part of ``/_sandbox/info``
  ``register_control(bp)``         adds the bookkeeper actions under ``/_sandbox/quickbooks``
  ``QuickBooksState``              the books: companies by realm id, grants
"""

from __future__ import annotations

from typing import Any

from .books import Company, QuickBooksState

DISCOVERY_PATH = "/quickbooks/.well-known/openid_configuration"

__all__ = ["Company", "QuickBooksState", "blueprint", "quickbooks_info", "register_control"]


def blueprint() -> list[Any]:
    from .api import api_blueprint
    from .oauth import oauth_blueprint
    from .pages import pages_blueprint
    from .unserved import unserved_blueprint

    return [oauth_blueprint(), api_blueprint(), pages_blueprint(), unserved_blueprint()]


def quickbooks_info(state: Any, base_url: str) -> dict:
    app = state.apps["quickbooks"]
    return {
        "discovery_url": base_url + DISCOVERY_PATH,
        "api_base": base_url + "/v3",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "webhook_verifier_token": app["webhook_verifier_token"],
        "companies": [
            {"realm_id": c.realm_id, "name": c.name, "currency": c.currency}
            for c in state.quickbooks.companies.values()
        ],
    }


def register_control(bp: Any) -> None:
    from .control import register

    register(bp)
