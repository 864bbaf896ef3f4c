"""Background jobs: sync cursors, webhook event ids, reminders, pause
flags, sync log (owned by jobs/, mirrored by jobs/tables.py).

Revision ID: 0003_background_jobs
Revises: 0002_connection_tokens
Create Date: 2026-11-25 09:30:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0003_background_jobs'
down_revision = '0002_connection_tokens'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table('sync_state',
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('cursor', UTC(timezone=True), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('last_synced_at', UTC(timezone=True), nullable=True),
    sa.Column('requested_at', UTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_sync_state_connection_id_connections')),
    sa.PrimaryKeyConstraint('connection_id', name=op.f('pk_sync_state'))
    )
    op.create_table('webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('received_at', UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_webhook_events_connection_id_connections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('platform', 'event_id', name=op.f('uq_webhook_events_platform'))
    )
    op.create_table('invoice_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('sent_at', UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_reminders_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_reminders')),
    sa.UniqueConstraint('invoice_id', 'kind', name=op.f('uq_invoice_reminders_invoice_id'))
    )
    op.create_index(op.f('ix_invoice_reminders_invoice_id'), 'invoice_reminders', ['invoice_id'])
    op.create_table('pause_flags',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('flagged_at', UTC(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('cleared_at', UTC(timezone=True), nullable=True),
    sa.Column('notified', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pause_flags_project_id_projects')),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_pause_flags'))
    )
    op.create_table('sync_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('at', UTC(timezone=True), nullable=False),
    sa.Column('invoice_platform_id', sa.String(length=100), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_sync_log_connection_id_connections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_log'))
    )
    op.create_index(op.f('ix_sync_log_connection_id'), 'sync_log', ['connection_id'])


def downgrade() -> None:
    for table in ('sync_log', 'pause_flags', 'invoice_reminders', 'webhook_events', 'sync_state'):
        op.drop_table(table)
