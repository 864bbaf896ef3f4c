"""The QuickBooks sandbox fixtures (sandbox, qbo_info, recorder, qb) for every test here.

They live in quickbooks_support with the helpers; importing them here registers them once
instead of in each test_quickbooks_* module."""

from .quickbooks_support import (  # noqa: F401 - pytest finds fixtures by name
    qb_fixture,
    qbo_info_fixture,
    recorder_fixture,
    sandbox_fixture,
)
