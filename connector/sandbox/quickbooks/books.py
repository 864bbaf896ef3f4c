"""The QuickBooks Online books the sandbox keeps: companies (realms), their entities, grants.

Entities are stored as the JSON objects QuickBooks returns, so a read is a copy and nothing
has to be re-rendered per request. Every company has its own lock-free dictionaries; callers
hold the sandbox lock while they write.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..clock import Clock

QBO_TIME = "%Y-%m-%dT%H:%M:%S"
PACIFIC = timedelta(hours=-7)


def qbo_time(when: datetime, millis: bool = False) -> str:
    """QuickBooks writes times in the company's zone with an offset (sandbox: fixed -07:00)."""
    local = when.astimezone(UTC) + PACIFIC
    text = local.strftime(QBO_TIME)
    if millis:
        text += f".{local.microsecond // 1000:03d}"
    return text + "-07:00"


def company_date(when: datetime) -> str:
    """The company's calendar date (transaction dates are dates in its zone)."""
    return (when.astimezone(UTC) + PACIFIC).date().isoformat()


@dataclass
class Company:
    realm_id: str
    name: str
    currency: str
    country: str = "US"
    multicurrency: bool = False
    entities: dict[str, dict[str, dict]] = field(default_factory=dict)
    deleted: dict[str, dict[str, dict]] = field(default_factory=dict)
    changed_at: dict[str, dict[str, float]] = field(default_factory=dict)
    next_id: int = 1
    next_doc_number: int = 1001
    allow_duplicate_doc_number: bool = False

    def table(self, entity: str) -> dict[str, dict]:
        return self.entities.setdefault(entity, {})

    def get(self, entity: str, entity_id: str) -> dict | None:
        return self.table(entity).get(str(entity_id))

    def new_id(self) -> str:
        value = str(self.next_id)
        self.next_id += 1
        return value

    def put(self, entity: str, obj: dict, now: datetime, created: bool) -> dict:
        """Store ``obj`` with fresh MetaData and remember when it changed (for CDC)."""
        stamp = qbo_time(now)
        meta = dict(obj.get("MetaData") or {})
        if created:
            meta["CreateTime"] = stamp
        meta["LastUpdatedTime"] = stamp
        obj["MetaData"] = meta
        obj["domain"] = "QBO"
        obj["sparse"] = False
        self.table(entity)[obj["Id"]] = obj
        self.changed_at.setdefault(entity, {})[obj["Id"]] = now.timestamp()
        return obj

    def remove(self, entity: str, entity_id: str, now: datetime) -> dict:
        obj = self.table(entity).pop(entity_id)
        tomb = {"Id": entity_id, "status": "Deleted", "domain": "QBO",
                "MetaData": {"LastUpdatedTime": qbo_time(now)}}
        self.deleted.setdefault(entity, {})[entity_id] = tomb
        self.changed_at.setdefault(entity, {})[entity_id] = now.timestamp()
        return obj

    def to_json(self) -> dict:
        return {"realm_id": self.realm_id, "name": self.name, "currency": self.currency,
                "country": self.country, "multicurrency": self.multicurrency,
                "entities": self.entities, "deleted": self.deleted,
                "changed_at": self.changed_at, "next_id": self.next_id,
                "next_doc_number": self.next_doc_number,
                "allow_duplicate_doc_number": self.allow_duplicate_doc_number}

    @classmethod
    def from_json(cls, data: dict) -> Company:
        return cls(**copy.deepcopy(data))


@dataclass
class Grant:
    """One consent: a client's access to one realm, with its current tokens."""

    client_id: str
    realm_id: str
    access_token: str
    access_expires: float
    refresh_token: str
    refresh_expires: float
    scope: str = "com.intuit.quickbooks.accounting"
    revoked: bool = False
    used_refresh_tokens: list[str] = field(default_factory=list)
    refresh_issued: float = 0.0  # when the current refresh token value was first handed out
    person: dict | None = None  # who consented (OpenID Connect userinfo), connector/sandbox/openid.py


class QuickBooksState:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.companies: dict[str, Company] = {}
        self.codes: dict[str, dict] = {}
        self.grants: list[Grant] = []
        self.access_index: dict[str, Grant] = {}
        self.refresh_index: dict[str, Grant] = {}
        self.files: dict[str, bytes] = {}

    @classmethod
    def seeded(cls, clock: Clock) -> QuickBooksState:
        from .seed import seed_companies

        state = cls(clock)
        for company in seed_companies(clock.now()):
            state.companies[company.realm_id] = company
        return state

    def company(self, realm_id: str) -> Company | None:
        return self.companies.get(str(realm_id))

    def add_grant(self, grant: Grant) -> None:
        self.grants.append(grant)
        self.access_index[grant.access_token] = grant
        self.refresh_index[grant.refresh_token] = grant

    def revoke(self, realm_id: str | None = None, token: str | None = None) -> int:
        """Revoke grants for a realm, or the grant one token belongs to; returns how many."""
        hits = [g for g in self.grants if not g.revoked and (
            (realm_id is not None and g.realm_id == str(realm_id))
            or (token is not None and token in (g.access_token, g.refresh_token)))]
        for grant in hits:
            grant.revoked = True
        return len(hits)

    def adopt_grants(self, old: QuickBooksState) -> None:
        """Take over another state's consents (a reset keeps connected clients connected)."""
        for grant in old.grants:
            if grant.realm_id in self.companies:
                self.add_grant(grant)
        for token, grant in old.refresh_index.items():
            if grant.realm_id in self.companies:
                self.refresh_index[token] = grant

    def to_json(self) -> dict:
        return {
            "companies": {k: c.to_json() for k, c in self.companies.items()},
            "grants": [vars(g) for g in self.grants],
            "files": {k: base64.b64encode(v).decode() for k, v in self.files.items()},
        }

    @classmethod
    def from_json(cls, data: dict, clock: Clock) -> QuickBooksState:
        state = cls(clock)
        for key, company in data.get("companies", {}).items():
            state.companies[key] = Company.from_json(company)
        for grant in data.get("grants", []):
            state.add_grant(Grant(**grant))
        state.files = {k: base64.b64decode(v) for k, v in data.get("files", {}).items()}
        return state
