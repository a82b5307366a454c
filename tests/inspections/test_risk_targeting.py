"""The risk list feeds campaigns: launch to the schools at risk; their flag on the table."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from intranet.extensions import db
from intranet.inspections.models import CampaignTarget
from intranet.objectivity.models import SchoolMarker


def flag(school, year: int = 2024) -> None:
    db.session.add(
        SchoolMarker(
            district_id=school.district_id,
            school_id=school.id,
            year=year,
            subject="Математика",
            grade=5,
            code="high_mean",
            federal=True,
            flagged=True,
            value=16.4,
            reason="Средний балл ОО значимо выше среднего по муниципалитету",
        )
    )
    db.session.commit()


def test_campaign_for_the_schools_at_risk_only(client, insp, login_as):
    flag(insp.sibling)
    login_as(insp.admin)
    form = client.get("/campaigns/new").get_data(as_text=True)
    assert "Только организации из зоны риска" in form
    assert "зона риска" in form  # the sibling is marked in the list of schools
    response = client.post(
        "/campaigns/new",
        data={
            "version": insp.template.latest.id,
            "title": "Повторное самообследование",
            "due_date": (date.today() + timedelta(days=7)).isoformat(),
            "grace_days": "0",
            "at_risk": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    campaign_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    targets = db.session.scalars(
        select(CampaignTarget.school_id).where(CampaignTarget.campaign_id == campaign_id)
    ).all()
    assert targets == [insp.sibling.id]
    table = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "зона риска" in table


def test_no_school_at_risk_is_refused_and_launches_nothing(client, insp, login_as):
    login_as(insp.admin)
    before = db.session.scalar(select(db.func.count(CampaignTarget.id)))
    page = client.post(
        "/campaigns/new",
        data={
            "version": insp.template.latest.id,
            "due_date": (date.today() + timedelta(days=7)).isoformat(),
            "at_risk": "y",
        },
    ).get_data(as_text=True)
    assert "Ни одна организация не находится в зоне риска." in page
    assert db.session.scalar(select(db.func.count(CampaignTarget.id))) == before
