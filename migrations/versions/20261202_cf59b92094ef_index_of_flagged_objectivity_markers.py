"""index of flagged objectivity markers

The risk list's years in a row and the history read the flagged markers of every year:
with this index they are a few rows, not a scan of every year's markers.

Revision ID: cf59b92094ef
Revises: a8c5c9539905
Create Date: 2026-12-02 05:28:35.489658

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'cf59b92094ef'
down_revision = 'a8c5c9539905'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_objectivity_markers_flagged',
        'objectivity_markers',
        ['district_id', 'flagged', 'school_id', 'year'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_objectivity_markers_flagged', table_name='objectivity_markers')
