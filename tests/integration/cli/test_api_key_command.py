"""`milepost api-key`: create (printed once), list, revoke, rotate the webhook secret, subscribe."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from connector.web import create_app


@pytest.fixture
def token_key(monkeypatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("MILEPOST_TOKEN_KEYS", key)
    return key


def created(milepost, *args: str) -> tuple[str, str, str]:
    """(public id, key, webhook secret) printed by `api-key create`."""
    result = milepost("api-key", "create", *args)
    assert result.code == 0, result.err
    key = next(line for line in result.lines if line.startswith("mpk_"))
    secret = next(line for line in result.lines if line.startswith("whsec_"))
    return key.split("_")[1], key, secret


def test_a_key_is_printed_once_listed_without_its_secret_and_revoked(milepost, token_key, database_url):
    public_id, key, secret = created(milepost, "--name", "Procore sync", "--scope", "write")
    app = create_app(environ={"MILEPOST_DATABASE_URL": database_url, "MILEPOST_TOKEN_KEYS": token_key})
    client = app.test_client()
    assert client.get("/api/v1/forecast", headers={"Authorization": f"Bearer {key}"}).status_code == 200

    listing = milepost("api-key", "list", "--format", "json")
    [row] = json.loads(listing.out)
    assert (row["id"], row["name"], row["scope"], row["revoked_at"]) == (public_id, "Procore sync", "write", None)
    assert row["last_used_at"] is not None
    table = milepost("api-key", "list")
    assert "Procore sync" in table.out
    assert key not in listing.out + table.out
    assert secret not in listing.out + table.out

    assert milepost("api-key", "revoke", public_id).code == 0
    assert client.get("/api/v1/forecast", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert json.loads(milepost("api-key", "list", "--format", "json").out)[0]["revoked_at"] is not None
    app.extensions["milepost"].engine.dispose()


def test_rotating_the_webhook_secret_prints_a_new_one(milepost, token_key):
    public_id, _, secret = created(milepost, "--name", "Jira", "--scope", "write")
    rotated = milepost("api-key", "rotate-secret", public_id)
    assert rotated.code == 0
    new = next(line for line in rotated.lines if line.startswith("whsec_"))
    assert new != secret


def test_bad_names_scopes_ids_and_urls_are_refused(milepost, token_key):
    assert milepost("api-key", "create", "--name", " ", "--scope", "write").code == 1
    with pytest.raises(SystemExit):
        milepost("api-key", "create", "--name", "x", "--scope", "admin")
    missing = milepost("api-key", "revoke", "0123456789ab")
    assert missing.code == 1
    assert "no API key" in missing.err
    public_id, _, _ = created(milepost, "--name", "Jira", "--scope", "write")
    ftp = milepost("api-key", "subscribe", public_id, "--url", "ftp://hooks.example/x", "--event", "invoice.created")
    assert ftp.code == 1
    assert "[scheme]" in ftp.err
    inside = milepost("api-key", "subscribe", public_id, "--url", "http://10.0.0.7/x", "--event", "invoice.created")
    assert inside.code == 1
    assert "[private_address]" in inside.err


def test_a_subscription_prints_its_secret_once_and_is_listed_and_removed(milepost, token_key):
    public_id, _, _ = created(milepost, "--name", "Jira", "--scope", "write")
    made = milepost("api-key", "subscribe", public_id, "--url", "https://hooks.example/milepost",
                    "--event", "invoice.created", "--event", "payment.received")
    assert made.code == 0, made.err
    secret = next(line for line in made.lines if line.startswith("whsec_"))
    listing = milepost("api-key", "subscriptions", public_id)
    assert "https://hooks.example/milepost" in listing.out
    assert "payment.received" in listing.out
    assert secret not in listing.out
    assert milepost("api-key", "unsubscribe", public_id, "1").code == 0
    assert "hooks.example" not in milepost("api-key", "subscriptions", public_id).out


def test_without_token_keys_a_key_is_not_made(milepost):
    result = milepost("api-key", "create", "--name", "Jira", "--scope", "write")
    assert result.code == 1
    assert "MILEPOST_TOKEN_KEYS" in result.err
    assert json.loads(milepost("api-key", "list", "--format", "json").out) == []
