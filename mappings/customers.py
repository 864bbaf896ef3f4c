"""A customer's name as the books will hold it, the same way on both platforms.

QuickBooks' DisplayName is unique across customers, vendors and employees, and Xero's contact
Name across contacts; when the plain name belongs to someone else, the gateway tries the next.
"""

from __future__ import annotations

from connector.billing.model import Customer


def name_candidates(customer: Customer) -> list[str]:
    """Names to try, in order: the company (or person), then company with person, then with
    the email, so a second "Acme Corp" becomes "Acme Corp (Dana Reyes)" rather than a clash."""
    base = (customer.company or customer.name).strip()
    candidates = [base]
    if customer.company and customer.name and customer.name != customer.company:
        candidates.append(f"{customer.company} ({customer.name})")
    if customer.email:
        candidates.append(f"{base} <{customer.email}>")
    return candidates
