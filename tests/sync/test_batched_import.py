"""A bundle's changes are decided one by one by the merge rules but written per form at
once (``changelog.merge.Batch``). What a user sees must not depend on that: the values
shown, the conflicts listed and the receipt's counts, for chains inside one bundle,
bundles that mix a conflict with changes that apply, and many schools in a row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from intranet.changelog import conflicts
from intranet.changelog.models import Change, Conflict
from intranet.extensions import db
from intranet.inspections import services as forms
from intranet.inspections.models import Submission
from intranet.mixins import new_uuid
from sync.bundle import write_bundle
from sync.importer import import_bundle
from tests.fixtures.factories import login
from tests.inspections.conftest import launch, submission_of
from tests.sync.conftest import assert_nothing_lost, enrol


def fresh(sub) -> Submission:
    db.session.expire_all()
    return db.session.get(Submission, sub.id)


def history(sub) -> list[Change]:
    return list(
        db.session.scalars(
            select(Change)
            .where(Change.subject_type == "submission", Change.subject_id == sub.id)
            .order_by(Change.id)
        )
    )


def page(client, sub) -> str:
    return client.get(f"/schools/{sub.school_id}/forms/{sub.id}").get_data(as_text=True)


def test_a_field_changed_twice_in_one_bundle_shows_the_last_value_and_keeps_the_chain(
    world, client
):
    first = world.change("note", "Черновик ответа")
    second = world.change("note", "Итоговый ответ школы")  # based on the first
    count = world.change("count", "4")
    result = import_bundle(world.bundle([first, second, count]))

    assert result.counts == {
        "applied": 3,
        "skipped": 0,
        "merged": 0,
        "conflict": 0,
        "quarantined": 0,
    }
    assert [r["status"] for r in result.receipt["results"]] == ["applied"] * 3
    sub = fresh(world.sub)
    assert sub.answers == {"note": "Итоговый ответ школы", "count": "4"}
    assert sub.revision == 3 and sub.head_uuid == count["uuid"]
    assert sub.field_revisions == {"note": 2, "count": 3}
    changes = history(sub)
    assert [(c.uuid, c.number, c.field) for c in changes] == [
        (first["uuid"], 1, "note"),
        (second["uuid"], 2, "note"),
        (count["uuid"], 3, "count"),
    ]
    assert [c.parent_uuid for c in changes] == [None, first["uuid"], second["uuid"]]
    login(client, world.staff)
    shown = page(client, sub)
    assert "Итоговый ответ школы" in shown and "Черновик ответа" not in shown

    # The form goes on from where the bundle left it, typed on the server.
    saved = forms.save_answer(world.staff, sub, "note", "Исправлено в управлении", sub.revision)
    assert saved.revision == 4
    assert history(fresh(world.sub))[-1].parent_uuid == count["uuid"]
    # And the next bundle from the copy, based on its own last change, now merges.
    later = world.change("count", "5")
    again = import_bundle(world.bundle([later]))
    assert again.counts["merged"] == 1
    assert fresh(world.sub).answers == {"note": "Исправлено в управлении", "count": "5"}
    assert assert_nothing_lost(world) == {"applied": 4}


def test_a_bundle_with_a_conflict_on_one_form_still_applies_the_others(world, client):
    template = world.campaign.version.template
    second_campaign = launch(world.admin, template)
    other = submission_of(second_campaign, world.school)
    shared = world.change("note", "Первый текст школы")
    assert import_bundle(world.bundle([shared])).counts["applied"] == 1
    # Meanwhile someone on the district server edits the same field of the first form.
    sub = fresh(world.sub)
    forms.save_answer(world.staff, sub, "note", "Текст, исправленный на сервере", sub.revision)

    clash = world.change("note", "Второй текст школы")  # based on the copy's last change
    elsewhere = world.change("count", "12", sub=other)
    beside = world.change("count", "7")  # based on the change in conflict
    result = import_bundle(world.bundle([clash, elsewhere, beside]))

    assert [r["status"] for r in result.receipt["results"]] == ["conflict", "applied", "merged"]
    assert result.counts == {
        "applied": 1,
        "skipped": 0,
        "merged": 1,
        "conflict": 1,
        "quarantined": 0,
    }
    # The district's value stays shown until a reviewer chooses; the other fields moved on.
    assert fresh(world.sub).answers == {"note": "Текст, исправленный на сервере", "count": "7"}
    assert fresh(other).answers == {"count": "12"}
    conflict = db.session.scalars(select(Conflict).where(Conflict.resolved_at.is_(None))).one()
    assert (conflict.subject_id, conflict.field) == (world.sub.id, "note")
    assert conflict.incoming.uuid == clash["uuid"] and not conflict.incoming.applied
    login(client, world.reviewer)
    screen = client.get("/conflicts/").get_data(as_text=True)
    assert "Второй текст школы" in screen and "Текст, исправленный на сервере" in screen
    assert assert_nothing_lost(world) == {"applied": 3, "conflict": 1}

    # The reviewer keeps the school's text: it is the one shown then.
    conflicts.resolve(world.reviewer, db.session.get(Conflict, conflict.id), "incoming")
    assert fresh(world.sub).answers["note"] == "Второй текст школы"


def test_a_hundred_schools_bundles_in_a_row_each_show_their_own_answers(make, world):
    schools = [world.school, world.sibling]
    schools += [make.school(world.district) for _ in range(98)]
    campaign = launch(world.admin, world.campaign.version.template)
    senders = {world.school.id: world.node, world.sibling.id: world.sibling_node}
    now = datetime.now(UTC).isoformat()
    bundles, made = [], {}
    for school in schools:
        node = senders.get(school.id) or enrol(school)
        sub = submission_of(campaign, school)
        parent, records = sub.head_uuid, []
        for seq, (field, value) in enumerate(
            (("note", f"Черновик {school.code}"), ("count", "3"), ("note", f"Ответ {school.code}")),
            start=1,
        ):
            record = {
                "kind": "change",
                "seq": seq,
                "uuid": new_uuid(),
                "parent_uuid": parent,
                "school": school.code,
                "subject_type": "submission",
                "subject_uuid": sub.uuid,
                "field": field,
                "value": value,
                "author_login": world.staff.login if school.id == world.school.id else "",
                "author_name": "Секретарь",
                "saved_at": now,
                "node_id": node.id,
            }
            parent = record["uuid"]
            records.append(record)
        made[school.id] = [r["uuid"] for r in records]
        manifest = {
            "direction": "up",
            "district": world.district.uuid,
            "school": school.code,
            "node": node.id,
            "seq_from": 1,
            "seq_to": 3,
        }
        bundles.append(write_bundle(manifest, records, {}, node.key))

    results = [import_bundle(data) for data in bundles]

    assert all(r.status == "applied" and r.counts["applied"] == 3 for r in results)
    assert [[x["uuid"] for x in r.receipt["results"]] for r in results] == [
        made[s.id] for s in schools
    ]
    db.session.expire_all()
    answers = {
        s.school_id: s.answers
        for s in db.session.scalars(select(Submission).where(Submission.campaign_id == campaign.id))
    }
    assert answers == {s.id: {"note": f"Ответ {s.code}", "count": "3"} for s in schools}
    heads = dict(
        db.session.execute(
            select(Submission.school_id, Submission.head_uuid).where(
                Submission.campaign_id == campaign.id
            )
        ).all()
    )
    assert heads == {s.id: made[s.id][-1] for s in schools}
    # Each school's changes are its own, in its own order.
    rows = db.session.execute(
        select(Change.school_id, Change.uuid, Change.number).order_by(Change.id)
    ).all()
    by_school: dict[int, list] = {}
    for school_id, uuid, number in rows:
        by_school.setdefault(school_id, []).append((uuid, number))
    assert by_school == {s.id: list(zip(made[s.id], [1, 2, 3], strict=True)) for s in schools}
    # The same bundles again: each answered as known, nothing written.
    assert all(import_bundle(data).status == "known" for data in bundles)
    assert db.session.scalar(select(func.count()).select_from(Change)) == 300
