"""The seeded QuickBooks companies: what a fresh sandbox offers a demo or a test.

A US company (USD, automated sales tax off) and a second company with multi-currency on, each
with the accounts, items, tax codes, classes, terms and a few customers a milestone invoice
needs. Ids are stable so tests and demos can name them.
"""

from __future__ import annotations

from datetime import datetime

from . import catalogue, preferences
from .books import Company

US_REALM = "9130350000000001"
MULTICURRENCY_REALM = "9130350000000002"

CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
                  "CAD": "Canadian Dollar"}

ACCOUNTS = [
    # Id, Name, AccountType, AccountSubType, Classification
    ("1", "Services", "Income", "ServiceFeeIncome", "Revenue"),
    ("2", "Milestone Revenue", "Income", "SalesOfProductIncome", "Revenue"),
    ("3", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset"),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
    ("5", "Checking", "Bank", "Checking", "Asset"),
    ("6", "Retainage Receivable", "Other Current Asset", "Retainage", "Asset"),
    ("7", "Customer Deposits", "Other Current Liability", "OtherCurrentLiabilities", "Liability"),
    ("8", "Late Fee Income", "Other Income", "OtherMiscellaneousIncome", "Revenue"),
]

ITEMS = [
    # Id, Name, UnitPrice, income account id
    ("1", "Services", "0", "1"),
    ("2", "Milestone", "0", "2"),
    ("3", "Design", "150", "1"),
    ("4", "Consulting", "200", "1"),
    ("5", "Retainage", "0", "6"),
    ("6", "Late Fee", "0", "8"),
]

CLASSES = [("100", "Residential"), ("101", "Commercial"), ("102", "Public Works")]
TERMS = [("1", "Due on receipt", 0), ("2", "Net 15", 15), ("3", "Net 30", 30), ("4", "Net 60", 60)]
CUSTOMERS = [
    ("58", "Amy's Bird Sanctuary", "Amy's Bird Sanctuary", "birds@example.com", "USD"),
    ("59", "Cool Cars", "Cool Cars", "cool.cars@example.com", "USD"),
]


def _ref(value: str, name: str = "") -> dict:
    return {"value": value, "name": name} if name else {"value": value}


def _company(realm: str, name: str, currency: str, multicurrency: bool, now: datetime) -> Company:
    company = Company(realm_id=realm, name=name, currency=currency, multicurrency=multicurrency)
    currency_ref = _ref(currency, CURRENCY_NAMES[currency])
    accounts = {a[0]: a[1] for a in ACCOUNTS}
    for aid, aname, atype, subtype, classification in ACCOUNTS:
        company.put("Account", {
            "Id": aid, "Name": aname, "FullyQualifiedName": aname, "SubAccount": False,
            "AccountType": atype, "AccountSubType": subtype, "Classification": classification,
            "CurrentBalance": 0, "CurrentBalanceWithSubAccounts": 0, "Active": True,
            "CurrencyRef": currency_ref, "SyncToken": "0"}, now, created=True)
    for iid, iname, price, income in ITEMS:
        company.put("Item", {
            "Id": iid, "Name": iname, "FullyQualifiedName": iname, "Type": "Service",
            "UnitPrice": int(price), "Taxable": False,
            "IncomeAccountRef": _ref(income, accounts[income]), "Active": True,
            "TrackQtyOnHand": False, "SyncToken": "0"}, now, created=True)
    for cid, cname in CLASSES:
        company.put("Class", {"Id": cid, "Name": cname, "FullyQualifiedName": cname,
                              "SubClass": False, "Active": True, "SyncToken": "0"},
                    now, created=True)
    for tid, tname, days in TERMS:
        company.put("Term", {"Id": tid, "Name": tname, "Type": "STANDARD", "DueDays": days,
                             "Active": True, "SyncToken": "0"}, now, created=True)
    for code, description, taxable in (("TAX", "Taxable", True), ("NON", "Non-Taxable", False)):
        company.put("TaxCode", {"Id": code, "Name": code, "Description": description,
                                "Taxable": taxable, "TaxGroup": taxable, "Active": True,
                                "Hidden": False, "SyncToken": "0"}, now, created=True)
    for cid, display, cname, email, cur in CUSTOMERS:
        company.put("Customer", {
            "Id": cid, "DisplayName": display, "CompanyName": cname,
            "FullyQualifiedName": display, "PrintOnCheckName": cname,
            "PrimaryEmailAddr": {"Address": email}, "Balance": 0, "BalanceWithJobs": 0,
            "CurrencyRef": _ref(cur, CURRENCY_NAMES[cur]), "PreferredDeliveryMethod": "Email",
            "Active": True, "Job": False, "BillWithParent": False, "Taxable": False,
            "SyncToken": "0"}, now, created=True)
    catalogue.seed(company, now)
    company.next_id = 200
    return company


def seed_companies(now: datetime) -> list[Company]:
    us = _company(US_REALM, "Milepost Builders (US)", "USD", False, now)
    multi = _company(MULTICURRENCY_REALM, "Milepost Global Ltd", "USD", True, now)
    multi.put("Customer", {
        "Id": "60", "DisplayName": "Euro Works GmbH", "CompanyName": "Euro Works GmbH",
        "FullyQualifiedName": "Euro Works GmbH", "PrimaryEmailAddr": {"Address": "ap@euroworks.example"},
        "Balance": 0, "BalanceWithJobs": 0, "CurrencyRef": _ref("EUR", CURRENCY_NAMES["EUR"]),
        "Active": True, "Job": False, "BillWithParent": False, "Taxable": False,
        "SyncToken": "0"}, now, created=True)
    for company in (us, multi):
        preferences.current(company, now)
    return [us, multi]
