"""Indexes for the history: each filter ends in created_at; charts read outputs from indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:01:38.540524

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_source_created', ['source', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_usecase_label', ['usecase', 'output_label'], unique=False)
        batch_op.create_index('ix_predictions_usecase_source_created', ['usecase', 'source', 'created_at'], unique=False)
        batch_op.create_index('ix_predictions_usecase_value', ['usecase', 'output_value'], unique=False)



def downgrade():
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_usecase_value')
        batch_op.drop_index('ix_predictions_usecase_source_created')
        batch_op.drop_index('ix_predictions_usecase_label')
        batch_op.drop_index('ix_predictions_source_created')

