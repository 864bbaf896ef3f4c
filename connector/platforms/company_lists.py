"""A company's own lists (items, accounts, tax codes, classes, terms, tracking), kept a while.

Every draft invoice is checked against these lists, and reading them costs four calls (Xero:
items, accounts, tax rates, tracking categories; QuickBooks: Item, TaxCode, Class, Term
queries). They change rarely, while a busy connection drains an intent every few seconds
through a fresh gateway each time, so the lists are kept per connection in this process for
`TTL_SECONDS`. What keeps a kept list from doing harm:

- saving a connection's mapping settings forgets its lists (`forget_company_lists`), so the
  codes an admin has just added in the books are read again;
- a code missing from kept lists is checked against freshly read ones before anything fails
  (`KeptLists.resolve`): a kept list can delay nothing, only cost one more read;
- a draft the platform refuses forgets the lists, in case an entry was removed in the books;
- a worker in another process keeps its own copy for at most `TTL_SECONDS`.

Entries are keyed by (database, connection id), so two installations (or two test databases)
in one process never share a list.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from connector.billing.model import InvoiceLine
from mappings.settings import (
    CompanyLists,
    MappingError,
    MappingSettings,
    ResolvedSettings,
    currency_problem,
)
from mappings.settings import resolve_settings as resolve_mapping

from .errors import ConfigurationError

T = TypeVar("T")
TTL_SECONDS = 300.0
Key = tuple[str, int]


class CompanyListsCache:
    """Lists by key, each good for `ttl_seconds` after it was read (thread-safe)."""

    def __init__(self, ttl_seconds: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._clock = ttl_seconds, clock
        self._entries: dict[Key, tuple[float, CompanyLists]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key) -> CompanyLists | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._clock() - entry[0] >= self._ttl:
                self._entries.pop(key, None)
                return None
            return entry[1]

    def put(self, key: Key, lists: CompanyLists) -> None:
        with self._lock:
            self._entries[key] = (self._clock(), lists)

    def forget(self, key: Key) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


COMPANY_LISTS = CompanyListsCache()


def lists_key(sessions: sessionmaker[Session], connection_id: int) -> Key:
    """The cache key of a stored connection: its database (without password) and its id."""
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    database = url.render_as_string(hide_password=True) if url is not None else str(id(sessions))
    return (database, connection_id)


def forget_company_lists(sessions: sessionmaker[Session], connection_id: int) -> None:
    """Call when a connection's mapping settings are saved: read its lists afresh next time."""
    COMPANY_LISTS.forget(lists_key(sessions, connection_id))


class KeptLists:
    """One gateway's view of its company's lists: its own copy, else the shared cache (when the
    gateway belongs to a stored connection, `key` given), else `read()` from the books."""

    def __init__(self, read: Callable[[], CompanyLists], key: Key | None = None,
                 cache: CompanyListsCache = COMPANY_LISTS) -> None:
        self._read, self._key, self._cache = read, key, cache
        self._lists: CompanyLists | None = None
        self._fresh = False  # read from the books by this gateway, not taken from the cache

    def get(self) -> CompanyLists:
        if self._lists is None and self._key is not None:
            self._lists = self._cache.get(self._key)
        if self._lists is None:
            self._reread()
        assert self._lists is not None
        return self._lists

    def resolve(self, check: Callable[[CompanyLists], T]) -> T:
        """`check(lists)`; when it raises MappingError on kept lists, once more on fresh ones."""
        try:
            return check(self.get())
        except MappingError:
            if self._fresh:
                raise
        self._reread()
        return check(self.get())

    def resolve_settings(
        self,
        settings: MappingSettings,
        lines: Sequence[InvoiceLine],
        *,
        platform: str,
        require_item: bool = False,
        require_account: bool = False,
    ) -> ResolvedSettings:
        """`settings` checked against these lists (`resolve`); a missing code is a
        ConfigurationError (code "mapping") naming every missing one."""
        try:
            return self.resolve(
                lambda lists: resolve_mapping(
                    settings, lists, lines, require_item=require_item, require_account=require_account
                )
            )
        except MappingError as error:
            raise ConfigurationError(str(error), code="mapping", platform=platform) from None

    def check_currency(self, currency: str, *, platform: str, books: str) -> None:
        """ConfigurationError (code "currency") naming both currencies when the company cannot
        bill in `currency`; checked on fresh lists before it fails, like a missing code."""
        problem = currency_problem(self.get(), currency, books)
        if problem is not None and not self._fresh:
            self._reread()
            problem = currency_problem(self.get(), currency, books)
        if problem is not None:
            raise ConfigurationError(problem, code="currency", platform=platform)

    def forget(self) -> None:
        self._lists, self._fresh = None, False
        if self._key is not None:
            self._cache.forget(self._key)

    def _reread(self) -> None:
        self._lists, self._fresh = self._read(), True
        if self._key is not None:
            self._cache.put(self._key, self._lists)
