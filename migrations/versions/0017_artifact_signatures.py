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


# A plain ADD / DROP COLUMN on both databases: a batch (copy-and-move) on SQLite would rebuild
# model_versions and its foreign keys, which earlier migrations' downgrades then cannot drop.
def upgrade():
    op.add_column('model_versions', sa.Column('artifact_signature', sa.String(length=64),
                                              nullable=True))


def downgrade():
    op.drop_column('model_versions', 'artifact_signature')
