"""The inbound hook's memory of the messages it acted on, so a replay changes nothing.

A message is remembered (its key and `webhook-id`) in the transaction of the step it made, so
the two are committed together or not at all: a message refused for its body or the
milestone's state is not remembered, and the sender may correct the milestone and send it
again. Two copies arriving at once both try to insert the same (key, id) pair; the unique
constraint lets one commit and the other rolls back whole, then finds the first's answer.

Ids are kept `KEEP` (a day): a message older than the five minute window is refused for its
timestamp anyway, so a replay after that never reaches this table.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .key_rows import HookMessageRow

KEEP = timedelta(days=1)


def remember(session: Session, api_key_id: int, message_id: str, at: datetime) -> HookMessageRow:
    """Claim the id for this transaction (IntegrityError at once when it is taken)."""
    row = HookMessageRow(api_key_id=api_key_id, message_id=message_id, received_at=at, answer={})
    session.add(row)
    session.flush()
    return row


def answer_for(session: Session, api_key_id: int, message_id: str) -> dict[str, Any] | None:
    """What the message got the first time, or None when it was never acted on."""
    return session.scalars(select(HookMessageRow.answer).where(
        HookMessageRow.api_key_id == api_key_id, HookMessageRow.message_id == message_id)).first()


def forget_old(session: Session, now: datetime) -> int:
    """Drop ids older than KEEP; returns how many (housekeeping)."""
    result = session.execute(delete(HookMessageRow).where(HookMessageRow.received_at < now - KEEP)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
