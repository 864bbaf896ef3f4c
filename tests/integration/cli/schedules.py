"""Schedule files as a user writes them."""

from __future__ import annotations

from pathlib import Path

from connector.cli.sample import project_table

GOOD = project_table("1234.57") + """
[[milestones]]
seq = 1
name = "Discovery complete"
deliverable = "Requirements document v1.3"
acceptance_criteria = "Discovery doc approved by the project lead"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["requirements document"]
trigger = "on_acceptance"
percent = "20"
planned_date = "2026-11-20"

[[milestones]]
seq = 2
name = "Design approved"
deliverable = "Designs"
acceptance_criteria = "Designs signed off"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["design files"]
trigger = "on_acceptance"
percent = "30"
planned_date = "2026-12-11"

[[milestones]]
seq = 3
name = "Launch"
deliverable = "Live site"
acceptance_criteria = "Site live"
approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }
evidence = ["launch checklist"]
trigger = "on_acceptance"
percent = "50"
planned_date = "2027-01-29"
"""

# Three mistakes in three places: an unknown currency, a percentage over 100, and an approver
# without an e-mail.
BROKEN = (
    GOOD.replace('currency = "USD"', 'currency = "XXY"')
    .replace('percent = "30"', 'percent = "130"')
    .replace('approver = { name = "Dana Lee", role = "Project lead", email = "dana@acme.example" }\n'
             'evidence = ["launch checklist"]',
             'approver = { name = "Dana Lee", role = "Project lead" }\nevidence = ["launch checklist"]')
)


def import_with_evidence(milepost, folder: Path, schedule: str, evidence: str, content: bytes) -> str:
    """Import `schedule` through the CLI as a user would, and leave an evidence file beside it;
    returns the evidence file's path for `milestone submit --evidence`."""
    path = folder / "acme.toml"
    path.write_text(schedule, encoding="utf-8")
    assert milepost("schedule", "import", str(path)).code == 0
    file = folder / evidence
    file.write_bytes(content)
    return str(file)
