"""The consolidated table is paged by schools and can be narrowed to a section; its totals,
computed by the database over every school, are the ones the full table gives."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import consolidation, services
from intranet.inspections.models import Submission
from tests.fixtures.roadmaps import text_of

SCHEMA = {
    "sections": [
        {
            "key": "docs",
            "title": "Документы",
            "fields": [
                {"key": "posted", "type": "yesno", "label": "Положение размещено"},
                {"key": "count", "type": "integer", "label": "Наблюдателей"},
                {"key": "share", "type": "decimal", "label": "Доля"},
                {
                    "key": "level",
                    "type": "choice",
                    "label": "Уровень",
                    "options": ["полностью", "частично", "нет"],
                },
            ],
        },
        {
            "key": "more",
            "title": "Процедуры",
            "fields": [
                {
                    "key": "kinds",
                    "type": "multichoice",
                    "label": "Процедуры",
                    "options": ["ВПР", "ОГЭ", "ЕГЭ"],
                },
                {"key": "note", "type": "textarea", "label": "Замечания"},
                {"key": "site", "type": "url", "label": "Ссылка"},
                {"key": "when", "type": "date", "label": "Дата"},
                {
                    "key": "classes",
                    "type": "table",
                    "label": "Классы",
                    "columns": [
                        {"key": "grade", "label": "Класс", "type": "text"},
                        {"key": "pupils", "label": "Участников", "type": "integer"},
                    ],
                },
            ],
        },
    ]
}

# What schools answered, as the form stores it (empty, missing and odd spellings too).
ANSWERS = [
    {"posted": "yes", "count": "12", "share": "10,5", "level": "полностью", "kinds": ["ВПР"]},
    {"posted": "no", "count": " 7 ", "share": "0,25", "level": "нет", "kinds": ["ВПР", "ОГЭ"]},
    {"posted": "yes", "count": "-3", "share": "100", "kinds": [], "note": "Есть замечания"},
    {"posted": "", "count": "", "share": "1 000,5", "level": "частично", "site": "https://a.ru/x"},
    {"kinds": ["ЕГЭ", "ВПР"], "when": "2025-10-01", "note": ""},
    {"posted": "yes", "count": "+5", "share": "3,125", "level": "полностью", "kinds": "ОГЭ"},
    {
        "posted": "yes",
        "count": "40",
        "share": "33,3",
        "classes": [{"id": "r1", "grade": "5а", "pupils": "25"}],
    },
]


@pytest.fixture
def campaign(make):
    district = make.district()
    schools = [make.school(district, code=f"k{n}") for n in range(len(ANSWERS))]
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district)
    template = services.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    services.publish_version(admin, template.latest)
    campaign = services.launch_campaign(
        admin, template.latest, "Самообследование", date.today() + timedelta(days=10)
    )
    for school, answers in zip(schools, ANSWERS, strict=True):
        db.session.execute(
            update(Submission)
            .where(Submission.campaign_id == campaign.id, Submission.school_id == school.id)
            .values(answers=answers)
        )
    db.session.commit()
    db.session.expire_all()
    return campaign, reviewer, schools


def test_totals_from_the_database_are_those_of_the_whole_table(campaign):
    campaign, _reviewer, _schools = campaign
    whole = services.consolidated(campaign, date.today())  # reads every answer
    paged = consolidation.page(campaign, date.today(), per_page=3)
    assert [c.spec["key"] for c in paged.columns] == [c.spec["key"] for c in whole.columns]
    assert [c.summary for c in paged.columns] == [c.summary for c in whole.columns]
    by_key = {c.spec["key"]: c.summary for c in paged.columns}
    # The figures themselves, worked out by hand from ANSWERS.
    assert by_key["posted"] == "да: 4 из 7 (57%)"
    assert by_key["count"] == "сумма 61, среднее 12.20"
    assert by_key["share"] == "сумма 1147.675, среднее 191.28"
    assert by_key["level"] == "полностью: 2; частично: 1; нет: 1"
    assert by_key["kinds"] == "ВПР: 3; ОГЭ: 2; ЕГЭ: 1"
    assert by_key["note"] == "ответили: 1 из 7"


def test_pages_of_schools_cover_every_school_once(campaign, client, login_as, app):
    campaign, reviewer, schools = campaign
    app.config["SCHOOLS_PAGE_SIZE"] = 3
    try:
        client = login_as(reviewer)
        seen = []
        first = text_of(client.get(f"/campaigns/{campaign.id}"))
        assert "Страница 1 из 3" in first
        for n in (1, 2, 3):
            html = text_of(client.get(f"/campaigns/{campaign.id}?page={n}"))
            codes = re.findall(r'/forms/\d+">(k\d) ', html)
            assert len(codes) == (3 if n < 3 else 1)
            seen += codes
            assert "Итого по всем школам (7)" in html and "да: 4 из 7 (57%)" in html
        assert seen == [s.code for s in schools]
    finally:
        app.config["SCHOOLS_PAGE_SIZE"] = 50


def test_a_section_narrows_the_columns_and_their_totals(campaign, login_as):
    campaign, reviewer, _schools = campaign
    client = login_as(reviewer)
    html = text_of(client.get(f"/campaigns/{campaign.id}?section=more"))
    assert "Процедуры" in html and "ВПР: 3; ОГЭ: 2; ЕГЭ: 1" in html
    assert "Наблюдателей" not in html and "да: 4 из 7" not in html
    assert "5а" in html  # the section's table
    whole = text_of(client.get(f"/campaigns/{campaign.id}"))
    assert "Наблюдателей" in whole and "ВПР: 3; ОГЭ: 2; ЕГЭ: 1" in whole
    # An unknown section shows the whole form rather than nothing.
    assert "Наблюдателей" in text_of(client.get(f"/campaigns/{campaign.id}?section=zzz"))


def test_page_reads_three_statements_whatever_the_schools(campaign, login_as, app):
    from tests.perf import count_queries

    campaign, reviewer, _schools = campaign
    client = login_as(reviewer)
    url = f"/campaigns/{campaign.id}"
    before = count_queries(app, lambda: client.get(url))
    district_id = campaign.district_id
    for n in range(5):
        school = db.session.scalar(
            select(Submission.school_id).where(Submission.campaign_id == campaign.id)
        )
        assert school and district_id
        db.session.add(
            Submission(
                campaign_id=campaign.id,
                district_id=district_id,
                school_id=_extra_school(campaign, n),
                answers={"posted": "yes"},
                field_revisions={},
            )
        )
    db.session.commit()
    assert count_queries(app, lambda: client.get(url)) == before


def _extra_school(campaign, n: int) -> int:
    from intranet.schools.models import School

    school = School(district_id=campaign.district_id, code=f"x{n}", name=f"Школа {n}", active=True)
    db.session.add(school)
    db.session.flush()
    return school.id


def test_totals_follow_a_saved_answer_at_once(campaign, login_as, make):
    campaign, reviewer, schools = campaign
    client = login_as(reviewer)
    assert "да: 4 из 7 (57%)" in text_of(client.get(f"/campaigns/{campaign.id}"))
    sub = db.session.scalar(
        select(Submission).where(
            Submission.campaign_id == campaign.id, Submission.school_id == schools[1].id
        )
    )
    staff = make.user(Role.SCHOOL_STAFF, school=schools[1])
    services.save_answer(staff, sub, "posted", "yes", sub.revision)
    html = text_of(client.get(f"/campaigns/{campaign.id}"))
    assert "да: 5 из 7 (71%)" in html
    whole = services.consolidated(campaign, date.today())
    assert whole.columns[0].summary == "да: 5 из 7 (71%)"
