"""The Users page (admins only): who may sign in, with which role; add, change role, remove.

An admin adds a person by e-mail with a role, and optionally a first password; without one the
person signs in with Intuit or Xero, matched by the verified e-mail the platform gives (that is
the invitation: nobody gets an account by signing in). The last admin of an organisation can be
neither demoted nor removed, so someone can always manage it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from connector.store import people
from connector.store.db import transaction

from .resources import resources
from .security import current_user, organisation, requires, sign_out

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


@blueprint.post("/<int:user_id>/role")
@requires("admin")
def change_role(user_id: int) -> Any:
    try:
        with transaction(resources().sessions) as db:
            user = organisation(db).user_by_id(user_id)
            if user is None:
                abort(404)
            people.set_role(db, user, request.form.get("role", ""))
            email, role = user.email, user.role
    except people.UserRefused as refused:
        flash(f"Not changed: {refused}")
        return redirect(url_for("users.index"))
    flash(f"{email} is now {role}.")
    return redirect(url_for("users.index"))


@blueprint.post("/<int:user_id>/remove")
@requires("admin")
def remove(user_id: int) -> Any:
    me = current_user()
    try:
        with transaction(resources().sessions) as db:
            user = organisation(db).user_by_id(user_id)
            if user is None:
                abort(404)
            email = user.email
            people.remove_user(db, user)
    except people.UserRefused as refused:
        flash(f"Not removed: {refused}")
        return redirect(url_for("users.index"))
    if me is not None and me.id == user_id:
        sign_out()
        return redirect(url_for("admin.login"))
    flash(f"Removed {email}; their sessions are ended.")
    return redirect(url_for("users.index"))
