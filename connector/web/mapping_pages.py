"""The admin page of a connection's mapping settings: what its draft invoices are booked against.

The form sets the same keys as `milepost connections settings ID ...`. Each setting is a
pick-list of the company's own entries (items, accounts, tax codes, classes, terms, each
tracking category's options), read through the connection's gateway (`company_lists`, kept a
few minutes per connection), so an admin chooses rather than types a code; a Xero
organisation's line amount type (Exclusive, Inclusive, NoTax) is chosen here too. Only the
fields the platform has are shown. The server still checks everything: every code against the
company's lists before anything is saved (a code the books do not have is named on the page
and nothing changes), the line amount type against its three values. When the lists cannot be
read (the books are down, the grant needs reconnecting) the page says so and falls back to text
fields, so settings can still be corrected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from connector.billing.schema import NAME, text_problem
from connector.platforms.connect import open_gateway
from connector.platforms.errors import PlatformError
from jobs.connections import configure_mapping, stored_mapping
from mappings.settings import LINE_AMOUNT_TYPES, CompanyLists, Ref

from . import connections
from .resources import resources
from .security import check_csrf, login_required

blueprint = Blueprint("mapping", __name__, url_prefix="/admin/connections")
FIELDS = (  # form field, label, platforms that have it
    ("sales_item", "Sales item", ("quickbooks", "xero")),
    ("sales_account", "Sales account", ("xero",)),
    ("tax_code", "Tax code", ("quickbooks", "xero")),
    ("class_name", "Class", ("quickbooks",)),
    ("terms", "Payment terms", ("quickbooks",)),
)
TRACKING = "tracking:"  # a form field per Xero tracking category: tracking:Region


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    choices: tuple[Choice, ...] | None  # None: the lists could not be read, a text field
    value: str


def _choices(refs: tuple[Ref, ...], *, by_id: bool = False) -> tuple[Choice, ...]:
    """A pick-list: Xero tax types are stored by TaxType (the id), everything else by name."""
    return tuple(Choice(r.id if by_id else r.name, f"{r.name} ({r.id})" if by_id else r.name)
                 for r in sorted(refs, key=lambda r: r.name.casefold()))


def _lists_of(platform: str, lists: CompanyLists) -> dict[str, tuple[Choice, ...]]:
    return {
        "sales_item": _choices(lists.items),
        "sales_account": _choices(lists.accounts),
        "tax_code": _choices(lists.tax_codes, by_id=platform == "xero"),
        "class_name": _choices(lists.classes),
        "terms": _choices(lists.terms),
    } | {f"{TRACKING}{name}": tuple(Choice(o, o) for o in options) for name, options in lists.tracking}


def _fields(platform: str, lists: CompanyLists | None, values: dict[str, Any]) -> list[Field]:
    picks = _lists_of(platform, lists) if lists is not None else {}
    shown = [Field(key, label, picks.get(key) if lists is not None else None, str(values.get(key) or ""))
             for key, label, platforms in FIELDS if platform in platforms]
    if platform == "xero":
        tracking = dict(values.get("tracking") or {})
        categories = [name for name, _ in lists.tracking] if lists is not None else sorted(tracking)
        shown += [Field(f"{TRACKING}{name}", f"Tracking: {name}", picks.get(f"{TRACKING}{name}"),
                        str(tracking.get(name, ""))) for name in categories]
        shown.append(Field("line_amount_types", "Line amounts are",
                           tuple(Choice(t, t) for t in LINE_AMOUNT_TYPES),
                           str(values.get("line_amount_types") or LINE_AMOUNT_TYPES[0])))
    return shown


def _read_lists(connection_id: int) -> tuple[CompanyLists | None, str]:
    res = resources()
    try:
        return open_gateway(res.sessions, connection_id, res.endpoints(), res.cipher()).company_lists(), ""
    except PlatformError as error:
        return None, f"The company's lists could not be read ({error}); type the codes instead."


def _form(platform: str) -> dict[str, Any]:
    """The posted settings, as `configure_mapping` takes them ("" clears a key)."""
    keys = [key for key, _, platforms in FIELDS if platform in platforms]
    form: dict[str, Any] = {key: request.form.get(key, "").strip() for key in keys}
    if platform == "xero":
        form["tracking"] = {name[len(TRACKING):]: value.strip() for name, value in request.form.items()
                            if name.startswith(TRACKING) and value.strip()}
        form["line_amount_types"] = request.form.get("line_amount_types", "").strip()
    return form


def _problems(form: dict[str, Any]) -> list[str]:
    texts = [(k, v) for k, v in form.items() if isinstance(v, str)]
    texts += [(f"tracking {k}", f"{k}={v}") for k, v in dict(form.get("tracking") or {}).items()]
    bad = [f"{key}: {found[1]}" for key, value in texts if (found := text_problem(value, NAME))]
    amount_types = form.get("line_amount_types")
    if amount_types and amount_types not in LINE_AMOUNT_TYPES:
        bad.append(f"line_amount_types: must be one of {', '.join(LINE_AMOUNT_TYPES)}")
    return bad


@blueprint.route("/<int:connection_id>/settings", methods=["GET", "POST"])
@login_required
def settings(connection_id: int) -> Any:
    res = resources()
    with res.sessions() as db:
        view = connections.get_connection(db, connection_id)
        current = stored_mapping(db, connection_id)
    if view is None:
        abort(404, description=f"No connection {connection_id}.")
    problem = ""
    if request.method == "POST":
        check_csrf()
        form = _form(view.platform)
        try:
            if bad := _problems(form):
                raise ValueError("; ".join(bad))
            stored, requeued = configure_mapping(
                res.sessions,
                lambda cid: open_gateway(res.sessions, cid, res.endpoints(), res.cipher()),
                connection_id, form,
            )
        except (PlatformError, ValueError) as error:
            problem, current = f"Nothing saved: {error}", {**current, **form}
        else:
            flash(f"Saved the settings of {view.name}" + (f"; {requeued} failed invoice(s) queued again." if requeued else "."))
            return redirect(url_for("mapping.settings", connection_id=connection_id))
    lists, unread = _read_lists(connection_id)
    return render_template("connection_settings.html", connection=view, fields=_fields(view.platform, lists, current),
                           problem=problem, unread=unread), (400 if problem else 200)
