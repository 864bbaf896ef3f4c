"""A milestone decision (submit, accept, partial, reject) as the portal and the API make it.

One function so both front doors bill exactly as the CLI does: the domain step, the audit
event and, when billable, the outbox intent land in one transaction (store.service), or none
of them does.

What an approver may decide through the portal depends on the milestone's state, and one rule
(`portal_actions`) serves both the page (which choices it offers) and the POST (which it
records): the POST checks the state read inside the decision's own transaction, so a crafted
form for a planned or already accepted milestone is refused and nothing is queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from connector.billing import lifecycle
from connector.billing.model import AuditEvent, Milestone, MilestoneState, Project
from connector.billing.money import Money
from connector.store import service
from connector.store.billing import biller
from connector.store.db import transaction

ACTIONS = ("submit", "accept", "partial", "reject")
# The portal's rule: the approver judges a submission; a partly accepted milestone may be
# accepted further (the transition table has no way back from it to rejected).
PORTAL_ACTIONS: dict[MilestoneState, tuple[str, ...]] = {
    MilestoneState.SUBMITTED: ("accept", "partial", "reject"),
    MilestoneState.PARTIALLY_ACCEPTED: ("accept", "partial"),
}


def portal_actions(state: MilestoneState) -> tuple[str, ...]:
    """The decisions an approver may record on a milestone in this state (none: no form)."""
    return PORTAL_ACTIONS.get(state, ())


class DecisionRefused(ValueError):
    """The milestone's state does not allow this decision here; nothing was written."""


@dataclass(frozen=True)
class Decision:
    action: str
    by: str
    at: datetime
    reason: str = ""
    percent: Decimal | None = None
    amount: Decimal | None = None
    evidence: tuple[str, ...] = ()
    # When set, the decisions allowed in the milestone's current state (the portal's rule).
    allowed: Callable[[MilestoneState], tuple[str, ...]] | None = None


def _step(decision: Decision):  # type: ignore[no-untyped-def]
    d = decision

    def step(p: Project, m: Milestone, schedule: Sequence[Milestone]) -> tuple[Milestone, AuditEvent]:
        if d.allowed is not None and d.action not in d.allowed(m.state):
            raise DecisionRefused(
                f"milestone {m.seq} is {m.state.value.replace('_', ' ')}: there is nothing to "
                f"{'accept' if d.action == 'partial' else d.action} here, and nothing was recorded")
        if d.action == "submit":
            return lifecycle.submit(p, m, d.at, d.by, d.evidence)
        if d.action == "accept":
            return lifecycle.accept(p, m, d.at, d.by, evidence=d.evidence, reason=d.reason)
        if d.action == "reject":
            return lifecycle.reject(p, m, d.at, d.by, d.reason, evidence=d.evidence)
        amount = Money(d.amount, p.currency) if d.amount is not None else None
        return lifecycle.accept_partially(
            p, m, d.at, d.by, schedule=schedule, percent=d.percent, amount=amount,
            reason=d.reason, evidence=d.evidence,
        )

    return step


def decide(sessions: sessionmaker[Session], key: str, seq: int, decision: Decision) -> Milestone:
    """Apply the decision; the domain's or the store's error propagates and nothing is written."""
    if decision.action not in ACTIONS:
        raise ValueError(f"unknown action {decision.action!r}")
    with transaction(sessions) as session:
        return service.transition(session, key, seq, _step(decision), bill=biller(decision.at))
