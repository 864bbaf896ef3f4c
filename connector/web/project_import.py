"""The admin page that creates a project from a schedule file (TOML, JSON or CSV).

The same path as `milepost schedule import` and `POST /api/v1/schedules`: the file is parsed
and validated by the billing domain (every problem listed on the page, each naming its field
and rule, and nothing written), then imported in one transaction with its audit event, and
linked to the connection chosen, so the project bills there from its first invoice. The
project is the signed-in user's organisation's, and only its connections are offered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from connector.billing.errors import ScheduleInvalid
from connector.billing.model import AuditEvent
from connector.billing.money import UnknownCurrency
from connector.billing.schedule import load_schedule
from connector.store import links, service
from connector.store.db import transaction
from connector.store.errors import DuplicateProject, StoreError

from . import connections
from .resources import resources
from .security import actor, login_required, organisation

blueprint = Blueprint("projects", __name__, url_prefix="/admin/projects")
FORMATS = {".toml": "toml", ".json": "json", ".csv": "csv"}


def _page(problems: list[str], status: int = 200) -> Any:
    with resources().sessions() as db:
        live = [c for c in connections.list_connections(db, organisation(db).connection_ids())
                if c.status != "disconnected"]
    return render_template("project_import.html", problems=problems, connections=live,
                           chosen=request.form.get("connection", "")), status


@blueprint.route("/import", methods=["GET", "POST"])
@login_required
def import_schedule() -> Any:
    if request.method == "GET":
        return _page([])
    upload = request.files.get("schedule")
    fmt = FORMATS.get(PurePath(upload.filename or "").suffix.lower()) if upload else None
    if upload is None or not upload.filename:
        return _page(["schedule: choose the schedule file to import [required]"], 400)
    if fmt is None:
        return _page([f"schedule: {upload.filename} is not a .toml, .json or .csv file [format]"], 400)
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        return _page(["schedule: the file is not UTF-8 text [encoding]"], 400)
    res = resources()
    try:
        parsed = load_schedule(text, fmt, default_time_zone=res.settings.app.default_time_zone)
    except ScheduleInvalid as invalid:
        return _page([f"{p.field}: {p.message} [{p.rule}]" for p in invalid.errors], 400)
    except UnknownCurrency as error:
        return _page([f"project.currency: {error} [unknown_currency]"], 400)
    project = parsed.project
    event = AuditEvent(project_key=project.key, seq=None, kind="imported", at=datetime.now(UTC), actor=actor(),
                       data={"file": PurePath(upload.filename).name, "milestones": str(len(parsed.milestones))})
    chosen = request.form.get("connection", "")
    try:
        with transaction(res.sessions) as db:
            service.import_schedule(db, project, parsed.milestones, event, mapping=parsed.mapping,
                                    organisation_id=organisation(db).id)
            if chosen.isdigit():
                links.link_project(db, project.key, int(chosen))
    except DuplicateProject as error:
        return _page([f"project.key: {error} [duplicate]"], 409)
    except StoreError as error:
        return _page([f"connection: {error}"], 400)
    flash(f"Imported {project.key}: {len(parsed.milestones)} milestones.")
    return redirect(url_for("admin.project", key=project.key))
