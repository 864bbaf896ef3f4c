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

from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session, sessionmaker

from connector.billing import lifecycle
from connector.billing.model import AuditEvent, Milestone, MilestoneState, Project
from connector.billing.money import Money
from connector.billing.schema import LONG_TEXT, NAME, plain_decimal, text_problem
from connector.store import service
from connector.store.billing import biller
from connector.store.db import transaction
from connector.store.evidence import EvidencePolicy, Upload

ACTIONS = ("submit", "accept", "partial", "reject")
EVIDENCE_NAME = 500  # evidence.name is 500 characters
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


class DecisionOutOfBounds(ValueError):
    """A decision whose fields break their bounds; `problems` lists (field, rule, message)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message} [{rule}]" for field, rule, message in problems))
        self.problems = problems


def decision_problems(decision: Decision) -> list[tuple[str, str, str]]:
    """(field, rule, message) for each text too long for its column or holding a control
    character: `by` becomes milestones.accepted_by and audit_events.actor (200 characters)."""
    found = []
    checks = [("by", decision.by, NAME, False), ("reason", decision.reason, LONG_TEXT, True)]
    checks += [(f"evidence[{i}]", name, EVIDENCE_NAME, False) for i, name in enumerate(decision.evidence)]
    for field, value, limit, multiline in checks:
        problem = text_problem(value, limit, multiline=multiline)
        if problem:
            found.append((field, problem[0], f"{field}: {problem[1]}"))
    for field, number in (("percent", decision.percent), ("amount", decision.amount)):
        try:
            plain_decimal(number)
        except PydanticCustomError as error:
            found.append((field, "decimal" if error.type == "not_decimal" else error.type,
                          f"{field}: {error.message()}"))
    return found


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


def decide(sessions: sessionmaker[Session], key: str, seq: int, decision: Decision, *,
           uploads: Sequence[Upload] = (), policy: Callable[[Session], EvidencePolicy] | None = None) -> Milestone:
    """Apply the decision, storing the `uploads` (checked against `policy(session)`, as the
    CLI's `--evidence` files are); the domain's or the store's error (EvidenceRefused for a
    file) propagates and nothing is written."""
    with transaction(sessions) as session:
        return decide_in(session, key, seq, decision, uploads=uploads, policy=policy)


def decide_in(session: Session, key: str, seq: int, decision: Decision, *,
              uploads: Sequence[Upload] = (), policy: Callable[[Session], EvidencePolicy] | None = None) -> Milestone:
    """`decide` inside the caller's transaction (the inbound hook commits its message id with it)."""
    if decision.action not in ACTIONS:
        raise ValueError(f"unknown action {decision.action!r}")
    problems = decision_problems(decision)
    if problems:
        raise DecisionOutOfBounds(problems)
    return service.transition(session, key, seq, _step(decision), bill=biller(decision.at),
                              uploads=uploads,
                              evidence_policy=policy(session) if policy and uploads else None)
