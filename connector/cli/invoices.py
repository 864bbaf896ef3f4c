"""`milepost invoice void KEY SEQ --reason TEXT [--by NAME] [--reopen]`: undo an invoice;
`milepost invoice credit KEY SEQ --amount A --reason TEXT [--ref CO-N] [--by NAME]`: credit
part of it (a credit note / memo totalling exactly A, tax included, allocated to it in full).

The request is queued in the outbox with the audit event, in one transaction; the worker's
drain voids the platform invoice (nothing paid) or credits its unpaid balance (something
paid), and only then is the milestone voided. Asking twice queues one request.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from connector.billing.money import D
from connector.store import credits, voids

from .context import CommandError, Context

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_parser(sub: SubParsers) -> None:
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
    void.set_defaults(handler=cmd_invoice_void)
    credit = isub.add_parser(
        "credit", help="credit part of the milestone's invoice: a credit note/memo of exactly AMOUNT, tax included")
    credit.add_argument("key")
    credit.add_argument("seq", type=int)
    credit.add_argument("--amount", required=True, help="what comes off the invoice, tax included (\"500.00\")")
    credit.add_argument("--reason", required=True, help="why (printed on the credit note)")
    credit.add_argument("--ref", default="", help="the change order it follows (CO-3)")
    credit.add_argument("--by", default="cli", help="who asks (audit trail)")
    credit.set_defaults(handler=cmd_invoice_credit)


def cmd_invoice_void(ctx: Context, args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise CommandError("invoice void: --reason must say why")
    with ctx.transaction() as session:
        request, new = voids.request_void(session, args.key, args.seq, args.reason, args.by,
                                          datetime.now(UTC), reopen=args.reopen)
    invoice = request.number or request.platform_id
    said = "queued" if new else "already queued"
    ctx.out.print(
        f"{args.key} milestone {args.seq}: void of {request.platform} invoice {invoice} {said} "
        f"({request.idempotency_key}); the worker voids it, or credits what is unpaid if it "
        "is partly paid (`milepost worker --once` to do it now)",
        markup=False,
    )
    return 0


def cmd_invoice_credit(ctx: Context, args: argparse.Namespace) -> int:
    try:
        amount = D(args.amount)
    except ValueError as error:
        raise CommandError(f"invoice credit: --amount: {error} [decimal]") from error
    with ctx.transaction() as session:
        request = credits.request_credit(session, args.key, args.seq, amount, args.reason, args.by,
                                         datetime.now(UTC), ref=args.ref.strip())
    invoice = request.number or request.platform_id
    ctx.out.print(
        f"{args.key} milestone {args.seq}: credit of {request.amount} {request.currency} on "
        f"{request.platform} invoice {invoice} queued ({request.idempotency_key}); the milestone "
        f"now bills {request.net} less; the worker issues the credit and allocates it in full "
        "(`milepost worker --once` to do it now)",
        markup=False,
    )
    return 0
