"""Use cases made from a table, and the input schema each model version was trained on.

table_usecases: one row per use case an admin made from a CSV (its spec is the use case);
model_versions.input_schema: the fields a version takes, so a rollback serves the matching form.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('table_usecases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_table_usecases')),
    sa.UniqueConstraint('name', name=op.f('uq_table_usecases_name'))
    )
    # A nullable column is added in place on both databases (no batch rebuild of a table the
    # predictions refer to).
    op.add_column('model_versions', sa.Column('input_schema', sa.JSON(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE model_versions DROP COLUMN input_schema')
    else:
        op.drop_column('model_versions', 'input_schema')
    op.drop_table('table_usecases')
