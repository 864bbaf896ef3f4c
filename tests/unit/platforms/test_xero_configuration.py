"""xero-python's `Configuration` hands out copies of the first instance made in the process.

`Configuration(oauth2_token=...)` ignores its arguments once any Configuration exists
(`TypeWithDefault`), so when something else made one first (another library, a test's own
xero-python client) Milepost's client had no token holder and every call failed with
"'NoneType' object has no attribute 'get_auth_settings'". Found running the sandbox's Xero
tests before a Stack's Xero connect in one process (issue 10 work).
"""

from __future__ import annotations

import pytest
from xero_python.api_client import Configuration

from connector.platforms.xero_client import build_api_client
from tests.unit.platforms.fakes import XERO_ENDPOINTS


def test_the_client_has_its_token_holder_whoever_made_the_first_configuration(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Configuration, "_default", None)
    Configuration()  # someone else's, without a token holder

    client = build_api_client(XERO_ENDPOINTS, lambda: None)  # type: ignore[arg-type, return-value]

    assert client.configuration.oauth2_token is not None
    assert client.configuration.oauth2_token.client_id == XERO_ENDPOINTS.client_id
