"""The client portal: an approver opens a signed link, sees the milestone, and decides.

The link names one milestone and the approver it was sent to, and expires after
PORTAL_LINK_DAYS. An expired or tampered link gets a page saying so and changes nothing.
The page shows what the approver is asked to judge: the deliverable, the acceptance criteria,
the evidence submitted, and the amount; the decision (accept, partially accept, reject with a
reason) goes through the same domain step and billing as the CLI and the API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.billing.allocation import amount_for
from connector.billing.errors import BillingError
from connector.store.errors import StoreError
from connector.store.models import EvidenceRow
from connector.store.repository import BillingRepository

from .decisions import Decision, decide, decision_problems, portal_actions
from .resources import resources
from .security import LinkRefused, check_csrf, read_portal_token

blueprint = Blueprint("portal", __name__, url_prefix="/portal")


def _refused(error: LinkRefused) -> Any:
    if error.expired:
        message = ("This link has expired. Ask the project team for a new one; "
                   "nothing about the milestone has changed.")
    else:
        message = ("This link is not valid (it may have been altered or cut short). "
                   "Nothing about the milestone has changed.")
    return render_template("message.html", title="Link not usable", message=message), 403


def _evidence(db: Session, key: str, seq: int) -> list[EvidenceRow]:
    repo = BillingRepository(db)
    row = repo.milestone_row(repo.project_row(key), seq)
    return list(db.scalars(select(EvidenceRow).where(EvidenceRow.milestone_id == row.id)
                           .order_by(EvidenceRow.id)))


def _read(token: str) -> tuple[str, int, str]:
    return read_portal_token(str(current_app.config["SECRET_KEY"]), token)


@blueprint.get("/<token>")
def milestone(token: str) -> Any:
    try:
        key, seq, email = _read(token)
    except LinkRefused as error:
        return _refused(error)
    with resources().sessions() as db:
        repo = BillingRepository(db)
        try:
            project, schedule = repo.load(key)
            m = next(x for x in schedule if x.seq == seq and not x.removed)
        except (StoreError, StopIteration):
            return _refused(LinkRefused(expired=False))
        evidence = _evidence(db, key, seq)
    return render_template(
        "portal.html", token=token, project=project, m=m, email=email, evidence=evidence,
        amount=amount_for(project, schedule, seq), actions=portal_actions(m.state),
        done=request.args.get("done"), deadline=_local(m.approval_deadline, project.time_zone),
    )


def _local(at: datetime | None, time_zone: str) -> str | None:
    """The deadline as the approver reads it: in the project's own time zone."""
    if at is None:
        return None
    return at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def _decision(form: Any, email: str) -> Decision | str:
    """The form as a Decision, or the one-line problem to show."""
    action = form.get("action", "")
    reason = (form.get("reason") or "").strip()
    if action not in ("accept", "partial", "reject"):
        return "Choose accept, partially accept or reject."
    if action == "reject" and not reason:
        return "A rejection needs a reason, so the team knows what to change."
    percent = None
    if action == "partial":
        try:
            percent = Decimal((form.get("percent") or "").strip())
        except InvalidOperation:
            return "Partial acceptance: give the accepted share as a percent, such as 40."
        if not percent.is_finite():
            return "Partial acceptance: give the accepted share as a percent, such as 40."
    decision = Decision(action, email, datetime.now(UTC), reason=reason, percent=percent,
                        allowed=portal_actions)
    problems = decision_problems(decision)  # what no column holds: a NUL, 13 digits, ...
    return "; ".join(message for _, _, message in problems) if problems else decision


@blueprint.post("/<token>")
def decide_milestone(token: str) -> Any:
    try:
        key, seq, email = _read(token)
    except LinkRefused as error:
        return _refused(error)
    check_csrf()
    decision = _decision(request.form, email)
    if isinstance(decision, str):
        return render_template("message.html", title="Not recorded", message=decision,
                               back=url_for("portal.milestone", token=token)), 400
    try:
        decide(resources().sessions, key, seq, decision)
    except (BillingError, StoreError, ValueError) as error:
        return render_template("message.html", title="Not recorded", message=str(error),
                               back=url_for("portal.milestone", token=token)), 409
    return redirect(url_for("portal.milestone", token=token, done=decision.action))
