"""time zone of a district

Revision ID: 73c72d84ee3e
Revises: e417317a8ae8
Create Date: 2026-12-02 06:02:00.050851

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '73c72d84ee3e'
down_revision = 'e417317a8ae8'
branch_labels = None
depends_on = None


def upgrade():
    # Every district existing so far runs on Moscow time, as the whole app did.
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=40), server_default='Europe/Moscow', nullable=False))


def downgrade():
    # In place (SQLite 3.35+ drops a column itself): a batch copy of ``districts`` would
    # have to drop a table every school and account refers to.
    op.drop_column('districts', 'time_zone')
