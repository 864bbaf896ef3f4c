"""`milepost schedule import --from-estimate | --from-quote`: a project from the books.

    milepost schedule import --connection ID --from-estimate ID | --from-quote ID --key KEY
                        [--template three-phase|five-phase|inspection | --per-line]
                        [--approver-email E ...] [-o FILE] [--force]

The estimate (QuickBooks) or quote (Xero) is read through the connection's gateway and must be
accepted; `jobs.imports` does the rest in one transaction and refuses, writing nothing, what
cannot be imported. The schedule it made is written as TOML to FILE, for review.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from connector.billing import templates
from connector.billing.errors import ScheduleInvalid
from connector.billing.estimates import PER_LINE, ImportChoices
from jobs.imports import Imported, import_from_books

from . import commands, connections
from .context import CommandError, Context

SubParsers = argparse._SubParsersAction  # type: ignore[type-arg]


def extend_schedule_import(sub: SubParsers) -> None:
    """Give `schedule import` (FILE now optional) the options that read from the books."""
    schedule = sub.choices.get("schedule")
    for action in schedule._actions if schedule is not None else ():
        if isinstance(action, argparse._SubParsersAction) and "import" in action.choices:
            _add_options(action.choices["import"])


def _add_options(imp: argparse.ArgumentParser) -> None:
    source = imp.add_mutually_exclusive_group()
    source.add_argument("--from-estimate", metavar="ID",
                        help="an accepted QuickBooks estimate (its Id or number), instead of FILE")
    source.add_argument("--from-quote", metavar="ID",
                        help="an accepted Xero quote (its QuoteID or number), instead of FILE")
    imp.add_argument("--key", help="with --from-*: the new project's key")
    split = imp.add_mutually_exclusive_group()
    split.add_argument("--template", choices=list(templates.TEMPLATES),
                       help="with --from-*: split the total as this template does")
    split.add_argument("--per-line", action="store_true",
                       help="with --from-*: one milestone per line of the estimate (the default)")
    imp.add_argument("--approver-email", nargs="+", action="extend", default=[], metavar="E",
                     help="with --from-*: who accepts the milestones (several: one per milestone "
                          "in order, the last for the rest)")
    imp.add_argument("--output", "-o", metavar="FILE",
                     help="with --from-*: write the imported schedule here as TOML, for review")
    imp.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    imp.set_defaults(handler=cmd_schedule_import)


def cmd_schedule_import(ctx: Context, args: argparse.Namespace) -> int:
    reference = args.from_estimate or args.from_quote
    if reference is None:
        if not args.file:
            raise CommandError("schedule import: give a FILE, or --from-estimate/--from-quote "
                               "with --connection")
        return connections.cmd_schedule_import(ctx, args)
    out = _checked_request(args)
    choices = ImportChoices(key=args.key, template=args.template or PER_LINE,
                            approver_emails=tuple(args.approver_email),
                            time_zone=ctx.settings.app.default_time_zone)
    try:
        done = _import(ctx, args, reference, choices)
    except ScheduleInvalid as invalid:
        commands.print_refused(ctx, reference, invalid)
        return 1
    commands.print_problems(ctx, done.warnings)
    estimate = done.estimate
    ctx.out.print(
        f"imported {done.key} from {estimate.label}: {done.milestones} milestones, "
        f"{estimate.currency} {estimate.total} for {estimate.customer.name} (id {estimate.customer_id}), billing "
        f"through connection {args.connection}", markup=False)
    if out is not None:
        out.write_text(done.toml, encoding="utf-8")
        ctx.out.print(f"wrote {out}", markup=False)
    return 0


def _checked_request(args: argparse.Namespace) -> Path | None:
    """Usage mistakes, named before anything is read or written."""
    if args.file:
        raise CommandError("schedule import: give either FILE or --from-estimate/--from-quote, not both")
    if args.connection is None:
        raise CommandError("schedule import --from-*: --connection ID is required")
    if not args.key:
        raise CommandError("schedule import --from-*: --key KEY is required (the new project's key)")
    out = Path(args.output) if args.output else None
    if out is not None and out.exists() and not args.force:
        raise CommandError(f"{out} exists already (use --force to overwrite); nothing imported")
    return out


def _import(ctx: Context, args: argparse.Namespace, reference: str, choices: ImportChoices) -> Imported:
    from jobs.context import build_context

    sessions = ctx.ready()
    job_ctx = build_context(ctx.settings)
    try:
        return import_from_books(sessions, job_ctx.gateway_for, args.connection, reference, choices,
                                 kind="estimate" if args.from_estimate else "quote", by=args.by)
    finally:
        job_ctx.close()
