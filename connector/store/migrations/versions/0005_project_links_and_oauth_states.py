"""Project links and pending OAuth flows (owned by connector/web, mirrored by links.py and
oauth_states.py).

Both tables were created by the web app at startup, outside Alembic. A database where that
already happened keeps its tables (they have exactly this shape); elsewhere they are created
here, so `milepost init` builds everything.

Revision ID: 0005_project_links
Revises: 0004_shared_token_grants
Create Date: 2026-11-26 10:30:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0005_project_links'
down_revision = '0004_shared_token_grants'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def _exists(name: str) -> bool:
    return name in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if not _exists('project_connections'):
        op.create_table('project_connections',
        sa.Column('project_key', sa.String(length=64), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('linked_at', UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('project_key', name=op.f('pk_project_connections'))
        )
    if not _exists('oauth_states'):
        op.create_table('oauth_states',
        sa.Column('state', sa.String(length=64), nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('binding', sa.String(length=64), nullable=False),
        sa.Column('verifier', sa.String(length=128), nullable=True),
        sa.Column('issued_at', UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('state', name=op.f('pk_oauth_states'))
        )


def downgrade() -> None:
    op.drop_table('oauth_states')
    op.drop_table('project_connections')
