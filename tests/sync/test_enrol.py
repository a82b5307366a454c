"""Enrolment files and the district's per-school feed (the district side, in one process;
tests/sync/test_two_processes.py carries them to a real copy)."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from intranet.errors import Refused
from intranet.extensions import db
from sync.bundle import BundleRefused


def _rows(bundle, table):
    return [r["row"] for r in bundle.records if r["table"] == table]


def test_each_computer_of_a_school_is_a_node_of_its_own(published):
    from sync.enrol import build_enrolment, read_enrolment
    from sync.models import SyncNode

    first = read_enrolment(build_enrolment(published.admin, published.school, "Секретарь").data)
    second = read_enrolment(build_enrolment(published.admin, published.school, "Директор").data)
    assert first.manifest["node"] != second.manifest["node"]
    assert first.manifest["enrol_token"] != second.manifest["enrol_token"]
    assert first.manifest["district_public_key"] == second.manifest["district_public_key"]
    nodes = db.session.scalars(select(SyncNode).where(SyncNode.school_id == published.school.id))
    assert {n.name for n in nodes} == {"Секретарь", "Директор"}


def test_the_file_holds_the_school_and_nothing_of_its_siblings(published):
    from intranet.review import services as review
    from sync.enrol import build_enrolment, read_enrolment

    head, sibling_staff = published.head, published.sibling_staff
    review.submit(head, published.roadmap)
    review.return_for_revision(published.reviewer, published.roadmap, "Доработать")
    bundle = read_enrolment(build_enrolment(published.admin, published.school).data)
    assert [s["code"] for s in _rows(bundle, "schools")] == [published.school.code]
    assert {u["login"] for u in _rows(bundle, "users")} == {head.login}
    assert sibling_staff.login not in {u["login"] for u in _rows(bundle, "users")}
    assert {r["school_id"] for r in _rows(bundle, "school_roadmaps")} == {published.school.id}
    assert {r["school_id"] for r in _rows(bundle, "roadmap_items")} == {published.school.id}
    # The users' password hashes go along: the same passwords work on the copy.
    assert _rows(bundle, "users")[0]["password_hash"] == head.password_hash
    # The reviewer stays on the district: the return names them, points at nobody.
    events = _rows(bundle, "review_events")
    returned = [e for e in events if e["action"] == "return"]
    assert returned and returned[0]["author_id"] is None
    assert returned[0]["author_name"] == published.reviewer.full_name


def test_only_the_district_admin_of_the_school_enrols(published, make):
    from intranet.auth.roles import Role
    from sync.enrol import build_enrolment

    other_admin = make.user(Role.DISTRICT_ADMIN, district=make.district())
    for actor in (published.reviewer, published.head, other_admin):
        with pytest.raises(Refused):
            build_enrolment(actor, published.school)


def test_a_changed_enrolment_file_is_refused(published):
    from sync.enrol import build_enrolment, read_enrolment

    assert published.head
    data = build_enrolment(published.admin, published.school).data
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "changes.ndjson":
                # A head made a district administrator on the copy.
                assert b"school_head" in content
                content = content.replace(b"school_head", b"district_admin")
            target.writestr(info, content)
    with pytest.raises(BundleRefused):
        read_enrolment(out.getvalue())


def test_init_refuses_a_database_that_holds_data(published):
    from intranet.schools.models import School
    from sync.enrol import build_enrolment, init_copy

    data = build_enrolment(published.admin, published.school).data
    schools = db.session.scalar(select(func.count(School.id)))
    with pytest.raises(Refused):
        init_copy(data)
    db.session.rollback()
    assert db.session.scalar(select(func.count(School.id))) == schools


def test_the_feed_numbers_what_changed_once_in_order(published):
    from intranet.review import services as review
    from sync import downstream

    school, head, reviewer = published.school, published.head, published.reviewer
    start = downstream.refresh(school)
    db.session.commit()
    assert start > 0  # the plan, the roadmap, the accounts
    assert downstream.refresh(school) == start  # nothing changed, nothing added
    review.submit(head, published.roadmap)
    # The head's submit typed on the server goes down as the change itself (the school's
    # copies learn of it), once.
    [submitted] = downstream.collect(school, after_position=start)
    assert (submitted["kind"], submitted["change"]["field"]) == ("change", "_submit")
    start = submitted["position"]
    item = published.item("1.1")
    review.return_for_revision(reviewer, published.roadmap, "Доработать", {item.uuid: "Нет даты"})
    records = downstream.collect(school, after_position=start)
    db.session.commit()
    # The return and its remark, then the notification that tells the school of it.
    assert [r["kind"] for r in records] == ["review_event", "review_event", "notification"]
    assert [r["event"]["action"] for r in records[:2]] == ["return", "comment"]
    assert [r["position"] for r in records] == [start + 1, start + 2, start + 3]
    # Positions only grow: a later record never takes an earlier number.
    assert downstream.current_position(school) == start + 3
    assert all(r["school"] == school.code for r in records)
    # The sibling school's feed knows nothing of it.
    sibling = downstream.refresh(published.sibling)
    assert all(
        r["kind"] != "review_event" for r in downstream.collect(published.sibling, after_position=0)
    )
    assert downstream.refresh(published.sibling) == sibling


def test_a_campaign_and_a_new_version_of_its_form_come_down_in_that_order(published):
    from intranet.inspections import services as inspections
    from sync import downstream
    from tests.inspections.conftest import SCHEMA, launch

    admin, school = published.admin, published.school
    template = inspections.create_template(admin, admin.district_id, "Самообследование", "", SCHEMA)
    inspections.publish_version(admin, template.latest)
    start = downstream.refresh(school)
    campaign = launch(admin, template)
    db.session.commit()
    records = downstream.collect(school, after_position=start)
    kinds = [r["kind"] for r in records]
    assert kinds == ["campaign", "form_version", "notification"]  # «a new form to fill»
    launched = records[0]["tables"]
    assert launched["campaigns"][0]["uuid"] == campaign.uuid
    assert [s["school_id"] for s in launched["submissions"]] == [school.id]
    assert launched["form_versions"][0]["number"] == 1
    position = records[-1]["position"]
    draft = inspections.editable_version(admin, template)
    inspections.publish_version(admin, draft)
    later = downstream.collect(school, after_position=position)
    db.session.commit()
    assert [(r["kind"], r["tables"]["form_versions"][0]["number"]) for r in later] == [
        ("form_version", 2)
    ]
    # A reopening for the school is news; the counters of other schools' answers are not.
    target = next(t for t in campaign.targets if t.school_id == school.id)
    from datetime import date, timedelta

    inspections.reopen(admin, target, date.today() + timedelta(days=3))
    reopened = downstream.collect(school, after_position=later[-1]["position"])
    assert [r["kind"] for r in reopened] == ["campaign"]
    assert reopened[0]["tables"]["campaign_targets"][0]["reopened_until"]
