"""review state time for the district's review queue

Revision ID: e417317a8ae8
Revises: cf59b92094ef
Create Date: 2026-12-02 05:44:24.446203

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e417317a8ae8"
down_revision = "cf59b92094ef"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school_roadmaps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_state_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_school_roadmaps_review_queue",
            ["district_id", "status", "review_state_at"],
            unique=False,
        )

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_state_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_submissions_review_queue",
            ["district_id", "status", "review_state_at"],
            unique=False,
        )

    # Records already in review: the time of their last change of state.
    for table, subject_type in (("school_roadmaps", "roadmap"), ("submissions", "submission")):
        op.execute(
            f"UPDATE {table} SET review_state_at = ("
            "SELECT max(e.at) FROM review_events e "
            f"WHERE e.subject_type = '{subject_type}' AND e.subject_id = {table}.id "
            "AND e.action IN ('submit', 'return', 'accept', 'reopen'))"
        )


def downgrade():
    # In place: a batch copy of these tables would cascade-delete their children on SQLite.
    op.drop_index("ix_submissions_review_queue", table_name="submissions")
    op.drop_column("submissions", "review_state_at")
    op.drop_index("ix_school_roadmaps_review_queue", table_name="school_roadmaps")
    op.drop_column("school_roadmaps", "review_state_at")
