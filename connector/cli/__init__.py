"""`milepost`: the command line of the billing core.

Contracts and milestones:

    milepost init
    milepost schedule validate|import FILE [--connection ID]
    milepost schedule import --connection ID --from-estimate ID | --from-quote ID --key KEY
                        [--template NAME | --per-line] [--approver-email E ...] [-o FILE]
    milepost schedule new --template three-phase|five-phase|inspection --total AMOUNT --currency CODE
    milepost sign KEY [--at DATETIME] [--by NAME]
    milepost milestone submit|accept|reject|partial KEY SEQ [--by NAME] [--at DATETIME]
                        [--evidence FILE ...] [--reason TEXT] [--percent P | --amount A]
    milepost milestone progress KEY SEQ --percent P --evidence FILE ... [--monthly]
    milepost deem [KEY] [--at DATETIME]
    milepost change-order KEY --ref REF --approver NAME [--date DATE] --reason TEXT
                        [--set SEQ.FIELD=VALUE ...] [--remove SEQ ...] [--add FILE]
    milepost monthly KEY --month YYYY-MM [--pass-through "DESCRIPTION=AMOUNT" ...]
                        [--support "DESCRIPTION=HOURS@RATE" ...] [--date DATE]
    milepost report KEY [--format table|json|csv]
    milepost forecast [KEY] [--weeks N] [--format table|json|csv] [--at DATE]
    milepost history KEY [SEQ] [--format table|json]
    milepost invoice void KEY SEQ --reason TEXT [--by NAME] [--reopen]
    milepost invoice credit KEY SEQ --amount A --reason TEXT [--ref CO-N] [--by NAME]

The customer's books:

    milepost connect quickbooks|xero [--non-interactive]
    milepost connections [--format table|json]
    milepost connections settings ID [--item NAME] [--account CODE] [--tax-code CODE] [--class NAME]
                        [--terms NAME] [--tracking CATEGORY=OPTION ...]
    milepost project link KEY --connection ID
    milepost project mapping KEY [--item ...] [--kind KIND.FIELD=CODE ...]

Background work:

    milepost worker [--once] [--celery]
    milepost clock
    milepost run [--host H] [--port P]
    milepost sync [--connection ID]
    milepost jobs [--limit N] [--job NAME]
    milepost retry [INTENT_ID | --all-failed]

Project tools:

    milepost api-key create --name NAME --scope read|write
    milepost api-key list [--format table|json]
    milepost api-key revoke|rotate-secret|subscriptions ID
    milepost api-key subscribe ID --url URL --event EVENT [--event EVENT ...]
    milepost api-key unsubscribe ID SUBSCRIPTION

Trying it out:

    milepost sandbox serve [--port N] [--auto-consent] [--state FILE]
    milepost demo [--dir DIR]

Every error ends the command with exit status 1 and one line naming what was wrong; the
command's transaction is rolled back, so nothing is half-written. Usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from connector.billing.errors import BillingError
from connector.billing.money import UnknownCurrency
from connector.billing.schema import LONG_TEXT, NAME, text_problem
from connector.config import ConfigError, load_settings
from connector.platforms.errors import PlatformError
from connector.sandbox.cli import add_cli as add_sandbox_cli
from connector.store.errors import StoreError

from . import (
    api_keys,
    changes,
    commands,
    connections,
    demo,
    forecast,
    history,
    imports,
    invoices,
    jobs,
    progress,
    reporting,
)
from .context import CommandError, Context

Handler = Callable[[Context, argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="milepost", description="Milestone billing for QuickBooks Online and Xero.",
        epilog="New here? `milepost demo` runs a sample contract against the local sandbox. "
               "`milepost COMMAND --help` explains each command.",
    )
    parser.add_argument("--config", help="configuration file (default: $MILEPOST_CONFIG or ./milepost.toml)")
    parser.add_argument("--database", help="database URL, overriding the configuration")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="write a config file if missing, create or upgrade the database")
    init.add_argument("--no-config", action="store_true", help="do not write milepost.toml")
    init.set_defaults(handler=commands.cmd_init)

    _schedule_parsers(sub)
    _lifecycle_parsers(sub)
    changes.add_parser(sub)
    invoices.add_parser(sub)
    progress.add_parsers(sub)
    reporting.add_parser(sub)
    forecast.add_parser(sub)
    history.add_parser(sub)
    connections.add_parsers(sub)
    imports.extend_schedule_import(sub)
    jobs.add_parser(sub)
    api_keys.add_parser(sub)
    add_sandbox_cli(sub)

    demo_cmd = sub.add_parser("demo", help="run a sample five-phase project end to end")
    demo_cmd.add_argument("--dir", help="where to keep the demo database and the sandbox's books, sandbox.json "
                          "(default: a fresh temp dir)")
    demo_cmd.set_defaults(handler=demo.cmd_demo)
    return parser


def _schedule_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = sub.add_parser("schedule", help="validate, import or create schedule files")
    ssub = schedule.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    validate = ssub.add_parser("validate", help="print every problem in a schedule file")
    validate.add_argument("file")
    validate.set_defaults(handler=commands.cmd_schedule_validate)
    imp = ssub.add_parser("import", help="validate, then import atomically")
    imp.add_argument("file", nargs="?", help="the schedule file (or --from-estimate/--from-quote)")
    imp.add_argument("--by", default="cli", help="who imports it (audit trail)")
    imp.set_defaults(handler=commands.cmd_schedule_import)
    changes.add_template_parser(ssub)


def _lifecycle_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sign = sub.add_parser("sign", help="record the contract's signature")
    sign.add_argument("key")
    sign.add_argument("--at", help="when it was signed (ISO 8601; default now)")
    sign.add_argument("--by", default="cli")
    sign.set_defaults(handler=commands.cmd_sign)

    milestone = sub.add_parser("milestone", help="submit, accept, reject, partially accept, record progress")
    msub = milestone.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in commands.ACTS:
        p = msub.add_parser(action, help=commands.ACTS[action])
        p.add_argument("key")
        p.add_argument("seq", type=int)
        p.add_argument("--by", help="who did it (default: cli)")
        p.add_argument("--at", help="when it really happened (ISO 8601; default now)")
        p.add_argument("--evidence", nargs="+", metavar="FILE", help="evidence files")
        p.add_argument("--reason")
        share = p.add_mutually_exclusive_group()
        share.add_argument("--percent", help="partial: the accepted percent of the milestone")
        share.add_argument("--amount", help="partial: the accepted amount")
        p.set_defaults(handler=commands.cmd_milestone)

    deem = sub.add_parser("deem", help="deem accepted the milestones whose approval window lapsed")
    deem.add_argument("key", nargs="?", help="one project (default: all)")
    deem.add_argument("--at", help="the moment to judge the windows at (ISO 8601; default now)")
    deem.set_defaults(handler=commands.cmd_deem)


# Free-text and number arguments stored as they are: bounded like the API's fields.
_TEXT_ARGS = {"by": NAME, "approver": NAME, "ref": 100, "reason": LONG_TEXT, "key": 64}


def out_of_bounds(args: argparse.Namespace) -> list[str]:
    """`--by: at most 200 characters, got 201 [too_long]` for each argument no column holds."""
    found = []
    for name, limit in _TEXT_ARGS.items():
        value = getattr(args, name, None)
        if isinstance(value, str) and (bad := text_problem(value, limit, multiline=name == "reason")):
            found.append(f"--{name}: {bad[1]} [{bad[0]}]" if name != "key" else f"key: {bad[1]} [{bad[0]}]")
    for name in ("seq", "connection", "remove"):
        value = getattr(args, name, None)
        for number in value if isinstance(value, list) else [value]:
            if isinstance(number, int) and not 0 <= number <= 2**31 - 1:
                found.append(f"{name}: no such milestone or connection {number} (at most "
                             f"{2**31 - 1}) [too_large]")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if problems := out_of_bounds(args):
        for line in problems:
            print(f"milepost: {line}", file=sys.stderr)
        return 1
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"milepost: configuration: {exc}", file=sys.stderr)
        return 1
    if args.database:
        settings = settings.with_database(args.database)
    ctx = Context(settings)
    handler: Handler = args.handler
    try:
        return handler(ctx, args)
    except (CommandError, BillingError, StoreError, UnknownCurrency, ValueError, OSError,
            PlatformError) as exc:
        # Expected failures, each one line naming what is wrong; PlatformError is already
        # scrubbed of tokens and secrets (connector.platforms.errors.redact).
        ctx.err.print(f"milepost: {_one_line(exc)}", markup=False)
        return 1
    except SQLAlchemyError as exc:
        # The driver's own message, never SQLAlchemy's (which repeats statements and parameters).
        cause = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0]
        ctx.err.print(f"milepost: database error: {cause}", markup=False)
        return 1
    finally:
        ctx.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
