"""`milepost user`: the first admin from the command line, the password from standard input."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from connector.store.models import UserRow
from connector.store.people import authenticate


def test_init_on_a_database_without_users_says_how_to_make_the_first_admin(milepost):
    answer = milepost("init")

    assert answer.code == 0
    assert "milepost user add EMAIL --role admin --password-stdin" in answer.out


def test_the_first_admin_gets_a_password_from_stdin_and_it_never_shows(milepost, monkeypatch, sessions):
    monkeypatch.setattr("sys.stdin", io.StringIO("a password from a pipe\n"))

    added = milepost("user", "add", "Ana@Example.com", "--role", "admin", "--name", "Ana", "--password-stdin")
    listed = milepost("user", "list", "--format", "json")

    assert added.code == 0
    assert "added ana@example.com as admin, with a password" in added.out
    assert "a password from a pipe" not in added.out + added.err + listed.out
    assert json.loads(listed.out) == [{"email": "ana@example.com", "name": "Ana", "role": "admin",
                                      "password": True, "last_sign_in_at": None}]
    with sessions() as db:
        assert authenticate(db, "ana@example.com", "a password from a pipe") is not None


def test_roles_change_and_users_go_but_the_last_admin_stays(milepost, sessions):
    milepost("user", "add", "ana@example.com", "--role", "admin")
    milepost("user", "add", "bo@example.com", "--role", "viewer")

    demote_last = milepost("user", "role", "ana@example.com", "viewer")
    remove_last = milepost("user", "remove", "ana@example.com")
    promoted = milepost("user", "role", "BO@example.com", "bookkeeper")
    removed = milepost("user", "remove", "bo@example.com")
    unknown = milepost("user", "remove", "nobody@example.com")
    taken = milepost("user", "add", "ana@example.com", "--role", "viewer")

    assert (demote_last.code, remove_last.code) == (1, 1)
    assert "only admin" in demote_last.err
    assert (promoted.code, removed.code) == (0, 0)
    assert "bo@example.com is now bookkeeper" in promoted.out
    assert unknown.code == 1
    assert "no user 'nobody@example.com'" in unknown.err
    assert taken.code == 1
    assert "email: ana@example.com already has an account" in taken.err
    with sessions() as db:
        assert [(u.email, u.role) for u in db.scalars(select(UserRow))] == [("ana@example.com", "admin")]
