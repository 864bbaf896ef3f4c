"""`milepost api-key`: API keys for project tools, and their outbound webhook subscriptions.

    milepost api-key create --name NAME --scope read|write    prints the key and its webhook
                                                              secret, this once
    milepost api-key list [--format table|json]               name, scope, created, last used, revoked
    milepost api-key revoke ID                                refused from now on
    milepost api-key rotate-secret ID                         a new inbound webhook secret, printed once
    milepost api-key subscribe ID --url URL --event EVENT ... prints the subscription's signing secret once
    milepost api-key subscriptions ID                         the key's subscriptions
    milepost api-key unsubscribe ID SUBSCRIPTION

ID is the key's public id (`api-key list`). Like every command, these act for the default
organisation: a key made here is its, and another organisation's keys (made on that
organisation's admin page) are neither listed nor found here. Secrets are encrypted with the token keys, so these
commands need MILEPOST_TOKEN_KEYS, as the web app and the worker do. Nothing here logs a key.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from rich.table import Table

from connector.platforms.custody import TokenCipher, token_cipher
from connector.platforms.errors import ConfigurationError
from connector.store import api_keys, subscriptions

from .context import CommandError, Context

NO_TOKEN_KEYS = ("MILEPOST_TOKEN_KEYS is not set: webhook secrets are kept encrypted with the key(s) the "
                 "web app and the worker use (MILEPOST_SECURITY__TOKEN_KEYS also works)")


def cmd_create(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as session:
        made = api_keys.create(session, args.name, args.scope, _cipher(ctx))
    key = made.key
    ctx.out.print(f"API key {key.public_id} ({key.name}, scope {key.scope}); shown this once, keep it now:",
                  markup=False)
    ctx.out.print(made.plaintext, markup=False)
    ctx.out.print(f"webhook secret for POST {_hook_url(ctx, key.public_id)} (Standard Webhooks), shown once:",
                  markup=False)
    ctx.out.print(made.webhook_secret, markup=False)
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        keys = api_keys.all_keys(session)
    if args.format == "json":
        ctx.out.print(json.dumps([k.as_json() for k in keys], indent=2), markup=False, highlight=False)
        return 0
    table = Table(title="API keys")
    for column in ("id", "name", "scope", "created", "last used", "revoked"):
        table.add_column(column)
    for k in keys:
        table.add_row(k.public_id, k.name, k.scope, _when(k.created_at), _when(k.last_used_at) or "never",
                      _when(k.revoked_at))
    if not keys:
        table.caption = "no keys: milepost api-key create --name NAME --scope read|write"
    ctx.out.print(table)
    return 0


def cmd_revoke(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as session:
        key = api_keys.revoke(session, args.id)
    ctx.out.print(f"API key {key.public_id} ({key.name}) revoked at {_when(key.revoked_at)}", markup=False)
    return 0


def cmd_rotate(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as session:
        secret = api_keys.rotate_webhook_secret(session, args.id, _cipher(ctx))
    ctx.out.print(f"new webhook secret of API key {args.id} (the old one is refused from now on), shown once:",
                  markup=False)
    ctx.out.print(secret, markup=False)
    return 0


def cmd_subscribe(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as session:
        key = api_keys.find(session, args.id)
        made = subscriptions.subscribe(session, key, args.url, args.event, _cipher(ctx),
                                       private_ok=ctx.settings.notifications.private_webhook_urls)
    sub = made.subscription
    ctx.out.print(f"subscription {sub.id} of API key {key.public_id}: {', '.join(sub.events)}", markup=False)
    ctx.out.print("signing secret (webhook-signature, Standard Webhooks), shown this once:", markup=False)
    ctx.out.print(made.secret, markup=False)
    return 0


def cmd_subscriptions(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as session:
        key = api_keys.find(session, args.id)
        found = subscriptions.subscriptions_of(session, key)
    table = Table(title=f"Subscriptions of API key {key.public_id}")
    for column in ("id", "url", "events", "created"):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(str(s.id), s.url, ", ".join(s.events), _when(s.created_at))
    ctx.out.print(table)
    return 0


def cmd_unsubscribe(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as session:
        key = api_keys.find(session, args.id)
        subscriptions.remove(session, key, args.subscription)
    ctx.out.print(f"subscription {args.subscription} removed; nothing more is sent to it", markup=False)
    return 0


def _cipher(ctx: Context) -> TokenCipher:
    try:
        return token_cipher(ctx.settings)
    except ConfigurationError as error:
        if error.code == "token_keys":
            raise CommandError(NO_TOKEN_KEYS) from None
        raise


def _hook_url(ctx: Context, public_id: str) -> str:
    return f"{ctx.settings.app.base_url.rstrip('/')}/api/v1/hooks/{public_id}"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else ""
