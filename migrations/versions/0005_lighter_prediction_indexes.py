"""Fewer index writes per stored prediction.

Output indexes only where there is an output, and none on model_version_id (no query looks
predictions up by it). Every index is one more page written to the WAL on each prediction's commit, the largest cost
of storing one. A prediction has a number or a label, never both, so partial indexes on the
two outputs cost one write where two were made; the charts' queries already ask for
non-null outputs, so they read the same indexes as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

VALUE = sa.text("output_value IS NOT NULL")
LABEL = sa.text("output_label IS NOT NULL")


def upgrade():
    op.drop_index('ix_predictions_model_version_id', table_name='predictions')
    op.drop_index('ix_predictions_usecase_value', table_name='predictions')
    op.drop_index('ix_predictions_usecase_label', table_name='predictions')
    op.create_index('ix_predictions_usecase_value', 'predictions', ['usecase', 'output_value'],
                    sqlite_where=VALUE, postgresql_where=VALUE)
    op.create_index('ix_predictions_usecase_label', 'predictions', ['usecase', 'output_label'],
                    sqlite_where=LABEL, postgresql_where=LABEL)


def downgrade():
    op.drop_index('ix_predictions_usecase_label', table_name='predictions')
    op.drop_index('ix_predictions_usecase_value', table_name='predictions')
    op.create_index('ix_predictions_usecase_label', 'predictions', ['usecase', 'output_label'])
    op.create_index('ix_predictions_usecase_value', 'predictions', ['usecase', 'output_value'])
    op.create_index('ix_predictions_model_version_id', 'predictions', ['model_version_id'])
