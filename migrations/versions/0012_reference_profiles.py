"""Each model version's reference profile of its training inputs, for input drift.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reference_profiles',
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_reference_profiles_model_version_id_model_versions')),
    sa.PrimaryKeyConstraint('model_version_id', name=op.f('pk_reference_profiles'))
    )


def downgrade():
    op.drop_table('reference_profiles')
