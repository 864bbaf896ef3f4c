"""The Xero organisations the sandbox keeps, and the app's grants to them.

An `Organisation` holds typed records (Decimal amounts, date values) by collection name and
id, in insertion order, each stamped with `UpdatedDateUTC` from the sandbox clock when it is
written, which is what `If-Modified-Since` and webhooks read. `XeroState` adds the identity
side: authorization codes, grants (one consent, several organisations), access and refresh
tokens. Callers hold the sandbox's lock while they read or write.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

COLLECTIONS = (
    "Contacts", "Items", "Accounts", "TaxRates", "TrackingCategories", "Currencies",
    "Invoices", "Quotes", "CreditNotes", "Payments", "Prepayments", "Overpayments",
    "BankTransactions",
)
ID_FIELDS = {
    "Contacts": "ContactID", "Items": "ItemID", "Accounts": "AccountID",
    "TaxRates": "TaxType", "TrackingCategories": "TrackingCategoryID", "Currencies": "Code",
    "Invoices": "InvoiceID", "Quotes": "QuoteID", "CreditNotes": "CreditNoteID",
    "Payments": "PaymentID", "Prepayments": "PrepaymentID", "Overpayments": "OverpaymentID",
    "BankTransactions": "BankTransactionID",
}


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Organisation:
    tenant_id: str
    name: str
    country: str
    currency: str
    short_code: str
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS})
    blobs: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    journal: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list, repr=False)

    def all(self, collection: str) -> list[dict[str, Any]]:
        return list(self.records[collection].values())

    def get(self, collection: str, record_id: str | None) -> dict[str, Any] | None:
        if not record_id:
            return None
        found = self.records[collection].get(str(record_id))
        if found is None and collection not in ("TaxRates", "Currencies"):
            found = self.records[collection].get(str(record_id).lower())
        return found

    def find(self, collection: str, field_name: str, value: Any) -> dict[str, Any] | None:
        """First record whose field equals value (strings compared without case)."""
        wanted = value.lower() if isinstance(value, str) else value
        for record in self.records[collection].values():
            have = record.get(field_name)
            if (have.lower() if isinstance(have, str) else have) == wanted:
                return record
        return None

    def save(self, collection: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Store (insert or replace) a record and stamp its UpdatedDateUTC."""
        record["UpdatedDateUTC"] = now
        key = str(record[ID_FIELDS[collection]])
        self.journal.append((collection, key, self.records[collection].get(key)))
        self.records[collection][key] = record
        return record

    def mark(self) -> tuple[int, dict[str, int]]:
        """A point to roll back to: a rejected item must leave no trace (not even a number)."""
        return len(self.journal), dict(self.sequences)

    def rollback(self, point: tuple[int, dict[str, int]]) -> None:
        size, sequences = point
        while len(self.journal) > size:
            collection, key, previous = self.journal.pop()
            if previous is None:
                self.records[collection].pop(key, None)
            else:
                self.records[collection][key] = previous
        self.sequences = sequences

    def changes(self, since: int) -> list[tuple[str, str, bool]]:
        """(collection, id, created) for each record written after a mark; clears the journal."""
        rows = [(c, k, prev is None) for c, k, prev in self.journal[since:]]
        del self.journal[since:]
        return rows

    def next_number(self, prefix: str) -> str:
        """Xero's automatic document numbers: INV-0001, CN-0001, QU-0001..."""
        self.sequences[prefix] = self.sequences.get(prefix, 0) + 1
        return f"{prefix}-{self.sequences[prefix]:04d}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id, "name": self.name, "country": self.country,
            "currency": self.currency, "short_code": self.short_code,
            "records": encode(self.records), "sequences": dict(self.sequences),
            "blobs": {key: base64.b64encode(value).decode() for key, value in self.blobs.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Organisation:
        org = cls(data["tenant_id"], data["name"], data["country"], data["currency"],
                  data["short_code"])
        org.records.update(decode(data["records"]))
        org.sequences = dict(data.get("sequences", {}))
        org.blobs = {key: base64.b64decode(value) for key, value in data.get("blobs", {}).items()}
        return org


@dataclass
class XeroState:
    """All Xero organisations plus the OAuth grants the sandbox's app holds to them."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    intent_checks: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def seeded(cls, clock: Any = None) -> XeroState:
        from connector.sandbox.xero.seed import seed_organisations

        now = clock.now() if clock is not None else None
        return cls(organisations={org.tenant_id: org for org in seed_organisations(now)})

    def revoke(self, tenant_id: str | None) -> int:
        """Disconnect the app from one organisation (all when None) in every grant."""
        count = 0
        for grant in self.grants.values():
            before = len(grant["connections"])
            grant["connections"] = [c for c in grant["connections"]
                                    if tenant_id not in (None, c["tenantId"])]
            count += before - len(grant["connections"])
        return count

    def adopt_grants(self, old: XeroState) -> None:
        """Take over another state's consents and their tokens (a reset keeps connected
        clients connected), keeping only connections to organisations these books have."""
        for grant_id, grant in old.grants.items():
            kept = [c for c in grant["connections"] if c["tenantId"] in self.organisations]
            self.grants[grant_id] = {**grant, "connections": kept}
        self.access_tokens.update(old.access_tokens)
        self.refresh_tokens.update(old.refresh_tokens)

    def organisation(self, tenant_id: str | None) -> Organisation | None:
        if not tenant_id:
            return None
        return self.organisations.get(tenant_id.strip().lower())

    def to_json(self) -> dict[str, Any]:
        return {
            "organisations": [org.to_json() for org in self.organisations.values()],
            "identity": encode({"codes": self.codes, "grants": self.grants,
                                "access_tokens": self.access_tokens,
                                "refresh_tokens": self.refresh_tokens}),
            "intent_checks": encode(self.intent_checks),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], clock: Any = None) -> XeroState:
        identity = decode(data.get("identity", {}))
        return cls(
            organisations={o["tenant_id"]: Organisation.from_json(o)
                           for o in data.get("organisations", [])},
            codes=identity.get("codes", {}), grants=identity.get("grants", {}),
            access_tokens=identity.get("access_tokens", {}),
            refresh_tokens=identity.get("refresh_tokens", {}),
            intent_checks=decode(data.get("intent_checks", [])),
        )


def encode(value: Any) -> Any:
    """JSON-safe form of typed records: tagged Decimal, date and datetime values."""
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            (tag, text), = value.items()
            if tag == "$decimal":
                return Decimal(text)
            if tag == "$datetime":
                return datetime.fromisoformat(text)
            if tag == "$date":
                return date.fromisoformat(text)
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value
