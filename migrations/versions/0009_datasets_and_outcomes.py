"""Versioned training data and the true outcomes of stored predictions.

dataset_versions: one row per version of a use case's labelled data (the rows themselves are a
Parquet file in the artifact store); model_versions.dataset_version_id: the data a version was
trained on; outcomes: what really happened for a prediction, corrections kept (at most one
current row per prediction, enforced by a partial unique index); training_jobs.options: what a
job trains on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:51:14.938203

"""
from alembic import op
import sqlalchemy as sa

from registry.database import JSONDocument


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dataset_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usecase', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('parents', sa.JSON(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('held_out_rows', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('artifact_path', sa.String(length=255), nullable=False),
    sa.Column('artifact_size', sa.Integer(), nullable=False),
    sa.Column('artifact_sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_versions')),
    sa.UniqueConstraint('usecase', 'version', name=op.f('uq_dataset_versions_usecase'))
    )
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_versions_usecase'), ['usecase'], unique=False)

    op.create_table('outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prediction_id', sa.Integer(), nullable=False),
    sa.Column('usecase', sa.String(length=64), nullable=False),
    sa.Column('value', JSONDocument(), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['prediction_id'], ['predictions.id'], name=op.f('fk_outcomes_prediction_id_predictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes'))
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcomes_prediction_id'), ['prediction_id'], unique=False)
        batch_op.create_index('ix_outcomes_usecase_current', ['usecase', 'replaced_at'], unique=False)
        batch_op.create_index('uq_one_current_outcome', ['prediction_id'], unique=True, sqlite_where=sa.text('replaced_at IS NULL'), postgresql_where=sa.text('replaced_at IS NULL'))

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a nullable column with its reference in place; a batch rebuild of
        # model_versions would drop a table the predictions refer to, which foreign keys
        # forbid once there are predictions.
        op.execute('ALTER TABLE model_versions ADD COLUMN dataset_version_id INTEGER '
                   'CONSTRAINT fk_model_versions_dataset_version_id_dataset_versions '
                   'REFERENCES dataset_versions (id)')
        op.create_index(op.f('ix_model_versions_dataset_version_id'), 'model_versions',
                        ['dataset_version_id'], unique=False)
    else:
        with op.batch_alter_table('model_versions', schema=None) as batch_op:
            batch_op.add_column(sa.Column('dataset_version_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f('ix_model_versions_dataset_version_id'), ['dataset_version_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f('fk_model_versions_dataset_version_id_dataset_versions'), 'dataset_versions', ['dataset_version_id'], ['id'])

    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False, server_default='{}'))



def downgrade():
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_column('options')

    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index(op.f('ix_model_versions_dataset_version_id'), 'model_versions')
        op.execute('ALTER TABLE model_versions DROP COLUMN dataset_version_id')
    else:
        with op.batch_alter_table('model_versions', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_model_versions_dataset_version_id_dataset_versions'), type_='foreignkey')
            batch_op.drop_index(batch_op.f('ix_model_versions_dataset_version_id'))
            batch_op.drop_column('dataset_version_id')

    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index('uq_one_current_outcome', sqlite_where=sa.text('replaced_at IS NULL'), postgresql_where=sa.text('replaced_at IS NULL'))
        batch_op.drop_index('ix_outcomes_usecase_current')
        batch_op.drop_index(batch_op.f('ix_outcomes_prediction_id'))

    op.drop_table('outcomes')
    with op.batch_alter_table('dataset_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_versions_usecase'))

    op.drop_table('dataset_versions')
