"""Why an outbox row last waited or failed.

- `outbox.cause`: waiting, auth, infrastructure, retry or refused (null for a row never put
  back). Reconnecting a company re-queues the rows that waited or failed for `auth`; a row put
  back for any cause is looked up by its key before it is created again. Rows that failed for
  good before this revision because a platform refused the grant (401/403, which used to fail
  an intent at once) are marked `auth`, so the first reconnect gives them another go.

Revision ID: 0011_rel1_outbox_cause
Revises: 0010_credits_amended_by
Create Date: 2026-12-01 13:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_rel1_outbox_cause'
down_revision = '0010_credits_amended_by'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cause', sa.String(length=16), nullable=True))
    outbox = sa.table('outbox', sa.column('status', sa.String), sa.column('last_error', sa.Text),
                      sa.column('cause', sa.String))
    words = sa.func.lower(outbox.c.last_error)
    op.execute(
        outbox.update()
        .where(outbox.c.status == 'failed',
               words.like('%authentication%') | words.like('%code 401%') | words.like('%code 403%'))
        .values(cause='auth')
    )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('cause')
