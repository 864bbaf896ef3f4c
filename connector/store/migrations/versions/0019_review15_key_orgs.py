"""API keys belong to an organisation, as users, projects and connections do (0018).

A key acts for its organisation only: the REST API's lists and reads, its writes by project
key, the inbound hook and the outbound subscriptions see that organisation's projects and no
other's. `api_keys.organisation_id` is not null, default 1: every key made before there were
organisations belongs to the default one, for which it already acted.

Revision ID: 0019_review15_key_orgs
Revises: 0018_users13_people_orgs
Create Date: 2026-12-01 20:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0019_review15_key_orgs'
down_revision = '0018_users13_people_orgs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # As 0018: not batch mode (SQLite's table copy is refused once other rows refer to it), so
    # SQLite gets the column and index without the foreign key; PostgreSQL gets all three.
    op.add_column('api_keys', sa.Column('organisation_id', sa.Integer(), nullable=False,
                                        server_default=sa.text('1')))
    op.create_index(op.f('ix_api_keys_organisation_id'), 'api_keys', ['organisation_id'])
    if op.get_bind().dialect.name != 'sqlite':
        op.create_foreign_key(op.f('fk_api_keys_organisation_id_organisations'), 'api_keys',
                              'organisations', ['organisation_id'], ['id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_api_keys_organisation_id'), table_name='api_keys')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_api_keys_organisation_id_organisations'), 'api_keys',
                           type_='foreignkey')
    op.drop_column('api_keys', 'organisation_id')
