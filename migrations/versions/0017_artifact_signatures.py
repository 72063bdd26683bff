"""Each model version's artifact signature: an HMAC of its digest under a key the database never
holds, checked before the artifact is loaded.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('artifact_signature', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_column('artifact_signature')
