"""When a platform refuses an OAuth step, its own error and description reach the admin (scrubbed
of secrets), instead of a generic "refused" that leaves them guessing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connector.platforms import install
from connector.platforms.errors import AuthError, NeedsReconnect

from .conftest import REDIRECT, install_quickbooks, install_xero


def test_a_bad_quickbooks_code_keeps_quickbooks_words_code_and_request_id(sandbox) -> None:
    with pytest.raises(NeedsReconnect) as refused:
        install.quickbooks_exchange_code(sandbox.qb, REDIRECT, "code-that-was-never-issued", "1")

    error = refused.value
    assert error.code == "invalid_grant"
    assert "QuickBooks refused the authorization code (invalid_grant: Invalid authorization code)" in str(error)
    assert error.request_id
    assert "code-that-was-never-issued" not in str(error)


def test_a_bad_xero_code_keeps_xeros_error_code(sandbox) -> None:
    with pytest.raises(NeedsReconnect) as refused:
        install.xero_exchange_code(sandbox.xero, REDIRECT, "code-that-was-never-issued", "v" * 50)

    assert refused.value.code == "invalid_grant"
    assert "Xero refused the authorization code (invalid_grant" in str(refused.value)


def test_a_refused_quickbooks_revoke_says_why_instead_of_returning_false(sandbox) -> None:
    _, tokens = install_quickbooks(sandbox)
    wrong_client = replace(sandbox.qb, client_secret="not-the-secret")

    with pytest.raises(AuthError) as refused:
        install.quickbooks_revoke(wrong_client, tokens.refresh_token)

    assert refused.value.code == "invalid_client"
    assert "QuickBooks refused to revoke the grant (invalid_client" in str(refused.value)
    assert tokens.refresh_token not in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert install.quickbooks_revoke(sandbox.qb, tokens.refresh_token) is True


def test_a_refused_xero_revoke_says_why(sandbox) -> None:
    _, tokens = install_xero(sandbox)

    with pytest.raises(AuthError) as refused:
        install.xero_revoke(replace(sandbox.xero, client_secret="not-the-secret"), tokens.refresh_token)

    assert refused.value.code == "invalid_client"
    assert "Xero refused to revoke the grant (invalid_client" in str(refused.value)
    assert tokens.refresh_token not in str(refused.value)
