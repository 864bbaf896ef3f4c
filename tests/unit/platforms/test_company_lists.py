"""Kept company lists: good for a few minutes, re-read on a miss, gone when forgotten."""

from __future__ import annotations

import pytest

from connector.platforms.company_lists import CompanyListsCache, KeptLists
from mappings.settings import CompanyLists, MappingError, Ref

OLD = CompanyLists(items=(Ref("1", "Services"),))
NEW = CompanyLists(items=(Ref("1", "Services"), Ref("2", "Rush fee")))
KEY = ("sqlite:///books.db", 1)


class Books:
    def __init__(self, lists: CompanyLists) -> None:
        self.lists, self.reads = lists, 0

    def read(self) -> CompanyLists:
        self.reads += 1
        return self.lists


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def has(name: str):  # type: ignore[no-untyped-def]
    def check(lists: CompanyLists) -> str:
        if name not in {ref.name for ref in lists.items}:
            raise MappingError(f"no item {name}")
        return name
    return check


def test_lists_are_kept_for_the_ttl_then_read_again() -> None:
    clock, books = Clock(), Books(OLD)
    cache = CompanyListsCache(ttl_seconds=300, clock=clock)
    KeptLists(books.read, KEY, cache).get()

    clock.now += 299
    KeptLists(books.read, KEY, cache).get()
    clock.now += 1
    KeptLists(books.read, KEY, cache).get()

    assert books.reads == 2


def test_a_name_missing_from_kept_lists_is_looked_for_in_fresh_ones() -> None:
    cache, books = CompanyListsCache(), Books(OLD)
    KeptLists(books.read, KEY, cache).get()
    books.lists = NEW  # someone added the item in the books

    assert KeptLists(books.read, KEY, cache).resolve(has("Rush fee")) == "Rush fee"
    assert books.reads == 2


def test_a_name_missing_from_fresh_lists_is_missing() -> None:
    cache, books = CompanyListsCache(), Books(OLD)

    with pytest.raises(MappingError):
        KeptLists(books.read, KEY, cache).resolve(has("Rush fee"))
    assert books.reads == 1


def test_forgotten_lists_are_read_again_and_other_connections_are_their_own() -> None:
    cache, books = CompanyListsCache(), Books(OLD)
    KeptLists(books.read, KEY, cache).get()
    KeptLists(books.read, ("sqlite:///books.db", 2), cache).get()

    cache.forget(KEY)
    KeptLists(books.read, KEY, cache).get()

    assert books.reads == 3
