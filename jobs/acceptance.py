"""deem_acceptances: close every approval window that has lapsed, and bill what it made billable.

The billing core decides what "lapsed" means (business days, the project's holidays and time
zone: `lifecycle.lapsed`); this job only finds them and records each deemed acceptance in its
own transaction, with its invoice intent, exactly as `milepost deem` does. Running it twice, or
in two workers at once, deems each milestone once: the second writer finds the milestone moved
on (ConcurrentUpdate) and skips it. Any other refusal (the domain's BillingError: an intent
that cannot be built, a milestone in an unexpected state) or any other failure of its own (a
project whose payment terms reach past the calendar) is that milestone's problem alone: it is
logged and recorded in the run with its key (`failed` and the message), and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from connector.billing import lifecycle
from connector.billing.model import Milestone, Project
from connector.store import service
from connector.store.billing import biller
from connector.store.db import transaction
from connector.store.errors import ConcurrentUpdate
from connector.store.repository import BillingRepository

from .context import JobContext
from .runs import Tally, one_item

Pick = Callable[[Project, Sequence[Milestone]], Iterable[Milestone]]


def milestones_picked(ctx: JobContext, tally: Tally, pick: Pick) -> list[tuple[str, int]]:
    """(project key, seq) of what `pick` chooses in every project's schedule; a project that
    cannot be read is its own problem, recorded in `tally`, and the others are still read."""
    due: list[tuple[str, int]] = []
    with ctx.sessions() as session:
        repo = BillingRepository(session)
        for key in repo.project_keys():
            with one_item(tally, f"project {key}"):
                project, schedule = repo.load(key)
                due += [(key, m.seq) for m in pick(project, schedule)]
    return due


def deem_acceptances(ctx: JobContext, now: datetime) -> Tally:
    tally = Tally(deemed=0, lapsed=0, failed=0)
    due = milestones_picked(ctx, tally, lambda project, schedule: lifecycle.lapsed(project, schedule, now))
    tally["lapsed"] = len(due)
    for key, seq in due:
        with one_item(tally, f"{key} milestone {seq}"):
            try:
                with transaction(ctx.sessions) as session:
                    service.transition(
                        session, key, seq, lambda p, m, _s: lifecycle.deem_accepted(p, m, now),
                        bill=biller(now),
                    )
                tally["deemed"] += 1
            except ConcurrentUpdate:
                continue  # someone else moved it first: nothing left to deem
    return tally
