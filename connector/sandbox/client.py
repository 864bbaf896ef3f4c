"""Helpers for tests and demos: run the sandbox in-process and drive its control API.

``SandboxServer`` starts the real HTTP server on a free loopback port in a background thread,
so SDKs talk to it over real sockets exactly as they would to QuickBooks or Xero.
``SandboxControl`` is a thin Python face on ``/_sandbox/``.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import requests
from werkzeug.serving import make_server

from .app import QuietRequestHandler, create_app
from .httpserver import LeanWSGIServer
from .state import SandboxState

TIMEOUT_SECONDS = 10.0


class SandboxControl:
    """Python methods for every control endpoint of a running sandbox at ``url``."""

    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = session or requests.Session()

    def _call(self, method: str, path: str, payload: dict | None = None,
              params: dict | None = None) -> Any:
        answer = self.http.request(method, f"{self.url}/_sandbox{path}", json=payload,
                                   params=params, timeout=TIMEOUT_SECONDS)
        if answer.status_code >= 400:
            raise RuntimeError(f"sandbox control {method} {path}: {answer.status_code} "
                               f"{answer.text[:300]}")
        return answer.json()

    # shared controls ------------------------------------------------------------------------
    def info(self) -> dict:
        return self._call("GET", "/info")

    def reset(self) -> dict:
        return self._call("POST", "/reset")

    def set_identity(self, service: str, email: str, *, verified: bool = True,
                     given_name: str = "", family_name: str = "") -> dict:
        """Who signs in at Intuit (`quickbooks`) or Xero next: their e-mail and whether the
        platform has verified it (OpenID Connect's `email_verified`)."""
        return self._call("POST", "/identity", {"service": service, "email": email,
                                                "email_verified": verified,
                                                "given_name": given_name,
                                                "family_name": family_name})

    def save(self, path: str | None = None) -> dict:
        return self._call("POST", "/save", {"path": path} if path else {})

    def set_fault(self, service: str, kind: str, *, company: str = "*", endpoint: str = "*",
                  rate: float = 1.0, count: int | None = None, seed: int | None = None,
                  delay_seconds: float = 2.0) -> dict:
        return self._call("POST", "/faults", {
            "service": service, "kind": str(kind), "company": company, "endpoint": endpoint,
            "rate": rate, "count": count, "seed": seed, "delay_seconds": delay_seconds})

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")["rules"]

    def clear_faults(self, rule_id: int | None = None) -> list[dict]:
        params = {"id": rule_id} if rule_id is not None else None
        return self._call("DELETE", "/faults", params=params)["rules"]

    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock", {"advance": seconds})

    def set_clock(self, when: str, *, freeze: bool | None = None) -> dict:
        payload: dict[str, Any] = {"set": when}
        if freeze is not None:
            payload["freeze"] = freeze
        return self._call("POST", "/clock", payload)

    def freeze_clock(self, frozen: bool = True) -> dict:
        return self._call("POST", "/clock", {"freeze": frozen})

    def stats(self) -> list[dict]:
        return self._call("GET", "/stats")["requests"]

    def request_count(self, service: str, endpoint: str | None = None,
                      company: str | None = None) -> int:
        return sum(row["count"] for row in self.stats() if row["service"] == service
                   and endpoint in (None, row["endpoint"]) and company in (None, row["company"]))

    def set_latency(self, *, quickbooks: float | None = None, xero: float | None = None) -> dict:
        payload = {k: v for k, v in (("quickbooks", quickbooks), ("xero", xero)) if v is not None}
        return self._call("POST", "/latency", payload)

    def set_rate_limits(self, enabled: bool) -> dict:
        return self._call("POST", "/ratelimits", {"enabled": enabled})

    def configure_webhooks(self, service: str, url: str | None = None, *,
                           format: str | None = None, window_seconds: float | None = None,
                           enabled: bool | None = None) -> dict:
        return self._call("POST", "/webhooks", {
            "service": service, "urls": [url] if url else [], "format": format,
            "window_seconds": window_seconds, "enabled": enabled})

    def webhook_log(self, service: str | None = None) -> list[dict]:
        params = {"service": service} if service else None
        return self._call("GET", "/webhooks/log", params=params)["deliveries"]

    def flush_webhooks(self, service: str | None = None) -> list[dict]:
        return self._call("POST", "/webhooks/flush", {"service": service} if service else {})[
            "deliveries"]

    def revoke(self, service: str, company: str) -> dict:
        """QuickBooks: the customer revokes the app's grant to the realm (calls 401, refresh
        invalid_grant). Xero: the organisation is disconnected (see `disconnect_xero`)."""
        return self._call("POST", "/revoke", {"service": service, "company": company})

    def revoke_xero_grant(self, tenant_id: str) -> dict:
        """Revoke the Xero consent(s) reaching the organisation: the refresh token is refused
        with invalid_grant and every connection of the consent goes (calls get 403)."""
        return self._call("POST", f"/xero/{tenant_id}/revoke")

    def disconnect_xero(self, tenant_id: str) -> dict:
        """The organisation disconnects the app: gone from GET /connections, its calls 403;
        the consent's other organisations and its refresh token go on working."""
        return self._call("POST", f"/xero/{tenant_id}/disconnect")

    def add_quickbooks_company(self, name: str, currency: str = "USD") -> str:
        """A new QuickBooks company set up like the seeded ones; returns its realm id."""
        return self._call("POST", "/quickbooks/companies",
                          {"name": name, "currency": currency})["realm_id"]

    def add_xero_organisation(self, name: str, country: str = "NZ",
                              currency: str | None = None) -> str:
        """A new Xero organisation set up like the seeded one of `country`; its tenant id."""
        return self._call("POST", "/xero/organisations",
                          {"name": name, "country": country, "currency": currency})["tenant_id"]

    def answers(self, window: float = 60, *, clear: bool = False) -> dict:
        """Platform answers by service, company and status, and each company's busiest
        `window` seconds (see companies.py); `clear=True` forgets them."""
        return self._call("DELETE" if clear else "GET", "/answers", params={"window": window})

    # QuickBooks bookkeeper actions ------------------------------------------------------------
    def qbo(self, action: str, realm_id: str, **payload: Any) -> dict:
        """Any QuickBooks bookkeeper action under ``/_sandbox/quickbooks/{realm}/...``."""
        return self._call("POST", f"/quickbooks/{realm_id}/{action}", payload)

    def record_payment(self, realm_id: str, invoice_id: str, amount: str | None = None,
                       **extra: Any) -> dict:
        """Record a payment against a QuickBooks invoice (the whole balance when no amount)."""
        return self.qbo("payments", realm_id, invoice_id=invoice_id, amount=amount, **extra)

    def quickbooks_invoice(self, realm_id: str, invoice_id: str) -> dict:
        """The invoice as stored in the sandbox's QuickBooks books (read without OAuth)."""
        return self._call("GET", f"/quickbooks/{realm_id}/invoices/{invoice_id}")

    def send_invoice(self, realm_id: str, invoice_id: str, email: str | None = None) -> dict:
        return self.qbo(f"invoices/{invoice_id}/send", realm_id, email=email)

    def void_invoice(self, realm_id: str, invoice_id: str) -> dict:
        return self.qbo(f"invoices/{invoice_id}/void", realm_id)

    def delete_invoice(self, realm_id: str, invoice_id: str) -> dict:
        return self.qbo(f"invoices/{invoice_id}/delete", realm_id)

    def void_payment(self, realm_id: str, payment_id: str) -> dict:
        return self.qbo(f"payments/{payment_id}/void", realm_id)

    def edit_estimate(self, realm_id: str, estimate_id: str, **changes: Any) -> dict:
        return self.qbo(f"estimates/{estimate_id}/edit", realm_id, **changes)

    def set_multicurrency(self, realm_id: str, enabled: bool | None = True,
                          home_currency: str | None = None) -> dict:
        """Turn QuickBooks multicurrency on (it cannot go off again) and/or set the home
        currency (only while multicurrency is off); returns the CurrencyPrefs."""
        payload: dict[str, Any] = {"enabled": enabled}
        if home_currency is not None:
            payload["home_currency"] = home_currency
        return self.qbo("multicurrency", realm_id, **payload)

    def set_customer_currency(self, realm_id: str, customer_id: str, currency: str) -> dict:
        """A QuickBooks customer's CurrencyRef (refused once it has transactions)."""
        return self.qbo(f"customers/{customer_id}/currency", realm_id, currency=currency)

    def seed_quickbooks(self, realm_id: str, *, customers: int = 0, invoices: int = 0,
                        payments: int = 0, amount: str = "100.00") -> dict:
        """Many customers, invoices (`amount` each) and payments (each paying one new invoice
        in full) in one call; id ranges of what was made."""
        return self.qbo("seed", realm_id, customers=customers, invoices=invoices,
                        payments=payments, amount=amount)

    def xero(self, action: str, tenant_id: str, **payload: Any) -> dict:
        """Any Xero bookkeeper action under ``/_sandbox/xero/{tenant}/...``."""
        return self._call("POST", f"/xero/{tenant_id}/{action}", payload)

    def xero_intent_to_receive(self, url: str) -> dict:
        """Run Xero's intent-to-receive check against `url`: `passed` and each round."""
        return self._call("POST", "/xero/webhooks/intent", {"url": url})

    def xero_void_invoice(self, tenant_id: str, invoice_id: str) -> dict:
        return self.xero(f"invoices/{invoice_id}/void", tenant_id)

    def xero_delete_invoice(self, tenant_id: str, invoice_id: str) -> dict:
        return self.xero(f"invoices/{invoice_id}/delete", tenant_id)

    def set_xero_currency(self, tenant_id: str, code: str, enabled: bool = True) -> list[dict]:
        """Add a currency to a Xero organisation, or take it away; the currencies after."""
        return self.xero("currencies", tenant_id, code=code, enabled=enabled)["Currencies"]

    def seed_xero(self, tenant_id: str, *, contacts: int = 0, invoices: int = 0,
                  payments: int = 0, amount: str = "100.00") -> dict:
        """Many contacts, AUTHORISED invoices and payments in one call (see seed_quickbooks)."""
        return self.xero("seed", tenant_id, contacts=contacts, invoices=invoices,
                         payments=payments, amount=amount)


class SandboxServer:
    """The sandbox on 127.0.0.1 and a free port, served from a background thread.

    Use as a context manager; on exit the server stops and its thread is joined, so no test
    leaves a server behind.
    """

    def __init__(self, state: SandboxState | None = None, *, auto_consent: bool = True,
                 host: str = "127.0.0.1", port: int = 0, http_server: str = "lean") -> None:
        self.state = state or SandboxState()
        self.app = create_app(self.state, auto_consent=auto_consent)
        self._host, self._port = host, port
        self._http_server = http_server  # "lean" (fast) or "werkzeug" (the reference)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox server is not running")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> SandboxServer:
        if self._http_server == "werkzeug":
            self._server = make_server(self._host, self._port, self.app, threaded=True,
                                       request_handler=QuietRequestHandler)
        else:
            self._server = LeanWSGIServer(self._host, self._port, self.app)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="sandbox-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.state.webhooks.reset()
        self._server = self._thread = None

    @property
    def control(self) -> SandboxControl:
        return SandboxControl(self.url)

    def info(self) -> dict:
        return self.control.info()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
