"""A roadmap returned or accepted tells the school, as a form does: both notices come from
the shared review workflow (intranet/review), whatever the kind of record."""

from __future__ import annotations

from sqlalchemy import select

from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.review import services as review
from intranet.review.models import Notification
from tests.fixtures.roadmaps import text_of
from tests.inspections.conftest import SCHEMA, launch, submission_of

TITLE = "План мероприятий («дорожная карта») на 2025-2026 учебный год"


def notices(school_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.school_id == school_id)
            .order_by(Notification.id)
        )
    )


def test_a_returned_then_accepted_roadmap_tells_its_school(client, published, login_as):
    roadmap = published.roadmap
    review.submit(published.head, roadmap)
    login_as(published.reviewer)
    client.post(published.url("/return"), data={"reason": "Добавьте сроки"})
    assert notices(published.school.id) == [f"Дорожная карта «{TITLE}» возвращена на доработку."]
    assert notices(published.sibling.id) == []

    review.submit(published.head, roadmap)
    client.post(published.url("/accept"), data={"confirmed": "y"})
    assert notices(published.school.id)[-1] == f"Дорожная карта «{TITLE}» принята."

    # The school reads them on its home page.
    login_as(published.staff)
    home = text_of(client.get(f"/schools/{published.school.id}"))
    assert f"Дорожная карта «{TITLE}» возвращена на доработку." in home
    assert f"Дорожная карта «{TITLE}» принята." in home


def test_each_return_is_told_once(published):
    roadmap = published.roadmap
    for reason in ("Первое замечание", "Второе замечание"):
        review.submit(published.head, roadmap)
        review.return_for_revision(published.reviewer, roadmap, reason)
    assert (
        notices(published.school.id) == [f"Дорожная карта «{TITLE}» возвращена на доработку."] * 2
    )


def test_forms_are_told_by_the_same_workflow(make, published):
    """A form accepted by the shared review service, not by a forms service, still tells
    the school."""
    template = inspections.create_template(
        published.admin, published.district.id, "Самообследование ВСОКО", "", SCHEMA
    )
    inspections.publish_version(published.admin, template.latest)
    campaign = launch(published.admin, template)
    sub = submission_of(campaign, published.school)
    inspections.save_all(
        published.head, sub, {"posted": "yes", "link": "https://school.example/v"}, sub.revision
    )
    inspections.submit(published.head, sub)
    review.return_for_revision(published.reviewer, sub, "Уточните ссылку")
    inspections.submit(published.head, sub)
    review.accept(published.reviewer, sub)
    told = [t for t in notices(published.school.id) if "Самообследование" in t]
    assert told[-2:] == [
        "Форма «Самообследование» возвращена на доработку.",
        "Форма «Самообследование» принята.",
    ]
