"""Proof of agreement (issue #10, item 5): both sides compute a digest of the school's
content, compare it after each exchange, name what differs, and repair it by resending
the records' history through the ordinary bundles."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select, update

from intranet.extensions import db
from intranet.inspections.models import Submission
from intranet.roadmaps.models import RoadmapItem
from sync import digest
from tests.fixtures.factories import login

pytest_plugins = ["tests.sync.copies"]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _in_agreement(s, pc) -> None:
    s.sync(pc)
    assert pc.local()["state"] == "agree", pc.local()
    assert s.node(pc).digest_state == "agree", s.node(pc).digest_diff


def test_both_sides_compute_the_same_digest_and_the_bundle_carries_it(school_pcs):
    s = school_pcs
    pc = s.pcs[0]
    pc.answer(s.sub_uuid, s.head.login, "note", "Всё в порядке")
    data = pc.export()
    members = _members(data)
    manifest = json.loads(members["manifest.json"])
    assert "digest.json" in manifest["files"]  # listed with its hash, signed
    carried = json.loads(members["digest.json"])
    s.take(data)
    own = digest.compute(s.school.id)
    assert carried["root"] == own["root"]
    keys = set(own["records"])
    assert f"submission:{s.sub_uuid}" in keys and f"item:{s.item_uuid}" in keys
    assert any(k.startswith("roadmap:") for k in keys)
    assert s.node(pc).digest_state == "agree"


def test_a_row_corrupted_on_the_copy_is_found_and_repaired_through_bundles(school_pcs, client):
    s = school_pcs
    pc = s.pcs[0]
    pc.answer(s.sub_uuid, s.head.login, "count", "12")
    _in_agreement(s, pc)

    # Someone edits the copy's database directly: the change log still says 12.
    pc.sql(
        "UPDATE submissions SET answers = :a WHERE uuid = :u",
        a=json.dumps({"count": "99"}),
        u=s.sub_uuid,
    )
    s.up(pc)
    node = s.node(pc)
    assert node.digest_state == "differ"
    [difference] = node.digest_diff
    assert difference["label"] == "форма «Самообследование»: ответ на вопрос «Наблюдателей»"
    assert difference["reason_text"] == "значения различаются"

    # The district's next bundle resends the record's history; the copy puts it right.
    result = s.down(pc)
    assert result.counts.get("repaired") == 1
    assert pc.submission(s.sub_uuid)["answers"]["count"] == "12"
    assert pc.local()["state"] == "agree"
    s.up(pc)
    assert s.node(pc).digest_state == "agree"

    # The district's screen says so too.
    login(client, s.admin)
    page = client.get("/sync/nodes").get_data(as_text=True)
    assert "данные совпадают" in page


def test_a_row_corrupted_on_the_district_is_found_and_repaired_through_bundles(school_pcs):
    s = school_pcs
    pc = s.pcs[0]
    pc.edit_item(s.item_uuid, s.head.login, progress_note="Анализ проведён")
    _in_agreement(s, pc)

    db.session.execute(
        update(RoadmapItem)
        .where(RoadmapItem.uuid == s.item_uuid)
        .values(progress_note="испорчено")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    s.up(pc)
    node = s.node(pc)
    assert node.digest_state == "differ"
    assert [d["label"] for d in node.digest_diff] == [
        "мероприятие «1.1 Провести анализ результатов ВПР»: Что сделано"
    ]

    # The copy learns it differs, names the record, and resends the record's history.
    s.down(pc)
    local = pc.local()
    assert local["state"] == "differ"
    assert "Что сделано" in local["diff"][0]["label"]
    result = s.up(pc)
    assert result.counts.get("repaired") == 1
    db.session.expire_all()
    item = db.session.scalar(select(RoadmapItem).where(RoadmapItem.uuid == s.item_uuid))
    assert item.progress_note == "Анализ проведён"
    assert s.node(pc).digest_state == "agree"
    s.down(pc)
    assert pc.local()["state"] == "agree"


def test_a_change_lost_on_the_district_is_resent_by_the_copy(school_pcs):
    from intranet.changelog.models import Change

    s = school_pcs
    pc = s.pcs[0]
    pc.answer(s.sub_uuid, s.head.login, "note", "Первое")
    _in_agreement(s, pc)
    pc.answer(s.sub_uuid, s.head.login, "note", "Второе")
    _in_agreement(s, pc)  # confirmed: the copy will not send it again on its own
    # The district loses that change and its effect (a restore from an older backup).
    sub = db.session.scalar(select(Submission).where(Submission.uuid == s.sub_uuid))
    last = db.session.scalar(
        select(Change).where(Change.subject_id == sub.id).order_by(Change.id.desc()).limit(1)
    )
    parent, lost = last.parent_uuid, last.uuid
    db.session.execute(Change.__table__.delete().where(Change.id == last.id))
    db.session.execute(
        update(Submission)
        .where(Submission.id == sub.id)
        .values(answers={"note": "Первое"}, head_uuid=parent)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    s.up(pc)
    assert s.node(pc).digest_state == "differ"
    s.down(pc)
    assert pc.local()["state"] == "differ"
    result = s.up(pc)  # the record's history: the lost change among it
    assert result.counts.get("repaired") == 1
    assert lost in set(db.session.scalars(select(Change.uuid)))
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).answers["note"] == "Второе"
    s.down(pc)
    assert pc.local()["state"] == "agree"


def test_the_copys_page_says_the_data_match_or_names_what_differs(school_pcs):
    s = school_pcs
    pc = s.pcs[0]
    pc.answer(s.sub_uuid, s.head.login, "count", "7")
    _in_agreement(s, pc)
    client = pc.app.test_client()
    with pc.ctx():
        login(client, _copy_user(s.head.login))
        page = client.get("/sync/copy").get_data(as_text=True)
    assert "данные совпадают с управлением" in page
    db.session.execute(
        update(Submission)
        .where(Submission.uuid == s.sub_uuid)
        .values(answers={"count": "8"})
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    s.up(pc)
    s.down(pc)
    with pc.ctx():
        login(client, _copy_user(s.head.login))
        page = client.get("/sync/copy").get_data(as_text=True)
    assert "данные совпадают с управлением" not in page
    assert "форма «Самообследование»: ответ на вопрос «Наблюдателей»" in page


def _copy_user(login_name: str):
    from intranet.auth.models import User

    return db.session.scalar(select(User).where(User.login == login_name))


def test_an_empty_exchange_in_agreement_stays_small(school_pcs):
    s = school_pcs
    pc = s.pcs[0]
    pc.answer(s.sub_uuid, s.head.login, "count", "4")
    _in_agreement(s, pc)
    up = pc.export()
    assert json.loads(_members(up)["digest.json"])["records"] is None  # the root says it all
    s.take(up)
    down = s.export(pc)
    assert json.loads(_members(down)["digest.json"])["records"] is None
    assert len(up) < 2048 and len(down) < 2048, (len(up), len(down))
    pc.take(down)
    assert pc.local()["state"] == "agree"
    assert s.node(pc).digest_state == "agree"


def test_an_open_conflict_is_named_with_its_reason_and_agrees_once_a_reviewer_chooses(
    school_pcs, make
):
    from intranet.auth.roles import Role
    from intranet.changelog import conflicts
    from intranet.changelog.models import Conflict
    from intranet.inspections import services as inspections

    s = school_pcs
    pc = s.pcs[0]
    _in_agreement(s, pc)
    # The same answer typed on the district server and, offline, on the school's PC.
    sub = db.session.scalar(select(Submission).where(Submission.uuid == s.sub_uuid))
    inspections.save_answer(s.staff, sub, "note", "С сервера", sub.revision)
    pc.answer(s.sub_uuid, s.head.login, "note", "С компьютера школы")
    s.up(pc)
    s.down(pc)
    s.up(pc)
    expected = "форма «Самообследование»: ответ на вопрос «Замечания»"
    for found in (pc.local(), {"state": s.node(pc).digest_state, "diff": s.node(pc).digest_diff}):
        assert found["state"] == "differ", found
        assert [(d["label"], d["reason_text"]) for d in found["diff"]] == [
            (expected, "конфликт ждёт решения методиста")
        ]
    # Resending cannot settle it: the next district bundle carries no history for it.
    assert s.down(pc).counts.get("repaired") is None
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=s.district)
    conflict = db.session.scalars(select(Conflict).where(Conflict.resolved_at.is_(None))).one()
    conflicts.resolve(reviewer, conflict, conflicts.CURRENT)
    s.down(pc)
    assert pc.submission(s.sub_uuid)["answers"]["note"] == "С сервера"
    assert pc.local()["state"] == "agree", pc.local()
    s.up(pc)
    assert s.node(pc).digest_state == "agree", s.node(pc).digest_diff
