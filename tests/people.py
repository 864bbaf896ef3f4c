"""Users for the web tests: the admin (or bookkeeper, or viewer) a test signs in as.

Every sign-in is a person now (`milepost user add`), not a shared password; these helpers add
the user to the app's database when missing and sign a test client in through the login form.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from connector.store import people
from connector.store.db import transaction

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"


def ensure_user(app: Flask, email: str, role: str, password: str | None = ADMIN_PASSWORD,
                name: str = "") -> None:
    """The user in the app's database, as `milepost user add` makes one (kept if present)."""
    with transaction(app.extensions["milepost"].sessions) as db:
        if people.find_user(db, email) is None:
            people.add_user(db, email, role, password, name=name)


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def sign_in(client: FlaskClient, password: str = ADMIN_PASSWORD, email: str = ADMIN_EMAIL) -> None:
    client.get("/admin/login")
    client.post("/admin/login", data={"email": email, "password": password, "csrf": csrf_of(client)})


def signed_in_client(app: Flask, role: str = "admin", email: str = ADMIN_EMAIL,
                     name: str = "") -> FlaskClient:
    """A test client signed in as `email` (added with `role` and `name` when missing)."""
    ensure_user(app, email, role, name=name)
    client = app.test_client()
    sign_in(client, ADMIN_PASSWORD, email)
    return client
