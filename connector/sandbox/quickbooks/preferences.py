"""The company's Preferences: the whole document QuickBooks serves, and its sparse update.

``GET /preferences`` answers every block a QuickBooks Online Plus company has
(AccountingInfoPrefs, ProductAndServicesPrefs, SalesFormsPrefs, EmailMessagesPrefs,
VendorAndPurchasesPrefs, TimeTrackingPrefs, TaxPrefs, CurrencyPrefs, ReportPrefs, OtherPrefs).
Intuit's Preferences page: "mostly exposed as read-only ... only a very small subset of them
available as writable". ``POST /preferences`` therefore takes the current ``SyncToken`` and
changes only the writable fields it carries; a read-only field sent unchanged (as
python-quickbooks does when it saves the object it read) is ignored, a read-only field sent with
a new value is refused. Multicurrency can be switched on this way but never off.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from .books import Company
from .catalogue import DISCOUNT_ACCOUNT
from .errors import QBOError, business_rule
from .records import bump, check_sync_token, clean
from .schema import UNSUPPORTED

ENTITY = "Preferences"
DOC_ID = "1"

# block -> the fields an app may change (Intuit's Preferences reference, "Update" section)
WRITABLE: dict[str, set[str]] = {
    "AccountingInfoPrefs": {"TrackDepartments", "DepartmentTerminology", "ClassTrackingPerTxn",
                            "ClassTrackingPerTxnLine", "CustomerTerminology"},
    "ProductAndServicesPrefs": {"ForSales", "ForPurchase", "QuantityWithPriceAndRate",
                                "QuantityOnHand"},
    "SalesFormsPrefs": {"CustomField", "CustomTxnNumbers", "AllowDeposit", "AllowDiscount",
                        "DefaultDiscountAccount", "AllowEstimates", "EstimateMessage",
                        "AllowServiceDate", "AllowShipping", "DefaultShippingAccount",
                        "DefaultTerms", "DefaultDeliveryMethod", "DefaultCustomerMessage",
                        "SalesEmailCc", "SalesEmailBcc", "EmailCopyToCompany",
                        "IPNSupportEnabled", "ETransactionPaymentEnabled",
                        "ETransactionAttachPDF", "UsingProgressInvoicing", "AutoApplyCredit",
                        "PrintItemWithZeroAmount"},
    "EmailMessagesPrefs": {"InvoiceMessage", "EstimateMessage", "SalesReceiptMessage",
                           "StatementMessage"},
    "VendorAndPurchasesPrefs": {"TrackingByCustomer", "BillableExpenseTracking", "DefaultTerms",
                                "DefaultMarkup", "DefaultMarkupAccount", "POCustomField"},
    "TimeTrackingPrefs": {"UseServices", "BillCustomers", "ShowBillRateToAll",
                          "WorkWeekStartDate", "MarkTimeEntriesBillable"},
    "ReportPrefs": {"ReportBasis", "CalcAgingReportFromTxnDate"},
    "OtherPrefs": {"NameValue"},
    "CurrencyPrefs": {"MultiCurrencyEnabled"},
    "TaxPrefs": set(),
}
ENVELOPE = {"Id", "SyncToken", "MetaData", "domain", "sparse"}


def _message(subject: str, body: str) -> dict:
    return {"Subject": subject, "Message": body}


def _sales_custom_fields() -> list[dict]:
    names = [f"SalesFormsPrefs.{kind}{n}" for kind in ("UseSalesCustom", "SalesCustomName")
             for n in (1, 2, 3)]
    fields = []
    for name in names:
        if "Use" in name:
            fields.append({"Name": name, "Type": "BooleanType", "BooleanValue": False})
        else:
            fields.append({"Name": name, "Type": "StringType", "StringValue": ""})
    return [{"CustomField": fields}]


def initial(company: Company) -> dict:
    """A new QuickBooks Online Plus company's preferences, as the Preferences page shows them."""
    return {
        "Id": DOC_ID, "SyncToken": "0",
        "AccountingInfoPrefs": {
            "UseAccountNumbers": False, "TrackDepartments": False, "ClassTrackingPerTxn": True,
            "ClassTrackingPerTxnLine": False, "FirstMonthOfFiscalYear": "January",
            "TaxYearMonth": "January", "TaxForm": "6", "CustomerTerminology": "Customers",
            "DepartmentTerminology": "Location"},
        "ProductAndServicesPrefs": {
            "ForSales": True, "ForPurchase": True, "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True, "RevenueRecognition": False,
            "RevenueRecognitionFrequency": "Monthly"},
        "SalesFormsPrefs": {
            "CustomField": _sales_custom_fields(), "CustomTxnNumbers": False,
            "AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True,
            "AllowServiceDate": False, "AllowShipping": False, "DefaultDiscountAccount": DISCOUNT_ACCOUNT[0],
            "DefaultShippingAccount": False, "AutoApplyPayments": True, "UsingPriceLevels": False,
            "DefaultTerms": {"value": "3"}, "DefaultDeliveryMethod": "Print",
            "DefaultCustomerMessage": "Thank you for your business.",
            "ETransactionEnabledStatus": "Enabled", "ETransactionAttachPDF": True,
            "ETransactionPaymentEnabled": False, "IPNSupportEnabled": False,
            "EmailCopyToCompany": False, "UsingProgressInvoicing": True,
            "AutoApplyCredit": True, "PrintItemWithZeroAmount": True,
            "EstimateMessage": "Please review the estimate below."},
        "EmailMessagesPrefs": {
            "InvoiceMessage": _message("Invoice [Invoice No.] from [Company Name]",
                                       "Your invoice is attached."),
            "EstimateMessage": _message("Estimate [Estimate No.] from [Company Name]",
                                        "Please review the estimate below."),
            "SalesReceiptMessage": _message("Sales Receipt [Sales Receipt No.] from "
                                            "[Company Name]", "Your sales receipt is attached."),
            "StatementMessage": _message("Statement from [Company Name]",
                                         "Your statement is attached.")},
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True, "BillableExpenseTracking": True, "TPAREnabled": True,
            "DefaultTerms": {"value": "3"}, "POCustomField": [{"CustomField": [
                {"Name": "PurchasePrefs.UsePurchaseCustom1", "Type": "BooleanType",
                 "BooleanValue": False}]}]},
        "TimeTrackingPrefs": {
            "UseServices": True, "BillCustomers": True, "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday", "MarkTimeEntriesBillable": True},
        "TaxPrefs": {"UsingSalesTax": False, "PartnerTaxEnabled": False},
        "CurrencyPrefs": {"MultiCurrencyEnabled": company.multicurrency,
                          "HomeCurrency": {"value": company.currency}},
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {"NameValue": [
            {"Name": "SalesFormsPrefs.DefaultCustomerMessage",
             "Value": "Thank you for your business."},
            {"Name": "VendorAndPurchasesPrefs.POCustomField", "Value": "false"},
            {"Name": "SalesFormsPrefs.SalesEmailBcc", "Value": ""},
            {"Name": "SalesFormsPrefs.ETransactionEnabledStatus", "Value": "Enabled"}]},
    }


def current(company: Company, now: datetime) -> dict:
    """The stored document (made on first use), with CurrencyPrefs as the company is now."""
    doc = company.get(ENTITY, DOC_ID)
    if doc is None:
        doc = company.put(ENTITY, initial(company), now, created=True)
    doc["CurrencyPrefs"] = {"MultiCurrencyEnabled": company.multicurrency,
                            "HomeCurrency": {"value": company.currency}}
    return doc


def _refuse_read_only(path: str) -> QBOError:
    return QBOError(2010, UNSUPPORTED, f"Property Name:{path} is read-only and cannot be "
                                       f"updated specified is unsupported or invalid",
                    element=path)


def _same(sent: Any, stored: Any) -> bool:
    return sent in ("", None) or clean(sent) == clean(stored) or str(sent) == str(stored)


def update(company: Company, body: dict, now: datetime) -> dict:
    """Apply the writable fields ``body`` carries; everything else must be left as it is."""
    doc = current(company, now)
    check_sync_token(doc, body, ENTITY)
    changed = copy.deepcopy(doc)
    for block, fields in body.items():
        if block in ENVELOPE:
            continue
        if block not in WRITABLE or not isinstance(fields, dict):
            if not _same(fields, doc.get(block)):
                raise _refuse_read_only(block)
            continue
        target = changed.setdefault(block, {})
        for name, value in fields.items():
            if name in WRITABLE[block]:
                if value not in ("", None):
                    target[name] = clean(value)
            elif not _same(value, doc.get(block, {}).get(name)):
                raise _refuse_read_only(f"{block}.{name}")
    wants_multicurrency = changed["CurrencyPrefs"].get("MultiCurrencyEnabled")
    if company.multicurrency and wants_multicurrency in (False, "false"):
        raise business_rule("Multicurrency cannot be turned off once it is on",
                            "CurrencyPrefs.MultiCurrencyEnabled")
    company.multicurrency = wants_multicurrency in (True, "true")
    changed["CurrencyPrefs"] = {"MultiCurrencyEnabled": company.multicurrency,
                                "HomeCurrency": {"value": company.currency}}
    bump(changed)
    return company.put(ENTITY, changed, now, created=False)
