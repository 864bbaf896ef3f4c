"""The admin page "New project from an estimate/quote": `schedule import --from-*` in a form.

The operator picks a connection, then one of its accepted estimates (QuickBooks) or quotes
(Xero), read through the gateway when the page is shown (one already imported is listed with
the project it became, and cannot be chosen), a key, the split (one milestone per line or a
template) and the approvers' e-mails. `jobs.imports` does the import; whatever it refuses (not
accepted, imported before, a schedule that does not validate, a currency the company cannot
bill in, the platform's own error) is shown on the page, and nothing is written.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from connector.billing import templates
from connector.billing.errors import BillingError, ScheduleInvalid
from connector.billing.estimates import PER_LINE, ImportChoices
from connector.billing.schema import NAME, text_problem
from connector.platforms.connect import open_gateway
from connector.platforms.errors import PlatformError
from connector.store.errors import StoreError
from jobs.imports import Listed, import_from_books, list_accepted

from . import connections
from .path_bounds import MAX_ID
from .resources import resources
from .security import actor, check_csrf, login_required, organisation

blueprint = Blueprint("imports", __name__, url_prefix="/admin/imports")
SPLITS = ((PER_LINE, "One milestone per line"),
          *((name, f"Template: {name}") for name in templates.TEMPLATES))
_EMAILS = re.compile(r"[\s,;]+")


def _connection_id(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 1 <= number <= MAX_ID else None


def _gateway_for(res: Any) -> Any:
    return lambda cid: open_gateway(res.sessions, cid, res.endpoints(), res.cipher())


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    res = resources()
    with res.sessions() as db:
        mine = organisation(db).connection_ids()
        active = [c for c in connections.list_connections(db, mine) if c.status == "active"]
    form = request.form if request.method == "POST" else request.args
    chosen = _connection_id(form.get("connection"))
    if chosen not in mine:  # another organisation's connection is as good as none
        chosen = None
    if chosen is None and len(active) == 1:
        chosen = active[0].id
    values = {key: form.get(key, "").strip() for key in ("estimate", "key", "split", "approver_emails")}
    problems: list[str] = []
    if request.method == "POST":
        check_csrf()
        done, problems = _import(res, chosen, values)
        if done is not None:
            flash(f"Imported {done.key} from {done.estimate.label}: {done.milestones} milestones, "
                  f"{done.estimate.currency} {done.estimate.total}. Review the schedule below.")
            return redirect(url_for("admin.project", key=done.key))
    listed: list[Listed] = []
    if chosen is not None:
        try:
            listed = list_accepted(res.sessions, _gateway_for(res), chosen)
        except (PlatformError, BillingError) as error:
            problems.append(f"Cannot list the accepted estimates or quotes: {error}")
    return render_template("import_estimate.html", connections=active, chosen=chosen,
                           listed=listed, splits=SPLITS, values=values,
                           problems=problems), (400 if problems and request.method == "POST" else 200)


def _import(res: Any, connection_id: int | None, values: dict[str, str]) -> tuple[Any, list[str]]:
    """(the import, []) or (None, every problem to show)."""
    if connection_id is None:
        return None, ["Choose a connection."]
    if not values["estimate"]:
        return None, ["Choose an accepted estimate or quote."]
    split = values["split"] or PER_LINE
    if split not in dict(SPLITS):
        return None, [f"Choose how to split the total (not {split[:40]!r})."]
    bad = [f"{name}: {found[1]}" for name in ("estimate", "approver_emails")
           if (found := text_problem(values[name], NAME if name == "estimate" else 2000))]
    if bad:
        return None, bad
    emails = tuple(e for e in _EMAILS.split(values["approver_emails"]) if e)
    choices = ImportChoices(key=values["key"], template=split, approver_emails=emails,
                            time_zone=res.settings.app.default_time_zone)
    try:
        return import_from_books(res.sessions, _gateway_for(res), connection_id, values["estimate"],
                                 choices, by=actor()), []
    except ScheduleInvalid as invalid:
        return None, [str(problem) for problem in invalid.errors]
    except (BillingError, StoreError, PlatformError, ValueError) as error:
        return None, [str(error)]
