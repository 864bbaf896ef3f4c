"""Which properties a QuickBooks query may filter on, per entity, from Intuit's entity references.

Each attribute in Intuit's API reference is marked "filterable" or not; QuickBooks refuses a
WHERE on any other with fault 4001 ("QueryValidationError: property 'X' is not queryable").
Every entity's ``Id`` and ``MetaData.CreateTime``/``MetaData.LastUpdatedTime`` are filterable.
A reference (``CustomerRef``) is filtered by its value; a nested path is accepted where the
reference lists it (``AttachableRef.EntityRef.Type``). Property names compare without regard to
case, as QuickBooks compares them. An entity missing from the table is not checked (its
references' flags have not been transcribed yet: see the README assumptions).
"""

from __future__ import annotations

from .errors import QBOError
from .query import Query

COMMON = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
FILTERABLE: dict[str, tuple[str, ...]] = {
    "Customer": ("DisplayName", "GivenName", "MiddleName", "FamilyName", "CompanyName",
                 "PrimaryEmailAddr", "PrintOnCheckName", "FullyQualifiedName", "Active",
                 "Balance"),
    "Item": ("Name", "Active", "Type", "Sku", "FullyQualifiedName"),
    "Account": ("Name", "SubAccount", "ParentRef", "Description", "Active", "Classification",
                "FullyQualifiedName", "AccountType", "AccountSubType", "CurrentBalance",
                "CurrentBalanceWithSubAccounts"),
    "TaxCode": ("Name", "Active", "Taxable", "TaxGroup"),
    "Class": ("Name", "Active", "FullyQualifiedName", "SubClass", "ParentRef"),
    "Term": ("Name", "Active"),
    "Invoice": ("DocNumber", "TxnDate", "DueDate", "CustomerRef", "ClassRef", "DepartmentRef",
                "SalesTermRef", "ProjectRef", "Balance", "TotalAmt"),
    "Estimate": ("DocNumber", "TxnDate", "DueDate", "CustomerRef", "ProjectRef",
                 "ExpirationDate", "AcceptedDate", "TotalAmt"),
    "CreditMemo": ("DocNumber", "TxnDate", "CustomerRef", "TotalAmt"),
    "Payment": ("TxnDate", "CustomerRef", "TotalAmt"),
    "Attachable": ("FileName", "Note", "Category", "ContentType", "Tag", "Size",
                   "AttachableRef.EntityRef.Type", "AttachableRef.EntityRef.value"),
    "CompanyInfo": (),
}
_LOWER = {entity: {name.lower() for name in (*COMMON, *names)}
          for entity, names in FILTERABLE.items()}


def not_queryable(path: str) -> QBOError:
    return QBOError(4001, "Invalid query",
                    f"QueryValidationError: property '{path}' is not queryable")


def check_filterable(entity: str, query: Query) -> None:
    """Refuse the first condition on a property the entity's reference does not mark filterable."""
    allowed = _LOWER.get(entity)
    if allowed is None:
        return
    for condition in query.conditions:
        if condition.path.lower() not in allowed:
            raise not_queryable(condition.path)
