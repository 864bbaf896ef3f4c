"""What QuickBooks checks in a field's text before it looks at anything else: lengths and names.

QuickBooks answers a string that is too long with fault 2050 (the element names the field,
the numbers carry thousands separators: "Min:0 Max:1,000 supported. Supplied length:1,016"),
and a name holding a colon, a tab or a new line with 2040 ("Invalid String"): the colon
separates a parent from its sub-customer in ``FullyQualifiedName``. The limits are the ones
Intuit's entity references give for what a billing connector writes.
"""

from __future__ import annotations

from typing import Any

from .errors import QBOError

# entity -> (path in the JSON body, element QuickBooks names in its fault, max length)
SALES_LIMITS: tuple[tuple[str, str, int], ...] = (
    ("DocNumber", "DocNumber", 21),
    ("CustomerMemo.value", "Customer Memo", 1000),
    ("PrivateNote", "PrivateNote", 4000),
    ("Line.Description", "Description", 4000),
)
LIMITS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "Invoice": SALES_LIMITS,
    "Estimate": SALES_LIMITS,
    "CreditMemo": SALES_LIMITS,
    "Payment": (("PrivateNote", "PrivateNote", 4000), ("PaymentRefNum", "PaymentRefNum", 21)),
    "Customer": (("DisplayName", "DisplayName", 500), ("CompanyName", "CompanyName", 100)),
}
REQUEST_ID_MAX = 50
NAME_CHARACTERS = (":", "\t", "\n", "\r")
DISPLAY_NAMED = ("Customer", "Vendor", "Employee")


def too_long(element: str, limit: int, supplied: int) -> QBOError:
    return QBOError(2050, "String length is either shorter or longer than supported by specification",
                    f"String length specified does not match the supported length. Min:0 "
                    f"Max:{limit:,} supported. Supplied length:{supplied:,}", element=element)


def _texts(obj: Any, parts: list[str]) -> list[str]:
    if isinstance(obj, list):
        return [text for item in obj for text in _texts(item, parts)]
    if not parts:
        return [obj] if isinstance(obj, str) else []
    if not isinstance(obj, dict):
        return []
    return _texts(obj.get(parts[0]), parts[1:])


def check_lengths(entity: str, body: dict) -> None:
    """Refuse the first field of ``body`` longer than QuickBooks stores (fault 2050)."""
    for path, element, limit in LIMITS.get(entity, ()):
        for text in _texts(body, path.split(".")):
            if len(text) > limit:
                raise too_long(element, limit, len(text))


def check_request_id(request_id: str) -> None:
    if len(request_id) > REQUEST_ID_MAX:
        raise too_long("requestid", REQUEST_ID_MAX, len(request_id))


def check_name_characters(entity: str, obj: dict) -> None:
    """A DisplayName with a colon, tab or new line is refused with 2040, naming the value."""
    if entity not in DISPLAY_NAMED:
        return
    name = obj.get("DisplayName")
    if isinstance(name, str) and any(c in name for c in NAME_CHARACTERS):
        raise QBOError(2040, "Invalid String. The String may contain unsupported or illegal chars",
                       f"Element contains invalid characters. {name}", element="DisplayName")
