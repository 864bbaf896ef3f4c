"""The sample contract: ACME-WEB, a website redesign for Acme Corp.

`milepost demo` runs it, and the tests write their schedules on the same `[project]` table,
so the project a user meets in the demo is the one the specifications describe.
"""

from __future__ import annotations

KEY = "ACME-WEB"
DEPOSIT = 'deposit = { percent = "10" }'


def project_table(contract_total: str = "50000.00", extra: str = "") -> str:
    """The sample's `[project]` table in TOML; `extra` adds lines of its own (a deposit, a
    retainage policy) after the standard ones."""
    lines = [
        "[project]",
        f'key = "{KEY}"',
        'name = "Website redesign"',
        'currency = "USD"',
        f'contract_total = "{contract_total}"',
        'contract_date = "2026-11-02"',
        'time_zone = "America/New_York"',
        "payment_terms_days = 7",
        "approval_window_days = 3",
        'holiday_calendar = "US"',
        "pause_work_after_days = 15",
        'customer = { name = "Acme Corp", email = "ap@acme.example" }',
        'late_fee = { percent_per_month = "1.5", flat = "0", grace_days = 5 }',
    ]
    return "\n".join([*lines, extra] if extra else lines) + "\n"
