"""A challenger per use case, and what it said for the live predictions it also scored.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa

from registry.database import JSONDocument


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('challengers',
    sa.Column('usecase', sa.String(length=64), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Double(), nullable=False),
    sa.Column('started_by', sa.String(length=80), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('share >= 0 AND share <= 1', name=op.f('ck_challengers_share')),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_challengers_model_version_id_model_versions')),
    sa.PrimaryKeyConstraint('usecase', name=op.f('pk_challengers'))
    )
    op.create_table('challenger_predictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prediction_id', sa.Integer(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('output', JSONDocument(), nullable=False),
    sa.Column('output_value', sa.Double(), nullable=True),
    sa.Column('output_label', sa.String(length=100), nullable=True),
    sa.Column('probability', sa.Double(), nullable=True),
    sa.Column('latency_ms', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], name=op.f('fk_challenger_predictions_model_version_id_model_versions')),
    sa.ForeignKeyConstraint(['prediction_id'], ['predictions.id'], name=op.f('fk_challenger_predictions_prediction_id_predictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenger_predictions'))
    )
    op.create_index('ix_challenger_predictions_version_prediction', 'challenger_predictions', ['model_version_id', 'prediction_id'], unique=True)


def downgrade():
    op.drop_index('ix_challenger_predictions_version_prediction', table_name='challenger_predictions')
    op.drop_table('challenger_predictions')
    op.drop_table('challengers')
