"""The admin page of API keys: list, create (the key and its webhook secret shown once), revoke,
and a new webhook secret for a key.

The same calls as `milepost api-key create|list|revoke|rotate-secret` (`store.api_keys`), for
the signed-in admin's organisation: its keys only, and a key made here acts for it. A
new key and a new secret are rendered in the answer to the POST that made them, never
flashed: a flashed message travels in the session cookie, which is signed, not encrypted.
Every page is `Cache-Control: no-store` (`hardening`), so the browser keeps no copy either.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from connector.store import api_keys
from connector.store.db import transaction

from .resources import resources
from .security import current_user, requires

blueprint = Blueprint("api_keys", __name__, url_prefix="/admin/api-keys")


@blueprint.get("")
@requires("admin")
def index() -> Any:
    return _page()


@blueprint.post("")
@requires("admin")
def create() -> Any:
    res = resources()
    try:
        with transaction(res.sessions) as db:
            made = api_keys.create(db, request.form.get("name", ""), request.form.get("scope", ""), res.cipher(),
                                   organisation_id=_organisation_id())
    except api_keys.KeyRefused as refused:
        return _page(problem=refused.message), 400
    return _page(shown={"title": f"API key {made.key.public_id} ({made.key.name}, {made.key.scope})",
                        "key": made.plaintext, "webhook_secret": made.webhook_secret,
                        "hook_url": _hook_url(made.key.public_id)})


@blueprint.post("/<public_id>/revoke")
@requires("admin")
def revoke(public_id: str) -> Any:
    try:
        with transaction(resources().sessions) as db:
            key = api_keys.revoke(db, public_id, of=_organisation_id())
    except api_keys.KeyNotFound as missing:
        return _page(problem=str(missing)), 404
    flash(f"API key {key.public_id} ({key.name}) is revoked: it is refused from now on.")
    return redirect(url_for("api_keys.index"))


@blueprint.post("/<public_id>/rotate")
@requires("admin")
def rotate(public_id: str) -> Any:
    res = resources()
    try:
        with transaction(res.sessions) as db:
            secret = api_keys.rotate_webhook_secret(db, public_id, res.cipher(), of=_organisation_id())
    except api_keys.KeyNotFound as missing:
        return _page(problem=str(missing)), 404
    except api_keys.KeyRefused as refused:
        return _page(problem=refused.message), 400
    return _page(shown={"title": f"New webhook secret of API key {public_id}", "webhook_secret": secret,
                        "hook_url": _hook_url(public_id)})


def _page(problem: str = "", shown: dict[str, str] | None = None) -> str:
    with resources().sessions() as db:
        keys = api_keys.all_keys(db, _organisation_id())
    return render_template("api_keys.html", keys=keys, problem=problem, shown=shown, scopes=api_keys.SCOPES)


def _organisation_id() -> int:
    person = current_user()
    assert person is not None  # every view is behind requires()
    return person.organisation_id


def _hook_url(public_id: str) -> str:
    return f"{resources().settings.app.base_url.rstrip('/')}/api/v1/hooks/{public_id}"
