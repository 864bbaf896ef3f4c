"""Issue 10 finding 6: the scopes Milepost asks Xero for cover every call it makes.

The sandbox now refuses a token without an operation's scope (403, as Xero does); this reads
which AccountingApi methods the Xero gateway calls (xero-python names them after the
document's operationId) and checks each against the `security` Xero's OpenAPI document gives
it (developer.xero.com/documentation/guides/oauth2/scopes), for both the granular scopes new
apps get and the broad set older apps keep.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.platforms.install import xero_scopes
from connector.sandbox.xero import spec
from connector.sandbox.xero.api import scoped

GATEWAY = Path(__file__).resolve().parents[3] / "connector" / "platforms" / "xero.py"


def _operation_ids() -> dict[str, spec.Operation]:
    out = {}
    for template, item in spec.document()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found = spec.operation(method, "/api.xro/2.0" + template, "/api.xro/2.0")
                assert found is not None
                out[op["operationId"]] = found
    return out


def _called() -> set[str]:
    return set(re.findall(r"\bapi\.([a-z_]+)\(", GATEWAY.read_text()))


@pytest.mark.parametrize("broad", [False, True], ids=["granular", "broad"])
def test_milepost_scopes_cover_every_xero_call_it_makes(broad: bool) -> None:
    operations = _operation_ids()
    held = set(xero_scopes(broad=broad))
    called = _called()

    camel = {name: re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name) for name in called}
    unknown = sorted(name for name, op_id in camel.items() if op_id not in operations)
    uncovered = sorted(name for name, op_id in camel.items()
                       if op_id in operations and not scoped(operations[op_id], held))

    assert "create_invoices" in called
    assert unknown == []
    assert uncovered == []


def test_a_scope_set_without_invoices_is_caught() -> None:
    operations = _operation_ids()

    assert not scoped(operations["createInvoices"], {"accounting.contacts", "accounting.payments"})
    assert scoped(operations["createInvoices"], {"accounting.invoices"})
    assert scoped(operations["getPayments"], {"accounting.payments.read"})
