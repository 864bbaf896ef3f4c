"""What both services' bulk seeds share (quickbooks/bulk.py, xero/bulk.py).

A benchmark seed builds 100,000 rows from one template computed by the API's own code, so it
needs a quick copy of a record, the checks on the counts it was asked for and a short summary
of what it made (id ranges, not 100,000 ids).
"""

from __future__ import annotations

from typing import Any

MAX_ROWS = 1_000_000


def clone(value: Any) -> Any:
    """A copy of a record's dicts and lists; the leaves (str, numbers, Decimal, dates) are
    immutable and shared. Several times quicker than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clone(item) for item in value]
    return value


def count_of(body: dict[str, Any], name: str) -> int:
    """The whole number asked for under `name` (0 when absent); ValueError naming the rule."""
    value = body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ROWS:
        raise ValueError(f"{name} must be a whole number from 0 to {MAX_ROWS}")
    return value


def id_range(ids: list[str]) -> dict[str, Any]:
    return {"count": len(ids), "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None}
