"""What the project page and the dashboard show, gathered from the store in one place.

The admin views stay thin: this module reads the report, the milestones, the intents and the
invoices, and hands the templates ready figures (`glance`), the chart (`charts`) and each
invoice's link into QuickBooks or Xero (`platforms.invoice_links`, the one place those web
addresses are built). Nothing here calls a platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from connector.billing.calendar import local_date
from connector.billing.glance import MilestoneLine, milestone_lines, progress_series
from connector.billing.model import Milestone, Project
from connector.billing.report import InvoiceView, Report, build_report
from connector.platforms.invoice_links import invoice_url, quickbooks_is_sandbox
from connector.store import credits
from connector.store.forecast import forecast_for
from connector.store.repository import BillingRepository

from . import charts, formatting
from .resources import resources


@dataclass(frozen=True)
class ProjectFigures:
    project: Project
    milestones: list[Milestone]
    report: Report
    lines: list[MilestoneLine]
    links: dict[str, str]  # platform invoice id -> its page in the books
    chart: Markup


def invoice_link(invoice: InvoiceView | None) -> str | None:
    """The invoice's page in the books this app is configured for (sandbox or production)."""
    if invoice is None:
        return None
    sandbox = quickbooks_is_sandbox(resources().settings.quickbooks.environment)
    return invoice_url(invoice.platform, invoice.id, quickbooks_sandbox=sandbox)


def project_figures(db: Session, key: str, now: datetime) -> ProjectFigures:
    """Everything the project page shows about `key` (ProjectNotFound when there is none)."""
    repo = BillingRepository(db)
    project, milestones = repo.load(key)
    invoices, intents = repo.invoice_views(key), repo.queued_intents(key)
    report = build_report(project, milestones, invoices, now, intents=intents,
                          credits=credits.credited(db, key))
    today = local_date(now, project.time_zone)
    lines = milestone_lines(report, milestones, now, today)
    links = {line.invoice.id: url for line in lines
             if line.invoice is not None and (url := invoice_link(line.invoice))}
    series = progress_series(report, milestones, intents, [i for i in invoices if i.live_at(now)], today)
    chart = charts.progress_chart(series, project.currency, formatting.money, formatting.day)
    return ProjectFigures(project, list(milestones), report, lines, links, chart)


FORECAST_WEEKS = 12


def dashboard_forecast(db: Session, organisation_id: int) -> Markup:
    """The next 12 weeks of the organisation's expected cash (issue 12's forecast), a panel per
    currency."""
    forecast = forecast_for(db, FORECAST_WEEKS, organisation_id=organisation_id)
    figures = {c.currency: [charts.ForecastWeek(w.start, f.early.amount, f.expected.amount, f.late.amount)
                            for w, f in zip(forecast.weeks, c.weeks, strict=True)]
               for c in forecast.currencies}
    return charts.forecast_chart(figures, formatting.money, formatting.day)
