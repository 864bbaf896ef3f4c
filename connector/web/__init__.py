"""The web app: admin pages, the client portal, the REST API and the OAuth install flows.

`create_app(settings)` builds a Flask app around one database and never starts the scheduler
(the worker is its own process; `milepost run` composes both). Blueprints:

    admin    /admin/...    login, dashboard (connections, sync log, pause-work flags), projects
    users    /admin/users  who may sign in, with which role (admins only)
    signin   /signin/..., /launch/quickbooks   Sign in with Intuit / Xero (OpenID Connect)
    oauth    /oauth/...    Connect to QuickBooks / Xero, callbacks, QuickBooks disconnect landing
    portal   /portal/...   an approver's signed link: see, accept, partially accept, reject
    api      /api/v1/...   JSON for schedules, decisions, reads and reports, with an API key;
                           a project tool's signed hook (/api/v1/hooks/KEY_ID) and a key's
                           outbound webhook subscriptions (/api/v1/subscriptions); its
                           OpenAPI document at /api/v1/openapi.json
    api_keys /admin/api-keys   list, create (shown once), revoke API keys
    health   /healthz, /readyz   the process is up; the database (and Redis) answer
    webhooks               registered when connector.web.webhooks exists (another room owns it)
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, Response, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException

from connector.config import Settings, load_settings, with_environment
from connector.store import people
from connector.store.db import engine_for, session_factory

from . import formatting, hardening, health, history, path_bounds, redaction, request_log, throttle
from .resources import WebResources
from .security import csrf_field, current_user, may, signed_in

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, environ: Mapping[str, str] | None = None) -> Flask:
    """The app for `settings` (read from the configuration when None).

    `environ`, when given, is laid over the settings the way the config loader would (e.g.
    MILEPOST_ADMIN_PASSWORD, MILEPOST_API_KEYS for settings built by hand); it is also where
    the token keys are looked for when `[security] token_keys` is empty (default os.environ).
    """
    if settings is None:
        settings = load_settings(environ=environ)
    elif environ is not None:
        settings = with_environment(settings, environ)
    env = os.environ if environ is None else environ
    app = Flask(__name__)
    secret_key = settings.app.secret_key
    if not secret_key:
        log.warning("no app secret key configured: sessions and portal links end with this process")
        secret_key = secrets.token_urlsafe(32)
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.app.base_url.startswith("https://"),
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        # The signed cookie's own limit; the server-side session ends sooner when idle.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.app.session_lifetime_hours),
    )
    engine = engine_for(settings)
    people.dummy_hash()  # made now, so the first unknown e-mail's sign-in is not quicker than the next
    app.extensions["milepost"] = WebResources(settings, engine, session_factory(engine, settings.mail),
                                                 environ=env)
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["signed_in"] = signed_in
    request_log.install(app)
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["may"] = may
    formatting.install(app, settings.app.locale)
    app.jinja_env.globals["mail_status"] = _mail_status(settings)
    app.jinja_env.globals["project_history"] = history.project_history
    if settings.app.admin_password:
        log.warning("[app] admin_password is no longer used: people sign in as themselves "
                    "(`milepost user add EMAIL --role admin`); remove it")
    _register_blueprints(app)
    _register_errors(app)
    path_bounds.register(app)
    throttle.install(app, settings).exempt(health.blueprint)
    hardening.install(app)
    redaction.install(app)

    @app.get("/")
    def home() -> Any:
        return redirect(url_for("admin.dashboard"))

    return app


def _mail_status(settings: Settings) -> str:
    """What the dashboard says about e-mail: "off", "no_bookkeeper" or "on" (never a setting)."""
    if not settings.mail.configured:
        return "off"
    return "on" if settings.mail.bookkeeper else "no_bookkeeper"


def _register_blueprints(app: Flask) -> None:
    from . import (
        admin,
        api,
        api_key_pages,
        imports,
        mapping_pages,
        oauth,
        portal,
        project_import,
        signin,
        users,
    )

    app.register_blueprint(admin.blueprint)
    app.register_blueprint(users.blueprint)
    app.register_blueprint(signin.blueprint)
    app.register_blueprint(api_key_pages.blueprint)
    app.register_blueprint(mapping_pages.blueprint)
    app.register_blueprint(imports.blueprint)
    app.register_blueprint(project_import.blueprint)
    app.register_blueprint(oauth.blueprint)
    app.register_blueprint(portal.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(health.blueprint)
    try:
        webhooks = importlib.import_module("connector.web.webhooks")
    except ModuleNotFoundError as missing:
        if missing.name != "connector.web.webhooks":
            raise
        return
    made = getattr(webhooks, "blueprint", None)
    if callable(made):
        made = made()
    if made is not None:
        app.register_blueprint(made)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        from flask import request

        if request.path.startswith("/webhooks/"):
            return Response(b"", status=error.code or 500)  # Xero wants empty bodies, errors too
        if request.path.startswith("/api/"):
            from .rest.problems import problem, problem_response

            rule = error.name.lower().replace(" ", "_")
            return problem_response(error.code or 500, problem("request", rule, error.description or error.name))
        page = render_template("message.html", title=error.name, message=error.description)
        return page, error.code or 500
