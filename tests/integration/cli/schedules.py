"""Schedule files as a user writes them."""

from __future__ import annotations

GOOD = """\
[project]
key = "ACME-WEB"
name = "Website redesign"
currency = "USD"
contract_total = "1234.57"
contract_date = "2026-11-02"
time_zone = "America/New_York"
payment_terms_days = 7
approval_window_days = 3
holiday_calendar = "US"
pause_work_after_days = 15
customer = { name = "Acme Corp", email = "ap@acme.example" }
late_fee = { percent_per_month = "1.5", flat = "0", grace_days = 5 }

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
