"""The credit requests in the outbox, carried to the books by drain_outbox, each exactly once.

For one request (`store.credits`): the gateway issues a credit note (Xero) or credit memo
(QuickBooks) totalling the amount asked for, tax included, split like the invoice's lines, under
the request's own key (Idempotency-Key / requestid), and allocates (applies) it in full to the
invoice. A request tried before (a worker died after claiming it) has the gateway look the
credit up by its key first, so nothing is issued twice. Failures are treated as for invoice
intents (`jobs.outbox`): only RetriableError is retried.
"""

from __future__ import annotations

import logging
from datetime import datetime

from connector.billing.money import Money
from connector.store import credits
from connector.store.db import transaction

from .context import JobContext
from .drains import Undelivered, drain_by_connection, send_request
from .runs import Tally

log = logging.getLogger("milepost.jobs.credits")


def drain_credits(ctx: JobContext, now: datetime, counts: Tally, *, limit: int = 200) -> None:
    """Carry pending credit requests to the books; each one once per run."""
    drain_by_connection(ctx, now, counts, credits.CREDIT,
          lambda s, n, skip, lane: credits.claim_credits(s, limit=n, skip=skip, connection=lane), _deliver,
          lambda item: item.request.idempotency_key, limit=limit)


def _deliver(ctx: JobContext, item: credits.ClaimedCredit, now: datetime) -> tuple[str, str]:
    """One request to its books: ("credited" | "retry" | "failed", what went wrong)."""
    request = item.request
    note = send_request(ctx, item, "credit", lambda gateway: gateway.credit_invoice(
        request.platform_id, request.description, request.idempotency_key, request.money,
        outcome_unknown=item.attempts > 1))
    if isinstance(note, Undelivered):
        return note.outcome, note.problem
    applied = sum((amount for invoice_id, amount in note.applied_to if invoice_id == request.platform_id),
                  Money.zero(request.currency))
    with transaction(ctx.sessions) as session:
        credits.complete_credit(session, item.id, credit_id=note.platform_id, number=note.number or "",
                                total=note.total, applied=applied, at=now)
    if note.total != request.money or applied != request.money:
        problem = (f"credit {note.number or note.platform_id}: total {note.total}, applied {applied}, "
                   f"asked {request.money}")
        log.warning("%s: %s", request.idempotency_key, problem)
        return "credited", problem
    return "credited", ""
