"""Reading an estimate by id: only QuickBooks' 610 "object not found" means "no such estimate";
any other fault reaches the user with QuickBooks' own code and message."""

from __future__ import annotations

from typing import Any

import pytest

from connector.platforms.errors import NotFound, ValidationRejected
from connector.platforms.quickbooks_estimates import read_estimate


class FaultingGateway:
    """Answers every read with `fault`, and every query with no rows."""

    def __init__(self, fault: Exception) -> None:
        self.fault = fault

    def call(self, _fn: Any) -> Any:
        raise self.fault

    def query(self, _text: str, _entity: str) -> list[dict[str, Any]]:
        return []


def test_an_unknown_id_is_told_as_no_such_estimate() -> None:
    gateway = FaultingGateway(ValidationRejected("Object Not Found", code="610", platform="quickbooks"))

    with pytest.raises(NotFound, match="no estimate '1041'"):
        read_estimate(gateway, "1041", "USD")  # type: ignore[arg-type]


def test_any_other_validation_fault_keeps_its_code_and_message() -> None:
    fault = ValidationRejected("Invalid Reference Id: Estimate is in a closed period", code="6000",
                               platform="quickbooks")

    with pytest.raises(ValidationRejected) as raised:
        read_estimate(FaultingGateway(fault), "1041", "USD")  # type: ignore[arg-type]

    assert raised.value.code == "6000"
    assert "closed period" in str(raised.value)
