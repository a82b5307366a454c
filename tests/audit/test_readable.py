"""The audit log as a person reads it: objects in Russian with a link, people by name,
review steps as themselves, values as pages show them, filters by dates and kind."""

from __future__ import annotations

from datetime import date, timedelta

import lxml.html

from intranet.inspections import services as inspections
from intranet.review import services as review
from intranet.roadmaps import services as roadmaps
from intranet.timezones import local_today
from tests.fixtures.roadmaps import text_of
from tests.inspections.conftest import SCHEMA, launch, submission_of

PLAN = "План мероприятий («дорожная карта») на 2025-2026 учебный год"


def rows(html: str) -> list[list[str]]:
    """The log's rows, each as its cells' text."""
    tree = lxml.html.fromstring(html)
    return [
        [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        for tr in tree.xpath('//table[contains(@class, "audit")]/tbody/tr')
    ]


def links(html: str) -> set[str]:
    return set(lxml.html.fromstring(html).xpath('//table[contains(@class, "audit")]//a/@href'))


def test_review_steps_read_as_themselves_with_the_object_named(client, published, login_as):
    roadmap = published.roadmap
    school = published.school.short_name or published.school.name
    review.submit(published.head, roadmap)
    review.return_for_revision(published.reviewer, roadmap, "Добавьте сроки")
    review.submit(published.head, roadmap)
    review.accept(published.reviewer, roadmap)
    item = published.item("1.1")
    roadmaps.update_roadmap_item(
        published.staff, item, {"status": "done", "done_on": date(2025, 10, 1)}, item.revision
    )
    login_as(published.admin)
    html = text_of(client.get("/audit/"))
    table = rows(html)
    what = f"дорожная карта «{PLAN}» {school}"
    steps = [(r[1], r[2]) for r in table if r[3] == what]
    assert steps[:5] == [
        ("Учитель Ким", "изменено после принятия"),
        ("Методист Орлова", "принято"),
        ("Директор Белова", "отправлено на проверку"),
        ("Методист Орлова", "возвращено на доработку"),
        ("Директор Белова", "отправлено на проверку"),
    ]
    url = f"/schools/{roadmap.school_id}/roadmaps/{roadmap.id}"
    assert url in links(html)
    # The measure's report: values as the page shows them.
    report = next(r for r in table if r[3].startswith("мероприятие 1.1 «Провести анализ"))
    assert report[2] == "изменение"
    assert "Статус: запланировано → выполнено" in report[5]
    assert "Дата выполнения: — → 01.10.2025" in report[5]
    assert "revision" not in report[5]
    for row in table:
        assert "#" not in row[3] and row[3] and "roadmap" not in row[3]
    # A creation names its object with a link too (its id is logged at once).
    assert f"/users/{published.staff.id}/edit" in links(html)
    created = next(r for r in table if r[3] == "пользователь Учитель Ким" and r[2] == "создание")
    assert created[1] == "система"


def test_a_form_is_named_and_linked(client, published, login_as):
    template = inspections.create_template(
        published.admin, published.district.id, "Самообследование ВСОКО", "", SCHEMA
    )
    inspections.publish_version(published.admin, template.latest)
    campaign = launch(published.admin, template)
    sub = submission_of(campaign, published.school)
    inspections.save_all(
        published.head, sub, {"posted": "yes", "link": "https://s.example/v"}, sub.revision
    )
    inspections.submit(published.head, sub)
    login_as(published.admin)
    html = text_of(client.get("/audit/?kind=submit"))
    school = published.school.short_name or published.school.name
    assert rows(html) == [
        [
            rows(html)[0][0],
            "Директор Белова",
            "отправлено на проверку",
            f"форма «Самообследование» {school}",
            school,
            "",
        ]
    ]
    assert f"/schools/{sub.school_id}/forms/{sub.id}" in links(html)
    assert "submission" not in html


def test_filters_by_kind_and_dates(client, published, login_as):
    review.submit(published.head, published.roadmap)
    review.accept(published.reviewer, published.roadmap)
    login_as(published.admin)
    accepted = rows(text_of(client.get("/audit/?kind=accept")))
    assert [r[2] for r in accepted] == ["принято"]
    changes = rows(text_of(client.get("/audit/?kind=update")))
    assert changes and all(r[2] == "изменение" for r in changes)
    today = local_today()
    tomorrow = (today + timedelta(days=1)).isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    nothing = [["Записей нет."]]
    # Everything happened today, in the district's calendar.
    assert rows(text_of(client.get(f"/audit/?from={tomorrow}"))) == nothing
    assert rows(text_of(client.get(f"/audit/?to={yesterday}"))) == nothing
    same_day = text_of(client.get(f"/audit/?kind=accept&from={today}&to={today}"))
    assert [r[2] for r in rows(same_day)] == ["принято"]
    # A date that is not a date is ignored, not an error.
    assert client.get("/audit/?from=31.02.2026").status_code == 200
