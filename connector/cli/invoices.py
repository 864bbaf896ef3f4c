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

from connector.billing.money import D
from connector.store import credits, voids

from .context import CommandError, Context


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
