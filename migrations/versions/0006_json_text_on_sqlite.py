"""JSON columns keep their text on SQLite (declared TEXT, not JSON).

SQLite gives a column declared JSON numeric affinity: a document that looks like a number was
stored as one, so 7.0 read back as 7, -0.0 as 0 and a whole number past 64 bits as an
approximate real. Declared TEXT, the text is kept as written. The predictions table is rebuilt
(SQLite cannot change a column's type in place); what numeric affinity already rewrote is
copied as the text of the number it became, still valid JSON. model_versions keeps its JSON
columns: they only ever hold objects and lists, which affinity leaves alone, and rebuilding a
table other tables refer to would need foreign keys switched off outside any transaction.
PostgreSQL's json columns need nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:20:00

"""
from alembic import op
import sqlalchemy as sa

from registry.database import JSONDocument

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = ("inputs", "output")


def _retype(old, new) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("predictions", recreate="always") as batch:
        for column in COLUMNS:
            batch.alter_column(column, existing_type=old, type_=new, existing_nullable=False)


def upgrade():
    _retype(sa.JSON(), JSONDocument())


def downgrade():
    _retype(JSONDocument(), sa.JSON())
