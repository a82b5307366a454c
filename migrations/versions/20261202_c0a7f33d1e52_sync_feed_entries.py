"""sync: each school's downstream feed (what the district sends down, by position)

Revision ID: c0a7f33d1e52
Revises: 5e1f0c2a9b7d
Create Date: 2026-12-02 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0a7f33d1e52'
down_revision = '5e1f0c2a9b7d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sync_feed_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sync_feed_entries_school_id_schools')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_feed_entries')),
        sa.UniqueConstraint('school_id', 'position', name=op.f('uq_sync_feed_entries_school_id_position')),
    )


def downgrade():
    op.drop_table('sync_feed_entries')
