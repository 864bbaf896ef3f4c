"""Issue 9, change feeds never skip: Xero's three feeds (invoices, payments, credit notes) are
read one after another, so the next cursor is the earliest of their newest changes, not the
latest: an invoice approved while the payments were read is read again next time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.platforms.xero import next_cursor

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
