"""A project from an accepted estimate (QuickBooks) or quote (Xero): the CLI's and admin's one path.

`import_from_books` reads the document through the connection's gateway, lets the domain
(`connector.billing.estimates`) turn it into a schedule, validates that like a file, and then,
in one transaction, stores the project, links it to the connection, remembers the platform
customer's id for the project's customer (so the first invoice goes to that customer by id and
no other is created) and remembers the document (so it is never imported twice, and the
invoices point back to it). Every refusal comes before the transaction, so a refused import
writes nothing:
- a connection that does not exist, is not active, or is the wrong platform for the kind
  (estimates are QuickBooks', quotes Xero's);
- a document the books do not have (the platform's NotFound, naming it);
- a document imported before (the project it became is named; asked first, since QuickBooks
  closes an estimate once an invoice links to it); the unique row settles a race;
- a document not accepted (the books' own status word);
- a schedule that does not validate (every problem, as for a file);
- a company that cannot bill in the document's currency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from connector.billing.errors import BillingError, ValidationProblem
from connector.billing.estimates import Estimate, ImportChoices, refusal, schedule_from_estimate
from connector.billing.model import AuditEvent
from connector.billing.schedule import build_schedule, raw_to_toml
from connector.platforms.gateway import AccountingGateway
from connector.store import links, service
from connector.store.db import transaction
from connector.store.mapping_rows import remember_customer
from connector.store.models import DEFAULT_ORGANISATION_ID, ConnectionRow
from connector.store.sources import ImportedBefore, imported_as, remember_source

KIND_OF = {"quickbooks": "estimate", "xero": "quote"}
GatewayFor = Callable[[int], AccountingGateway]


class ImportRefused(BillingError):
    """The document cannot become a project; the message says which and why."""


@dataclass(frozen=True)
class Imported:
    key: str
    estimate: Estimate
    milestones: int
    toml: str  # the schedule as imported, for review
    warnings: tuple[ValidationProblem, ...] = ()


@dataclass(frozen=True)
class Listed:
    estimate: Estimate
    imported_as: str | None  # the project it already became, if any


def _platform(session: Session, connection_id: int, kind: str | None) -> str:
    row = session.get(ConnectionRow, connection_id)
    if row is None:
        raise ImportRefused(f"no connection {connection_id}: see `milepost connections`")
    if row.status != "active":
        raise ImportRefused(f"connection {connection_id} is {row.status}: reconnect it first")
    wanted = KIND_OF.get(row.platform, "")
    if kind is not None and kind != wanted:
        option = "--from-estimate" if wanted == "estimate" else "--from-quote"
        raise ImportRefused(f"connection {connection_id} is {row.platform}, which has "
                            f"{wanted}s, not {kind}s: use {option}")
    return row.platform


def list_accepted(sessions: sessionmaker[Session], gateway_for: GatewayFor,
                  connection_id: int) -> list[Listed]:
    """The connection's accepted estimates or quotes, each with the project it became, if any."""
    with sessions() as session:
        _platform(session, connection_id, None)
    found = gateway_for(connection_id).accepted_estimates()
    with sessions() as session:
        return [Listed(e, imported_as(session, connection_id, e.source.platform_id)) for e in found]


def import_from_books(
    sessions: sessionmaker[Session], gateway_for: GatewayFor, connection_id: int, reference: str,
    choices: ImportChoices, *, kind: str | None = None, by: str = "cli",
) -> Imported:
    """Import the estimate or quote `reference` (platform id or number) as project
    `choices.key`, linked to the connection; raises (ImportRefused, ImportedBefore,
    ScheduleInvalid, a PlatformError) with nothing written."""
    with sessions() as session:
        _platform(session, connection_id, kind)
    gateway = gateway_for(connection_id)
    estimate = gateway.estimate(reference)
    with sessions() as session:  # first: once invoiced, QuickBooks has closed the estimate
        if (earlier := imported_as(session, connection_id, estimate.source.platform_id)) is not None:
            raise ImportedBefore(f"{estimate.label} was imported before, as project {earlier}: "
                                 "nothing imported")
    if (why := refusal(estimate)) is not None:
        raise ImportRefused(f"{why}; nothing imported")
    if not choices.today:
        choices = replace(choices, today=datetime.now(UTC).date())
    try:
        raw = schedule_from_estimate(estimate, choices)
    except ValueError as error:
        raise ImportRefused(str(error)) from None
    parsed = build_schedule(raw, default_time_zone=choices.time_zone)
    gateway.check_currency(estimate.currency)  # ConfigurationError naming both currencies
    project = parsed.project
    event = AuditEvent(
        project_key=project.key, seq=None, kind="imported", at=datetime.now(UTC), actor=by,
        data={"source": estimate.label, "source_id": estimate.source.platform_id,
              "connection": str(connection_id), "milestones": str(len(parsed.milestones)),
              "template": choices.template},
    )
    with transaction(sessions) as session:
        owner = session.get(ConnectionRow, connection_id)  # the project is the connection's organisation's
        service.import_schedule(session, project, parsed.milestones, event, mapping=parsed.mapping,
                                organisation_id=owner.organisation_id if owner is not None else DEFAULT_ORGANISATION_ID)
        links.link_project(session, project.key, connection_id)
        remember_customer(session, connection_id, project.customer, estimate.customer_id,
                          estimate.customer.name)
        remember_source(session, project.key, connection_id, estimate.source, estimate.customer_id)
    return Imported(project.key, estimate, len(parsed.milestones), raw_to_toml(raw), parsed.warnings)
