"""Which change order last amended a milestone, for the wording of its later invoices.

- `milestones.amended_by`: "CO-1 of 2026-12-14", set when a change order changes the
  milestone's terms or amount (`billing.change_orders`); lines of invoices issued after it read
  "(per contract dated 2026-11-02, as amended by CO-1 of 2026-12-14)". Empty for milestones no
  order has touched.

Revision ID: 0010_credits_amended_by
Revises: 0009_rel2_webhook_deliveries
Create Date: 2026-12-01 14:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010_credits_amended_by'
down_revision = '0009_rel2_webhook_deliveries'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amended_by', sa.String(length=200), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_column('amended_by')
