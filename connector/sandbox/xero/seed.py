"""The two seeded Xero organisations: a New Zealand one (NZD, GST) and a UK one (GBP, VAT).

Ids are derived from fixed names (uuid5), so a demo script or a README can refer to the same
organisation on every start. Charts of accounts, tax types and item codes follow Xero's own
demo companies, so the codes a connector is configured with (`200` Sales, `090` bank,
`OUTPUT2`) mean the same here as in a real organisation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connector.sandbox.xero.books import Organisation

_NAMESPACE = uuid.UUID("6f1c9f0e-4a52-4b8e-9d1a-2f6e5b7c8d90")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


_ACCOUNTS: list[tuple[str, str, str, str, str]] = [
    # code, name, type, class, tax type
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE"),
    ("091", "Business Savings Account", "BANK", "ASSET", "NONE"),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT2"),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2"),
    ("270", "Interest Income", "REVENUE", "REVENUE", "NONE"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2"),
    ("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT2"),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE"),
    ("620", "Prepayments", "CURRENT", "ASSET", "NONE"),
    ("630", "Retentions Receivable", "CURRENT", "ASSET", "NONE"),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE"),
    ("820", "Sales Tax", "CURRLIAB", "LIABILITY", "NONE"),
]
_SYSTEM_ACCOUNTS = {"610": "DEBTORS", "800": "CREDITORS", "820": "GST"}

_TAX_RATES = {
    # country: [(tax type, name, rate, report tax type)]
    "NZ": [("OUTPUT2", "15% GST on Income", "15", "OUTPUT"),
           ("INPUT2", "15% GST on Expenses", "15", "INPUT"),
           ("ZERORATED", "Zero Rated", "0", "OUTPUT"),
           ("EXEMPTOUTPUT", "Exempt Sales", "0", "EXEMPTOUTPUT"),
           ("NONE", "No GST", "0", "NONE")],
    "GB": [("OUTPUT2", "20% (VAT on Income)", "20", "OUTPUT"),
           ("RROUTPUT", "5% (VAT on Income)", "5", "OUTPUT"),
           ("ZERORATEDOUTPUT", "Zero Rated Income", "0", "OUTPUT"),
           ("EXEMPTOUTPUT", "Exempt Income", "0", "EXEMPTOUTPUT"),
           ("INPUT2", "20% (VAT on Expenses)", "20", "INPUT"),
           ("NONE", "No VAT", "0", "NONE")],
}
_ITEMS = [
    ("CONSULT", "Consulting", "Consulting services, per hour", "150.00"),
    ("DESIGN", "Design", "Design work, per day", "950.00"),
    ("MILESTONE", "Milestone", "Project milestone (contract billing)", "0.00"),
    ("RETAIN", "Retention", "Retention held or released", "0.00"),
]
_TRACKING = {"Region": ["North", "South", "Central"], "Project": ["Fit-out", "Website", "Internal"]}
_CURRENCIES = {
    "NZ": [("NZD", "New Zealand Dollar"), ("AUD", "Australian Dollar"), ("USD", "United States Dollar")],
    "GB": [("GBP", "British Pound"), ("EUR", "Euro"), ("USD", "United States Dollar")],
}
_ORGANISATIONS = [
    ("NZ", "Kōwhai Build Ltd (sandbox)", "NZD", "!nzKw1"),
    ("GB", "Thames Studio Ltd (sandbox)", "GBP", "!ukTs2"),
]
SEED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def seed_organisations(now: datetime | None = None) -> list[Organisation]:
    stamp = now or SEED_DATE
    return [_organisation(country, name, currency, code, stamp)
            for country, name, currency, code in _ORGANISATIONS]


def _organisation(country: str, name: str, currency: str, short_code: str,
                  now: datetime) -> Organisation:
    tenant = stable_id("tenant", country)
    org = Organisation(tenant, name, country, currency, short_code)
    for record in _tax_rates(country):
        org.save("TaxRates", record, now)
    for record in _accounts(tenant, currency):
        org.save("Accounts", record, now)
    for record in _items(tenant):
        org.save("Items", record, now)
    for record in _tracking(tenant):
        org.save("TrackingCategories", record, now)
    for code, description in _CURRENCIES[country]:
        org.save("Currencies", {"Code": code, "Description": description}, now)
    org.save("Contacts", _contact(tenant, "Seed Customer Ltd", "accounts@seed-customer.test"), now)
    org.journal.clear()
    return org


def _tax_rates(country: str) -> list[dict[str, Any]]:
    rows = []
    for tax_type, name, rate, report in _TAX_RATES[country]:
        value = Decimal(rate)
        rows.append({
            "Name": name, "TaxType": tax_type, "Status": "ACTIVE", "ReportTaxType": report,
            "TaxComponents": [{"Name": "GST" if country == "NZ" else "VAT", "Rate": value,
                               "IsCompound": False, "IsNonRecoverable": False}],
            "CanApplyToAssets": True, "CanApplyToEquity": True, "CanApplyToExpenses": True,
            "CanApplyToLiabilities": True, "CanApplyToRevenue": True,
            "DisplayTaxRate": value, "EffectiveRate": value,
        })
    return rows


def _accounts(tenant: str, currency: str) -> list[dict[str, Any]]:
    rows = []
    for code, name, kind, klass, tax in _ACCOUNTS:
        record: dict[str, Any] = {
            "AccountID": stable_id(tenant, "account", code), "Code": code, "Name": name,
            "Type": kind, "Class": klass, "TaxType": tax, "Status": "ACTIVE",
            "Description": "", "EnablePaymentsToAccount": kind == "BANK",
            "ShowInExpenseClaims": False, "ReportingCode": "", "HasAttachments": False,
            "AddToWatchlist": False,
        }
        if kind == "BANK":
            record.update(BankAccountNumber="0000-" + code, BankAccountType="BANK",
                          CurrencyCode=currency)
        if code in _SYSTEM_ACCOUNTS:
            record["SystemAccount"] = _SYSTEM_ACCOUNTS[code]
        rows.append(record)
    return rows


def _items(tenant: str) -> list[dict[str, Any]]:
    return [{
        "ItemID": stable_id(tenant, "item", code), "Code": code, "Name": name,
        "Description": description, "IsSold": True, "IsPurchased": False,
        "IsTrackedAsInventory": False,
        "SalesDetails": {"UnitPrice": Decimal(price), "AccountCode": "200", "TaxType": "OUTPUT2"},
        "PurchaseDetails": {},
    } for code, name, description, price in _ITEMS]


def _tracking(tenant: str) -> list[dict[str, Any]]:
    rows = []
    for category, options in _TRACKING.items():
        category_id = stable_id(tenant, "tracking", category)
        rows.append({
            "TrackingCategoryID": category_id, "Name": category, "Status": "ACTIVE",
            "Options": [{"TrackingOptionID": stable_id(category_id, option), "Name": option,
                         "Status": "ACTIVE"} for option in options],
        })
    return rows


def _contact(tenant: str, name: str, email: str) -> dict[str, Any]:
    return {
        "ContactID": stable_id(tenant, "contact", name), "Name": name, "EmailAddress": email,
        "ContactStatus": "ACTIVE", "IsCustomer": True, "IsSupplier": False,
        "Addresses": [], "Phones": [], "ContactPersons": [], "HasAttachments": False,
        "HasValidationErrors": False,
    }
