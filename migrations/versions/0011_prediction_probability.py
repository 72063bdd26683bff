"""The probability a classifier gave each stored prediction's answer.

predictions.probability: live metrics (ROC AUC, calibration) are measured from it once the true
outcome is recorded; none for regression and recommendation, and for predictions stored before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # In place on both databases: predictions is the largest table, and others refer to it.
    op.add_column('predictions', sa.Column('probability', sa.Double(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE predictions DROP COLUMN probability')
    else:
        op.drop_column('predictions', 'probability')
