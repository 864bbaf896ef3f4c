"""People instead of one shared password, and the organisation everything belongs to.

- `organisations`: who a deployment serves. One default organisation (id 1) is created here and
  every existing project and connection is given to it, so a deployment that later serves
  several firms only adds rows.
- `users`: a person of an organisation, by e-mail (stored lower-case, unique), with a role
  (admin, bookkeeper, viewer) and an optional password hash (argon2id; null for someone who
  signs in only with Intuit or Xero).
- `projects.organisation_id`, `connections.organisation_id`: not null, default 1, so rows
  written by code that predates organisations still land somewhere.
- `admin_sessions.user_id`: whose sign-in a session is. Sessions signed in with the old shared
  password belong to nobody, so they are deleted: everyone signs in again, as a person.

Revision ID: 0018_users13_people_orgs
Revises: 0015_mail12_outbox_mail
Create Date: 2026-12-01 16:50:00
"""

from alembic import op
import sqlalchemy as sa
import connector.store.types


revision = '0018_users13_people_orgs'
down_revision = '0015_mail12_outbox_mail'
branch_labels = None
depends_on = None

UTC = connector.store.types.UTCDateTime


def upgrade() -> None:
    organisations = op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    )
    op.execute(organisations.insert().values(id=1, name='Default organisation',
                                             created_at=sa.func.current_timestamp()))
    if op.get_bind().dialect.name == 'postgresql':  # the id was given, so move the sequence on
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'id'), "
                   "(SELECT max(id) FROM organisations))")
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('last_sign_in_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_users_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    )
    op.create_index(op.f('ix_users_organisation_id'), 'users', ['organisation_id'])
    # Not batch mode: SQLite's batch copies and drops the table, which its foreign keys refuse
    # once other rows refer to it. So SQLite gets the column and index without the foreign key
    # (it allows no REFERENCES on an added NOT NULL column); PostgreSQL gets all three.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in ('projects', 'connections'):
        op.add_column(table, sa.Column('organisation_id', sa.Integer(), nullable=False,
                                       server_default=sa.text('1')))
        op.create_index(op.f(f'ix_{table}_organisation_id'), table, ['organisation_id'])
        if not sqlite:
            op.create_foreign_key(op.f(f'fk_{table}_organisation_id_organisations'), table,
                                  'organisations', ['organisation_id'], ['id'])
    op.execute(sa.text('DELETE FROM admin_sessions'))
    with op.batch_alter_table('admin_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=False))
        batch_op.create_foreign_key(op.f('fk_admin_sessions_user_id_users'), 'users',
                                    ['user_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM admin_sessions'))
    with op.batch_alter_table('admin_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_admin_sessions_user_id_users'), type_='foreignkey')
        batch_op.drop_column('user_id')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in ('connections', 'projects'):
        op.drop_index(op.f(f'ix_{table}_organisation_id'), table_name=table)
        if not sqlite:
            op.drop_constraint(op.f(f'fk_{table}_organisation_id_organisations'), table,
                               type_='foreignkey')
        op.drop_column(table, 'organisation_id')
    op.drop_index(op.f('ix_users_organisation_id'), table_name='users')
    op.drop_table('users')
    op.drop_table('organisations')
