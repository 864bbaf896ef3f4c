"""A milestone's state at a past moment, read back from its audit trail (`report --at`).

The store keeps only the milestone's current state; every transition left an `AuditEvent`
saying from which state to which, and when. So the state at `at` is where the last transition
made by then led, or, before the first, where that one started. An event that changed no state
(a change order, evidence added) says nothing about the state: a change order recorded late
would otherwise date today's state back to its own date. The trail's order, not its stamps,
says which transition came last: a command run with `--at` and the worker's own clock may stamp
a later transition earlier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from .model import AuditEvent, Milestone


def state_at(m: Milestone, events: Sequence[AuditEvent], at: datetime) -> Milestone:
    """`m` with the state it was in at `at` (unchanged when its trail records no transition);
    `events` in the order they were recorded."""
    moves = [e for e in events if e.seq == m.seq and e.to_state is not None and e.from_state != e.to_state]
    if not moves:
        return m
    done = [e for e in moves if e.at <= at]
    state = done[-1].to_state if done else moves[0].from_state
    return m if state is None else replace(m, state=state)
