"""Double actions on a school's form, as real parallel requests (issue 12, item 2): the
review workflow is the roadmaps' one, and holds the same way here."""

from __future__ import annotations

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.inspections import services
from intranet.inspections.models import Notification
from intranet.review.models import ReviewEvent, Version
from tests.fixtures.live import Session, clicks

CLICKS = 10


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def actions_of(sub) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        select(ReviewEvent.action)
        .where(ReviewEvent.subject_type == sub.review_type, ReviewEvent.subject_id == sub.id)
        .order_by(ReviewEvent.id)
    ).all()


def submitted(w):
    services.save_answer(w.staff, w.sub, "posted", "yes", 0)
    services.save_answer(w.staff, w.sub, "link", "https://school.ru/vsoko.pdf", 1)
    services.submit(w.head, w.sub)


def _clicks(sessions, path: str, data: dict | None = None):
    answers = clicks(sessions, path, data, CLICKS)
    assert [a.status for a in answers] == [302] * CLICKS, [a.status for a in answers]
    return answers


def test_parallel_returns_of_a_form_make_one_return(live_server, insp):
    submitted(insp)
    district = [Session(live_server).login(u) for u in (insp.reviewer, insp.admin)]
    answers = _clicks(district, insp.url("/return"), {"reason": "Ссылка не открывается"})
    assert all(a.location.endswith(insp.url()) for a in answers)
    assert actions_of(insp.sub) == ["submit", "return"]
    assert fresh(insp.sub).status == "returned"
    notices = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.text.contains("возвращена"))
    )
    assert notices == 1


def test_parallel_accepts_of_a_form_make_one_acceptance(live_server, insp):
    submitted(insp)
    district = [Session(live_server).login(u) for u in (insp.reviewer, insp.admin)]
    _clicks(district, insp.url("/accept"), {"confirmed": "y"})
    assert actions_of(insp.sub) == ["submit", "accept"]
    assert fresh(insp.sub).status == "accepted"


def test_parallel_submits_of_a_form_make_one_version(live_server, insp):
    services.save_answer(insp.staff, insp.sub, "posted", "yes", 0)
    services.save_answer(insp.staff, insp.sub, "link", "https://school.ru/vsoko.pdf", 1)
    heads = [Session(live_server).login(insp.head) for _ in range(2)]
    _clicks(heads, insp.url("/submit"))
    assert actions_of(insp.sub) == ["submit"]
    assert db.session.scalar(select(func.count(Version.id))) == 1
    sub = fresh(insp.sub)
    assert sub.status == "submitted" and sub.first_submitted_at is not None
    assert fresh(insp.campaign).submitted_count == 1
