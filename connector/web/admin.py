"""The admin pages: sign in, the dashboard, a project's page, connection actions.

The dashboard is what an operator checks in the morning: which connections need reconnecting,
what needs attention (each job's failure until a later run of it succeeds, failed intents with
a Retry button), each connection's last good sync, what the worker did (runs that did
something or failed, with the platform's own message and code), what the books
overruled (bookkeepers' edits from the sync log), which projects call for pausing work and why
(the stored flag, as the report and the notification say), and where each project bills. Everything is read from the store; no
page calls a platform except the connect/disconnect actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.errors import BillingError
from connector.billing.glance import totals_by_currency
from connector.billing.money import D
from connector.billing.report import Report
from connector.billing.schema import LONG_TEXT, text_problem
from connector.platforms.connect import open_gateway
from connector.store import credits, links, people, voids
from connector.store.db import transaction
from connector.store.errors import ProjectNotFound, StoreError
from connector.store.job_runs import (
    eventful_runs,
    last_successful_syncs,
    standing_failures,
    sync_totals,
)
from connector.store.models import UserRow
from connector.store.reports import project_report
from connector.store.repository import BillingRepository
from connector.store.retries import failed_counts, failed_intents, retry_all_failed, retry_intent
from jobs.connections import currency_refusal

from . import connections
from .activity import bookkeeper_edits, pause_reasons
from .path_bounds import MAX_ID
from .project_view import dashboard_forecast, project_figures
from .resources import resources
from .security import (
    actor,
    check_csrf,
    current_user,
    login_required,
    organisation,
    portal_token,
    requires,
    same_origin_path,
    sign_in,
    sign_out,
)

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True)
class SyncLine:
    """A connection's syncs at a glance: the last that went well, what they brought home, and
    how many of its intents failed."""

    connection: connections.ConnectionView
    last_ok: Any  # JobRunRow | None
    totals: dict[str, int]
    failed_intents: int


@dataclass(frozen=True)
class ProjectLine:
    key: str
    name: str
    customer: str
    report: Report
    connection: connections.ConnectionView | None


def _report(repo: BillingRepository, key: str, now: datetime) -> Report:
    return project_report(repo.session, key, now)


def _connections(db: Session) -> list[connections.ConnectionView]:
    return connections.list_connections(db, organisation(db).connection_ids())


def _projects(db: Session, by_id: dict[int, connections.ConnectionView]) -> list[ProjectLine]:
    repo, now, linked = BillingRepository(db), datetime.now(UTC), links.links(db)
    lines = []
    for key in organisation(db).project_keys():
        project, _ = repo.load(key)
        connection_id = linked.get(key)
        lines.append(ProjectLine(key, project.name, project.customer.name, _report(repo, key, now),
                                 by_id.get(connection_id) if connection_id else None))
    return lines


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """E-mail and password, or Sign in with Intuit / Xero (connector/web/signin.py)."""
    res = resources()
    email = request.form.get("email", "")
    if request.method == "POST":
        check_csrf()
        with transaction(res.sessions) as db:
            user = people.authenticate(db, email, request.form.get("password", ""))
            if user is not None:
                sign_in(db, user)
        if user is not None:
            return redirect(same_origin_path(request.args.get("next"), url_for("admin.dashboard")))
        flash("That e-mail and password do not match an account.")
    with res.sessions() as db:
        anyone = bool(db.scalar(select(UserRow.id).limit(1)))
    return render_template("login.html", anyone=anyone, email=email,
                           next=same_origin_path(request.args.get("next"), ""))


@blueprint.post("/logout")
@requires("viewer", changes_nothing=True)
def logout() -> Any:
    sign_out()
    return redirect(url_for("admin.login"))


@blueprint.get("/")
@login_required
def dashboard() -> Any:
    with resources().sessions() as db:
        ours = organisation(db).id
        conns = _connections(db)
        by_id = {c.id: c for c in conns}
        projects = _projects(db, by_id)
        runs = eventful_runs(db, limit=25, organisation_id=ours)
        failures = standing_failures(db, organisation_id=ours)
        failed = failed_intents(db, organisation_id=ours)
        # keyed by connection id: only the organisation's connections are looked up
        last_ok, totals, failed_by = last_successful_syncs(db), sync_totals(db), failed_counts(db)
        syncs = [SyncLine(c, last_ok.get(c.id), totals.get(c.id, {}), failed_by.get(c.id, 0)) for c in conns]
        edits = bookkeeper_edits(db, ours)
        paused = pause_reasons(db, ours)
        forecast = dashboard_forecast(db, ours)
    return render_template(
        "dashboard.html", connections=conns, projects=projects, runs=runs, by_id=by_id,
        totals=totals_by_currency(p.report for p in projects),
        forecast=forecast,
        needs_reconnect=[c for c in conns if c.status == "needs_reconnect"],
        paused=paused, edits=edits, failures=failures, failed=failed, syncs=syncs,
    )


@blueprint.post("/intents/<int:intent_id>/retry")
@requires("bookkeeper")
def retry(intent_id: int) -> Any:
    """The "Retry" button beside a failed intent: back to pending, the next drain carries it."""
    try:
        with transaction(resources().sessions) as db:
            retry_intent(db, intent_id, organisation(db).id)
    except StoreError as error:
        flash(f"Not retried: {error}")
        return redirect(url_for("admin.dashboard"))
    flash(f"Intent {intent_id} queued again; the worker carries it within seconds.")
    return redirect(url_for("admin.dashboard"))


@blueprint.post("/intents/retry-failed")
@requires("bookkeeper")
def retry_failed() -> Any:
    with transaction(resources().sessions) as db:
        count = retry_all_failed(db, organisation(db).id)
    flash(f"{count} failed intent(s) queued again.")
    return redirect(url_for("admin.dashboard"))


@blueprint.get("/connections/<int:connection_id>/disconnect")
@login_required
def confirm_disconnect(connection_id: int) -> Any:
    """The step before a disconnect: name the company and what stops, and ask to confirm."""
    with resources().sessions() as db:
        mine = organisation(db).connection(connection_id) is not None
        view = connections.get_connection(db, connection_id) if mine else None
    if view is None or view.status == "disconnected":
        abort(404, description=f"No connected company {connection_id}.")
    return render_template("disconnect_confirm.html", connection=view)


@blueprint.post("/connections/<int:connection_id>/disconnect")
@requires("admin")
def disconnect(connection_id: int) -> Any:
    res = resources()
    with res.sessions() as db:
        if organisation(db).connection(connection_id) is None:
            abort(404)
    try:
        view = connections.disconnect(res.sessions, connection_id, res.endpoints(), res.cipher())
    except LookupError:
        abort(404)
    flash(f"Disconnected {view.name}; its history is kept.")
    return redirect(url_for("admin.dashboard"))


@blueprint.get("/projects/<key>")
@login_required
def project(key: str) -> Any:
    res = resources()
    with res.sessions() as db:
        try:
            organisation(db).project(key)
            figures = project_figures(db, key, datetime.now(UTC))
        except ProjectNotFound:
            abort(404, description=f"No project {key}.")
        proj, milestones, report = figures.project, figures.milestones, figures.report
        conns = [c for c in _connections(db) if c.status != "disconnected"]
        linked = links.linked_connection(db, key)
        edits = bookkeeper_edits(db, organisation(db).id, key)
        pause_reason = pause_reasons(db, organisation(db).id).get(key)
    secret = str(res_secret())
    # An approver's link lets whoever holds it accept and bill, so a read-only user gets none.
    person = current_user()
    portal = {} if person is None or person.read_only else {
        m.seq: url_for("portal.milestone", token=portal_token(secret, key, m.seq, m.approver.email), _external=True)
        for m in milestones if not m.removed}
    return render_template("project.html", project=proj, milestones=milestones, report=report,
                           connections=conns, linked=linked, portal=portal, edits=edits,
                           pause_reason=pause_reason, lines=figures.lines, links=figures.links,
                           chart=figures.chart)


def res_secret() -> str:
    from flask import current_app

    return str(current_app.config["SECRET_KEY"])


@blueprint.post("/projects/<key>/link")
@requires("bookkeeper")
def link(key: str) -> Any:
    try:
        connection_id = int(request.form.get("connection", ""))
    except ValueError:
        abort(400, description="Choose a connection.")
    if not 1 <= connection_id <= MAX_ID:
        abort(400, description="Choose a connection.")
    res = resources()
    with res.sessions() as db:
        scope = organisation(db)
        currency: str | None = None
        missing: ProjectNotFound | None = None  # another organisation's project: as none at all
        try:
            currency = scope.project(key).currency
        except ProjectNotFound as error:
            missing = error
        if scope.connection(connection_id) is None:
            abort(400, description="Choose a connection.")
    if missing is not None:
        abort(404, description=str(missing))
    if currency is not None:
        refusal = currency_refusal(lambda cid: open_gateway(res.sessions, cid, res.endpoints(), res.cipher()),
                                   connection_id, currency)
        if refusal:
            flash(f"{key} was not linked: {refusal}")
            return redirect(url_for("admin.project", key=key))
    with res.sessions() as db, db.begin():
        try:
            links.link_project(db, key, connection_id)
        except StoreError as error:
            abort(400 if not isinstance(error, ProjectNotFound) else 404, description=str(error))
    flash(f"{key} now bills through connection {connection_id}.")
    return redirect(url_for("admin.project", key=key))



def _own_project(key: str) -> None:
    """404 unless the project is the signed-in user's organisation's."""
    with resources().sessions() as db:
        try:
            organisation(db).project(key)
        except ProjectNotFound:
            abort(404, description=f"No project {key}.")


@blueprint.post("/projects/<key>/milestones/<int:seq>/void")
@requires("bookkeeper")
def void(key: str, seq: int) -> Any:
    """The "Void invoice" button: queue the void (or credit) with the reason given."""
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(f"Milestone {seq}: say why the invoice is voided.")
        return redirect(url_for("admin.project", key=key))
    if bad := text_problem(reason, LONG_TEXT, multiline=True):
        flash(f"Milestone {seq}: not voided: reason: {bad[1]}.")
        return redirect(url_for("admin.project", key=key))
    _own_project(key)
    try:
        with transaction(resources().sessions) as db:
            queued, new = voids.request_void(db, key, seq, reason, actor(), datetime.now(UTC))
    except ProjectNotFound:
        abort(404, description=f"No project {key}.")
    except (BillingError, StoreError) as error:
        flash(f"Not voided: {error}")
        return redirect(url_for("admin.project", key=key))
    invoice = queued.number or queued.platform_id
    flash(f"Milestone {seq}: void of invoice {invoice} {'queued' if new else 'already queued'}; "
          "the worker voids it, or credits what is unpaid.")
    return redirect(url_for("admin.project", key=key))


@blueprint.post("/projects/<key>/milestones/<int:seq>/credit")
@requires("bookkeeper")
def credit(key: str, seq: int) -> Any:
    """The "Credit" form: queue a credit of the amount given (tax included) with its reason."""
    try:
        amount = D(request.form.get("amount", ""))
    except ValueError:
        flash(f"Milestone {seq}: amount: give the amount to credit, such as 500.00 [decimal].")
        return redirect(url_for("admin.project", key=key))
    _own_project(key)
    try:
        with transaction(resources().sessions) as db:
            queued = credits.request_credit(db, key, seq, amount, request.form.get("reason", ""), actor(),
                                            datetime.now(UTC), ref=request.form.get("ref", "").strip())
    except ProjectNotFound:
        abort(404, description=f"No project {key}.")
    except (BillingError, StoreError) as error:
        flash(f"Not credited: {error}")
        return redirect(url_for("admin.project", key=key))
    flash(f"Milestone {seq}: credit of {queued.amount} on invoice {queued.number or queued.platform_id} "
          "queued; the worker issues it and allocates it in full.")
    return redirect(url_for("admin.project", key=key))
