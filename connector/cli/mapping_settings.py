"""`milepost connections settings ID ...`: what a connection's draft invoices are booked against.

    milepost connections settings 1                                  show them
    milepost connections settings 1 --item Consulting --tax-code NON  set (others kept)
    milepost connections settings 2 --account 200 --tax-code OUTPUT2 --tracking Region=North
    milepost connections settings 1 --class ""                       clear one
    milepost connections settings 2 --kind retainage.account=820 --kind late_fee.tax-code=NONE
    milepost project mapping ACME-WEB --kind late_fee.item="Late Fee"   one project's own

Every code is checked against the company's own lists before anything is stored, and a code
the books do not have is named. Saving gives the connection's failed intents another go.
A project overrides these with `[project.mapping]` in its schedule file (same keys), or with
`milepost project mapping KEY` after import, checked against its linked company's lists.
`--kind KIND.FIELD=CODE` books one line kind (milestone, deposit, deposit_credit, retainage,
retainage_release, late_fee, pass_through, support) against its own item, account or tax code.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from connector.platforms.errors import PlatformError

from .context import CommandError, Context
from .parsers import MAPPING_OPTIONS

_KIND_FIELDS = {"item": "kind_items", "account": "kind_accounts", "tax-code": "kind_tax_codes"}


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {key: getattr(args, key) for _, key, _ in MAPPING_OPTIONS if getattr(args, key) is not None}
    if args.tracking:
        pairs = [pair.partition("=") for pair in args.tracking]
        if any(not sep or not name or not option for name, sep, option in pairs):
            raise CommandError("--tracking: give CATEGORY=OPTION")
        changes["tracking"] = {name: option for name, _, option in pairs}
    for text in args.kind or ():
        target, sep, code = text.partition("=")
        kind, dot, name = target.partition(".")
        if not (sep and dot and kind and name in _KIND_FIELDS):
            raise CommandError(f"--kind {text}: give KIND.FIELD=CODE, FIELD one of {', '.join(_KIND_FIELDS)}")
        changes.setdefault(_KIND_FIELDS[name], {})[kind] = code
    return changes


def cmd_settings(ctx: Context, args: argparse.Namespace) -> int:
    from jobs.connections import configure_mapping, stored_mapping
    from jobs.context import build_context

    changes = _changes(args)
    ctx.ready()
    if not changes:
        with ctx.ready()() as session:
            stored, requeued = stored_mapping(session, args.id), 0
    else:
        job_ctx = build_context(ctx.settings)
        try:
            stored, requeued = configure_mapping(job_ctx.sessions, job_ctx.gateway_for, args.id, changes)
        except LookupError as error:
            raise CommandError(str(error)) from None
        except PlatformError as error:
            raise CommandError(f"connection {args.id}: nothing saved: {error}") from None
        finally:
            job_ctx.close()
    _show(ctx, args.format, f"connection {args.id} settings", stored)
    if requeued and args.format != "json":
        ctx.out.print(f"{requeued} failed intent(s) queued again", markup=False)
    return 0


def _show(ctx: Context, form: str, label: str, stored: dict[str, Any]) -> None:
    if form == "json":
        ctx.out.print(json.dumps(stored, indent=2), markup=False, highlight=False)
        return
    shown = ", ".join(f"{k}={v}" for k, v in stored.items()) or "none set"
    ctx.out.print(f"{label}: {shown}", markup=False)


def cmd_project_mapping(ctx: Context, args: argparse.Namespace) -> int:
    from connector.store.mapping_rows import project_mapping
    from jobs.connections import configure_project_mapping
    from jobs.context import build_context

    changes = _changes(args)
    sessions = ctx.ready()
    if not changes:
        with sessions() as session:
            stored = project_mapping(session, args.key)
    else:
        job_ctx = build_context(ctx.settings)
        try:
            stored = configure_project_mapping(job_ctx.sessions, job_ctx.gateway_for, args.key, changes)
        except (ValueError, PlatformError) as error:
            raise CommandError(f"project {args.key}: nothing saved: {error}") from None
        finally:
            job_ctx.close()
    _show(ctx, args.format, f"project {args.key} mapping", stored)
    return 0
