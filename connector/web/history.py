"""The project page's history panel (`templates/_history.html`): its data comes from one call,
`connector.store.history.history_for`, the one `milepost history` makes too."""

from __future__ import annotations

from connector.billing.history import HistoryEntry
from connector.store.history import history_for

from .resources import resources


def project_history(key: str) -> list[HistoryEntry]:
    """Every audit event of the project, oldest first, with what each led to (the template's
    `project_history(project.key)`; only admin pages include the panel)."""
    with resources().sessions() as db:
        return history_for(db, key)
