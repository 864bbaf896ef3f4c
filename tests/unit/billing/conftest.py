"""Shared schedule text for the billing specifications: the issue's ACME-WEB example."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.billing.schedule import ParsedSchedule, load_schedule
from connector.cli.sample import project_table

ACME = "\n" + project_table(extra="{extra_project}") + """
[[milestones]]
seq = 1
name = "Kickoff"
deliverable = "Signed contract"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
trigger = "on_signature"
percent = "10"
planned_date = "2026-11-02"

[[milestones]]
seq = 2
name = "Discovery complete"
deliverable = "Requirements document v1.3"
acceptance_criteria = "Discovery doc approved by the project lead"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["requirements document"]
trigger = "on_acceptance"
percent = "20"
planned_date = "2026-11-20"

[[milestones]]
seq = 3
name = "Design approved"
deliverable = "Designs and prototype"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
trigger = "on_acceptance"
percent = "30"
planned_date = "2026-12-11"

[[milestones]]
seq = 4
name = "Launch"
deliverable = "Live site"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
trigger = "on_acceptance"
percent = "40"
planned_date = "2027-01-15"
"""


def acme(extra_project: str = "") -> ParsedSchedule:
    """The ACME-WEB schedule (10/20/30/40% of 50,000.00), with extra [project] lines."""
    return load_schedule(ACME.replace("{extra_project}", extra_project), "toml")


def at(*args: int) -> datetime:
    """A UTC instant: at(2026, 11, 20, 15) is 15:00 UTC (10:00 in New York)."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def schedule() -> ParsedSchedule:
    return acme()
