"""Predictions keep their output reduced to one number or label, for charts in SQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:32:15.553707

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('output_value', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('output_label', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_column('output_label')
        batch_op.drop_column('output_value')

