"""sync: a counter of writes that may change a school's feed, and the one each feed saw

Revision ID: 3f6d2a9c1b70
Revises: 5b1e0c7d9a42
Create Date: 2026-12-02 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f6d2a9c1b70'
down_revision = '5b1e0c7d9a42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_feed_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_feed_generation'))
    )
    op.create_table('sync_feed_checks',
    sa.Column('school_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sync_feed_checks_school_id_schools')),
    sa.PrimaryKeyConstraint('school_id', name=op.f('pk_sync_feed_checks'))
    )
    # No school has a check yet: each feed compares everything once, as before.
    op.execute("INSERT INTO sync_feed_generation (id, value) VALUES (1, 0)")


def downgrade():
    op.drop_table('sync_feed_checks')
    op.drop_table('sync_feed_generation')
