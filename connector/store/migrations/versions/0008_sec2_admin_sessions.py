"""Admin sign-ins kept on the server (owned by connector/web, mirrored by admin_sessions.py).

- `admin_sessions`: one row per signed-in admin browser, keyed by the SHA-256 of the random id
  its session cookie holds; deleted at logout, after the idle timeout or past the absolute
  lifetime, so a replayed cookie is refused.

Revision ID: 0008_sec2_admin_sessions
Revises: 0007_voids_and_late_fee_lines
Create Date: 2026-12-01 13:40:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0008_sec2_admin_sessions'
down_revision = '0007_voids_and_late_fee_lines'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def upgrade() -> None:
    op.create_table('admin_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC(timezone=True), nullable=False),
    sa.Column('last_seen_at', UTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_admin_sessions'))
    )


def downgrade() -> None:
    op.drop_table('admin_sessions')
