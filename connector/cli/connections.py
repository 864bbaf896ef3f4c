"""Connection commands: install by OAuth from a terminal, list, and tie projects to books.

    milepost connect quickbooks|xero [--non-interactive] [--port N] [--timeout SECONDS]
    milepost connections [--format table|json]
    milepost project link KEY --connection ID
    milepost schedule import FILE --connection ID      (the option is added here)

`connect` prints the consent URL and waits for the platform to redirect back to a one-shot
listener on a loopback port (the configured redirect URI's port, or --port). With
`--non-interactive` against an auto-consent sandbox Milepost follows the redirect itself, so a
headless install completes with no browser. The state is checked either way.
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rich.table import Table

from connector.billing.errors import ScheduleInvalid
from connector.billing.model import AuditEvent
from connector.platforms import install
from connector.platforms.custody import token_cipher
from connector.platforms.endpoints import platform_endpoints
from connector.platforms.errors import PlatformError
from connector.store import links, service
from connector.store.organisations import Organisation
from connector.store.repository import BillingRepository
from connector.web import connections as conn

from . import commands
from .context import CommandError, Context

LOOPBACK = ("127.0.0.1", "localhost", "::1")


# --- connect --------------------------------------------------------------------------------


def _redirect_uri(ctx: Context, platform: str, port: int | None) -> str:
    section = ctx.settings.quickbooks if platform == "quickbooks" else ctx.settings.xero
    configured = urlsplit(section.redirect_uri)
    if port is not None:
        return f"http://127.0.0.1:{port}{configured.path or f'/oauth/{platform}/callback'}"
    if configured.hostname not in LOOPBACK:
        raise CommandError(f"the configured redirect URI {section.redirect_uri} is not on this "
                           "machine: give --port to receive the callback here")
    return section.redirect_uri


def cmd_connect(ctx: Context, args: argparse.Namespace) -> int:
    platform: str = args.platform
    redirect_uri = _redirect_uri(ctx, platform, args.port)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    try:
        qb, xero = platform_endpoints(ctx.settings)
        if platform == "quickbooks":
            url = install.quickbooks_authorization_url(qb, redirect_uri, state)
        else:
            url = install.xero_authorization_url(xero, redirect_uri, state, verifier)
        if args.non_interactive:
            callback = install.follow_consent(url)
        else:
            ctx.out.print(f"Open this URL to connect {platform}:\n{url}", markup=False)
            callback = wait_for_callback(redirect_uri, args.timeout)
        done = _finish(ctx, platform, redirect_uri, state, verifier, callback)
    except PlatformError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot reach {platform}: {error.__class__.__name__}") from None
    for view, created in done:
        verb = "connected" if created else "reconnected"
        ctx.out.print(f"{verb} {view.platform} {view.name} as connection {view.id}", markup=False)
    return 0


def _finish(ctx: Context, platform: str, redirect_uri: str, state: str, verifier: str,
            callback: dict[str, str]) -> list[tuple[conn.ConnectionView, bool]]:
    if not callback.get("state") or not secrets.compare_digest(callback["state"], state):
        raise CommandError("the callback's state does not match this request: nothing connected")
    if callback.get("error"):
        raise CommandError(f"{platform} did not grant access ({callback['error']}): nothing connected")
    qb, xero = platform_endpoints(ctx.settings)
    cipher = token_cipher(ctx.settings)
    sessions = ctx.ready()
    try:  # for the default organisation, as every command
        if platform == "quickbooks":
            return conn.install_quickbooks(sessions, qb, cipher, redirect_uri, callback.get("code", ""),
                                           callback.get("realmId", ""))
        return conn.install_xero(sessions, xero, cipher, redirect_uri, callback.get("code", ""), verifier)
    except conn.AnothersCompany as error:
        raise CommandError(str(error)) from None


def wait_for_callback(redirect_uri: str, timeout: float) -> dict[str, str]:
    """Serve one request on the redirect URI's loopback port and return its query."""
    target = urlsplit(redirect_uri)
    received: dict[str, str] = {}
    arrived = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            if url.path != (target.path or "/"):
                self.send_error(404)
                return
            received.update({k: v[0] for k, v in parse_qs(url.query).items()})
            body = b"<!doctype html><title>Milepost</title><p>Milepost received the answer. " \
                   b"You can close this window and return to the terminal.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)
            arrived.set()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the query has a code
            return None

    server = HTTPServer((target.hostname or "127.0.0.1", target.port or 80), Handler)
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    try:
        if not arrived.wait(timeout):
            raise CommandError(f"no callback within {timeout:.0f} seconds: nothing connected")
    finally:
        server.shutdown()
        server.server_close()
        worker.join(timeout=5)
    return received


# --- listing and linking --------------------------------------------------------------------


def cmd_connections(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        views = conn.list_connections(session, Organisation(session).connection_ids())
    if args.format == "json":
        ctx.out.print(json.dumps([v.as_json() for v in views], indent=2), markup=False, highlight=False)
        return 0
    if not views:
        ctx.out.print("no connections: run `milepost connect quickbooks` or `milepost connect xero`")
        return 0
    table = Table()
    for column in ("id", "platform", "company", "status"):
        table.add_column(column, no_wrap=True)
    for v in views:
        table.add_row(str(v.id), v.platform, v.name, v.status)
    ctx.out.print(table)
    return 0


def _with_links(ctx: Context, work: Callable[[Any], None]) -> None:
    with ctx.transaction() as session:
        work(session)


def _refuse_foreign_currency(ctx: Context, connection_id: int, currency: str) -> None:
    """A company that cannot bill in the project's currency is refused at link time."""
    from jobs.connections import currency_refusal
    from jobs.context import build_context

    job_ctx = build_context(ctx.settings)
    try:
        refusal = currency_refusal(job_ctx.gateway_for, connection_id, currency)
    finally:
        job_ctx.close()
    if refusal:
        raise CommandError(f"connection {connection_id}: not linked: {refusal}")


def cmd_project_link(ctx: Context, args: argparse.Namespace) -> int:
    sessions = ctx.ready()
    with sessions() as session:
        currency = BillingRepository(session).project_row(args.key).currency
    _refuse_foreign_currency(ctx, args.connection, currency)
    _with_links(ctx, lambda s: links.link_project(s, args.key, args.connection))
    ctx.out.print(f"{args.key} bills through connection {args.connection}", markup=False)
    return 0


def cmd_schedule_import(ctx: Context, args: argparse.Namespace) -> int:
    """`schedule import`, and with --connection the link too, in the same transaction."""
    if args.connection is None:
        return commands.cmd_schedule_import(ctx, args)
    try:
        parsed = commands.read_schedule_file(ctx, args.file)
    except ScheduleInvalid as invalid:
        commands.print_refused(ctx, args.file, invalid)
        return 1
    commands.print_problems(ctx, parsed.warnings)
    project = parsed.project
    event = AuditEvent(
        project_key=project.key, seq=None, kind="imported", at=datetime.now(UTC), actor=args.by,
        data={"file": Path(args.file).name, "milestones": str(len(parsed.milestones)),
              "connection": str(args.connection)},
    )

    def work(session: Any) -> None:
        service.import_schedule(session, project, parsed.milestones, event, mapping=parsed.mapping)
        links.link_project(session, project.key, args.connection)

    ctx.ready()
    _refuse_foreign_currency(ctx, args.connection, project.currency)
    _with_links(ctx, work)
    ctx.out.print(f"imported {project.key}: {len(parsed.milestones)} milestones, billing through "
                  f"connection {args.connection}", markup=False)
    return 0
