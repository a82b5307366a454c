"""school's wording of a roadmap item

Revision ID: 5c0a7e2d9b14
Revises: 5b7d0c3a91e2
Create Date: 2026-12-02 07:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c0a7e2d9b14'
down_revision = '5b7d0c3a91e2'
branch_labels = None
depends_on = None


def upgrade():
    # A district measure's text stays the district's; the school's words go beside it.
    with op.batch_alter_table('roadmap_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('school_text', sa.Text(), server_default='', nullable=False))


def downgrade():
    # In place (SQLite 3.35+ drops a column itself): a batch copy of ``roadmap_items``
    # would drop a table evidence refers to.
    op.drop_column('roadmap_items', 'school_text')
