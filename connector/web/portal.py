"""The client portal: an approver opens a signed link, sees the milestone, and decides.

The link names one milestone and the approver it was sent to, and expires after
PORTAL_LINK_DAYS. An expired or tampered link gets a page saying so and changes nothing.
The page shows what the approver is asked to judge: the deliverable, the acceptance criteria,
the evidence submitted (each stored file behind its own signed, short-lived, no-store download
link: `evidence_links`), and the amount; after a partial acceptance, the part accepted and what
remains.

Deciding takes two steps, so one tap never bills: the form (nothing preselected) posts the
choice, the page answers with what will happen ("98.76 USD will be invoiced") and a Confirm
button that posts it again with `confirm=yes`; only then does the decision go through the same
domain step and billing as the CLI and the API. A form that cannot be recorded (no choice, a
rejection without a reason, a bad percent) comes back on the same page with the problem beside
the field and everything typed still there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from connector.billing.allocation import amount_for
from connector.billing.errors import BillingError
from connector.billing.model import Milestone, Project
from connector.billing.money import HUNDRED, Money
from connector.store.errors import StoreError
from connector.store.evidence import StoredEvidence, evidence_content, milestone_evidence
from connector.store.repository import BillingRepository

from .decisions import Decision, decide, decision_problems, portal_actions
from .evidence_links import EVIDENCE_LINK_MINUTES, evidence_token, read_evidence_token
from .resources import resources
from .security import LinkRefused, check_csrf, read_portal_token

blueprint = Blueprint("portal", __name__, url_prefix="/portal")
WORDS = {"accept": "accepted", "partial": "partially accepted", "reject": "rejected"}


def _refused(error: LinkRefused) -> Any:
    if error.expired:
        message = ("This link has expired. Ask the project team for a new one; "
                   "nothing about the milestone has changed.")
    else:
        message = ("This link is not valid (it may have been altered or cut short). "
                   "Nothing about the milestone has changed.")
    return render_template("message.html", title="Link not usable", message=message), 403


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _read(token: str) -> tuple[str, int, str]:
    return read_portal_token(_secret(), token)


@dataclass(frozen=True)
class Shares:
    """The milestone's amount, what the approver has accepted of it so far, and the rest."""

    whole: Money
    accepted: Money
    remaining: Money

    @property
    def accepted_percent(self) -> Decimal:
        return _percent(self.accepted, self.whole)

    @property
    def remaining_percent(self) -> Decimal:
        return _percent(self.remaining, self.whole)


def _percent(part: Money, whole: Money) -> Decimal:
    if not whole.amount:
        return Decimal(0)
    return (part.amount * HUNDRED / whole.amount).quantize(Decimal("0.01")).normalize()


def _shares(project: Project, schedule: list[Milestone], m: Milestone) -> Shares:
    whole = amount_for(project, schedule, m.seq)
    accepted = m.accepted_amount or Money.zero(project.currency)
    return Shares(whole, accepted, whole - accepted)


@dataclass(frozen=True)
class Loaded:
    project: Project
    m: Milestone
    shares: Shares
    evidence: list[StoredEvidence]


def _load(key: str, seq: int) -> Loaded | None:
    with resources().sessions() as db:
        try:
            project, schedule = BillingRepository(db).load(key)
            m = next(x for x in schedule if x.seq == seq and not x.removed)
        except (StoreError, StopIteration):
            return None
        return Loaded(project, m, _shares(project, list(schedule), m), milestone_evidence(db, key, seq))


def _page(token: str, email: str, loaded: Loaded, *, form: Any = None, problems: dict[str, str] | None = None,
          confirm: dict[str, Any] | None = None, status: int = 200) -> Any:
    key, m = loaded.project.key, loaded.m
    links = {e.id: url_for("portal.evidence", token=evidence_token(_secret(), key, m.seq, e.id, email))
             for e in loaded.evidence if e.has_content}
    page = render_template(
        "portal.html", token=token, project=loaded.project, m=m, email=email, evidence=loaded.evidence,
        evidence_links=links, link_minutes=EVIDENCE_LINK_MINUTES, shares=loaded.shares, actions=portal_actions(m.state),
        done=request.args.get("done"), words=WORDS, deadline=_local(m.approval_deadline, loaded.project.time_zone),
        form=form or MultiDict(), problems=problems or {}, confirm=confirm,
    )
    return page, status


@blueprint.get("/<token>")
def milestone(token: str) -> Any:
    try:
        key, seq, email = _read(token)
    except LinkRefused as error:
        return _refused(error)
    loaded = _load(key, seq)
    if loaded is None:
        return _refused(LinkRefused(expired=False))
    return _page(token, email, loaded)


def _local(at: datetime | None, time_zone: str) -> str | None:
    """The deadline as the approver reads it: in the project's own time zone."""
    if at is None:
        return None
    return at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def _decision(form: Any, email: str) -> Decision | dict[str, str]:
    """The form as a Decision, or the problem to show beside each field (field -> message)."""
    action = form.get("action", "")
    reason = (form.get("reason") or "").strip()
    if action not in ("accept", "partial", "reject"):
        return {"action": "Choose accept, accept part or reject."}
    if action == "reject" and not reason:
        return {"reason": "A rejection needs a reason, so the team knows what to change."}
    percent = None
    if action == "partial":
        try:
            percent = Decimal((form.get("percent") or "").strip())
        except InvalidOperation:
            percent = None
        if percent is None or not percent.is_finite():
            return {"percent": "Give the accepted share as a percent of the milestone, such as 40."}
    decision = Decision(action, email, datetime.now(UTC), reason=reason, percent=percent,
                        allowed=portal_actions)
    problems = decision_problems(decision)  # what no column holds: a NUL, 13 digits, ...
    if problems:
        return {field if field in ("reason", "percent") else "action": message for field, _, message in problems}
    return decision


def _to_invoice(decision: Decision, shares: Shares) -> Money | None:
    """What the decision puts on an invoice (before any deposit credit or retainage)."""
    if decision.action == "accept":
        return shares.remaining
    if decision.action == "partial" and decision.percent is not None:
        return shares.whole.percent(decision.percent)
    return None


def _share_problem(decision: Decision, shares: Shares) -> str | None:
    """Why a partial share cannot be taken (said before the confirmation step), or None."""
    if decision.action != "partial" or decision.percent is None:
        return None
    if decision.percent <= 0:
        return "Give a percent above 0."
    if shares.whole.percent(decision.percent) >= shares.remaining:
        return (f"{decision.percent:f}% would accept all that remains; choose "
                f"\"Accept the remaining\" instead, or a smaller percent.")
    return None


@blueprint.post("/<token>")
def decide_milestone(token: str) -> Any:
    try:
        key, seq, email = _read(token)
    except LinkRefused as error:
        return _refused(error)
    check_csrf()
    loaded = _load(key, seq)
    if loaded is None:
        return _refused(LinkRefused(expired=False))
    decision = _decision(request.form, email)
    if isinstance(decision, dict):
        return _page(token, email, loaded, form=request.form, problems=decision, status=400)
    if decision.action not in portal_actions(loaded.m.state):
        state = loaded.m.state.value.replace("_", " ")
        verb = "accept" if decision.action == "partial" else decision.action
        return _page(token, email, loaded, form=request.form, status=409, problems={
            "action": f"milestone {seq} is {state}: there is nothing to {verb} here, and nothing was recorded"})
    if (share := _share_problem(decision, loaded.shares)) is not None:
        return _page(token, email, loaded, form=request.form, problems={"percent": share}, status=400)
    if request.form.get("confirm") != "yes":
        confirm = {"action": decision.action, "amount": _to_invoice(decision, loaded.shares)}
        return _page(token, email, loaded, form=request.form, confirm=confirm)
    try:
        decide(resources().sessions, key, seq, decision)
    except (BillingError, StoreError, ValueError) as error:
        fresh = _load(key, seq) or loaded  # the state read again: the error may be that it moved
        return _page(token, email, fresh, form=request.form, problems={"action": str(error)}, status=409)
    return redirect(url_for("portal.milestone", token=token, done=decision.action))


@blueprint.get("/evidence/<token>")
def evidence(token: str) -> Any:
    """One evidence file, for the approver it was shown to, while its link is fresh."""
    try:
        key, seq, evidence_id, _ = read_evidence_token(_secret(), token)
    except LinkRefused as error:
        return _refused(error)
    with resources().sessions() as db:
        found = evidence_content(db, key, seq, evidence_id)
    if found is None:
        return _refused(LinkRefused(expired=False))
    stored, content = found
    response = Response(content, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.set("Content-Disposition", "attachment", filename=stored.name)
    return response
