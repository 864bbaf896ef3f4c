"""Where a bookkeeper opens an invoice in the books: the one place its web address is built.

These are the platforms' own web pages (not API URLs), so a click from the project page lands on
the invoice as the bookkeeper sees it in QuickBooks Online or Xero:

- QuickBooks Online: `https://app.qbo.intuit.com/app/invoice?txnId=ID` (a sandbox company:
  `app.sandbox.qbo.intuit.com`); the browser's own QuickBooks sign-in picks the company;
- Xero: `https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=ID` (Xero has no separate
  sandbox site: a demo company is an ordinary organisation).

Anything else (a platform we do not know, no id) has no link: the page shows the number alone.
"""

from __future__ import annotations

from urllib.parse import urlencode

QUICKBOOKS_APP = "https://app.qbo.intuit.com"
QUICKBOOKS_SANDBOX_APP = "https://app.sandbox.qbo.intuit.com"
XERO_APP = "https://go.xero.com"


def invoice_url(platform: str, invoice_id: str, *, quickbooks_sandbox: bool = False) -> str | None:
    """The invoice's page in the books, or None when there is none to link to."""
    if not invoice_id:
        return None
    if platform == "quickbooks":
        site = QUICKBOOKS_SANDBOX_APP if quickbooks_sandbox else QUICKBOOKS_APP
        return f"{site}/app/invoice?{urlencode({'txnId': invoice_id})}"
    if platform == "xero":
        return f"{XERO_APP}/AccountsReceivable/View.aspx?{urlencode({'InvoiceID': invoice_id})}"
    return None


def quickbooks_is_sandbox(environment: str) -> bool:
    """Whether `[quickbooks] environment` names Intuit's sandbox (a discovery URL counts when it
    is the sandbox's); "production" and production discovery URLs are not."""
    value = environment.strip().lower()
    return value == "sandbox" or "sandbox" in value
