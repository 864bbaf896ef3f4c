"""Shared token grants: tokens belong to a grant (one consent), connections point at it
(owned by connector/platforms, mirrored by token_rows.py).

One Xero consent reaching several organisations made several connections, each with its own
copy of the same tokens; refreshing one copy spent the refresh token the others still held.
Each existing token row becomes a grant of its own (which is what it was), and
`connection_tokens` keeps only the link.

Revision ID: 0004_shared_token_grants
Revises: 0003_background_jobs
Create Date: 2026-11-26 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0004_shared_token_grants'
down_revision = '0003_background_jobs'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime
MOVED = ('ciphertext', 'access_expires_at', 'refresh_expires_at', 'refreshed_count', 'last_error', 'updated_at')


def _token_columns() -> list[sa.Column]:
    return [
        sa.Column('ciphertext', sa.Text(), nullable=False),
        sa.Column('access_expires_at', UTC(timezone=True), nullable=False),
        sa.Column('refresh_expires_at', UTC(timezone=True), nullable=True),
        sa.Column('refreshed_count', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('updated_at', UTC(timezone=True), nullable=False),
    ]


def _typed() -> list[sa.sql.expression.ColumnClause]:
    return [sa.column(c.name, c.type) for c in _token_columns()]


def upgrade() -> None:
    grants = op.create_table('token_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    *_token_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_grants'))
    )
    with op.batch_alter_table('connection_tokens') as batch:
        batch.add_column(sa.Column('grant_id', sa.Integer(), nullable=True))
    links = sa.table('connection_tokens', sa.column('connection_id', sa.Integer()),
                     sa.column('grant_id', sa.Integer()), *_typed())
    connections = sa.table('connections', sa.column('id', sa.Integer()), sa.column('platform', sa.String()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(links, connections.c.platform).join(connections, connections.c.id == links.c.connection_id)
    ).mappings().all()
    for row in rows:
        grant_id = bind.execute(
            grants.insert().values(platform=row['platform'], **{c: row[c] for c in MOVED}).returning(grants.c.id)
        ).scalar_one()
        bind.execute(links.update().where(links.c.connection_id == row['connection_id']).values(grant_id=grant_id))
    with op.batch_alter_table('connection_tokens') as batch:
        batch.alter_column('grant_id', existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f('fk_connection_tokens_grant_id_token_grants'), 'token_grants', ['grant_id'], ['id'])
        batch.create_index(op.f('ix_connection_tokens_grant_id'), ['grant_id'])
        for column in MOVED:
            batch.drop_column(column)


def downgrade() -> None:
    """Every connection gets its own copy of its grant's tokens back."""
    with op.batch_alter_table('connection_tokens') as batch:
        for column in _token_columns():
            batch.add_column(sa.Column(column.name, column.type, nullable=True))
    grants = sa.table('token_grants', sa.column('id', sa.Integer()), *_typed())
    links = sa.table('connection_tokens', sa.column('connection_id'), sa.column('grant_id'), *_typed())
    bind = op.get_bind()
    for grant in bind.execute(sa.select(grants)).mappings().all():
        bind.execute(links.update().where(links.c.grant_id == grant['id']).values(**{c: grant[c] for c in MOVED}))
    with op.batch_alter_table('connection_tokens') as batch:
        batch.drop_index(op.f('ix_connection_tokens_grant_id'))
        batch.drop_constraint(op.f('fk_connection_tokens_grant_id_token_grants'), type_='foreignkey')
        batch.drop_column('grant_id')
        for column in _token_columns():
            if not column.nullable:
                batch.alter_column(column.name, existing_type=column.type, nullable=False)
    op.drop_table('token_grants')
