"""Void requests in the outbox, and late fees waiting for the next invoice.

- `outbox.kind`: `invoice` (an invoice intent, as before) or `void` (void or credit a
  milestone's invoice, `milepost invoice void`); existing rows are invoices.
- `late_fee_charges`: a period's late fee for a project whose policy puts it as a line on the
  next invoice; `period_key` is unique (once per period), `intent_key` records the intent the
  line was put on.

Revision ID: 0007_voids_and_late_fee_lines
Revises: 0006_evidence_and_mappings
Create Date: 2026-11-28 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0007_voids_and_late_fee_lines'
down_revision = '0006_evidence_and_mappings'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime
AMOUNT = connector.store.types.Amount(precision=18, scale=4)


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='invoice'))
    op.create_table('late_fee_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sa.String(length=200), nullable=False),
    sa.Column('amount', AMOUNT, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('intent_key', sa.String(length=200), nullable=True),
    sa.Column('charged_at', UTC(timezone=True), nullable=False),
    sa.Column('billed_at', UTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_late_fee_charges_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_fee_charges')),
    sa.UniqueConstraint('period_key', name=op.f('uq_late_fee_charges_period_key'))
    )
    op.create_index(op.f('ix_late_fee_charges_project_id'), 'late_fee_charges', ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_late_fee_charges_project_id'), table_name='late_fee_charges')
    op.drop_table('late_fee_charges')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('kind')
