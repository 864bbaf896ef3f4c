"""Voiding an invoiced milestone on request: a change order or rejection that calls for it.

Rules (documented for users):

* Only a milestone whose invoice is in the books can be voided this way: `invoiced` (nothing
  paid) or `partially_paid`. An invoice still queued (`invoice_due`) is left to reach the books
  first; a `paid` milestone has nothing left to void (a refund is the bookkeeper's).
* Nothing paid: the platform invoice is voided (a Xero draft is deleted). Something paid: the
  unpaid balance is credited instead (QuickBooks credit memo, Xero credit note, applied to the
  invoice), since money received is never un-received.
* The milestone goes to `voided` once the books have done it, with the payments it received
  kept on it; `reopen` may then bring it back to bill under a new generation.
* The request has its own idempotency key, `milepost:{key}:{seq}:{generation}:void`, so asking
  twice for the same invoice voids it once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .errors import IllegalTransition
from .model import AuditEvent, Milestone, MilestoneState, Project
from .money import Money
from .transitions import move, still

S = MilestoneState
VOIDABLE = frozenset({S.INVOICED, S.PARTIALLY_PAID})


def void_key(project_key: str, m: Milestone) -> str:
    """The outbox key of a void request for the milestone's current invoice."""
    return f"milepost:{project_key}:{m.seq}:{m.generation}:void"


def check_voidable(m: Milestone, reason: str) -> None:
    """Refuse, with what to do instead, a void the milestone's state does not allow."""
    if not reason.strip():
        raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value, "a void needs a reason")
    if m.removed:
        raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value, "the milestone was removed")
    if m.state in VOIDABLE:
        return
    why = {
        S.INVOICE_DUE: "its invoice is still queued for the books; void it once it is there",
        S.PAID: "it is fully paid: nothing is left to void or credit (a refund is made in the books)",
        S.VOIDED: "it is already voided",
    }.get(m.state, "it has no invoice in the books")
    raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value, why)


def void_requested(
    project: Project, m: Milestone, at: datetime, by: str, reason: str, *, invoice: str, key: str
) -> tuple[Milestone, AuditEvent]:
    """The first step in the trail: someone asked; the books have not answered yet."""
    check_voidable(m, reason)
    new, event = still(project, m, at, by, "void_requested",
                       {"invoice": invoice, "idempotency_key": key})
    return new, replace(event, reason=reason)


def void_settled(
    project: Project,
    m: Milestone,
    at: datetime,
    by: str,
    reason: str,
    *,
    data: dict[str, str],
    credited: Money | None = None,
) -> tuple[Milestone, AuditEvent]:
    """The books voided the invoice (`credited` None) or credited its unpaid balance: the
    milestone is voided, its billed amount released; payments received stay recorded."""
    if m.state not in VOIDABLE:
        raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value, "it is not invoiced any more")
    paid = m.paid is not None and m.paid.amount > 0
    if paid and credited is None:
        raise IllegalTransition(m.seq, m.state.value, S.VOIDED.value,
                                "payments are recorded against it: credit the balance instead")
    details = dict(data)
    if credited is not None:
        details["credited"] = str(credited)
    return move(project, m, S.VOIDED, at, by, "voided", {"billed": None}, reason=reason, data=details)



def share_voided(
    project: Project, m: Milestone, share: Money, at: datetime, by: str, reason: str
) -> tuple[Milestone, AuditEvent]:
    """An invoice for a partial share was voided or deleted in the books: the share is billed no
    more, so it is accepted and unbilled again, and the next invoice for it gets a new generation
    (a new key: the dead invoice is never found and reused). The milestone stays partially
    accepted; the acceptance itself stands."""
    if m.state is not S.PARTIALLY_ACCEPTED:
        raise IllegalTransition(m.seq, m.state.value, m.state.value,
                                "only a partially accepted milestone bills by shares")
    left = (m.billed or Money.zero(project.currency)) - share
    new, event = still(project, m, at, by, "share_voided", {"share": str(share)},
                       {"billed": left if left.amount > 0 else None, "generation": m.generation + 1})
    return new, replace(event, reason=reason)
