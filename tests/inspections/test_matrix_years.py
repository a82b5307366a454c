"""The campaign matrix shows this school year's campaigns; earlier years are a click away."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from intranet.extensions import db
from intranet.inspections import services
from intranet.inspections.models import Submission
from tests.fixtures.roadmaps import text_of as text


def _launch(insp, title: str, due: date):
    return services.launch_campaign(
        insp.admin, insp.template.latest, title, due, today=due - timedelta(days=5)
    )


def test_matrix_shows_this_school_year_and_links_earlier_ones(client, insp, switch):
    this_year = services.school_year_of(date.today())
    _launch(insp, "Кампания позапрошлого года", date(this_year - 2, 10, 1))
    _launch(insp, "Кампания прошлого года", date(this_year - 1, 12, 20))
    _launch(insp, "Майская кампания прошлого года", date(this_year, 5, 31))
    switch(insp.reviewer)

    page = text(client.get("/campaigns/"))
    assert insp.campaign.title in page  # due in ten days: this year's (or a later one)
    assert "прошлого года" not in page and "позапрошлого" not in page
    for year in (this_year - 1, this_year - 2):
        assert f'href="/campaigns/?year={year}">{year}/{year + 1}</a>' in page
    assert f"<strong>{this_year}/{this_year + 1}</strong>" in page

    last = text(client.get(f"/campaigns/?year={this_year - 1}"))
    assert "Кампания прошлого года" in last and "Майская кампания прошлого года" in last
    assert "позапрошлого" not in last
    assert f'/campaigns/{insp.campaign.id}"' not in last

    empty = text(client.get(f"/campaigns/?year={this_year - 5}"))
    assert f"{this_year - 5}/{this_year - 4} учебном году кампаний со сроком нет" in empty


def test_matrix_of_a_school_year_reads_only_its_campaigns(insp):
    this_year = services.school_year_of(date.today())
    old = _launch(insp, "Старая", date(this_year - 1, 11, 1))
    result = services.matrix(insp.district.id, date.today(), school_year=this_year - 1)
    assert [c.id for c in result.campaigns] == [old.id]
    assert result.cell(insp.school.id, old.id)[0] == "late"
    assert result.school_years[:2] == sorted(result.school_years, reverse=True)[:2]
    assert this_year - 1 in result.school_years
    everything = services.matrix(insp.district.id, date.today())
    assert {c.id for c in everything.campaigns} == {old.id, insp.campaign.id}


def test_matrix_page_past_the_last_shows_the_last(insp):
    codes = sorted(s.code for s in (insp.school, insp.sibling))
    first = services.matrix(insp.district.id, date.today(), page=1, per_page=1)
    assert (first.total, first.pages, first.page) == (2, 2, 1)
    assert [r.code for r in first.rows] == codes[:1]
    past = services.matrix(insp.district.id, date.today(), page=9, per_page=1)
    assert (past.total, past.page) == (2, 2)
    assert [r.code for r in past.rows] == codes[1:]
    assert past.cell(past.rows[0].school_id, insp.campaign.id)[0] == "not_started"


def test_matrix_skips_other_years_campaigns_launched_between_its_own(insp):
    # Ids in launch order: this year's, last year's, this year's again. The cells are
    # read by a range of campaign ids; last year's in the middle is not this year's.
    this_year = services.school_year_of(date.today())
    old = _launch(insp, "Прошлогодняя", date(this_year - 1, 11, 1))
    new = _launch(insp, "Новая", date(this_year, 11, 1))
    assert insp.campaign.id < old.id < new.id
    result = services.matrix(insp.district.id, date.today(), school_year=this_year)
    assert {c.id for c in result.campaigns} == {insp.campaign.id, new.id}
    old_ids = set(db.session.scalars(select(Submission.id).where(Submission.campaign_id == old.id)))
    new_ids = set(db.session.scalars(select(Submission.id).where(Submission.campaign_id == new.id)))
    assert old_ids and new_ids
    column = [c.id for c in result.campaigns].index(new.id)
    assert {row.cells[column][1] for row in result.rows} == new_ids
    assert not old_ids & {cell[1] for row in result.rows for cell in row.cells if cell}
