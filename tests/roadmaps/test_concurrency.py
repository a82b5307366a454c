"""Parallel edits of one item, as two busy people make them: real requests in threads
against a served app. Exactly one edit from a revision is saved; every other one gets
the stale-edit answer with its own text kept in the form, and nothing is half-written."""

from __future__ import annotations

from sqlalchemy import func, select

from intranet.audit.models import AuditEntry
from intranet.auth.roles import Role
from intranet.changelog.models import Change
from intranet.extensions import db
from intranet.roadmaps.models import Evidence
from tests.fixtures.live import Session, in_parallel
from tests.fixtures.roadmaps import PAST, form_values, fresh, hx

CONFLICT = "Пока вы редактировали, это мероприятие изменил другой пользователь."
PARALLEL = 12
PDF = b"%PDF-1.4\n% test evidence\n%%EOF\n"


def _edits(sessions, url, target, form, field):
    def edit(n):
        session = sessions[n % len(sessions)]
        return lambda: session.post(url, {**form, field: f"Правка №{n}"}, headers=target)

    return [edit(n) for n in range(PARALLEL)]


def _one_won(answers, field, url):
    assert [a.status for a in answers] == [200] * PARALLEL
    won = [n for n, a in enumerate(answers) if CONFLICT not in a.text]
    assert len(won) == 1, [a.text[:300] for a in answers]
    for n, answer in enumerate(answers):
        if n != won[0]:
            # Nothing typed is lost: the refused edit comes back in the form.
            assert form_values(answer.text, url)[field] == f"Правка №{n}"
    return won[0]


def test_parallel_edits_of_one_roadmap_item_save_exactly_one(live_server, published):
    item = published.item("1.1")
    url = published.item_url(item, "/edit")
    target = hx(f"item-{item.id}")
    staff = Session(live_server).login(published.staff)
    head = Session(live_server).login(published.head)
    form = form_values(staff.get(url, headers=target).text, url)
    assert form["revision"] == "1"

    answers = in_parallel(_edits([staff, head], url, target, form, "progress_note"))

    won = _one_won(answers, "progress_note", url)
    item = fresh(item)
    assert (item.progress_note, item.revision) == (f"Правка №{won}", 2)
    changes = db.session.scalars(
        select(Change).where(Change.subject_type == "roadmap_item", Change.subject_id == item.id)
    ).all()
    assert [(c.field, c.value, c.number) for c in changes] == [
        ("progress_note", f"Правка №{won}", 2)
    ]
    assert item.head_uuid == changes[0].uuid
    writes = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity == "roadmap_item", AuditEntry.entity_id == str(item.id))
        .where(AuditEntry.action == "update")
    )
    assert writes == 1


def test_parallel_edits_of_one_plan_item_save_exactly_one(live_server, make, plans):
    admin = make.user(Role.DISTRICT_ADMIN, full_name="Администратор УО")
    colleague = make.user(Role.DISTRICT_ADMIN, district=admin.district)
    plan = plans.plan(admin, [{"number": "1", "text": "Первое", "deadline_text": PAST}])
    item = plan.items[0]
    url = f"/plans/{plan.id}/items/{item.id}/edit"
    target = hx(f"plan-item-{item.id}")
    mine = Session(live_server).login(admin)
    theirs = Session(live_server).login(colleague)
    form = form_values(mine.get(url, headers=target).text, url)

    answers = in_parallel(_edits([mine, theirs], url, target, form, "text"))

    won = _one_won(answers, "text", url)
    item = fresh(item)
    assert (item.text, item.revision) == (f"Правка №{won}", 2)


def test_parallel_uploads_of_one_file_store_one_copy(live_server, published):
    item = published.item("1.1")
    url = published.item_url(item, "/evidence")
    staff = Session(live_server).login(published.staff)
    head = Session(live_server).login(published.head)

    def upload(n):
        session = (staff, head)[n % 2]
        return lambda: session.post(url, {"url": ""}, files={"file": (f"акт {n}.pdf", PDF)})

    answers = in_parallel([upload(n) for n in range(10)])

    assert all(a.status in (200, 302) for a in answers), [a.status for a in answers]
    files = db.session.scalars(select(Evidence).where(Evidence.item_id == item.id)).all()
    assert len(files) == 1
    from intranet.changelog.models import Blob

    assert db.session.scalar(select(func.count()).select_from(Blob)) == 1
    assert fresh(item).revision == 2
    added = db.session.scalars(
        select(Change.value).where(Change.subject_id == item.id, Change.field == "evidence.add")
    ).all()
    assert [v["uuid"] for v in added] == [files[0].uuid]
