"""API keys in the database, their webhook subscriptions, and the inbound hook's memory.

- `api_keys`: name, scope (read | write), the public id that finds the row, the SHA-256 of the
  key's secret part (never the key), the key's inbound webhook secret encrypted with the token
  keys, when it was made, last used and revoked.
- `webhook_subscriptions`: per key, the URL and events to post, and the subscription's signing
  secret (encrypted); `removed_at` once deleted (pending deliveries are then dropped).
- `hook_messages`: per key, each inbound message id that changed something and its answer, so
  a replay changes nothing.

Outbound events travel in the existing `outbox` table as rows of kind `webhook`.

Revision ID: 0017_keys14_api_keys
Revises: 0013_import12_project_sources
Create Date: 2026-12-01 17:30:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0017_keys14_api_keys'
down_revision = '0013_import12_project_sources'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('webhook_secret', sa.Text(), nullable=False),
    sa.Column('created_at', UTC(timezone=True), nullable=False),
    sa.Column('last_used_at', UTC(timezone=True), nullable=True),
    sa.Column('revoked_at', UTC(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('public_id', name=op.f('uq_api_keys_public_id'))
    )
    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('created_at', UTC(timezone=True), nullable=False),
    sa.Column('removed_at', UTC(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'],
                            name=op.f('fk_webhook_subscriptions_api_key_id_api_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions'))
    )
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_subscriptions_api_key_id'), ['api_key_id'], unique=False)
    op.create_table('hook_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', UTC(timezone=True), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_hook_messages_api_key_id_api_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hook_messages')),
    sa.UniqueConstraint('api_key_id', 'message_id', name=op.f('uq_hook_messages_api_key_id'))
    )
    with op.batch_alter_table('hook_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hook_messages_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hook_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hook_messages_received_at'))
    op.drop_table('hook_messages')
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_subscriptions_api_key_id'))
    op.drop_table('webhook_subscriptions')
    op.drop_table('api_keys')
