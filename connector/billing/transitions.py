"""The transition table of a milestone's life and the one way to take a step through it.

`TRANSITIONS` is the only place that says which moves are legal; `move` checks it, applies the
changes, bumps `version` (the store's optimistic lock) and returns the `AuditEvent` that explains
the step. `lifecycle` (acceptance) and `invoicing` (invoice due to paid) are built on these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from .errors import IllegalTransition
from .model import AuditEvent, Milestone, MilestoneState, Project

S = MilestoneState

TRANSITIONS: dict[MilestoneState, frozenset[MilestoneState]] = {
    # accepted without a formal submission, or a progress step
    S.PLANNED: frozenset(
        {S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.INVOICE_DUE, S.VOIDED}
    ),
    S.SUBMITTED: frozenset(
        {S.ACCEPTED, S.PARTIALLY_ACCEPTED, S.REJECTED, S.DEEMED_ACCEPTED, S.VOIDED}
    ),
    S.REJECTED: frozenset({S.SUBMITTED, S.VOIDED}),
    S.PARTIALLY_ACCEPTED: frozenset(
        {S.PARTIALLY_ACCEPTED, S.ACCEPTED, S.SUBMITTED, S.VOIDED}
    ),
    S.ACCEPTED: frozenset({S.INVOICE_DUE, S.VOIDED}),
    S.DEEMED_ACCEPTED: frozenset({S.INVOICE_DUE, S.VOIDED}),
    S.INVOICE_DUE: frozenset({S.INVOICED, S.VOIDED}),
    S.INVOICED: frozenset({S.PARTIALLY_PAID, S.PAID, S.VOIDED}),
    # back to invoiced: every payment was deleted or voided in the books (the books win)
    # voided: the unpaid balance was credited on request (`voiding.void_settled`)
    S.PARTIALLY_PAID: frozenset({S.PARTIALLY_PAID, S.PAID, S.INVOICED, S.VOIDED}),
    # back down: a payment was deleted or voided in the books (`invoicing.take_back_payment`)
    S.PAID: frozenset({S.PARTIALLY_PAID, S.INVOICED}),
    S.VOIDED: frozenset({S.PLANNED}),
}

def can_move(current: MilestoneState, requested: MilestoneState) -> bool:
    return requested in TRANSITIONS[current]


def check_move(m: Milestone, requested: MilestoneState, why: str = "") -> None:
    if not can_move(m.state, requested):
        raise IllegalTransition(m.seq, m.state.value, requested.value, why)


def aware(at: datetime) -> datetime:
    """Refuse naive datetimes: an audit trail without a zone cannot say when things happened."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return at


def move(
    project: Project,
    m: Milestone,
    to: MilestoneState,
    at: datetime,
    by: str,
    kind: str,
    changes: dict[str, Any] | None = None,
    *,
    reason: str = "",
    evidence: Iterable[str] = (),
    data: dict[str, str] | None = None,
) -> tuple[Milestone, AuditEvent]:
    """Check the table, apply the changes, bump the version, and explain it in an event."""
    check_move(m, to)
    new = replace(m, state=to, version=m.version + 1, **(changes or {}))
    event = AuditEvent(
        project_key=project.key,
        seq=m.seq,
        kind=kind,
        at=aware(at),
        actor=by,
        from_state=m.state,
        to_state=to,
        reason=reason,
        evidence=tuple(evidence),
        data=dict(data or {}),
    )
    return new, event


def still(
    project: Project, m: Milestone, at: datetime, by: str, kind: str, data: dict[str, str],
    changes: dict[str, Any] | None = None,
) -> tuple[Milestone, AuditEvent]:
    """A recorded step that leaves the state where it is (an invoice or payment for an earlier
    partial share); the version still moves, so concurrent writers still collide."""
    new = replace(m, version=m.version + 1, **(changes or {}))
    event = AuditEvent(
        project_key=project.key, seq=m.seq, kind=kind, at=aware(at), actor=by,
        from_state=m.state, to_state=m.state, data=data,
    )
    return new, event
