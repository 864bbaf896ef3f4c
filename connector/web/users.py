"""The Users page (admins only): who may sign in, with which role; add, change role, remove.

An admin adds a person by e-mail with a role, and optionally a first password; without one the
person signs in with Intuit or Xero, matched by the verified e-mail the platform gives (that is
the invitation: nobody gets an account by signing in). The last admin of an organisation can be
neither demoted nor removed, so someone can always manage it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from connector.store import people
from connector.store.db import transaction
from connector.store.models import UserRow

from .resources import resources
from .security import organisation, requires

blueprint = Blueprint("users", __name__, url_prefix="/admin/users")


@blueprint.get("/")
@requires("admin")
def index() -> Any:
    with resources().sessions() as db:
        users = organisation(db).users()
    return render_template("users.html", users=users, roles=people.ROLES, form={})


@blueprint.post("/")
@requires("admin")
def add() -> Any:
    form = {key: request.form.get(key, "").strip() for key in ("email", "name", "role")}
    password = request.form.get("password", "") or None
    try:
        with transaction(resources().sessions) as db:
            user = people.add_user(db, form["email"], form["role"], password, name=form["name"],
                                   organisation_id=organisation(db).id)
            email = user.email
    except people.UserRefused as refused:
        with resources().sessions() as db:
            users = organisation(db).users()
        return render_template("users.html", users=users, roles=people.ROLES, form=form,
                               problem=f"Not added: {refused}"), 400
    flash(f"Added {email} as {form['role']}.")
    return redirect(url_for("users.index"))


def _on_user(user_id: int, change: Callable[[Session, UserRow], str], refused: str) -> Any:
    """Apply `change` to one of this organisation's users (404 otherwise) and flash what it
    says, or why the rule refused it; either way back to the Users page."""
    try:
        with transaction(resources().sessions) as db:
            user = organisation(db).user_by_id(user_id)
            if user is None:
                abort(404)
            done = change(db, user)
    except people.UserRefused as refusal:
        done = f"{refused}: {refusal}"
    flash(done)
    return redirect(url_for("users.index"))


@blueprint.post("/<int:user_id>/role")
@requires("admin")
def change_role(user_id: int) -> Any:
    def change(db: Session, user: UserRow) -> str:
        people.set_role(db, user, request.form.get("role", ""))
        return f"{user.email} is now {user.role}."

    return _on_user(user_id, change, "Not changed")


@blueprint.post("/<int:user_id>/remove")
@requires("admin")
def remove(user_id: int) -> Any:
    def change(db: Session, user: UserRow) -> str:
        email = user.email
        people.remove_user(db, user)
        return f"Removed {email}; their sessions are ended."

    return _on_user(user_id, change, "Not removed")  # removing yourself ends your session too
