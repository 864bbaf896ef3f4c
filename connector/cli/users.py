"""`milepost user add|list|role|remove`: the people who may sign in to the admin app.

A deployment's first admin is made here (the web app has no sign-up page: whoever reached it
first would own it). Passwords come from standard input with `--password-stdin`, never from
the command line, where they would sit in the shell history and the process list; a user added
without one signs in with Intuit or Xero, matched by the verified e-mail those platforms give.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.table import Table

from connector.store import people
from connector.store.organisations import Organisation

from .context import CommandError, Context

SubParsers = argparse._SubParsersAction  # type: ignore[type-arg]


def _password_from_stdin() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise CommandError("--password-stdin: standard input was empty")
    return password


def cmd_user_add(ctx: Context, args: argparse.Namespace) -> int:
    password = _password_from_stdin() if args.password_stdin else None
    with ctx.transaction() as db:
        user = people.add_user(db, args.email, args.role, password, name=args.name)
        email, role = user.email, user.role
    how = "with a password" if password else "to sign in with Intuit or Xero (no password)"
    ctx.out.print(f"added {email} as {role}, {how}")
    return 0


def cmd_user_list(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.ready()() as db:
        rows = [{"email": u.email, "name": u.name, "role": u.role, "password": bool(u.password_hash),
                 "last_sign_in_at": u.last_sign_in_at.isoformat() if u.last_sign_in_at else None}
                for u in Organisation(db).users()]
    if args.format == "json":
        ctx.out.print(json.dumps(rows, indent=2), markup=False, highlight=False)
        return 0
    if not rows:
        ctx.out.print("no users: add the first admin with "
                      "`milepost user add EMAIL --role admin --password-stdin`", markup=False)
        return 0
    table = Table()
    for column in ("email", "name", "role", "password", "last sign-in"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(str(row["email"]), str(row["name"]), str(row["role"]),
                      "yes" if row["password"] else "no", str(row["last_sign_in_at"] or "never"))
    ctx.out.print(table)
    return 0


def _user(db: object, email: str):  # type: ignore[no-untyped-def]
    found = Organisation(db).user(email)  # type: ignore[arg-type]
    if found is None:
        raise CommandError(f"email: no user {email!r} (see `milepost user list`)")
    return found


def cmd_user_role(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as db:
        user = _user(db, args.email)
        people.set_role(db, user, args.role)
        email = user.email
    ctx.out.print(f"{email} is now {args.role}")
    return 0


def cmd_user_remove(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.transaction() as db:
        user = _user(db, args.email)
        email = user.email
        people.remove_user(db, user)
    ctx.out.print(f"removed {email}; their sessions are ended")
    return 0
