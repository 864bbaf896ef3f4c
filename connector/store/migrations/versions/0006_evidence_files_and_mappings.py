"""Evidence file contents, stored customer mappings and per-project mapping settings.

- `evidence.content` / `content_type`: the bytes of a file given with `--evidence`, so the
  outbox can attach it to the platform invoice (a name alone cannot be attached).
- `customer_mappings`: which platform customer a project's customer is, per connection, so
  the second invoice for a customer never searches the books again.
- `project_mappings`: a project's `[project.mapping]` settings (items, accounts, tax codes),
  laid over its connection's defaults.

Revision ID: 0006_evidence_and_mappings
Revises: 0005_project_links
Create Date: 2026-11-27 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0006_evidence_and_mappings'
down_revision = '0005_project_links'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('content_type', sa.String(length=100), nullable=True))
    op.create_table('customer_mappings',
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('customer_key', sa.String(length=400), nullable=False),
    sa.Column('platform_id', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=500), nullable=False),
    sa.Column('mapped_at', UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_customer_mappings_connection_id_connections')),
    sa.PrimaryKeyConstraint('connection_id', 'customer_key', name=op.f('pk_customer_mappings'))
    )
    op.create_table('project_mappings',
    sa.Column('project_key', sa.String(length=64), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('project_key', name=op.f('pk_project_mappings'))
    )


def downgrade() -> None:
    op.drop_table('project_mappings')
    op.drop_table('customer_mappings')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('content_type')
        batch_op.drop_column('content')
