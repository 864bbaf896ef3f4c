"""The void requests in the outbox, carried to the books by drain_outbox, each exactly once.

For one request (`store.voids`): nothing paid, the invoice is voided (a Xero draft deleted);
something paid (the store knows of a payment, or the books refuse the void because of one),
its unpaid balance is credited and the credit applied to it. The credit carries the request's
own key to the platform (QuickBooks requestid, Xero Idempotency-Key). A request tried before
(a worker died after claiming it) first looks the invoice up: already voided, deleted or
settled in the books means the earlier try got through, and nothing is sent again.
Failures are treated as for invoice intents (`jobs.outbox`): only RetriableError is retried.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from connector.platforms.errors import ValidationRejected
from connector.platforms.gateway import AccountingGateway
from connector.store import voids
from connector.store.db import transaction
from mappings.facts import DELETED, PAID, VOIDED

from .context import JobContext
from .drains import Undelivered, drain_by_connection, send_request
from .runs import Tally

log = logging.getLogger("milepost.jobs.voids")
ZERO = Decimal(0)


def drain_voids(ctx: JobContext, now: datetime, counts: Tally, *, limit: int = 200) -> None:
    """Carry pending void requests to the books; each one once per run."""
    drain_by_connection(ctx, now, counts, voids.VOID,
          lambda s, n, skip, lane: voids.claim_voids(s, limit=n, skip=skip, connection=lane), _deliver,
          lambda item: item.request.idempotency_key, limit=limit)


def _deliver(ctx: JobContext, item: voids.ClaimedVoid, now: datetime) -> tuple[str, str]:
    """One request to its books: ("voided" | "credited" | "retry" | "failed", what went wrong)."""
    with ctx.sessions() as session:
        paid = voids.payments_recorded(session, item.request)
    settled = send_request(ctx, item, "void", lambda gateway: _settle(
        gateway, item.request, paid=paid, retried=item.attempts > 1))
    if isinstance(settled, Undelivered):
        return settled.outcome, settled.problem
    with transaction(ctx.sessions) as session:
        voids.complete_void(session, item.id, settled, now)
    return ("credited" if settled.action == "credited" else "voided"), ""


def _settle(
    gateway: AccountingGateway, request: voids.VoidRequest, *, paid: bool, retried: bool
) -> voids.SettledVoid:
    if retried:
        earlier = _already_settled(gateway, request)
        if earlier is not None:
            return earlier
    if not paid:
        try:
            fact = gateway.void_invoice(request.platform_id)
            return voids.SettledVoid(action=fact.status if fact.status == DELETED else "voided",
                                     invoice_status=fact.status, balance=fact.balance.amount)
        except ValidationRejected as refused:
            # a payment the store has not synced yet: credit the balance instead
            log.info("void of %s refused (%s): crediting instead", request.idempotency_key, refused)
    note = gateway.credit_invoice(request.platform_id, request.reason, request.idempotency_key,
                                  outcome_unknown=retried)
    applied = sum((amount.amount for invoice_id, amount in note.applied_to
                   if invoice_id == request.platform_id), ZERO)
    left = max(note.total.amount - applied, ZERO)
    return voids.SettledVoid(
        action="credited", invoice_status=PAID if left == 0 else "partially_paid",
        balance=left, credited=note.total.amount, credit_id=note.platform_id,
        credit_number=note.number or "",
    )


def _already_settled(gateway: AccountingGateway, request: voids.VoidRequest) -> voids.SettledVoid | None:
    """After a crash: did the earlier try reach the books? Looked up by the invoice's key."""
    if not request.invoice_key:
        return None
    found = gateway.find_invoice_by_key(request.invoice_key)
    if found is None or found.status == DELETED:
        return voids.SettledVoid(action="deleted", invoice_status=DELETED, balance=ZERO)
    if found.status == VOIDED:
        return voids.SettledVoid(action="voided", invoice_status=VOIDED, balance=ZERO)
    if found.status == PAID:
        return voids.SettledVoid(action="credited", invoice_status=PAID, balance=ZERO)
    return None
