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

People (the admin app's users; see README "Users and roles"):

    milepost user add EMAIL --role admin|bookkeeper|viewer [--name NAME] [--password-stdin]
    milepost user list [--format table|json]
    milepost user role EMAIL admin|bookkeeper|viewer
    milepost user remove EMAIL

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
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .parsers import build_parser

if TYPE_CHECKING:
    from .context import Context

Handler = Callable[["Context", argparse.Namespace], int]
__all__ = ["build_parser", "main"]


def out_of_bounds(args: argparse.Namespace) -> list[str]:
    """`--by: at most 200 characters, got 201 [too_long]` for each argument no column holds.

    Free-text and number arguments are stored as they are, so they are bounded like the API's
    fields."""
    from connector.billing.text_bounds import LONG_TEXT, NAME, text_problem

    found = []
    limits = {"by": NAME, "approver": NAME, "ref": 100, "reason": LONG_TEXT, "key": 64}
    for name, limit in limits.items():
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
    from connector.config import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"milepost: configuration: {exc}", file=sys.stderr)
        return 1
    if args.database:
        settings = settings.with_database(args.database)
    handler = _handler(args.handler)
    from .context import Context

    ctx = Context(settings)
    try:
        return handler(ctx, args)
    except Exception as exc:
        if (said := _expected(exc)) is None:
            raise
        ctx.err.print(f"milepost: {said}", markup=False)
        return 1
    finally:
        ctx.close()


def _handler(name: str | Handler) -> Handler:
    """The command's handler, importing its module now (`parsers` names it "module:function")."""
    if callable(name):
        return name
    module, _, function = name.partition(":")
    found: Handler = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return found


def _expected(exc: Exception) -> str | None:
    """The one line an expected failure ends a command with, or None for a bug (raised on).

    Expected failures name what is wrong; PlatformError is already scrubbed of tokens and
    secrets (connector.platforms.errors.redact). A database error shows the driver's own
    message, never SQLAlchemy's (which repeats statements and parameters). The error classes
    are looked up here, not imported up front, so `--help` stays light."""
    from connector.billing.errors import BillingError
    from connector.billing.money import UnknownCurrency
    from connector.platforms.errors import PlatformError
    from connector.store.errors import StoreError

    from .context import CommandError

    if isinstance(exc, CommandError | BillingError | StoreError | UnknownCurrency | ValueError
                  | OSError | PlatformError):
        return _one_line(exc)
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(exc, database.SQLAlchemyError):
        cause = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0]
        return f"database error: {cause}"
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
