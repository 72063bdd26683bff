"""At most one queued or running training job per use case, enforced by the database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:48:08.060259

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.create_index('uq_one_active_job', ['usecase'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))



def downgrade():
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_one_active_job', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))

