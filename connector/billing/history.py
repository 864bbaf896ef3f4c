"""A project's audit trail told as its history: each event, and the invoice or credit it led to.

The trail itself (`AuditEvent`s) says when, who, what, why and with which evidence. What an
event led to is read, in this order, from:

* the event's own data: a credit note (`credit_number`, `credit_note`) or an invoice of the
  books (`number`, `invoice_id`, or `invoice` for a void or credit asked for);
* its invoice intent (`idempotency_key`): the invoice the books made for it, or, while there is
  none, "invoice queued" with the outbox's status;
* for an acceptance (accepted, deemed accepted, a partial share, a progress step), the intent
  the next `invoice_due` event of the same milestone queued for it;
* for a credit asked for, the `credit_issued` event with the same key, once the books made it.

Pure: the store gathers the events and what the outbox and the invoices hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import AuditEvent

ACCEPTANCES = frozenset({"accepted", "deemed_accepted", "partially_accepted", "progress"})
_ENDS_ACCEPTANCE = frozenset({"submitted", "rejected", "reopened", "voided", *ACCEPTANCES})
_WITH_AMOUNT = frozenset({"invoice_due", "payment", "payment_removed", "credit_requested"})


@dataclass(frozen=True)
class InvoiceRef:
    """An invoice the books made for an intent, as the store last saw it."""

    number: str  # the books' number, else their id
    platform: str
    status: str


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    led_to: str  # "invoice 1042 (quickbooks, open)", "credit note CN-7", "invoice queued (pending)", ""

    @property
    def what(self) -> str:
        """`rejected (submitted -> rejected)`: the kind, with the move when the state changed."""
        e = self.event
        kind = e.kind.replace("_", " ")
        if e.data.get("amount") and e.kind in _WITH_AMOUNT:
            kind = f"{kind} {e.data['amount']}"
        if e.from_state and e.to_state and e.from_state is not e.to_state:
            return f"{kind} ({e.from_state.value} -> {e.to_state.value})"
        return kind

    def as_json(self) -> dict[str, Any]:
        e = self.event
        return {
            "at": e.at.isoformat(), "seq": e.seq, "kind": e.kind, "actor": e.actor,
            "from_state": e.from_state.value if e.from_state else None,
            "to_state": e.to_state.value if e.to_state else None,
            "reason": e.reason, "evidence": list(e.evidence), "led_to": self.led_to or None,
            "data": dict(e.data),
        }


def project_history(
    events: Sequence[AuditEvent],
    invoices: Mapping[str, InvoiceRef],
    queued: Mapping[str, str],
) -> list[HistoryEntry]:
    """Each event in trail order with what it led to. `invoices`: intent key -> the books'
    invoice; `queued`: intent key -> outbox status, for intents with no invoice yet."""
    credits = {e.data["idempotency_key"]: e for e in events
               if e.kind == "credit_issued" and e.data.get("idempotency_key")}
    entries = []
    for index, event in enumerate(events):
        key = event.data.get("idempotency_key") or _queued_by(events, index)
        entries.append(HistoryEntry(event, _led_to(event, key, invoices, queued, credits)))
    return entries


def _queued_by(events: Sequence[AuditEvent], index: int) -> str:
    """For an acceptance: the key of the invoice intent the milestone's next `invoice_due` queued."""
    event = events[index]
    if event.kind not in ACCEPTANCES or event.seq is None:
        return ""
    for later in events[index + 1:]:
        if later.seq != event.seq:
            continue
        if later.kind == "invoice_due":
            return later.data.get("idempotency_key", "")
        if later.kind in _ENDS_ACCEPTANCE:
            return ""
    return ""


def _led_to(
    event: AuditEvent, key: str, invoices: Mapping[str, InvoiceRef], queued: Mapping[str, str],
    credits: Mapping[str, AuditEvent],
) -> str:
    data = event.data
    credit = data.get("credit_number") or data.get("credit_note")
    invoice = data.get("number") or data.get("invoice_id") or data.get("invoice")
    if event.kind == "credit_requested" and key in credits:
        issued = credits[key].data
        credit = issued.get("credit_number") or issued.get("credit_note")
    if credit:
        return f"credit note {credit}" + (f" on invoice {invoice}" if invoice else "")
    if event.kind == "credit_requested":
        return f"credit queued on invoice {invoice}"
    if invoice:
        known = next((ref for ref in invoices.values() if ref.number == invoice), None)
        return _invoice_text(known) if known else f"invoice {invoice}"
    if key in invoices:
        return _invoice_text(invoices[key])
    if key in queued:
        return f"invoice queued ({queued[key]})"
    return ""


def _invoice_text(ref: InvoiceRef) -> str:
    return f"invoice {ref.number} ({ref.platform}, {ref.status.replace('_', ' ')})"
