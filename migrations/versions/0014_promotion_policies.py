"""A promotion policy per use case, and promotions marked when made against it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('promotion_policies',
    sa.Column('usecase', sa.String(length=64), nullable=False),
    sa.Column('min_labelled', sa.Integer(), nullable=False),
    sa.Column('not_worse', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('usecase', name=op.f('pk_promotion_policies'))
    )
    # In place on both databases (no batch rebuild of a table others refer to).
    op.add_column('promotions', sa.Column('against_policy', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column('promotions', sa.Column('gate', sa.JSON(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE promotions DROP COLUMN gate')
        op.execute('ALTER TABLE promotions DROP COLUMN against_policy')
    else:
        op.drop_column('promotions', 'gate')
        op.drop_column('promotions', 'against_policy')
    op.drop_table('promotion_policies')
