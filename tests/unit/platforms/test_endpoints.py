"""Pointing Milepost at the real services or at the sandbox is configuration only."""

from __future__ import annotations

from dataclasses import replace

from connector.config import Settings
from connector.platforms.endpoints import endpoints_for, endpoints_from_sandbox_info


def test_real_services_need_only_their_client_credentials() -> None:
    base = Settings()
    settings = replace(
        base,
        quickbooks=replace(base.quickbooks, client_id="qb-id", client_secret="qb-secret", environment="production"),
        xero=replace(base.xero, client_id="xero-id", client_secret="xero-secret"),
    )

    qb, xero = endpoints_for(settings, environ={})

    assert qb.api_url == "https://quickbooks.api.intuit.com/v3"
    assert qb.token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert xero.api_url == "https://api.xero.com/api.xro/2.0"
    assert xero.token_url == "https://identity.xero.com/connect/token"
    assert "qb-secret" not in repr(qb)
    assert "xero-secret" not in repr(xero)


def test_the_sandbox_info_document_points_both_platforms_at_it() -> None:
    info = {
        "quickbooks": {"api_base": "http://127.0.0.1:9/v3", "client_id": "a", "client_secret": "b",
                       "discovery_url": "http://127.0.0.1:9/quickbooks/.well-known/openid_configuration",
                       "token_endpoint": "http://127.0.0.1:9/quickbooks/oauth2/v1/tokens/bearer"},
        "xero": {"api_base": "http://127.0.0.1:9/api.xro/2.0", "identity_base": "http://127.0.0.1:9",
                 "token_url": "http://127.0.0.1:9/connect/token", "client_id": "c", "client_secret": "d",
                 "authorize_url": "http://127.0.0.1:9/identity/connect/authorize"},
    }

    qb, xero = endpoints_from_sandbox_info(info, "http://127.0.0.1:9")

    assert (qb.api_url, qb.token_url, qb.client_id) == ("http://127.0.0.1:9/v3", "http://127.0.0.1:9/quickbooks/oauth2/v1/tokens/bearer", "a")
    assert (xero.api_url, xero.identity_url, xero.client_id) == ("http://127.0.0.1:9/api.xro/2.0", "http://127.0.0.1:9", "c")


def test_the_sandbox_info_document_gives_its_webhook_secrets_unprinted() -> None:
    # Issue 10, finding 15: the sandbox signs its webhooks with these, so they come with it.
    info = {"quickbooks": {"client_id": "a", "webhook_verifier_token": "qb-verifier"},
            "xero": {"client_id": "c", "webhook_key": "xero-hook-key"}}

    qb, xero = endpoints_from_sandbox_info(info, "http://127.0.0.1:9")

    assert (qb.webhook_verifier_token, xero.webhook_key) == ("qb-verifier", "xero-hook-key")
    assert "qb-verifier" not in repr(qb)
    assert "xero-hook-key" not in repr(xero)
