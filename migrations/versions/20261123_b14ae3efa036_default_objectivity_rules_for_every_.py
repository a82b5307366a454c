"""default objectivity rules for every district

Revision ID: b14ae3efa036
Revises: 78d3b2724de5
Create Date: 2026-11-23 22:15:00.000000

A district now gets its default local rules when it is created; before, the rules page
wrote them on its first visit. Districts that never opened that page get them here, with
the values of that time (copied: a migration must not change with the code).
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b14ae3efa036'
down_revision = '78d3b2724de5'
branch_labels = None
depends_on = None

SOURCE = "Настройка управления образования (не федеральная методика)"
DEFAULTS = (
    ("lowered", "lowered_share", "Доля понизивших отметку по журналу", 0.5),
    ("raised", "raised_share", "Доля повысивших отметку по журналу", 0.3),
    ("share5", "share5_above", "Доля отметок «5»", 0.5),
    ("share2", "share2_below", "Доля отметок «2»", 0.01),
    ("big_gap", "big_gap_share", "Доля расхождений с журналом на 2 и более балла", 0.1),
)


def upgrade():
    bind = op.get_bind()
    districts = sa.table("districts", sa.column("id", sa.Integer))
    rules = sa.table(
        "objectivity_rules",
        sa.column("district_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("kind", sa.String),
        sa.column("title", sa.String),
        sa.column("source", sa.String),
        sa.column("version", sa.Integer),
        sa.column("threshold", sa.Float),
        sa.column("min_participants", sa.Integer),
        sa.column("subject", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    without = bind.execute(
        sa.select(districts.c.id).where(
            ~sa.exists().where(rules.c.district_id == districts.c.id)
        )
    ).scalars().all()
    now = datetime.now(timezone.utc)
    rows = [
        {
            "district_id": district_id,
            "code": code,
            "kind": kind,
            "title": title,
            "source": SOURCE,
            "version": 1,
            "threshold": threshold,
            "min_participants": 10,
            "subject": "",
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for district_id in without
        for code, kind, title, threshold in DEFAULTS
    ]
    if rows:
        op.bulk_insert(rules, rows)


def downgrade():
    # The rules are the district's own from now on; nothing to undo.
    pass
