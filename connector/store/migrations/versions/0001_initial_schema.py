"""Initial schema: projects, milestones and their history, audit trail, outbox, invoices, payments,
connections (a placeholder the gateway extends), job runs.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 07:58:00.846924
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('tenant_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections'))
    )
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('customer_email', sa.String(length=320), nullable=False),
    sa.Column('customer_company', sa.String(length=200), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('contract_total', connector.store.types.Amount(precision=18, scale=4), nullable=False),
    sa.Column('contract_date', sa.Date(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('approval_window_days', sa.Integer(), nullable=False),
    sa.Column('holiday_calendar', sa.String(length=16), nullable=False),
    sa.Column('pause_work_after_days', sa.Integer(), nullable=True),
    sa.Column('late_fee', sa.JSON(), nullable=False),
    sa.Column('retainage', sa.JSON(), nullable=False),
    sa.Column('deposit', sa.JSON(), nullable=True),
    sa.Column('signed_at', connector.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('key', name=op.f('uq_projects_key'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('recorded_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_audit_events_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_project_id'), ['project_id'], unique=False)

    op.create_table('change_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('approver', sa.String(length=200), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('applied_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_change_orders_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_orders')),
    sa.UniqueConstraint('project_id', 'reference', name=op.f('uq_change_orders_project_id'))
    )
    with op.batch_alter_table('change_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_orders_project_id'), ['project_id'], unique=False)

    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('started_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', connector.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_job_runs_connection_id_connections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_job'), ['job'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('deliverable', sa.Text(), nullable=False),
    sa.Column('acceptance_criteria', sa.Text(), nullable=False),
    sa.Column('approver_name', sa.String(length=200), nullable=False),
    sa.Column('approver_role', sa.String(length=200), nullable=False),
    sa.Column('approver_email', sa.String(length=320), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('evidence_required', sa.JSON(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=True),
    sa.Column('fixed_amount', connector.store.types.Amount(precision=18, scale=4), nullable=True),
    sa.Column('percent', connector.store.types.Amount(precision=20, scale=10), nullable=True),
    sa.Column('billing_mode', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('submitted_at', connector.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approval_deadline', connector.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', connector.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.String(length=200), nullable=True),
    sa.Column('accepted_amount', connector.store.types.Amount(precision=18, scale=4), nullable=True),
    sa.Column('percent_complete', connector.store.types.Amount(precision=20, scale=10), nullable=False),
    sa.Column('billed', connector.store.types.Amount(precision=18, scale=4), nullable=True),
    sa.Column('paid', connector.store.types.Amount(precision=18, scale=4), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestones_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_milestones_project_id'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_approval_deadline'), ['approval_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_state'), ['state'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_outbox_connection_id_connections')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_outbox_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('added_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_evidence_milestone_id_milestones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_milestone_id'), ['milestone_id'], unique=False)

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('platform_id', sa.String(length=100), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', connector.store.types.Amount(precision=18, scale=4), nullable=False),
    sa.Column('amount_paid', connector.store.types.Amount(precision=18, scale=4), nullable=False),
    sa.Column('balance', connector.store.types.Amount(precision=18, scale=4), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('created_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_invoices_connection_id_connections')),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_invoices_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_invoices_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('platform', 'connection_id', 'platform_id', name=op.f('uq_invoices_platform'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_project_id'), ['project_id'], unique=False)

    op.create_table('milestone_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('change_order_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['change_order_id'], ['change_orders.id'], name=op.f('fk_milestone_versions_change_order_id_change_orders')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_milestone_versions_milestone_id_milestones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_versions')),
    sa.UniqueConstraint('milestone_id', 'version', name=op.f('uq_milestone_versions_milestone_id'))
    )
    with op.batch_alter_table('milestone_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_versions_milestone_id'), ['milestone_id'], unique=False)

    op.create_table('project_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('change_order_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['change_order_id'], ['change_orders.id'], name=op.f('fk_project_versions_change_order_id_change_orders')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_versions_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_versions')),
    sa.UniqueConstraint('project_id', 'version', name=op.f('uq_project_versions_project_id'))
    )
    with op.batch_alter_table('project_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_versions_project_id'), ['project_id'], unique=False)

    op.create_table('invoice_milestones',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('amount', connector.store.types.Amount(precision=18, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_milestones_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_invoice_milestones_milestone_id_milestones')),
    sa.PrimaryKeyConstraint('invoice_id', 'milestone_id', name=op.f('pk_invoice_milestones'))
    )
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.String(length=100), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('amount', connector.store.types.Amount(precision=18, scale=4), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('invoice_id', 'platform_id', name=op.f('uq_payments_invoice_id'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))

    op.drop_table('payments')
    op.drop_table('invoice_milestones')
    with op.batch_alter_table('project_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_versions_project_id'))

    op.drop_table('project_versions')
    with op.batch_alter_table('milestone_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_versions_milestone_id'))

    op.drop_table('milestone_versions')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_project_id'))

    op.drop_table('invoices')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_milestone_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_project_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_state'))
        batch_op.drop_index(batch_op.f('ix_milestones_project_id'))
        batch_op.drop_index(batch_op.f('ix_milestones_approval_deadline'))

    op.drop_table('milestones')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_job'))

    op.drop_table('job_runs')
    with op.batch_alter_table('change_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_orders_project_id'))

    op.drop_table('change_orders')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_project_id'))

    op.drop_table('audit_events')
    op.drop_table('projects')
    op.drop_table('connections')
