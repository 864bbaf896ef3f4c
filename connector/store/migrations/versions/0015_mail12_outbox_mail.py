"""E-mail through the outbox.

- `outbox.project_id` may be null: a notice to the bookkeeper that a connection needs
  reconnecting belongs to no project. E-mail rows (kind `mail`) always leave it null and carry
  the project's key in their payload, so no project's list of intents ever shows them.
- `outbox.not_before`: a row put back after a failure that is worth retrying is not claimed
  again before this instant (an SMTP server that is down is given time, not hammered every
  drain); null for every row that never waited.

Revision ID: 0015_mail12_outbox_mail
Revises: 0017_keys14_api_keys
Create Date: 2026-12-01 17:00:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0015_mail12_outbox_mail'
down_revision = '0017_keys14_api_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('not_before', connector.store.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE project_id IS NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('not_before')
        batch_op.alter_column('project_id', existing_type=sa.Integer(), nullable=False)
