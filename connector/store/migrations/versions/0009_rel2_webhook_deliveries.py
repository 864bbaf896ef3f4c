"""Webhook deliveries stored as received, processed afterwards by the worker.

- `webhook_deliveries`: one row per verified delivery (platform, raw body, when received);
  `processed_at` and `events` are set by the `process_webhooks` job, `error` when the body
  could not be read. The receivers answer as soon as the row is committed, whatever the
  delivery's size (Intuit expects an answer within 3 s, Xero within 5 s).

Revision ID: 0009_rel2_webhook_deliveries
Revises: 0008_sec2_admin_sessions
Create Date: 2026-12-01 13:30:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0009_rel2_webhook_deliveries'
down_revision = '0008_sec2_admin_sessions'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', UTC(timezone=True), nullable=False),
    sa.Column('processed_at', UTC(timezone=True), nullable=True),
    sa.Column('events', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_processed_at'), ['processed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_processed_at'))
    op.drop_table('webhook_deliveries')
