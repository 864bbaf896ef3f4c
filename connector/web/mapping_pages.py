"""The admin page of a connection's mapping settings: what its draft invoices are booked against.

The form sets the same keys as `milepost connections settings ID ...`. Every code is checked
against the company's own lists through the gateway before anything is saved; a code the
books do not have is named on the page and nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from connector.billing.schema import NAME, text_problem
from connector.platforms.connect import open_gateway
from connector.platforms.errors import PlatformError
from jobs.connections import configure_mapping, stored_mapping

from . import connections
from .resources import resources
from .security import check_csrf, login_required, organisation

blueprint = Blueprint("mapping", __name__, url_prefix="/admin/connections")
FIELDS = (  # form field, label
    ("sales_item", "Sales item (QuickBooks item; Xero item code)"),
    ("sales_account", "Sales account code (Xero)"),
    ("tax_code", "Tax code (QuickBooks TaxCode; Xero TaxType)"),
    ("class_name", "Class (QuickBooks)"),
    ("terms", "Terms (QuickBooks, e.g. Net 30)"),
    ("tracking", "Tracking, CATEGORY=OPTION, comma separated"),
)


def _tracking(text: str) -> dict[str, str]:
    pairs = [part.partition("=") for part in text.split(",") if part.strip()]
    if any(not sep for _, sep, _ in pairs):
        raise ValueError("tracking: write CATEGORY=OPTION, separated by commas")
    return {name.strip(): option.strip() for name, _, option in pairs}


@blueprint.route("/<int:connection_id>/settings", methods=["GET", "POST"])
@login_required  # viewers read it; saving needs a bookkeeper (security.requires)
def settings(connection_id: int) -> Any:
    res = resources()
    with res.sessions() as db:
        mine = organisation(db).connection(connection_id) is not None
        view = connections.get_connection(db, connection_id) if mine else None
        current = stored_mapping(db, connection_id)
    if view is None:
        abort(404, description=f"No connection {connection_id}.")
    problem = ""
    if request.method == "POST":
        check_csrf()
        form = {key: request.form.get(key, "").strip() for key, _ in FIELDS}
        bad = [f"{key}: {found[1]}" for key, value in form.items()
               if (found := text_problem(value, NAME))]
        try:
            if bad:
                raise ValueError("; ".join(bad))
            changes: dict[str, Any] = {k: v for k, v in form.items() if k != "tracking"}
            changes["tracking"] = _tracking(form["tracking"])
            stored, requeued = configure_mapping(
                res.sessions,
                lambda cid: open_gateway(res.sessions, cid, res.endpoints(), res.cipher()),
                connection_id, changes,
            )
        except (PlatformError, ValueError) as error:
            problem, current = f"Nothing saved: {error}", {**current, **form}
        else:
            flash(f"Saved the settings of {view.name}" + (f"; {requeued} failed invoice(s) queued again." if requeued else "."))
            return redirect(url_for("mapping.settings", connection_id=connection_id))
    shown = dict(current)
    if isinstance(shown.get("tracking"), dict):
        shown["tracking"] = ", ".join(f"{k}={v}" for k, v in shown["tracking"].items())
    return render_template("connection_settings.html", connection=view, fields=FIELDS, values=shown,
                           problem=problem), (400 if problem else 200)
