"""The list of a Xero organisation's accepted quotes is read to its last page, and past the
page limit it fails naming the limit: never part of the list as if it were all."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from connector.platforms.errors import PlatformError
from connector.platforms.xero_quotes import MAX_PAGES, PAGE_SIZE, accepted_quotes


class _Gateway:
    """Answers get_quotes with `full_pages` pages of PAGE_SIZE quotes, then one short page.
    The quotes are drafts (Xero would list accepted ones only): the test counts pages, not quotes."""

    tenant_id = "tenant-1"

    def __init__(self, full_pages: int) -> None:
        self.full_pages, self.pages_read = full_pages, []  # type: ignore[var-annotated]

    def request_options(self) -> dict[str, Any]:
        return {}

    def get_quotes(self, tenant: str, *, status: str, page: int) -> Any:
        self.pages_read.append(page)
        size = PAGE_SIZE if page <= self.full_pages else 3
        return SimpleNamespace(quotes=[SimpleNamespace(status="DRAFT")] * size)

    def call(self, fn: Callable[[Any], Any]) -> Any:
        return fn(self)


def test_the_list_is_read_to_its_last_page() -> None:
    gateway = _Gateway(full_pages=MAX_PAGES - 1)

    assert accepted_quotes(gateway) == []  # type: ignore[arg-type]
    assert gateway.pages_read == list(range(1, MAX_PAGES + 1))


def test_a_list_longer_than_the_limit_fails_naming_it() -> None:
    gateway = _Gateway(full_pages=MAX_PAGES + 5)

    with pytest.raises(PlatformError) as refused:
        accepted_quotes(gateway)  # type: ignore[arg-type]

    assert f"more than {MAX_PAGES * PAGE_SIZE:,} accepted quotes" in str(refused.value)
    assert "by its number" in str(refused.value)
    assert refused.value.code == "too_many_quotes"
    assert len(gateway.pages_read) == MAX_PAGES
