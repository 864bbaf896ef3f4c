"""`milepost change-order` and `milepost schedule new`: writing a schedule rather than acting on it.

A change order on the command line:

    milepost change-order ACME-WEB --ref CO-1 --approver "Dana Lee" --date 2026-12-01 \\
        --reason "Extra landing page" --set 3.amount=12000.00 --set 4.planned_date=2027-02-12 \\
        --remove 5 --add extra.toml --total 52000.00

`--add FILE` reads `[[milestones]]` tables written exactly as in a schedule file.
"""

from __future__ import annotations

import argparse
import tomllib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from pydantic_core import PydanticCustomError

from connector.billing import change_orders, templates, validation
from connector.billing.model import ChangeOrder, Milestone
from connector.billing.money import D, Money
from connector.billing.schedule import build_schedule, raw_to_toml
from connector.billing.schema import SEQ_MAX, MilestoneShape, check_shape, plain_decimal
from connector.store import credits
from connector.store.repository import BillingRepository

from .context import CommandError, Context
from .parsers import TEMPLATE_ANSWERS


def parse_set(items: list[str]) -> tuple[tuple[int, dict[str, object]], ...]:
    """`3.amount=12000.00` -> ((3, {"amount": "12000.00"}),), grouped by milestone."""
    changes: dict[int, dict[str, object]] = {}
    for item in items:
        target, sep, value = item.partition("=")
        seq_text, dot, field = target.partition(".")
        if not (sep and dot and seq_text.strip().isdigit() and field):
            raise CommandError(f"--set {item!r}: expected SEQ.FIELD=VALUE, e.g. 3.amount=12000.00")
        if field not in change_orders.CHANGEABLE:
            allowed = ", ".join(sorted(change_orders.CHANGEABLE))
            raise CommandError(f"--set {item!r}: {field} cannot be changed (only {allowed})")
        seq = int(seq_text) if len(seq_text.strip()) <= 12 else SEQ_MAX + 1
        found, _ = check_shape({"seq": seq, field: value}, MilestoneShape, "set")
        if found:
            raise CommandError(f"--set {item[:60]!r}: " + "; ".join(str(p) for p in found))
        changes.setdefault(seq, {})[field] = value
    return tuple(changes.items())


def read_added(ctx: Context, path: str, key: str) -> tuple[Milestone, ...]:
    """Milestones to add, checked by the same rules as a schedule file's milestones."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CommandError(f"--add {path}: {exc}") from None
    with ctx.ready()() as session:
        project, _ = BillingRepository(session).load(key)
    items = raw.get("milestones", [])
    if not isinstance(items, list):
        raise CommandError(f"--add {path}: milestones must be [[milestones]] tables")
    added, problems = validation.read_milestones(
        items, currency=project.currency, contract_date=project.contract_date, where="add.milestones"
    )
    errors = [p for p in problems if p.is_error]
    if errors:
        raise CommandError(f"--add {path}: " + "; ".join(str(p) for p in errors))
    return tuple(added)


def _total(text: str | None) -> Decimal | None:
    """`--total`, held to the schedule's decimal bounds (`1e30` would overflow the quantum)."""
    try:
        return plain_decimal(text)
    except PydanticCustomError as error:
        raise CommandError(f"--total: {error.message()} [{error.type}]") from None


def cmd_change_order(ctx: Context, args: argparse.Namespace) -> int:
    try:
        on = date.fromisoformat(args.date) if args.date else date.today()  # noqa: DTZ011
    except ValueError:
        raise CommandError(f"--date: {args.date!r} is not an ISO 8601 date") from None
    with ctx.ready()() as session:
        currency = BillingRepository(session).project_row(args.key).currency
    order = ChangeOrder(
        reference=args.ref,
        approver=args.approver,
        on=on,
        reason=args.reason,
        add=read_added(ctx, args.add, args.key) if args.add else (),
        change=parse_set(args.set),
        remove=tuple(args.remove),
        contract_total=Money(total, currency) if (total := _total(args.total)) is not None else None,
    )
    if not (order.add or order.change or order.remove or order.contract_total):
        raise CommandError("change-order: nothing to change (use --set, --remove, --add or --total)")
    with ctx.transaction() as session:
        project, schedule, queued = credits.apply_change_order(
            session, args.key, order, change_orders.apply_change_order, datetime.now(UTC)
        )
    open_count = sum(1 for m in schedule if not m.removed)
    ctx.out.print(
        f"{args.key}: change order {order.reference} applied; contract total "
        f"{project.contract_total}, {open_count} milestones",
        markup=False,
    )
    for credit in queued:
        ctx.out.print(
            f"  milestone {credit.seq}: credit of {credit.amount} {credit.currency} on "
            f"{credit.platform} invoice {credit.number or credit.platform_id} queued "
            f"({credit.idempotency_key}), citing {order.reference}",
            markup=False,
        )
    return 0


# --- schedule new ---------------------------------------------------------------------------


def cmd_schedule_new(ctx: Context, args: argparse.Namespace) -> int:
    answers = {
        option[2:].replace("-", "_"): getattr(args, option[2:].replace("-", "_"))
        for option in TEMPLATE_ANSWERS
    }
    answers = {k: v for k, v in answers.items() if v is not None}
    answers.setdefault("time_zone", ctx.settings.app.default_time_zone)
    try:
        raw = templates.build_template(args.template, D(args.total), args.currency, answers)
    except (ValueError, ArithmeticError) as exc:
        raise CommandError(f"schedule new: {exc}") from None
    build_schedule(raw, default_time_zone=ctx.settings.app.default_time_zone)  # refuse a bad file
    text = raw_to_toml(raw)
    if not args.output:
        ctx.out.print(text, markup=False, end="")
        return 0
    out = Path(args.output)
    if out.exists() and not args.force:
        raise CommandError(f"{out} exists already (use --force to overwrite)")
    out.write_text(text, encoding="utf-8")
    ctx.out.print(f"wrote {out} ({args.template}, {args.currency} {args.total})", markup=False)
    return 0
