"""Training jobs say which runner has them and keep their log in the registry.

With a job queue, the worker that trains may be on another host than the page that shows the
job, so the log moves from a file on the web host into the job's row; the runner tells the
reaper which jobs may wait in a queue and which the queue must account for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_jobs') as batch:
        batch.add_column(sa.Column('runner', sa.String(length=16), nullable=False,
                                   server_default='local'))
        batch.add_column(sa.Column('log', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('training_jobs') as batch:
        batch.drop_column('log')
        batch.drop_column('runner')
