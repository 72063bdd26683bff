"""Model cards: the sections an admin writes for a version, and its figures by group.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('model_cards',
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=True),
    sa.Column('updated_by', sa.String(length=80), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('groups', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_model_cards_model_version_id_model_versions')),
    sa.PrimaryKeyConstraint('model_version_id', name=op.f('pk_model_cards'))
    )


def downgrade():
    op.drop_table('model_cards')
