"""Connection tokens: one encrypted token row per connection (owned by connector/platforms).

Revision ID: 0002_connection_tokens
Revises: 0001
Create Date: 2026-11-25 08:20:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0002_connection_tokens'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connection_tokens',
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.Column('access_expires_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', connector.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refreshed_count', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('updated_at', connector.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_connection_tokens_connection_id_connections')),
    sa.PrimaryKeyConstraint('connection_id', name=op.f('pk_connection_tokens'))
    )


def downgrade() -> None:
    op.drop_table('connection_tokens')
