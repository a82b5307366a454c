"""sync: nodes, bundles seen, quarantine, a copy's own state and outbox

Revision ID: 5e1f0c2a9b7d
Revises: 2183d6b3a0d8
Create Date: 2026-12-02 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0c2a9b7d'
down_revision = '2183d6b3a0d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sync_nodes',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('enrol_secret', sa.String(length=64), nullable=False),
        sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('applied_seq', sa.Integer(), nullable=False),
        sa.Column('acked_position', sa.Integer(), nullable=False),
        sa.Column('confirmed_seq', sa.Integer(), nullable=False),
        sa.Column('last_bundle_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_bundle_id', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sync_nodes_district_id_districts')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_sync_nodes_revoked_by_id_users')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sync_nodes_school_id_schools')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_nodes')),
    )
    op.create_index(op.f('ix_sync_nodes_school_id'), 'sync_nodes', ['school_id'], unique=False)
    op.create_table(
        'sync_bundles',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('school_id', sa.Integer(), nullable=True),
        sa.Column('node_id', sa.String(length=36), nullable=True),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('seq_from', sa.Integer(), nullable=False),
        sa.Column('seq_to', sa.Integer(), nullable=False),
        sa.Column('raw', sa.LargeBinary(), nullable=True),
        sa.Column('receipt', sa.JSON(), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sync_bundles_district_id_districts')),
        sa.ForeignKeyConstraint(['node_id'], ['sync_nodes.id'], name=op.f('fk_sync_bundles_node_id_sync_nodes')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sync_bundles_school_id_schools')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_bundles')),
    )
    op.create_index('ix_sync_bundles_node_waiting', 'sync_bundles', ['node_id', 'status', 'seq_from'], unique=False)
    op.create_table(
        'sync_quarantine',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=True),
        sa.Column('node_id', sa.String(length=36), nullable=True),
        sa.Column('bundle_id', sa.String(length=64), nullable=True),
        sa.Column('change_uuid', sa.String(length=36), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('raw', sa.LargeBinary(), nullable=False),
        sa.Column('changes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('released_by_id', sa.Integer(), nullable=True),
        sa.Column('release_note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sync_quarantine_district_id_districts')),
        sa.ForeignKeyConstraint(['node_id'], ['sync_nodes.id'], name=op.f('fk_sync_quarantine_node_id_sync_nodes')),
        sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_sync_quarantine_released_by_id_users')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sync_quarantine_school_id_schools')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_quarantine')),
    )
    op.create_index(op.f('ix_sync_quarantine_change_uuid'), 'sync_quarantine', ['change_uuid'], unique=False)
    op.create_index('ix_sync_quarantine_district', 'sync_quarantine', ['district_id', 'released_at'], unique=False)
    op.create_table(
        'sync_local',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.String(length=36), nullable=False),
        sa.Column('district_public_key', sa.String(length=64), nullable=False),
        sa.Column('enrol_token', sa.String(length=100), nullable=False),
        sa.Column('next_seq', sa.Integer(), nullable=False),
        sa.Column('confirmed_seq', sa.Integer(), nullable=False),
        sa.Column('feed_position', sa.Integer(), nullable=False),
        sa.Column('last_export_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_import_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sync_local_school_id_schools')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_local')),
    )
    op.create_table(
        'sync_outbox',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('change_uuid', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_outbox')),
        sa.UniqueConstraint('change_uuid', name=op.f('uq_sync_outbox_change_uuid')),
    )


def downgrade():
    op.drop_table('sync_outbox')
    op.drop_table('sync_local')
    op.drop_index('ix_sync_quarantine_district', table_name='sync_quarantine')
    op.drop_index(op.f('ix_sync_quarantine_change_uuid'), table_name='sync_quarantine')
    op.drop_table('sync_quarantine')
    op.drop_index('ix_sync_bundles_node_waiting', table_name='sync_bundles')
    op.drop_table('sync_bundles')
    op.drop_index(op.f('ix_sync_nodes_school_id'), table_name='sync_nodes')
    op.drop_table('sync_nodes')
