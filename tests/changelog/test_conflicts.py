"""The district's conflict screen and the school's «в конфликте»: a reviewer sees both
values with who and when, chooses per field, and the choice is written through the
form's or the roadmap's own services."""

from __future__ import annotations

import re

from sqlalchemy import select

from intranet.changelog import services as changelog
from intranet.changelog.models import Change, Conflict
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.roadmaps import services as roadmaps
from tests.changelog.test_merge import NODE_A, NODE_B, Copy, fresh

BADGE = "в конфликте"


def text(response) -> str:
    return response.get_data(as_text=True)


def _form_conflict(insp) -> Conflict:
    """Two school PCs answered «Наблюдателей» differently from the same head."""
    inspections.save_answer(insp.staff, insp.sub, "count", "12", 0)
    sub = fresh(insp.sub)
    pc_a = Copy(insp.school, NODE_A, insp.staff)
    pc_b = Copy(insp.school, NODE_B, insp.staff2)
    first, second = (
        pc_a.change("submission", sub, "count", "15"),
        pc_b.change("submission", sub, "count", "20"),
    )
    assert pc_a.apply(first).status == "applied"
    outcome = pc_b.apply(second)
    assert outcome.status == "conflict"
    return db.session.get(Conflict, outcome.conflict_id)


def test_a_reviewer_sees_both_values_and_takes_the_schools(client, insp, login_as):
    conflict = _form_conflict(insp)
    login_as(insp.staff)
    fill = text(client.get(insp.url()))
    assert re.search(r"Наблюдателей.{0,200}" + BADGE, fill, re.S)
    client.post("/logout")

    login_as(insp.reviewer)
    page = text(client.get("/conflicts/"))
    row = page[page.index(f'id="conflict-{conflict.id}"') :]
    row = row[: row.index("</tr>")]
    for shown in ("Наблюдателей", "Самообследование", "15", "20", "Петрова Анна", "Сидоров Иван"):
        assert shown in row, shown

    response = client.post(f"/conflicts/{conflict.id}", data={"choice": "incoming"})
    assert response.status_code == 302
    assert fresh(insp.sub).answers["count"] == "20"
    conflict = fresh(conflict)
    assert (conflict.choice, conflict.resolved_by) == ("incoming", insp.reviewer.id)
    # The choice is one more change of the one log, by the reviewer, on top of the head.
    head = db.session.scalar(select(Change).where(Change.uuid == fresh(insp.sub).head_uuid))
    assert (head.field, head.value, head.author_id, head.node_id) == (
        "count",
        "20",
        insp.reviewer.id,
        None,
    )
    assert "Конфликтов нет" in text(client.get("/conflicts/"))
    client.post("/logout")
    login_as(insp.staff)
    assert BADGE not in text(client.get(insp.url()))


def test_keeping_the_value_in_force_changes_nothing_but_the_conflict(client, insp, login_as):
    conflict = _form_conflict(insp)
    revision = fresh(insp.sub).revision
    login_as(insp.reviewer)
    client.post(f"/conflicts/{conflict.id}", data={"choice": "current"})
    assert fresh(insp.sub).answers["count"] == "15"
    assert fresh(insp.sub).revision == revision
    assert fresh(conflict).choice == "current"
    again = client.post(f"/conflicts/{conflict.id}", data={"choice": "incoming"})
    assert again.status_code == 302
    assert fresh(insp.sub).answers["count"] == "15"  # resolved once, not twice


def test_a_roadmap_item_in_conflict_is_marked_for_the_school(client, published, login_as):
    item = published.item("1.1")
    pc = Copy(published.school, NODE_A, published.staff)
    offline = pc.change("roadmap_item", item, "progress_note", "Офлайн")
    roadmaps.update_roadmap_item(published.head, item, {"progress_note": "Онлайн"}, item.revision)
    outcome = pc.apply(offline)
    assert outcome.status == "conflict"

    login_as(published.staff)
    page = text(client.get(published.url()))
    row = page[page.index(f'id="item-{item.id}"') :]
    assert BADGE in row[: row.index("</tr>")]
    client.post("/logout")

    login_as(published.reviewer)
    client.post(f"/conflicts/{outcome.conflict_id}", data={"choice": "incoming"})
    assert fresh(item).progress_note == "Офлайн"
    client.post("/logout")
    login_as(published.staff)
    page = text(client.get(published.url()))
    row = page[page.index(f'id="item-{item.id}"') :]
    assert BADGE not in row[: row.index("</tr>")]


def test_a_school_copy_shows_the_conflict_its_receipt_named_until_the_field_changes(
    client, insp, login_as
):
    """A copy keeps no conflicts: a change the district's receipt marked "in conflict" is
    shown as such on the copy until a later change of that question replaces it."""
    inspections.save_answer(insp.staff, insp.sub, "count", "12", 0)
    uuid = fresh(insp.sub).head_uuid
    changelog.mark_sync_state([uuid], "conflict")  # as the receipt does (SYNC-BUNDLE)
    db.session.commit()
    login_as(insp.staff)
    assert re.search(r"Наблюдателей.{0,200}" + BADGE, text(client.get(insp.url())), re.S)
    assert BADGE not in re.sub(r"Наблюдателей.{0,200}" + BADGE, "", text(client.get(insp.url())))

    inspections.save_answer(insp.staff, fresh(insp.sub), "count", "13", 1)
    assert BADGE not in text(client.get(insp.url()))
