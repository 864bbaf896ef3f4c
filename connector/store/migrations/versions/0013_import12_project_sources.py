"""The estimate or quote a project was imported from (`schedule import --from-estimate`).

- `project_sources`: one row per imported project: the connection, platform, kind (estimate or
  quote), the document's platform id and number, and the platform customer it named. Unique
  on (connection, platform id), so one accepted estimate becomes one project, even when two
  imports race; the drain reads it to make the invoices point back (QuickBooks LinkedTxn, Xero
  Reference).

Revision ID: 0013_import12_project_sources
Revises: 0011_rel1_outbox_cause
Create Date: 2026-12-01 17:00:00
"""

from alembic import op
import sqlalchemy as sa

from connector.store.types import UTCDateTime


revision = '0013_import12_project_sources'
down_revision = '0011_rel1_outbox_cause'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'project_sources',
        sa.Column('project_key', sa.String(length=64), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('platform_id', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('customer_id', sa.String(length=100), nullable=False),
        sa.Column('imported_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id'],
                                name=op.f('fk_project_sources_connection_id_connections')),
        sa.PrimaryKeyConstraint('project_key', name=op.f('pk_project_sources')),
        sa.UniqueConstraint('connection_id', 'platform_id', name=op.f('uq_project_sources_connection_id')),
    )


def downgrade() -> None:
    op.drop_table('project_sources')
