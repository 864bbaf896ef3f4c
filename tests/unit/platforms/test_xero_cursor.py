"""Issue 9, change feeds never skip: Xero's three feeds (invoices, payments, credit notes) are
read one after another, so the next cursor is the earliest of their newest changes, not the
latest: an invoice approved while the payments were read is read again next time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.platforms.xero import _last_page, next_cursor

T = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_the_cursor_is_the_earliest_of_the_feeds_newest_changes() -> None:
    invoices, payments = [T, T + timedelta(seconds=2)], [T + timedelta(seconds=40)]

    assert next_cursor(T - timedelta(minutes=1), [invoices, payments, []]) == T + timedelta(seconds=2)


def test_rows_re_read_inside_the_margin_do_not_hold_the_cursor_back() -> None:
    cursor = T
    re_read = [T - timedelta(seconds=3)]  # read again because of the five-second margin

    assert next_cursor(cursor, [re_read, [T + timedelta(seconds=9)], []]) == T + timedelta(seconds=9)
    assert next_cursor(cursor, [re_read, [], []]) == cursor
    assert next_cursor(None, [[], [], []]) is None


class _Answer:
    def __init__(self, pagination: object = None) -> None:
        self.pagination = pagination


class _Pagination:
    def __init__(self, page_count: int | None, page_size: int | None = None) -> None:
        self.page_count, self.page_size = page_count, page_size


def test_a_full_page_of_xero_s_default_size_is_not_taken_for_the_last() -> None:
    """Milepost asks for pages of 1,000; an answer of Xero's default 100 rows without a
    pagination block may be a page size not honoured, so reading goes on (a short page of
    99 is surely the last). The old reader stopped at any page under 1,000 and moved the
    cursor past the pages it never read."""
    assert _last_page(_Answer(), [object()] * 100, 1) is False
    assert _last_page(_Answer(), [object()] * 99, 1) is True
    assert _last_page(_Answer(), [], 3) is True


def test_the_pagination_block_decides_when_there_is_one() -> None:
    assert _last_page(_Answer(_Pagination(page_count=3)), [object()] * 7, 2) is False
    assert _last_page(_Answer(_Pagination(page_count=3)), [object()] * 7, 3) is True
