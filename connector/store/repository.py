"""Reading and writing the domain's records in one session, with the store's guarantees.

`BillingRepository` is the only code that turns rows into domain records and back. It never
commits: the caller (the service layer) owns the transaction, so a transition, its audit event
and its outbox intent land together or not at all.

Concurrency: every milestone write is `UPDATE ... WHERE id = :id AND version = :expected`. If
another transaction changed the milestone since it was read, no row matches and
`ConcurrentUpdate` is raised; on PostgreSQL the second UPDATE waits for the first to commit and
then sees the new version, so two concurrent transitions never both succeed.
"""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import ColumnElement, Update, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.billing.model import AuditEvent, InvoiceIntent, Milestone, Project
from connector.billing.report import InvoiceView

from . import records
from .errors import ConcurrentUpdate, DuplicateProject, MilestoneNotFound, ProjectNotFound
from .models import (
    DEFAULT_ORGANISATION_ID,
    AuditEventRow,
    EvidenceRow,
    InvoiceMilestoneRow,
    InvoiceRow,
    MilestoneRow,
    MilestoneVersionRow,
    OutboxRow,
    PaymentRow,
    ProjectRow,
    ProjectVersionRow,
    utcnow,
)


class BillingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._projects: dict[str, ProjectRow] = {}  # a repository lives for one transaction
        self._milestones: dict[tuple[int, int], MilestoneRow] = {}  # (project id, seq): rows read

    # --- projects ---------------------------------------------------------------------------

    def project_row(self, key: str) -> ProjectRow:
        """The project's row, read once per repository (a transition asks for it three times)."""
        row = self._projects.get(key)
        if row is not None:
            return row
        row = self.session.scalars(select(ProjectRow).where(ProjectRow.key == key)).one_or_none()
        if row is None:
            raise ProjectNotFound(key)
        self._projects[key] = row
        return row

    def project_row_by_id(self, project_id: int) -> ProjectRow:
        """The project's row by its id (the session's own when it holds it), kept like `project_row`."""
        row = self.session.get(ProjectRow, project_id)
        if row is None:
            raise ProjectNotFound(str(project_id))
        self._projects[row.key] = row
        return row

    def project_keys(self) -> list[str]:
        return list(self.session.scalars(select(ProjectRow.key).order_by(ProjectRow.key)))

    def add_project(self, project: Project, milestones: list[Milestone],
                    organisation_id: int = DEFAULT_ORGANISATION_ID) -> ProjectRow:
        """Insert a new project of `organisation_id` with its schedule and the first version of each."""
        if self.session.scalars(select(ProjectRow.id).where(ProjectRow.key == project.key)).first():
            raise DuplicateProject(project.key)
        row = records.fill_project_row(ProjectRow(organisation_id=organisation_id), project)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:  # a concurrent import of the same key
            raise DuplicateProject(project.key) from exc
        self._project_version(row, project, None)
        for milestone in milestones:
            self.insert_milestone(row, milestone, None)
        return row

    def load(self, key: str) -> tuple[Project, list[Milestone]]:
        """The project and its current schedule (removed milestones included, flagged)."""
        row = self.project_row(key)
        return records.project_from_row(row), [
            records.milestone_from_row(m, row.currency) for m in self._milestone_rows(row)
        ]

    def save_project(self, project: Project, change_order_id: int | None) -> ProjectRow:
        """Write new project terms with the next version, keeping the old ones in history."""
        row = self.project_row(project.key)
        expected = row.version
        records.fill_project_row(row, project)
        row.version = expected + 1
        self.session.flush()
        self._project_version(row, records.project_from_row(row), change_order_id)
        return row

    def _project_version(self, row: ProjectRow, project: Project, change_order_id: int | None) -> None:
        self.session.add(
            ProjectVersionRow(
                project_id=row.id,
                version=row.version,
                terms=records.project_terms_json(project),
                change_order_id=change_order_id,
            )
        )

    # --- milestones -------------------------------------------------------------------------

    def _milestone_rows(self, project: ProjectRow) -> list[MilestoneRow]:
        query = select(MilestoneRow).where(MilestoneRow.project_id == project.id)
        rows = list(self.session.scalars(query.order_by(MilestoneRow.seq)))
        self._milestones.update(((project.id, row.seq), row) for row in rows)
        return rows

    def milestone_row(self, project: ProjectRow, seq: int) -> MilestoneRow:
        """The milestone's row; one this repository read already (a transition loads the
        schedule, then saves one of its milestones) is not read again."""
        kept = self._milestones.get((project.id, seq))
        if kept is not None and kept.project_id == project.id and kept.seq == seq:
            return kept  # the same object a query would return from the session's identity map
        query = select(MilestoneRow).where(
            MilestoneRow.project_id == project.id, MilestoneRow.seq == seq
        )
        row = self.session.scalars(query).one_or_none()
        if row is None:
            raise MilestoneNotFound(project.key, seq)
        self._milestones[(project.id, seq)] = row
        return row

    def milestone(self, key: str, seq: int) -> tuple[Project, Milestone]:
        project_row = self.project_row(key)
        row = self.milestone_row(project_row, seq)
        return records.project_from_row(project_row), records.milestone_from_row(
            row, project_row.currency
        )

    def insert_milestone(
        self, project: ProjectRow, milestone: Milestone, change_order_id: int | None
    ) -> MilestoneRow:
        row = records.fill_milestone_row(MilestoneRow(project_id=project.id), milestone)
        row.version = 1
        self.session.add(row)
        self.session.flush()
        self._milestone_version(row, milestone, change_order_id)
        return row

    def save_milestone(
        self,
        key: str,
        milestone: Milestone,
        expected_version: int,
        change_order_id: int | None = None,
    ) -> Milestone:
        """Write `milestone` if nobody changed it since `expected_version`; return it as stored."""
        project_row = self.project_row(key)
        row_id = self.milestone_row(project_row, milestone.seq).id
        values = records.fill_milestone_row(MilestoneRow(), milestone)
        params = {
            **{f"new_{name}": getattr(values, name) for name in _SAVED_COLUMNS},
            "new_version": expected_version + 1, "new_updated_at": utcnow(),
            "row_id": row_id, "expected_version": expected_version,
        }
        row: MilestoneRow | None
        if self.session.get_bind().dialect.update_returning:  # the row as the UPDATE left it, at once
            row = self.session.scalars(_save_milestone(returning=True), params,
                                       execution_options={"populate_existing": True}).one_or_none()
            if row is None:
                raise ConcurrentUpdate(key, milestone.seq, expected_version)
        else:
            result = self.session.execute(_save_milestone(), params)
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentUpdate(key, milestone.seq, expected_version)
            row = self.session.get(MilestoneRow, row_id, populate_existing=True)  # as the UPDATE left it
            assert row is not None
        stored = records.milestone_from_row(row, project_row.currency)
        self._milestone_version(row, stored, change_order_id)
        return stored

    def _milestone_version(
        self, row: MilestoneRow, milestone: Milestone, change_order_id: int | None
    ) -> None:
        self.session.add(
            MilestoneVersionRow(
                milestone_id=row.id,
                version=row.version,
                data=records.milestone_json(milestone),
                change_order_id=change_order_id,
            )
        )

    def milestone_history(self, key: str, seq: int) -> list[MilestoneVersionRow]:
        row = self.milestone_row(self.project_row(key), seq)
        query = select(MilestoneVersionRow).where(MilestoneVersionRow.milestone_id == row.id)
        return list(self.session.scalars(query.order_by(MilestoneVersionRow.version)))

    def project_history(self, key: str) -> list[ProjectVersionRow]:
        row = self.project_row(key)
        query = select(ProjectVersionRow).where(ProjectVersionRow.project_id == row.id)
        return list(self.session.scalars(query.order_by(ProjectVersionRow.version)))

    # --- audit trail, evidence, outbox ------------------------------------------------------

    def append_event(self, event: AuditEvent) -> None:
        project_id = self.project_row(event.project_key).id
        self.session.add(records.audit_row(project_id, event))

    def events(self, key: str, seq: int | None = None) -> list[AuditEvent]:
        query = select(AuditEventRow).where(AuditEventRow.project_id == self.project_row(key).id)
        if seq is not None:
            query = query.where(AuditEventRow.seq == seq)
        rows = self.session.scalars(query.order_by(AuditEventRow.id))
        return [records.audit_from_row(r, key) for r in rows]

    def add_evidence(
        self, key: str, seq: int, name: str, sha256: str | None, size: int | None, added_by: str,
        *, content: bytes | None = None, content_type: str | None = None,
    ) -> None:
        row = self.milestone_row(self.project_row(key), seq)
        self.session.add(
            EvidenceRow(milestone_id=row.id, name=name, sha256=sha256, size=size, added_by=added_by,
                        content=content, content_type=content_type)
        )

    def enqueue(self, intent: InvoiceIntent, connection_id: int | None = None) -> OutboxRow:
        """Put an intent in the outbox once: the same idempotency key is never queued twice."""
        existing = self.session.scalars(
            select(OutboxRow).where(OutboxRow.idempotency_key == intent.idempotency_key)
        ).one_or_none()
        if existing is not None:
            return existing
        row = OutboxRow(
            idempotency_key=intent.idempotency_key,
            project_id=self.project_row(intent.project_key).id,
            seq=intent.seq,
            status="pending",
            attempts=0,
            connection_id=connection_id,
            payload=records.intent_json(intent),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def queued_intents(self, key: str, at: datetime | None = None) -> list[InvoiceIntent]:
        """The project's live intents, oldest first: what was billed, withheld and credited.

        An intent whose invoice was voided or deleted (in the books, or by a void from here)
        bills, withholds and credits nothing any more, so it is left out: its deposit credit
        returns to the deposit and its retainage is no longer held. So is one whose partly paid
        invoice a void from here settled by crediting its balance: the milestone is voided, and
        the cash received stays recorded on the invoice. `at`: live as the store knew it then
        (a void it learned of later is not applied)."""
        rows = self.outbox(key)
        settled = {row.payload.get("invoice_row_id") for row in rows
                   if row.kind == "void" and row.status == "done" and (at is None or row.updated_at <= at)}
        gone: ColumnElement[bool] = InvoiceRow.status.in_(("voided", "deleted"))
        if at is not None:
            gone = gone & (InvoiceRow.updated_at <= at)
        dead = set(self.session.scalars(
            select(InvoiceRow.outbox_id).where(
                InvoiceRow.project_id == self.project_row(key).id, InvoiceRow.outbox_id.is_not(None),
                gone | InvoiceRow.id.in_(settled))))
        return [records.intent_from_json(row.payload) for row in rows
                if row.kind == "invoice" and row.id not in dead]

    def invoice_views(self, key: str) -> list[InvoiceView]:
        """The platform invoices of the project as the store last saw them, for reports."""
        project = self.project_row(key)
        rows = self.session.execute(
            select(InvoiceRow, OutboxRow.idempotency_key)
            .outerjoin(OutboxRow, OutboxRow.id == InvoiceRow.outbox_id)
            .where(InvoiceRow.project_id == project.id)
            .order_by(InvoiceRow.id)
        ).all()
        links: dict[int, list[int]] = {}
        for invoice_id, seq in self.session.execute(
            select(InvoiceMilestoneRow.invoice_id, MilestoneRow.seq)
            .join(MilestoneRow, MilestoneRow.id == InvoiceMilestoneRow.milestone_id)
            .where(MilestoneRow.project_id == project.id)
        ):
            links.setdefault(invoice_id, []).append(seq)
        # an invoice for several milestones (a monthly one) belongs to none of them alone
        seqs = {invoice_id: found[0] for invoice_id, found in links.items() if len(found) == 1}
        cash: dict[int, list[PaymentRow]] = {}
        for payment in self.session.scalars(
            select(PaymentRow).join(InvoiceRow, InvoiceRow.id == PaymentRow.invoice_id)
            .where(InvoiceRow.project_id == project.id).order_by(PaymentRow.on, PaymentRow.id)
        ):
            cash.setdefault(payment.invoice_id, []).append(payment)
        return [records.invoice_view(row, seqs.get(row.id), key or "", cash.get(row.id, ()))
                for row, key in rows]

    def outbox(self, key: str) -> list[OutboxRow]:
        query = select(OutboxRow).where(OutboxRow.project_id == self.project_row(key).id)
        return list(self.session.scalars(query.order_by(OutboxRow.id)))


_SAVED_COLUMNS = tuple(c.key for c in MilestoneRow.__table__.columns
                       if c.key not in {"id", "project_id", "updated_at", "version"})


@functools.cache
def _save_milestone(returning: bool = False) -> Update:
    """`save_milestone`'s UPDATE, built once: every value a bound parameter (building it per
    save, twenty-odd columns, was a tenth of a draft's CPU in the worker, issue 15); with
    `returning`, it also gives back the row as it left it (no second read)."""
    statement = (
        update(MilestoneRow)
        .where(MilestoneRow.id == bindparam("row_id"), MilestoneRow.version == bindparam("expected_version"))
        .values({**{name: bindparam(f"new_{name}") for name in _SAVED_COLUMNS},
                 "version": bindparam("new_version"), "updated_at": bindparam("new_updated_at")})
        .execution_options(synchronize_session=False)
    )
    return statement.returning(MilestoneRow) if returning else statement
