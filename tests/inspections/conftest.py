"""A district with a published form and a launched campaign, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services
from intranet.inspections.models import Campaign, FormTemplate, Submission

SCHEMA = {
    "sections": [
        {
            "key": "a",
            "title": "Документы",
            "fields": [
                {
                    "key": "posted",
                    "type": "yesno",
                    "label": "Положение размещено",
                    "required": True,
                },
                {
                    "key": "link",
                    "type": "url",
                    "label": "Ссылка",
                    "required": True,
                    "show_if": {"field": "posted", "equals": "yes"},
                },
                {"key": "count", "type": "integer", "label": "Наблюдателей", "min": 0, "max": 100},
                {"key": "share", "type": "decimal", "label": "Доля", "min": 0, "max": 100},
                {
                    "key": "kinds",
                    "type": "multichoice",
                    "label": "Процедуры",
                    "options": ["ВПР", "ОГЭ"],
                },
                {"key": "note", "type": "textarea", "label": "Замечания"},
            ],
        },
        {
            "key": "b",
            "title": "Классы",
            "fields": [
                {
                    "key": "classes",
                    "type": "table",
                    "label": "Классы",
                    "columns": [
                        {"key": "grade", "label": "Класс", "type": "text"},
                        {"key": "pupils", "label": "Участников", "type": "integer"},
                    ],
                }
            ],
        },
    ]
}


@dataclass
class World:
    district: object
    school: object
    sibling: object
    admin: object
    reviewer: object
    staff: object
    staff2: object
    head: object
    template: FormTemplate
    campaign: Campaign
    sub: Submission
    sibling_sub: Submission

    def url(self, suffix: str = "", sub=None) -> str:
        sub = sub or self.sub
        return f"/schools/{sub.school_id}/forms/{sub.id}{suffix}"


def launch(admin, template, due=None, **kwargs) -> Campaign:
    return services.launch_campaign(
        admin,
        template.latest,
        "Самообследование",
        due or date.today() + timedelta(days=10),
        **kwargs,
    )


def submission_of(campaign, school) -> Submission:
    return db.session.scalar(
        select(Submission).where(
            Submission.campaign_id == campaign.id, Submission.school_id == school.id
        )
    )


@pytest.fixture
def insp(make) -> World:
    district = make.district()
    school = make.school(district)
    sibling = make.school(district)
    admin = make.user(Role.DISTRICT_ADMIN, district=district, full_name="Администратор УО")
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district, full_name="Методист")
    staff = make.user(Role.SCHOOL_STAFF, school=school, full_name="Петрова Анна")
    staff2 = make.user(Role.SCHOOL_STAFF, school=school, full_name="Сидоров Иван")
    head = make.user(Role.SCHOOL_HEAD, school=school, full_name="Иванов Пётр")
    template = services.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    services.publish_version(admin, template.latest)
    campaign = launch(admin, template)
    return World(
        district,
        school,
        sibling,
        admin,
        reviewer,
        staff,
        staff2,
        head,
        template,
        campaign,
        submission_of(campaign, school),
        submission_of(campaign, sibling),
    )


def hx(target: str = "st-x") -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


@pytest.fixture
def switch(client):
    """Log ``user`` in on the test client, whoever was logged in before."""
    from tests.fixtures.factories import login

    def do(user):
        client.post("/logout")
        response = login(client, user)
        assert response.status_code == 302
        return client

    return do
