"""More companies on demand, and a tally of what the sandbox answered.

A scale-out test needs twenty books, not the four a fresh sandbox is seeded with, so
``/_sandbox/quickbooks/companies`` and ``/_sandbox/xero/organisations`` add a company or an
organisation set up exactly like the seeded ones (same chart of accounts, items, tax codes,
terms, customers), under a new realm id or tenant id. A reset goes back to the seeded books,
so added companies (and the grants to them) are gone after it, like everything else.

The tally (``GET /_sandbox/answers``) counts every platform answer by service, company and
status, and keeps when each request to a company arrived, so a test can prove from the
sandbox's own records that nothing was refused with a 429 and how close the busiest minute
came to a company's limit.

    POST /_sandbox/quickbooks/companies     {"name", "currency"="USD", "multicurrency"=false}
                                            -> {"realm_id", "name", "currency"}
    POST /_sandbox/xero/organisations       {"name", "country"="NZ", "currency"?}
                                            -> {"tenant_id", "name", "country", "currency"}
    GET  /_sandbox/answers[?window=60]      -> {"answers": [{service, company, status, count}],
                                                "busiest": [{service, company, requests}]}
    DELETE /_sandbox/answers                forget the tally (a reset does not: clear it
                                            when a test starts counting)
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, deque
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .state import SandboxState, current_state

KEPT_ARRIVALS = 20_000  # per company: two busy minutes at QuickBooks' 500/minute, many times over


class AnswerTally:
    """Counts answers by (service, company, status) and remembers arrival times per company."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: Counter[tuple[str, str, int]] = Counter()
        self._arrivals: dict[tuple[str, str], deque[float]] = {}

    def record(self, service: str, company: str, status: int, at: float) -> None:
        with self._lock:
            self._answers[(service, company, status)] += 1
            self._arrivals.setdefault((service, company), deque(maxlen=KEPT_ARRIVALS)).append(at)

    def answers(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = sorted(self._answers.items())
        return [{"service": s, "company": c, "status": code, "count": n}
                for (s, c, code), n in rows]

    def busiest(self, window: float) -> list[dict[str, Any]]:
        """Per company, the most requests that arrived within any `window` seconds."""
        with self._lock:
            arrivals = {key: list(times) for key, times in self._arrivals.items()}
        return [{"service": s, "company": c, "requests": _densest(times, window)}
                for (s, c), times in sorted(arrivals.items())]

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._arrivals.clear()


def _densest(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _tally(state: SandboxState) -> AnswerTally:
    tally = getattr(state, "answer_tally", None)
    if tally is None:
        with state.lock:
            tally = getattr(state, "answer_tally", None) or AnswerTally()
            state.answer_tally = tally  # type: ignore[attr-defined]
    return tally


def _platform_request() -> tuple[str, str] | None:
    """(service, company) of a platform API request; None for OAuth, control and pages."""
    parts = request.path.strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "v3" and parts[1] == "company":
        return "quickbooks", parts[2]
    if parts and parts[0] == "api.xro":
        return "xero", (request.headers.get("xero-tenant-id") or "").strip().lower()
    return None


def _count_answer(answer: Response) -> Response:
    target = _platform_request()
    if target is not None:
        state = current_state()
        _tally(state).record(*target, answer.status_code, state.clock.timestamp())
    return answer


# -- new books -----------------------------------------------------------------------------------
def add_quickbooks_company(state: SandboxState, name: str, currency: str = "USD",
                           multicurrency: bool = False) -> dict[str, str]:
    """A company like the seeded ones under the next free realm id."""
    from .quickbooks.seed import CURRENCY_NAMES, _company

    if currency not in CURRENCY_NAMES:
        raise ValueError(f"currency must be one of {sorted(CURRENCY_NAMES)}")
    with state.lock:
        books = state.quickbooks
        realm = str(max([int(r) for r in books.companies if r.isdigit()] or [9130350000000000]) + 1)
        books.companies[realm] = _company(realm, name, currency, multicurrency, state.clock.now())
    return {"realm_id": realm, "name": name, "currency": currency}


def add_xero_organisation(state: SandboxState, name: str, country: str = "NZ",
                          currency: str | None = None) -> dict[str, str]:
    """An organisation like the seeded one of `country` (NZ or GB), under a new tenant id."""
    from .xero import seed

    if country not in seed._TAX_RATES:
        raise ValueError(f"country must be one of {sorted(seed._TAX_RATES)}")
    codes = [code for code, _ in seed._CURRENCIES[country]]
    currency = currency or codes[0]
    if currency not in codes:
        raise ValueError(f"currency for {country} must be one of {codes}")
    with state.lock:
        tenant = seed.stable_id("tenant", country, name, uuid.uuid4().hex)
        org = _organisation(seed, tenant, name, country, currency, state.clock.now())
        state.xero.organisations[tenant] = org
    return {"tenant_id": tenant, "name": name, "country": country, "currency": currency}


def _organisation(seed: Any, tenant: str, name: str, country: str, currency: str,
                  now: datetime) -> Any:
    org = seed.Organisation(tenant, name, country, currency, "!" + tenant[:5])
    for collection, records in (("TaxRates", seed._tax_rates(country)),
                                ("Accounts", seed._accounts(tenant, currency)),
                                ("Items", seed._items(tenant)),
                                ("TrackingCategories", seed._tracking(tenant))):
        for record in records:
            org.save(collection, record, now)
    for code, description in seed._CURRENCIES[country]:
        org.save("Currencies", {"Code": code, "Description": description}, now)
    org.save("Contacts", seed._contact(tenant, "Seed Customer Ltd", "accounts@seed-customer.test"),
             now)
    org.journal.clear()
    return org


# -- the control endpoints -------------------------------------------------------------------------
def register(bp: Blueprint) -> None:
    """Mount the endpoints on the shared `/_sandbox` blueprint and start the tally."""
    bp.after_app_request(_count_answer)

    @bp.post("/quickbooks/companies")
    def new_quickbooks_company():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True) or {}
        try:
            made = add_quickbooks_company(current_state(), str(body.get("name") or "Company"),
                                          str(body.get("currency") or "USD"),
                                          bool(body.get("multicurrency", False)))
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        return jsonify(made), 201

    @bp.post("/xero/organisations")
    def new_xero_organisation():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True) or {}
        try:
            made = add_xero_organisation(current_state(), str(body.get("name") or "Organisation"),
                                         str(body.get("country") or "NZ"), body.get("currency"))
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        return jsonify(made), 201

    @bp.route("/answers", methods=["GET", "DELETE"])
    def answers():  # type: ignore[no-untyped-def]
        tally = _tally(current_state())
        if request.method == "DELETE":
            tally.clear()
        window = float(request.args.get("window", 60))
        return jsonify({"answers": tally.answers(), "busiest": tally.busiest(window)})
