"""Users can be disabled, and each has a session epoch: raising it ends every session signed in
before. Usernames are unique whatever their case and Unicode form: each keeps its folded form
(NFKC, case-folded) in a unique column.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 10:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases (see 0017 for why not a batch on SQLite).
    op.add_column('users', sa.Column('session_epoch', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('users', sa.Column('disabled', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('users', sa.Column('username_key', sa.String(length=80), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, username FROM users")).all()
    keys: dict[str, list[str]] = {}
    for user_id, username in rows:
        key = unicodedata.normalize("NFKC", username).casefold()[:80]
        keys.setdefault(key, []).append(username)
        bind.execute(sa.text("UPDATE users SET username_key = :key WHERE id = :id"),
                     {"key": key, "id": user_id})
    clashes = [names for names in keys.values() if len(names) > 1]
    if clashes:
        raise RuntimeError("usernames that differ only in case or Unicode form must be "
                           f"renamed first: {clashes}")
    op.create_index('ix_users_username_key', 'users', ['username_key'], unique=True)


def downgrade():
    op.drop_index('ix_users_username_key', table_name='users')
    op.drop_column('users', 'username_key')
    op.drop_column('users', 'disabled')
    op.drop_column('users', 'session_epoch')
