"""review queue indexes end with the id, the queue's last sort key

Revision ID: e5b2fc84feb5
Revises: 3f6d2a9c1b70
Create Date: 2026-12-02 12:10:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "e5b2fc84feb5"
down_revision = "3f6d2a9c1b70"
branch_labels = None
depends_on = None

TABLES = (
    ("school_roadmaps", "ix_school_roadmaps_review_queue"),
    ("submissions", "ix_submissions_review_queue"),
)


def upgrade():
    # The district's queue is read "ORDER BY review_state_at, id LIMIT 20". Without the
    # id in the index, PostgreSQL reads and sorts every record in the state (1,094 forms
    # submitted at 300 schools, joined to their schools first) to find the oldest 20;
    # with it, it stops after 20. SQLite's indexes end with the rowid already. In place:
    # a batch copy of these tables would cascade-delete their children on SQLite.
    for table, name in TABLES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["district_id", "status", "review_state_at", "id"])


def downgrade():
    for table, name in TABLES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["district_id", "status", "review_state_at"])
