"""vpr summaries per district year subject grade

The years a district has and its distributions of marks, kept per year, subject and
grade so that the risk list and a school's analytics need not read every pupil's row;
filled here from the results already stored.

Revision ID: a8c5c9539905
Revises: c0a7f33d1e52
Create Date: 2026-12-02 04:56:05.247518

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8c5c9539905'
down_revision = 'c0a7f33d1e52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vpr_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('grade', sa.SmallInteger(), nullable=False),
    sa.Column('pupils', sa.Integer(), nullable=False),
    sa.Column('mark2', sa.Integer(), nullable=False),
    sa.Column('mark3', sa.Integer(), nullable=False),
    sa.Column('mark4', sa.Integer(), nullable=False),
    sa.Column('mark5', sa.Integer(), nullable=False),
    sa.Column('stat_schools', sa.Integer(), nullable=False),
    sa.Column('stat2', sa.Float(), nullable=False),
    sa.Column('stat3', sa.Float(), nullable=False),
    sa.Column('stat4', sa.Float(), nullable=False),
    sa.Column('stat5', sa.Float(), nullable=False),
    sa.Column('comparison_schools', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_vpr_summaries_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vpr_summaries')),
    sa.UniqueConstraint('district_id', 'year', 'subject', 'grade', name=op.f('uq_vpr_summaries_district_id_year_subject_grade'))
    )
    _fill()


def _fill():
    conn = op.get_bind()
    rows = {}

    def row(district_id, year, subject, grade):
        return rows.setdefault(
            (district_id, year, subject, grade),
            {
                "district_id": district_id, "year": year, "subject": subject, "grade": grade,
                "pupils": 0, "mark2": 0, "mark3": 0, "mark4": 0, "mark5": 0,
                "stat_schools": 0, "stat2": 0.0, "stat3": 0.0, "stat4": 0.0, "stat5": 0.0,
                "comparison_schools": 0,
            },
        )

    for d, y, s, g, mark, n in conn.execute(sa.text(
        "SELECT district_id, year, subject, grade, mark, count(id) FROM vpr_results"
        " GROUP BY district_id, year, subject, grade, mark"
    )):
        r = row(d, y, s, g)
        r["pupils"] += n
        if mark in (2, 3, 4, 5):
            r[f"mark{mark}"] = n
    for d, y, s, g, n, *shares in conn.execute(sa.text(
        "SELECT district_id, year, subject, grade, participants, share2, share3, share4, share5"
        " FROM vpr_mark_stats ORDER BY id"
    )):
        r = row(d, y, s, g)
        r["stat_schools"] += 1
        for mark, share in zip((2, 3, 4, 5), shares):
            r[f"stat{mark}"] += n * share / 100
    for d, y, s, g, n in conn.execute(sa.text(
        "SELECT district_id, year, subject, grade, count(id) FROM vpr_comparisons"
        " GROUP BY district_id, year, subject, grade"
    )):
        row(d, y, s, g)["comparison_schools"] = n
    if rows:
        columns = [sa.column(k) for k in next(iter(rows.values()))]
        op.bulk_insert(sa.table("vpr_summaries", *columns), list(rows.values()))


def downgrade():
    op.drop_table('vpr_summaries')
