"""Every command's arguments, and which handler runs it, without importing the handlers.

`milepost --help` (and a typo's usage error) should answer at once; importing the handlers
would import SQLAlchemy, Flask, both platform SDKs and Alembic first (over a second and 100 MB
before anything is printed). So this module imports nothing heavier than argparse and the
template names, and each command names its handler as `"module:function"` inside
`connector.cli`; `connector.cli.main` imports that one module only once the arguments parse.
A handler may also be a callable (the sandbox's, whose module is light).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connector.billing.forecast import DEFAULT_WEEKS, MAX_WEEKS
from connector.billing.templates import TEMPLATES
from connector.platforms import PLATFORMS
from connector.sandbox.cli import add_cli as add_sandbox_cli

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

ACTS = {  # the `milestone` subcommands and their help
    "submit": "submit the deliverable for acceptance (the approval window starts)",
    "accept": "the approver accepts it (an invoice intent is queued)",
    "reject": "the approver rejects it, with --reason",
    "partial": "the approver accepts a share: --percent of the milestone or --amount",
}

TEMPLATE_ANSWERS = {  # `schedule new` options filling in the template
    "--key": "the project's reference (default NEW-PROJECT)",
    "--name": "the project's name",
    "--customer-name": "the customer's name",
    "--customer-email": "where invoices go",
    "--approver-name": "who accepts the milestones",
    "--approver-role": "the approver's role",
    "--approver-email": "the approver's e-mail",
    "--contract-date": "ISO date of the contract",
    "--time-zone": "IANA zone (default: the configured default)",
    "--holiday-calendar": "country code of the holiday calendar, e.g. US",
    "--payment-terms-days": "Net N",
    "--approval-window-days": "business days the approver has",
    "--weeks-per-phase": "spacing of the planned dates",
    "--kickoff-percent": "five-phase: the kickoff deposit on signature (0 for none)",
}

MAPPING_OPTIONS = (  # option, stored key, help: `connections settings` and `project mapping`
    ("--item", "sales_item", "default sales item (QuickBooks Item name or id; Xero item code)"),
    ("--account", "sales_account", "default sales account code (Xero, e.g. 200)"),
    ("--tax-code", "tax_code", "tax code (QuickBooks TaxCode name or id; Xero TaxType, e.g. OUTPUT2)"),
    ("--class", "class_name", "QuickBooks class"),
    ("--terms", "terms", "QuickBooks terms name, e.g. 'Net 30'"),
    ("--line-amounts", "line_amount_types", "Xero: Exclusive, Inclusive or NoTax"),
)


class LazyChoices:
    """An argument's choices read from its command's module when first checked (that module
    is imported to run the command anyway); give the argument a `metavar` so that building
    the parser never lists them."""

    def __init__(self, module: str, name: str) -> None:
        self._where = (module, name)

    def _values(self) -> tuple[Any, ...]:
        module, name = self._where
        return tuple(getattr(importlib.import_module(module), name))

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values())


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
    init.set_defaults(handler="commands:cmd_init")

    _schedule(sub)
    _lifecycle(sub)
    _change_order(sub)
    _invoice(sub)
    _monthly(sub)
    report = sub.add_parser("report", help="where a contract stands")
    report.add_argument("key")
    report.add_argument("--format", choices=["table", "json", "csv"], default="table")
    report.add_argument("--at", help="the moment to report at (ISO 8601; default now)")
    report.set_defaults(handler="reporting:cmd_report")
    _forecast_and_history(sub)
    _connections(sub)
    _background(sub)
    _api_keys(sub)
    _users(sub)
    add_sandbox_cli(sub)

    demo = sub.add_parser("demo", help="run a sample five-phase project end to end")
    demo.add_argument("--dir", help="where to keep the demo database and the sandbox's books, sandbox.json "
                      "(default: a fresh temp dir)")
    demo.set_defaults(handler="demo:cmd_demo")
    return parser


def _schedule(sub: SubParsers) -> None:
    schedule = sub.add_parser("schedule", help="validate, import or create schedule files")
    ssub = schedule.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    validate = ssub.add_parser("validate", help="print every problem in a schedule file")
    validate.add_argument("file")
    validate.set_defaults(handler="commands:cmd_schedule_validate")
    imp = ssub.add_parser("import", help="validate, then import atomically")
    imp.add_argument("file", nargs="?", help="the schedule file (or --from-estimate/--from-quote)")
    imp.add_argument("--by", default="cli", help="who imports it (audit trail)")
    imp.add_argument("--connection", type=int, metavar="ID", help="the connection the project bills through")
    _from_the_books(imp)
    imp.set_defaults(handler="imports:cmd_schedule_import")
    new = ssub.add_parser("new", help="write a schedule file from a template")
    new.add_argument("--template", required=True, choices=list(TEMPLATES))
    new.add_argument("--total", required=True, help="the contract total, e.g. 50000.00")
    new.add_argument("--currency", required=True, help="ISO 4217 code, e.g. USD")
    for option, what in TEMPLATE_ANSWERS.items():
        new.add_argument(option, help=what)
    new.add_argument("--output", "-o", help="file to write (default: print)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(handler="changes:cmd_schedule_new")


def _from_the_books(imp: argparse.ArgumentParser) -> None:
    """`schedule import`'s options that read an accepted estimate or quote from the books."""
    source = imp.add_mutually_exclusive_group()
    source.add_argument("--from-estimate", metavar="ID",
                        help="an accepted QuickBooks estimate (its Id or number), instead of FILE")
    source.add_argument("--from-quote", metavar="ID",
                        help="an accepted Xero quote (its QuoteID or number), instead of FILE")
    imp.add_argument("--key", help="with --from-*: the new project's key")
    split = imp.add_mutually_exclusive_group()
    split.add_argument("--template", choices=list(TEMPLATES),
                       help="with --from-*: split the total as this template does")
    split.add_argument("--per-line", action="store_true",
                       help="with --from-*: one milestone per line of the estimate (the default)")
    imp.add_argument("--approver-email", nargs="+", action="extend", default=[], metavar="E",
                     help="with --from-*: who accepts the milestones (several: one per milestone "
                          "in order, the last for the rest)")
    imp.add_argument("--output", "-o", metavar="FILE",
                     help="with --from-*: write the imported schedule here as TOML, for review")
    imp.add_argument("--force", action="store_true", help="overwrite --output if it exists")


def _forecast_and_history(sub: SubParsers) -> None:
    forecast = sub.add_parser("forecast", help="expected cash in per week and currency")
    forecast.add_argument("key", nargs="?", help="one project (default: all)")
    forecast.add_argument("--weeks", type=int, default=DEFAULT_WEEKS,
                          help=f"how many weeks (1 to {MAX_WEEKS}; default {DEFAULT_WEEKS})")
    forecast.add_argument("--format", choices=["table", "json", "csv"], default="table")
    forecast.add_argument("--at", help="the day to forecast from (YYYY-MM-DD; default today, UTC)")
    forecast.set_defaults(handler="forecast:cmd_forecast")
    history = sub.add_parser("history", help="the audit trail: who did what, when, why, and what it led to")
    history.add_argument("key")
    history.add_argument("seq", type=int, nargs="?", help="one milestone (default: the whole project)")
    history.add_argument("--format", choices=["table", "json"], default="table")
    history.set_defaults(handler="history:cmd_history")


def _users(sub: SubParsers) -> None:
    user = sub.add_parser("user", help="add, list, change or remove the people who sign in")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    roles = LazyChoices("connector.store.people", "ROLES")
    add = usub.add_parser("add", help="add a user (admin, bookkeeper or viewer)")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=roles, metavar="ROLE", help="admin, bookkeeper or viewer")
    add.add_argument("--name", default="", help="how the audit trail names them")
    add.add_argument("--password-stdin", action="store_true",
                     help="read a password from standard input; without it the user signs in "
                          "with Intuit or Xero only")
    add.set_defaults(handler="users:cmd_user_add")
    listing = usub.add_parser("list", help="every user, with role and last sign-in")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler="users:cmd_user_list")
    role = usub.add_parser("role", help="change a user's role")
    role.add_argument("email")
    role.add_argument("role", choices=roles, metavar="ROLE", help="admin, bookkeeper or viewer")
    role.set_defaults(handler="users:cmd_user_role")
    remove = usub.add_parser("remove", help="remove a user and end their sessions")
    remove.add_argument("email")
    remove.set_defaults(handler="users:cmd_user_remove")


def _api_keys(sub: SubParsers) -> None:
    keys = sub.add_parser("api-key", help="API keys for project tools and their webhook subscriptions")
    ksub = keys.add_subparsers(dest="api_key_command", required=True, metavar="ACTION")
    create = ksub.add_parser("create", help="make a key; it is printed once")
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument("--scope", required=True, metavar="read|write",
                        choices=LazyChoices("connector.store.api_keys", "SCOPES"),
                        help="read: GET only; write: everything")
    create.set_defaults(handler="api_keys:cmd_create")
    listing = ksub.add_parser("list", help="every key: name, scope, created, last used, revoked")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler="api_keys:cmd_list")
    for name, text, handler in (("revoke", "refuse a key from now on", "cmd_revoke"),
                                ("rotate-secret", "a new inbound webhook secret, printed once", "cmd_rotate"),
                                ("subscriptions", "a key's subscriptions", "cmd_subscriptions")):
        one_key = ksub.add_parser(name, help=text)
        one_key.add_argument("id", help="the key's id (api-key list)")
        one_key.set_defaults(handler=f"api_keys:{handler}")
    subscribe = ksub.add_parser("subscribe", help="post events to a URL, signed (Standard Webhooks)")
    subscribe.add_argument("id")
    subscribe.add_argument("--url", required=True, help="http(s) URL the events are posted to")
    subscribe.add_argument("--event", action="append", required=True, metavar="EVENT",
                           choices=LazyChoices("connector.store.subscriptions", "EVENTS"),
                           help="an event to send (repeat for several; a wrong one lists them)")
    subscribe.set_defaults(handler="api_keys:cmd_subscribe")
    unsubscribe = ksub.add_parser("unsubscribe", help="stop a subscription")
    unsubscribe.add_argument("id")
    unsubscribe.add_argument("subscription", type=int)
    unsubscribe.set_defaults(handler="api_keys:cmd_unsubscribe")


def _lifecycle(sub: SubParsers) -> None:
    sign = sub.add_parser("sign", help="record the contract's signature")
    sign.add_argument("key")
    sign.add_argument("--at", help="when it was signed (ISO 8601; default now)")
    sign.add_argument("--by", default="cli")
    sign.set_defaults(handler="commands:cmd_sign")

    milestone = sub.add_parser("milestone", help="submit, accept, reject, partially accept, record progress")
    msub = milestone.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in ACTS.items():
        p = msub.add_parser(action, help=text)
        p.add_argument("key")
        p.add_argument("seq", type=int)
        p.add_argument("--by", help="who did it (default: cli)")
        p.add_argument("--at", help="when it really happened (ISO 8601; default now)")
        p.add_argument("--evidence", nargs="+", metavar="FILE", help="evidence files")
        p.add_argument("--reason")
        share = p.add_mutually_exclusive_group()
        share.add_argument("--percent", help="partial: the accepted percent of the milestone")
        share.add_argument("--amount", help="partial: the accepted amount")
        p.set_defaults(handler="commands:cmd_milestone")
    progress = msub.add_parser("progress", help="record percent complete (with evidence) and bill the new share")
    progress.add_argument("key")
    progress.add_argument("seq", type=int)
    progress.add_argument("--percent", required=True, help="percent complete now, e.g. 40")
    progress.add_argument("--evidence", nargs="+", metavar="FILE", help="evidence files (at least one)")
    progress.add_argument("--by", default="cli", help="who confirms the progress")
    progress.add_argument("--at", help="when it was confirmed (ISO 8601; default now)")
    progress.add_argument("--monthly", action="store_true",
                          help="leave the new share for the month's monthly invoice instead of billing it now")
    progress.set_defaults(handler="progress:cmd_progress")

    deem = sub.add_parser("deem", help="deem accepted the milestones whose approval window lapsed")
    deem.add_argument("key", nargs="?", help="one project (default: all)")
    deem.add_argument("--at", help="the moment to judge the windows at (ISO 8601; default now)")
    deem.set_defaults(handler="commands:cmd_deem")


def _change_order(sub: SubParsers) -> None:
    p = sub.add_parser("change-order", help="apply a written change order to a project")
    p.add_argument("key")
    p.add_argument("--ref", required=True, help="the change order's reference, e.g. CO-1")
    p.add_argument("--approver", required=True, help="who approved it")
    p.add_argument("--date", help="the date of the change order (default today)")
    p.add_argument("--reason", required=True)
    p.add_argument("--set", action="append", default=[], metavar="SEQ.FIELD=VALUE",
                   help="change amount, percent, name, deliverable or planned_date of a milestone")
    p.add_argument("--remove", action="append", type=int, default=[], metavar="SEQ")
    p.add_argument("--add", metavar="FILE", help="TOML with [[milestones]] tables to add")
    p.add_argument("--total", help="the new contract total, when the price itself changes")
    p.set_defaults(handler="changes:cmd_change_order")


def _invoice(sub: SubParsers) -> None:
    invoice = sub.add_parser("invoice", help="void or credit a milestone's invoice in the books")
    isub = invoice.add_subparsers(dest="invoice_command", required=True, metavar="ACTION")
    void = isub.add_parser(
        "void", help="void the milestone's invoice (credit its unpaid balance if partly paid)")
    void.add_argument("key")
    void.add_argument("seq", type=int)
    void.add_argument("--reason", required=True, help="why (a change order, a rejection...)")
    void.add_argument("--by", default="cli", help="who asks (audit trail)")
    void.add_argument("--reopen", action="store_true",
                      help="once voided, reopen the milestone to bill again (a new generation)")
    void.set_defaults(handler="invoices:cmd_invoice_void")
    credit = isub.add_parser(
        "credit", help="credit part of the milestone's invoice: a credit note/memo of exactly AMOUNT, tax included")
    credit.add_argument("key")
    credit.add_argument("seq", type=int)
    credit.add_argument("--amount", required=True, help="what comes off the invoice, tax included (\"500.00\")")
    credit.add_argument("--reason", required=True, help="why (printed on the credit note)")
    credit.add_argument("--ref", default="", help="the change order it follows (CO-3)")
    credit.add_argument("--by", default="cli", help="who asks (audit trail)")
    credit.set_defaults(handler="invoices:cmd_invoice_credit")


def _monthly(sub: SubParsers) -> None:
    p = sub.add_parser("monthly", help="queue a month's invoice: its milestones, pass-through costs, support")
    p.add_argument("key")
    p.add_argument("--month", required=True, help="the month, YYYY-MM")
    p.add_argument("--pass-through", action="append", default=[], metavar="DESCRIPTION=AMOUNT",
                   help='a pass-through cost, e.g. "Stock photos=120.00" (repeatable)')
    p.add_argument("--support", action="append", default=[], metavar="DESCRIPTION=HOURS@RATE",
                   help='support time, e.g. "Support=3@90.00" (repeatable)')
    p.add_argument("--date", help="the invoice date (default: the month's last day)")
    p.add_argument("--by", default="cli", help="who records it (audit trail)")
    p.set_defaults(handler="progress:cmd_monthly")


def _connections(sub: SubParsers) -> None:
    connect = sub.add_parser("connect", help="connect a QuickBooks company or Xero organisation")
    connect.add_argument("platform", choices=PLATFORMS, help="where the invoices go")
    connect.add_argument("--non-interactive", action="store_true",
                         help="follow the consent redirect without a browser (auto-consent sandbox)")
    connect.add_argument("--port", type=int, help="loopback port for the callback "
                         "(default: the configured redirect URI's)")
    connect.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the callback")
    connect.set_defaults(handler="connections:cmd_connect")

    listing = sub.add_parser("connections", help="list connections (id, platform, company, status)")
    listing.add_argument("--format", choices=["table", "json"], default="table",
                         help="table (default) or json")
    listing.set_defaults(handler="connections:cmd_connections")
    settings = listing.add_subparsers(dest="connections_command", metavar="ACTION").add_parser(
        "settings", help="show or set a connection's default item, account, tax code")
    settings.add_argument("id", type=int, help="the connection's id (see `milepost connections`)")
    _mapping_options(settings, "Xero tracking (or QuickBooks) category and option")
    settings.set_defaults(handler="mapping_settings:cmd_settings")

    project = sub.add_parser("project", help="project settings: which connection bills it")
    psub = project.add_subparsers(dest="project_command", required=True, metavar="ACTION")
    link = psub.add_parser("link", help="bill a project through a connection")
    link.add_argument("key", help="the project's key")
    link.add_argument("--connection", type=int, required=True, metavar="ID",
                      help="the connection's id (see `milepost connections`)")
    link.set_defaults(handler="connections:cmd_project_link")
    mapping = psub.add_parser("mapping", help="show or set a project's own item, account, tax code")
    mapping.add_argument("key", help="the project's key")
    _mapping_options(mapping, "tracking category and option")
    mapping.set_defaults(handler="mapping_settings:cmd_project_mapping")


def _mapping_options(p: argparse.ArgumentParser, tracking_help: str) -> None:
    for option, key, text in MAPPING_OPTIONS:
        p.add_argument(option, dest=key, metavar="CODE", help=f"{text}; \"\" clears it")
    p.add_argument("--tracking", nargs="+", metavar="CATEGORY=OPTION", help=tracking_help)
    p.add_argument("--kind", action="append", metavar="KIND.FIELD=CODE",
                   help="one line kind's own item, account or tax-code, e.g. late_fee.tax-code=NON")
    p.add_argument("--format", choices=["table", "json"], default="table")


def _background(sub: SubParsers) -> None:
    worker = sub.add_parser("worker", help="run the background jobs")
    worker.add_argument("--once", action="store_true", help="run every due job once and exit")
    worker.add_argument("--celery", action="store_true", help="run a Celery worker (scale-out)")
    worker.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    worker.set_defaults(handler="jobs:cmd_worker")
    clock = sub.add_parser("clock", help="scale-out: enqueue jobs on the timetable")
    clock.set_defaults(handler="jobs:cmd_clock")
    run = sub.add_parser("run", help="the web app and the worker in one process")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    run.add_argument("--port", type=int, default=5000, help="port to listen on (default: 5000)")
    run.set_defaults(handler="jobs:cmd_run")
    sync = sub.add_parser("sync", help="sync payments and statuses now")
    sync.add_argument("--connection", type=int, metavar="ID", help="one connection id (default: all active)")
    sync.set_defaults(handler="jobs:cmd_sync")
    runs = sub.add_parser("jobs", help="list recent job runs")
    runs.add_argument("--limit", type=int, default=20, help="how many runs to list (default: 20)")
    runs.add_argument("--job", help="only this job")
    runs.set_defaults(handler="jobs:cmd_jobs")
    retry = sub.add_parser("retry", help="give failed intents another go")
    retry.add_argument("intent", type=int, nargs="?", metavar="INTENT_ID", help="one failed intent's id")
    retry.add_argument("--all-failed", action="store_true", help="every failed intent")
    retry.set_defaults(handler="jobs:cmd_retry")

