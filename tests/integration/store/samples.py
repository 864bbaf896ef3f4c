"""A small contract written out in full, the way a schedule file would describe it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connector.billing.model import Approver, Customer, Milestone, Project, Trigger
from connector.billing.money import Money

DANA = Approver("Dana Lee", "dana@acme.example", "Project lead")


def acme_project(total: str = "50000.00", currency: str = "USD") -> Project:
    return Project(
        key="ACME-WEB",
        name="Website redesign",
        customer=Customer("Acme Corp", "ap@acme.example"),
        currency=currency,
        contract_total=Money(Decimal(total), currency),
        contract_date=date(2026, 11, 2),
        time_zone="America/New_York",
        payment_terms_days=7,
        approval_window_days=3,
        holiday_calendar="US",
        pause_work_after_days=15,
    )


def acme_milestones() -> list[Milestone]:
    def ms(seq: int, name: str, percent: str, planned: date) -> Milestone:
        return Milestone(
            seq=seq,
            name=name,
            deliverable=f"{name} deliverable",
            acceptance_criteria=f"{name} approved by the project lead",
            approver=DANA,
            trigger=Trigger.ON_ACCEPTANCE,
            evidence_required=("document",),
            planned_date=planned,
            percent=Decimal(percent),
        )

    return [
        ms(1, "Discovery complete", "20", date(2026, 11, 20)),
        ms(2, "Design approved", "30", date(2026, 12, 11)),
        ms(3, "Launch", "50", date(2027, 1, 29)),
    ]
