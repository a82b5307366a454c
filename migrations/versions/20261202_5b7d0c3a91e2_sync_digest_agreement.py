"""sync: proof of agreement (digest state per node and on a copy), feed lookup by key

Revision ID: 5b7d0c3a91e2
Revises: 73c72d84ee3e
Create Date: 2026-12-02 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7d0c3a91e2'
down_revision = '73c72d84ee3e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_state', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('digest_checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('digest_diff', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('digest_sent', sa.JSON(), nullable=True))
    with op.batch_alter_table('sync_local', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_state', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('digest_checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('digest_diff', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('digest_seen_root', sa.String(length=64), server_default='', nullable=False))
    op.create_index('ix_sync_feed_entries_key', 'sync_feed_entries', ['school_id', 'kind', 'key'], unique=False)


def downgrade():
    # In place (SQLite 3.35+ drops a column itself): no batch copy of referenced tables.
    op.drop_index('ix_sync_feed_entries_key', table_name='sync_feed_entries')
    for column in ('digest_seen_root', 'digest_diff', 'digest_checked_at', 'digest_state'):
        op.drop_column('sync_local', column)
    for column in ('digest_sent', 'digest_diff', 'digest_checked_at', 'digest_state'):
        op.drop_column('sync_nodes', column)
