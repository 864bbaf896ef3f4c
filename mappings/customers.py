"""A customer's name as the books will hold it, the same way on both platforms.

QuickBooks' DisplayName is unique across customers, vendors and employees, and Xero's contact
Name across contacts; when the plain name belongs to someone else, the gateway tries the next.
"""

from __future__ import annotations

import re
import unicodedata

from connector.billing.model import Customer

# Words that say what kind of company it is, not which one: "Acme Corp" is "ACME Corporation".
_LEGAL_FORMS = frozenset({
    "co", "company", "corp", "corporation", "inc", "incorporated", "llc", "llp", "lp", "ltd",
    "limited", "plc", "pty", "gmbh", "ag", "sa", "sarl", "bv", "nv", "the",
})


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


def normalised_name(name: str) -> str:
    """A name reduced to what identifies it: case, accents, punctuation and legal forms
    dropped ("Kōwhai Café Ltd." and "KOWHAI CAFE" agree; "Amy's Bird Sanctuary" and "Birdie
    Sanctuary LLC" do not)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = re.sub(r"[^a-z0-9]+", " ", plain.replace("'", "")).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def names_agree(customer: Customer, platform_name: str) -> bool:
    """Whether a customer found in the books by e-mail alone is this one: its name must agree
    with the customer's company or person name after normalising."""
    found = normalised_name(platform_name)
    return bool(found) and any(
        found == normalised_name(n) for n in (customer.company, customer.name) if n)


def email_match(customer: Customer, found: list[tuple[str, str]]) -> str | None:
    """Of the (id, name) pairs the books hold under the customer's e-mail, the one that is
    this customer: only when exactly one has that e-mail and the names agree. Two companies
    may share an accounts mailbox; an e-mail alone never decides."""
    if len(found) != 1:
        return None
    platform_id, name = found[0]
    return platform_id if names_agree(customer, name) else None
