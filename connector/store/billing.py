"""The billing policy the store applies after a transition: is it billable now, and for what?

Composed from the domain's pure pieces (`intents.invoice_intent_for`, `lifecycle.mark_invoice_due`)
so the CLI, the web app and the worker all bill the same way. Prior intents come from the outbox,
so retainage held and deposit credited are computed from stored facts; the deposit received
comes from the payments synced on the deposit invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from connector.billing import intents, lifecycle
from connector.billing.calendar import local_date
from connector.billing.errors import IllegalTransition, NotBillableYet
from connector.billing.intents import PriorBilling
from connector.billing.model import Milestone, MilestoneState, Project

from . import service
from .errors import ConcurrentUpdate
from .repository import BillingRepository
from .service import Biller, Billing

BILLABLE_STATES = frozenset(
    {
        MilestoneState.ACCEPTED,
        MilestoneState.DEEMED_ACCEPTED,
        MilestoneState.PARTIALLY_ACCEPTED,
        MilestoneState.PLANNED,
    }
)


def biller(at: datetime) -> Biller:
    """A biller that dates invoices `at` (in the project's time zone) and marks them due."""

    def bill(
        project: Project,
        schedule: Sequence[Milestone],
        m: Milestone,
        prior: PriorBilling,
    ) -> Billing | None:
        if m.removed or m.state not in BILLABLE_STATES:
            return None
        if m.state is MilestoneState.PLANNED and not lifecycle.billable_without_acceptance(
            project, m, at
        ):
            return None
        if intents.billable_amount(project, schedule, m).amount <= 0:
            return None
        invoice_date = local_date(at, project.time_zone)
        intent = intents.invoice_intent_for(
            project, schedule, m, invoice_date, prior_intents=prior.intents,
            deposit_received=prior.deposit_received,
        )
        new, event = lifecycle.mark_invoice_due(project, m, intent, at)
        return Billing(intent, new, event)

    return bill


def deem_lapsed(
    sessions: sessionmaker[Session], at: datetime, key: str | None = None
) -> list[tuple[str, Milestone]]:
    """Deem accepted (and bill) every submission whose window lapsed by `at`; one transaction each.

    A milestone another writer moved meanwhile is skipped (ConcurrentUpdate or a refused step),
    so running this twice, or from two workers, is safe. Returns (project key, milestone as stored).
    """
    with sessions() as session:
        repo = BillingRepository(session)
        due = []
        for project_key in [key] if key else repo.project_keys():
            project, schedule = repo.load(project_key)
            due += [(project_key, m.seq) for m in lifecycle.lapsed(project, schedule, at)]
    done = []
    for project_key, seq in due:
        try:
            with sessions() as session, session.begin():
                stored = service.transition(
                    session, project_key, seq,
                    lambda p, m, _s: lifecycle.deem_accepted(p, m, at), bill=biller(at),
                )
            done.append((project_key, stored))
        except (ConcurrentUpdate, IllegalTransition, NotBillableYet):
            continue
    return done
