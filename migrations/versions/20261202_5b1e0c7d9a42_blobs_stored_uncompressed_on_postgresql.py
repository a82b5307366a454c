"""file contents stored uncompressed on PostgreSQL, so downloads read them in pieces

Revision ID: 5b1e0c7d9a42
Revises: 910402a57d79
Create Date: 2026-12-02 08:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b1e0c7d9a42'
down_revision = '910402a57d79'
branch_labels = None
depends_on = None


def upgrade():
    # A download reads a file 64 KB at a time with substr(). On a compressed value
    # PostgreSQL decompresses from the start for every piece; stored uncompressed
    # (EXTERNAL) it reads only the TOAST chunks the piece covers. Files already stored
    # keep their form (they still download whole and correct, only slower to slice);
    # evidence is mostly PDF, JPEG and Office files, compressed already. SQLite has no
    # such setting: it reads pieces through its blob API.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTENDED")
