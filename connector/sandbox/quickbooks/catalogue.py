"""The lists a billing connector meets besides customers and items: vendors, employees,
payment methods, departments, tax agencies and rates, company currencies and exchange rates.

Their rules, from Intuit's entity references: Customer, Vendor and Employee share one name
space (a DisplayName used by any of them is refused for the others with 6240); TaxRate is
read-only (it is made through the TaxService); TaxAgency can be created and read but not
changed; CompanyCurrency and ExchangeRate exist only when multicurrency is on. ExchangeRate
has no Id: QuickBooks keys it by ``SourceCurrencyCode`` (and ``AsOfDate``), and an app sets one
with ``POST /exchangerate``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from .books import Company, company_date, qbo_time
from .errors import QBOError, business_rule, required

PEOPLE = ("Customer", "Vendor", "Employee")
CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
                  "CAD": "Canadian Dollar", "AUD": "Australian Dollar", "NZD": "New Zealand Dollar",
                  "JPY": "Japanese Yen", "CHF": "Swiss Franc", "MXN": "Mexican Peso",
                  "INR": "Indian Rupee", "SGD": "Singapore Dollar", "ZAR": "South African Rand"}
DISCOUNT_ACCOUNT = ("9", "Discounts given")
VENDORS = [("80", "Hicks Hardware", "hicks@hardware.example"),
           ("81", "Brosnahan Insurance Agency", "claims@brosnahan.example")]
EMPLOYEES = [("70", "Emily", "Platt"), ("71", "John", "Johnson")]
PAYMENT_METHODS = [("1", "Cash", "NON_CREDIT_CARD"), ("2", "Check", "NON_CREDIT_CARD"),
                   ("3", "Visa", "CREDIT_CARD"), ("4", "Bank transfer", "NON_CREDIT_CARD")]
DEPARTMENTS = [("1", "Head Office"), ("2", "Site Works")]


def seed(company: Company, now: datetime) -> None:
    """Add the catalogue to a freshly seeded company (Ids stable for tests and demos)."""
    put = company.put
    put("Account", {"Id": DISCOUNT_ACCOUNT[0], "Name": DISCOUNT_ACCOUNT[1],
                    "FullyQualifiedName": DISCOUNT_ACCOUNT[1], "SubAccount": False,
                    "AccountType": "Income", "AccountSubType": "DiscountsRefundsGiven",
                    "Classification": "Revenue", "CurrentBalance": 0,
                    "CurrentBalanceWithSubAccounts": 0, "Active": True,
                    "CurrencyRef": {"value": company.currency}, "SyncToken": "0"},
        now, created=True)
    for vid, name, email in VENDORS:
        put("Vendor", {"Id": vid, "DisplayName": name, "CompanyName": name,
                       "PrintOnCheckName": name, "FullyQualifiedName": name,
                       "PrimaryEmailAddr": {"Address": email}, "Balance": 0,
                       "Vendor1099": False, "CurrencyRef": {"value": company.currency},
                       "Active": True, "SyncToken": "0"}, now, created=True)
    for eid, given, family in EMPLOYEES:
        name = f"{given} {family}"
        put("Employee", {"Id": eid, "GivenName": given, "FamilyName": family,
                         "DisplayName": name, "PrintOnCheckName": name, "BillableTime": False,
                         "Active": True, "SyncToken": "0"}, now, created=True)
    for pid, name, kind in PAYMENT_METHODS:
        put("PaymentMethod", {"Id": pid, "Name": name, "Type": kind, "Active": True,
                              "SyncToken": "0"}, now, created=True)
    for did, name in DEPARTMENTS:
        put("Department", {"Id": did, "Name": name, "FullyQualifiedName": name,
                           "SubDepartment": False, "Active": True, "SyncToken": "0"},
            now, created=True)
    agency = "California Department of Tax and Fee Administration"
    put("TaxAgency", {"Id": "1", "DisplayName": agency, "TaxTrackedOnSales": True,
                      "TaxTrackedOnPurchases": False, "Active": True, "SyncToken": "0"},
        now, created=True)
    put("TaxRate", {"Id": "1", "Name": "California", "Description": "Sales Tax",
                    "RateValue": 7.25, "AgencyRef": {"value": "1"}, "SpecialTaxType": "NONE",
                    "DisplayType": "ReadOnly", "Active": True, "SyncToken": "0"},
        now, created=True)
    if company.multicurrency:
        from .transactions import EXCHANGE_RATES

        for number, code in enumerate(c for c in EXCHANGE_RATES if c != company.currency):
            put("CompanyCurrency", {"Id": str(number + 1), "Code": code,
                                    "Name": CURRENCY_NAMES[code], "Active": True,
                                    "SyncToken": "0"}, now, created=True)
            set_rate(company, code, EXCHANGE_RATES[code], company_date(now), now)


def set_rate(company: Company, code: str, rate: Decimal | float | int, as_of: str,
             now: datetime) -> dict:
    table = company.table("ExchangeRate")
    old = table.get(code)
    row = {"SyncToken": str(int(old["SyncToken"]) + 1) if old else "0",
           "SourceCurrencyCode": code, "TargetCurrencyCode": company.currency,
           "Rate": float(rate), "AsOfDate": as_of, "domain": "QBO", "sparse": False,
           "MetaData": {"LastUpdatedTime": qbo_time(now)}}
    table[code] = row
    return row


def read_exchange_rate(company: Company, source: str | None, as_of: str | None,
                       now: datetime) -> dict:
    """``GET /exchangerate?sourcecurrencycode=&asofdate=``: the rate into the home currency."""
    if not source:
        raise required("sourcecurrencycode")
    row = company.table("ExchangeRate").get(source.upper())
    if row is None:
        raise QBOError(610, "Object Not Found",
                       f"Object Not Found : No exchange rate for {source}",
                       element="sourcecurrencycode")
    return {**row, "AsOfDate": as_of or company_date(now)}


def save_exchange_rate(company: Company, body: dict, now: datetime) -> dict:
    """``POST /exchangerate``: set the rate from a currency into the home currency."""
    if not company.multicurrency:
        raise business_rule("Multicurrency is not enabled for this company", "SourceCurrencyCode")
    code = str(body.get("SourceCurrencyCode") or "")
    if not code:
        raise required("SourceCurrencyCode")
    if not any(c.get("Code") == code and c.get("Active", True)
               for c in company.table("CompanyCurrency").values()):
        raise QBOError(2500, "Invalid Reference Id",
                       f"Invalid Reference Id : Currency {code} is not active in this company",
                       element="SourceCurrencyCode")
    target = body.get("TargetCurrencyCode")
    if target not in (None, "", company.currency):
        raise business_rule("Rates are set into the home currency only", "TargetCurrencyCode")
    try:
        rate = Decimal(str(body.get("Rate")))
    except InvalidOperation:
        raise required("Rate") from None
    if not rate.is_finite() or rate <= 0:
        raise business_rule("The exchange rate must be more than zero", "Rate")
    old = company.table("ExchangeRate").get(code)
    if old is not None and body.get("SyncToken") not in (None, "") and \
            str(body["SyncToken"]) != old["SyncToken"]:
        from .errors import stale

        raise stale("ExchangeRate", code)
    return set_rate(company, code, rate, str(body.get("AsOfDate") or company_date(now)), now)


def person_name(entity: str, obj: dict) -> str:
    """The DisplayName QuickBooks makes from the name parts when none is sent."""
    parts = [str(obj.get(k) or "").strip() for k in ("Title", "GivenName", "MiddleName",
                                                      "FamilyName", "Suffix")]
    name = " ".join(p for p in parts if p)
    if not name and entity != "Employee":
        name = str(obj.get("CompanyName") or "").strip()
    return name


def prepare(company: Company, entity: str, obj: dict, created: bool) -> None:
    """Defaults and checks for the catalogue's entities before the shared name rules run."""
    if entity in ("Vendor", "Employee", "TaxAgency") and not str(obj.get("DisplayName") or "").strip():
        name = person_name(entity, obj)
        if not name:
            raise QBOError(6080, "No Name Provided",
                           "Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one "
                           "of these must be non-empty", element="DisplayName")
        obj["DisplayName"] = name
    if entity in ("Vendor", "Employee"):
        obj.setdefault("PrintOnCheckName", obj["DisplayName"])
    if entity == "Vendor":
        if created:
            obj["Balance"] = 0
        obj.setdefault("Vendor1099", False)
        if not company.multicurrency or not obj.get("CurrencyRef"):
            obj["CurrencyRef"] = {"value": company.currency}
    if entity == "Employee":
        obj.setdefault("BillableTime", False)
    if entity == "PaymentMethod":
        obj.setdefault("Type", "NON_CREDIT_CARD")
    if entity == "Department":
        obj.setdefault("SubDepartment", bool(obj.get("ParentRef")))
    if entity == "TaxAgency":
        if not created:
            raise QBOError(4000, "Unsupported Operation",
                           "Operation Update is not supported for TaxAgency.")
        obj.setdefault("TaxTrackedOnSales", True)
        obj.setdefault("TaxTrackedOnPurchases", False)
    if entity == "CompanyCurrency":
        _prepare_currency(company, obj, created)


def _prepare_currency(company: Company, obj: dict, created: bool) -> None:
    if not company.multicurrency:
        raise business_rule("Multicurrency is not enabled for this company", "Code")
    code = str(obj.get("Code") or "")
    if not code:
        raise required("Code")
    if code not in CURRENCY_NAMES or code == company.currency:
        raise QBOError(2500, "Invalid Reference Id",
                       f"Invalid Reference Id : Currency code {code} is not supported",
                       element="Code")
    obj["Name"] = CURRENCY_NAMES[code]
    if created and any(c.get("Code") == code for c in company.table("CompanyCurrency").values()):
        raise QBOError(6240, "Duplicate Name Exists Error",
                       f"The name supplied already exists. : Currency {code} is already in "
                       f"the currency list", element="Code")
