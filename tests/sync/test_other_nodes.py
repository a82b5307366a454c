"""Edits of a school's content made elsewhere than on a copy — on another PC of the
school, or typed by the school's people on the district server — come down to the copy
in the district's feed as the changes themselves (issue #10, closing part 1's gap)."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from intranet.changelog.models import Change
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.inspections.models import Submission

pytest_plugins = ["tests.sync.copies"]


def _records(data: bytes) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body = zf.read("changes.ndjson").decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def test_two_pcs_edit_different_fields_and_both_end_with_both(school_pcs):
    s = school_pcs
    pc1, pc2 = s.pcs
    pc1.answer(s.sub_uuid, s.head.login, "count", "3")
    pc2.answer(s.sub_uuid, s.staff.login, "note", "Замечаний нет")
    pc1.edit_item(s.item_uuid, s.head.login, progress_note="Анализ проведён")
    pc2.edit_item(s.item_uuid, s.staff.login, status="in_progress")
    s.up(pc1)
    s.up(pc2)

    # The district bundle for PC1 carries PC2's changes, never PC1's own.
    down1 = s.export(pc1)
    carried = [r["change"] for r in _records(down1) if r["kind"] == "change"]
    assert {c["node_id"] for c in carried} == {pc2.node_id}
    assert {c["field"] for c in carried} == {"note", "status"}
    pc1.take(down1)
    s.down(pc2)

    for pc in (pc1, pc2):
        answers = pc.submission(s.sub_uuid)["answers"]
        assert answers["count"] == "3" and answers["note"] == "Замечаний нет", answers
        item = pc.item(s.item_uuid)
        assert (item["progress_note"], item["status"]) == ("Анализ проведён", "in_progress")
    # Each copy's change log now holds every change the district applied for the school.
    district_changes = set(
        db.session.scalars(
            select(Change.uuid).where(Change.school_id == s.school.id, Change.applied.is_(True))
        )
    )
    assert district_changes <= pc1.change_uuids()
    assert district_changes <= pc2.change_uuids()

    # Nothing comes back up: the next bundles of both PCs carry no change, and both
    # PCs and the district find the same data.
    for pc in (pc1, pc2):
        up = pc.export()
        assert [r for r in _records(up) if r["kind"] == "change"] == []
        s.take(up)
        s.down(pc)
        assert pc.local()["state"] == "agree", pc.local()
        assert s.node(pc).digest_state == "agree", s.node(pc).digest_diff


def test_a_school_bundle_for_every_pc_carries_the_changes_and_each_skips_its_own(school_pcs):
    s = school_pcs
    pc1, pc2 = s.pcs
    pc1.answer(s.sub_uuid, s.head.login, "count", "5")
    s.up(pc1)
    result = s.down(pc1, for_node=False)  # one bundle for the school, as a USB stick
    assert result.counts.get("change_skipped") == 1
    assert pc1.submission(s.sub_uuid)["answers"]["count"] == "5"
    s.down(pc2, for_node=False)
    assert pc2.submission(s.sub_uuid)["answers"]["count"] == "5"


def test_an_answer_typed_on_the_district_server_by_the_school_reaches_the_copy(school_pcs):
    s = school_pcs
    pc1 = s.pcs[0]
    sub = db.session.scalar(select(Submission).where(Submission.uuid == s.sub_uuid))
    inspections.save_answer(s.staff, sub, "note", "Внесено на сервере", sub.revision)
    db.session.expire_all()
    made = db.session.scalar(
        select(Change).where(Change.subject_uuid == s.sub_uuid, Change.field == "note")
    )
    result = s.down(pc1)
    assert result.counts.get("change_applied") == 1
    seen = pc1.submission(s.sub_uuid)
    assert seen["answers"]["note"] == "Внесено на сервере"
    # The very change, with its id: the copy's head is the district's.
    assert seen["head"] == made.uuid == db.session.get(Submission, sub.id).head_uuid
    assert made.uuid in pc1.change_uuids()
    # It is the district's: the copy never sends it back.
    up = pc1.export()
    assert [r for r in _records(up) if r["kind"] == "change"] == []
