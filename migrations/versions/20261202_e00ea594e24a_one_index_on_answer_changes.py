"""one index on answer changes

The unique constraint on (submission_id, number) already indexes those columns; the
plain index on the same columns only doubled the work of every autosave.

Revision ID: e00ea594e24a
Revises: b14ae3efa036
Create Date: 2026-12-02 04:40:44.585210

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e00ea594e24a'
down_revision = 'b14ae3efa036'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_answer_changes_submission', table_name='answer_changes')


def downgrade():
    op.create_index(
        'ix_answer_changes_submission', 'answer_changes', ['submission_id', 'number'], unique=False
    )
