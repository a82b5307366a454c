"""strip invisible characters from evidence file names

Revision ID: c3e1d0a4f5b6
Revises: b24bc2481915
Create Date: 2026-12-02 05:10:00.000000

New evidence names lose control and format characters (bidirectional overrides such as
U+202E can make "x\u202egpj.exe" read as "xexe.jpg"); names stored before get the same
cleaning here. The rule is copied, not imported: a migration must not change with the code.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e1d0a4f5b6'
down_revision = 'b24bc2481915'
branch_labels = None
depends_on = None


def _clean(name):
    kept = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf"))
    kept = kept.replace("/", "_").replace("\\", "_").strip()
    return kept or "file"


def upgrade():
    evidence = sa.table("evidence", sa.column("id", sa.Integer), sa.column("filename", sa.String))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(evidence.c.id, evidence.c.filename).where(evidence.c.filename != "")
    ).all()
    for ident, name in rows:
        cleaned = _clean(name)
        if cleaned != name:
            conn.execute(
                evidence.update().where(evidence.c.id == ident).values(filename=cleaned)
            )


def downgrade():
    # The characters removed were never meant to be there; nothing to put back.
    pass
