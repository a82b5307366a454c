"""The merge rules of offline sync, at the service level: changes made on a school's copy
(in the wire shape a bundle carries) applied on the district by ``apply_incoming``.

After each scenario every change the school made is applied, in conflict or in
quarantine, and the tests count them."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet.changelog import services as changelog
from intranet.changelog.models import Change, Conflict
from intranet.extensions import db
from intranet.inspections import services as inspections
from intranet.mixins import new_uuid
from intranet.review import services as review
from intranet.roadmaps import services as roadmaps
from intranet.roadmaps.models import Evidence, RoadmapItem

NODE_A = "a" * 8 + "-0000-4000-8000-" + "a" * 12
NODE_B = "b" * 8 + "-0000-4000-8000-" + "b" * 12
# The school PC's clock is years behind the district's: it must not matter.
SCHOOL_CLOCK = datetime(2019, 3, 1, 10, 0, tzinfo=UTC)
RECEIVED = datetime.now(UTC)
PDF = b"%PDF-1.4\n% evidence from a school copy\n%%EOF\n"


class Copy:
    """One school PC: it numbers its own changes from the record's head it knows."""

    def __init__(self, school, node: str, author) -> None:
        self.school, self.node, self.author = school, node, author
        self.heads: dict[str, str | None] = {}

    def change(self, kind, record, field, value, *, parent=..., **extra) -> dict:
        if parent is ...:
            parent = self.heads.get(record.uuid, getattr(record, "head_uuid", None))
        uuid = new_uuid()
        if not field.startswith("_"):
            self.heads[record.uuid] = uuid
        return {
            "uuid": uuid,
            "parent_uuid": parent,
            "school": self.school.code,
            "subject_type": kind,
            "subject_uuid": record.uuid,
            "field": field,
            "value": value,
            "author_login": self.author.login,
            "author_name": self.author.full_name,
            "saved_at": SCHOOL_CLOCK.isoformat(),
            "node_id": self.node,
            **extra,
        }

    def apply(self, wire, **kwargs):
        outcome = changelog.apply_incoming(
            wire, school=self.school, node_id=self.node, received_at=RECEIVED, **kwargs
        )
        db.session.commit()  # the caller's (the bundle import's) transaction
        return outcome


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def stored(uuid) -> Change | None:
    return db.session.scalar(select(Change).where(Change.uuid == uuid))


def accounted(outcomes) -> None:
    """Nothing the school typed is lost: each change is applied, kept in a conflict,
    or quarantined with a reason (a quarantined one is kept by the bundle import)."""
    for wire, outcome in outcomes:
        if outcome.status in ("applied", "merged", "skipped"):
            assert stored(wire["uuid"]).applied
        elif outcome.status == "conflict":
            change = stored(wire["uuid"])
            assert not change.applied and change.value == wire["value"]
            assert db.session.get(Conflict, outcome.conflict_id).incoming_id == change.id
        else:
            assert outcome.status == "quarantined" and outcome.reason
            assert stored(wire["uuid"]) is None


def test_a_change_on_the_head_applies_keeps_both_times_and_is_skipped_the_second_time(insp):
    inspections.save_answer(insp.staff, insp.sub, "count", "12", 0)
    pc = Copy(insp.school, NODE_A, insp.staff2)
    wire = pc.change("submission", fresh(insp.sub), "note", "Записано без связи")

    outcome = pc.apply(wire)

    assert (outcome.status, outcome.change_uuid) == ("applied", wire["uuid"])
    sub = fresh(insp.sub)
    assert sub.answers == {"count": "12", "note": "Записано без связи"}
    assert sub.head_uuid == wire["uuid"] and sub.revision == 2
    change = stored(wire["uuid"])
    assert (change.node_id, change.author_id, change.author_name) == (
        NODE_A,
        insp.staff2.id,
        "Сидоров Иван",
    )
    assert change.saved_at.replace(tzinfo=UTC) == SCHOOL_CLOCK
    assert change.received_at.replace(tzinfo=UTC) == RECEIVED
    assert change.parent_uuid == wire["parent_uuid"] and change.number == 2

    again = pc.apply(wire)
    assert again.status == "skipped"
    assert db.session.scalar(select(func.count()).select_from(Change)) == 2
    assert fresh(insp.sub).revision == 2


def test_two_pcs_edit_one_form_different_fields_merge_then_the_same_field_conflicts(insp):
    inspections.save_answer(insp.staff, insp.sub, "count", "12", 0)
    sub = fresh(insp.sub)
    pc_a = Copy(insp.school, NODE_A, insp.staff)
    pc_b = Copy(insp.school, NODE_B, insp.staff2)
    # Both copies left the same head; each edits offline.
    a1 = pc_a.change("submission", sub, "count", "15")
    b1 = pc_b.change("submission", sub, "note", "Всё в порядке")
    b2 = pc_b.change("submission", sub, "count", "20")  # B never saw A's 15
    a2 = pc_a.change("submission", sub, "share", "50.5")

    outcomes = [(w, pc_a.apply(w) if w["node_id"] == NODE_A else pc_b.apply(w)) for w in (a1, b1)]
    assert [o.status for _, o in outcomes] == ["applied", "merged"]
    assert fresh(insp.sub).answers == {"count": "15", "note": "Всё в порядке"}

    later = [(b2, pc_b.apply(b2)), (a2, pc_a.apply(a2))]
    assert [o.status for _, o in later] == ["conflict", "merged"]
    sub = fresh(insp.sub)
    # The conflict changes nothing until someone chooses; both values are kept.
    assert sub.answers == {"count": "15", "note": "Всё в порядке", "share": "50.5"}
    conflict = db.session.get(Conflict, later[0][1].conflict_id)
    assert (conflict.field, conflict.current.value, conflict.incoming.value) == (
        "count",
        "15",
        "20",
    )
    assert (conflict.current.author_name, conflict.incoming.author_name) == (
        "Петрова Анна",
        "Сидоров Иван",
    )
    assert "управлении" in later[0][1].reason
    accounted(outcomes + later)

    # B keeps typing into the same answer: the conflict shows B's latest value.
    b3 = pc_b.change("submission", sub, "count", "21")
    assert pc_b.apply(b3).status == "conflict"
    conflicts = db.session.scalars(select(Conflict)).all()
    assert len(conflicts) == 1 and conflicts[0].incoming.value == "21"
    assert fresh(insp.sub).answers["count"] == "15"


def test_the_same_value_typed_on_both_sides_is_no_conflict(insp):
    pc_a = Copy(insp.school, NODE_A, insp.staff)
    pc_b = Copy(insp.school, NODE_B, insp.staff2)
    sub = fresh(insp.sub)
    a1 = pc_a.change("submission", sub, "count", "7")
    b1 = pc_b.change("submission", sub, "count", "7")
    assert [pc_a.apply(a1).status, pc_b.apply(b1).status] == ["applied", "merged"]
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0


def test_the_district_returns_a_form_while_the_school_edits_it_offline(insp):
    inspections.save_answer(insp.staff, insp.sub, "posted", "no", 0)
    inspections.submit(insp.head, fresh(insp.sub))
    pc = Copy(insp.school, NODE_A, insp.staff)
    # The copy had the form back as returned earlier; its edit arrives while the
    # district still has it under review: kept, not applied, and said why.
    early = pc.change("submission", fresh(insp.sub), "note", "Исправили замечание")
    outcome = pc.apply(early)
    assert outcome.status == "quarantined"
    assert "На проверке" in outcome.reason
    assert fresh(insp.sub).answers == {"posted": "no"}

    review.return_for_revision(insp.reviewer, fresh(insp.sub), "Добавьте замечания")
    later = pc.change("submission", fresh(insp.sub), "count", "3")
    # Released from quarantine once the form is back: the same change, applied now,
    # and the copy's next one on top of it.
    assert pc.apply(early).status == "applied"
    assert pc.apply(later).status == "applied"
    sub = fresh(insp.sub)
    assert sub.answers == {"posted": "no", "note": "Исправили замечание", "count": "3"}
    assert sub.status == "returned"

    submit = pc.change("submission", sub, "_submit", {})
    submit["author_login"] = insp.head.login
    assert pc.apply(submit).status == "applied"
    sub = fresh(insp.sub)
    assert sub.status == "submitted"
    assert stored(submit["uuid"]).field == "_submit"
    assert [v.saved_at.replace(tzinfo=UTC) for v in review.versions(sub)][-1] == SCHOOL_CLOCK


def test_what_cannot_be_applied_is_quarantined_with_its_reason(insp):
    pc = Copy(insp.school, NODE_A, insp.staff)
    sub = fresh(insp.sub)
    cases = {
        "another school's record": pc.change("submission", fresh(insp.sibling_sub), "note", "x"),
        "unknown parent": pc.change("submission", sub, "note", "x", parent=new_uuid()),
        "unknown template version": pc.change("submission", sub, "note", "x", version=new_uuid()),
        "no such question": pc.change("submission", sub, "nope", "x"),
        "invalid value": pc.change("submission", sub, "count", "много"),
        "a staff member submits": pc.change("submission", sub, "_submit", {}),
        "another school named": {**pc.change("submission", sub, "note", "x"), "school": "zzz"},
        "broken record": {"uuid": new_uuid(), "field": "note"},
    }
    outcomes = {name: pc.apply(wire) for name, wire in cases.items()}
    assert {k: o.status for k, o in outcomes.items()} == dict.fromkeys(cases, "quarantined")
    reasons = {k: o.reason for k, o in outcomes.items()}
    assert "другой школы" in reasons["another school's record"]
    assert "Не получено" in reasons["unknown parent"]
    assert "верси" in reasons["unknown template version"]
    assert "руководитель" in reasons["a staff member submits"]
    assert all(r and r.isascii() is False for r in reasons.values()), reasons
    assert fresh(insp.sub).revision == 0
    assert db.session.scalar(select(func.count()).select_from(Change)) == 0

    # An accepted form is the district's: a later change from a copy waits in quarantine.
    inspections.save_answer(insp.staff, insp.sub, "posted", "no", 0)
    inspections.submit(insp.head, fresh(insp.sub))
    review.accept(insp.reviewer, fresh(insp.sub))
    accepted = pc.apply(pc.change("submission", fresh(insp.sub), "note", "поздно"))
    assert accepted.status == "quarantined" and "Принято" in accepted.reason


def test_a_form_saved_offline_before_it_locked_counts_and_after_it_is_quarantined(insp):
    insp.campaign.due_date = date.today() - timedelta(days=3)
    db.session.commit()
    pc = Copy(insp.school, NODE_A, insp.head)
    in_time = datetime.now(UTC) - timedelta(days=5)
    too_late = datetime.now(UTC) - timedelta(days=1)
    sub = fresh(insp.sub)
    early = {**pc.change("submission", sub, "posted", "no"), "saved_at": in_time.isoformat()}
    late = {**pc.change("submission", sub, "note", "x"), "saved_at": too_late.isoformat()}
    submit = {
        **pc.change("submission", sub, "_submit", {}, parent=early["uuid"]),
        "saved_at": in_time.isoformat(),
    }

    assert pc.apply(early).status == "applied"
    outcome = pc.apply(late)
    assert outcome.status == "quarantined" and "закрыта" in outcome.reason
    submitted = pc.apply(submit)
    assert submitted.status == "applied", submitted.reason
    sub = fresh(insp.sub)
    assert sub.first_submitted_at.date() == in_time.date()
    assert fresh(insp.campaign).on_time_count == 1


def test_a_change_is_applied_in_the_callers_transaction_only(insp):
    pc = Copy(insp.school, NODE_A, insp.staff)
    wire = pc.change("submission", fresh(insp.sub), "note", "не дошло")
    outcome = changelog.apply_incoming(
        wire, school=insp.school, node_id=NODE_A, received_at=RECEIVED
    )
    assert outcome.status == "applied"
    db.session.rollback()  # the bundle import failed halfway
    assert stored(wire["uuid"]) is None
    assert fresh(insp.sub).answers == {}
    assert pc.apply(wire).status == "applied"  # the retry applies it whole


# -- roadmaps -------------------------------------------------------------------------------


def test_roadmap_item_edits_from_two_sides_merge_or_conflict_per_field(published):
    item = published.item("1.1")
    pc = Copy(published.school, NODE_A, published.staff)
    offline_note = pc.change("roadmap_item", item, "progress_note", "Проведён анализ")
    offline_status = pc.change("roadmap_item", item, "status", "in_progress")
    # Meanwhile on the district server the head edits the same item's note.
    roadmaps.update_roadmap_item(
        published.head, item, {"progress_note": "Запланирован педсовет"}, item.revision
    )

    outcomes = [(w, pc.apply(w)) for w in (offline_note, offline_status)]
    assert [o.status for _, o in outcomes] == ["conflict", "merged"]
    item = fresh(item)
    assert (item.progress_note, item.status) == ("Запланирован педсовет", "in_progress")
    assert fresh(published.roadmap).in_progress_count == 1
    accounted(outcomes)


def test_own_items_and_evidence_travel_as_changes(published):
    roadmap = published.roadmap
    pc = Copy(published.school, NODE_A, published.staff)
    item_uuid = new_uuid()
    created = {
        **pc.change(
            "roadmap_item",
            roadmap,
            "_create",
            {
                "roadmap_uuid": roadmap.uuid,
                "text": "Открытые уроки для родителей",
                "number": "С.1",
                "status": "planned",
            },
            parent=None,
        ),
        "subject_uuid": item_uuid,
    }
    assert pc.apply(created).status == "applied"
    item = db.session.scalar(select(RoadmapItem).where(RoadmapItem.uuid == item_uuid))
    assert (item.text, item.is_own, item.revision, item.head_uuid) == (
        "Открытые уроки для родителей",
        True,
        1,
        created["uuid"],
    )

    digest = hashlib.sha256(PDF).hexdigest()
    file = {"uuid": new_uuid(), "sha256": digest, "filename": "акт.pdf", "size": len(PDF)}
    attach = pc.change("roadmap_item", item, "evidence.add", file, parent=created["uuid"])
    missing = pc.apply(attach)
    assert missing.status == "quarantined" and "Файл не получен" in missing.reason
    assert pc.apply(attach, attachments={digest: PDF}).status == "applied"
    evidence = db.session.scalar(select(Evidence).where(Evidence.item_id == item.id))
    assert (evidence.uuid, evidence.filename, changelog.blob(digest)) == (
        file["uuid"],
        "акт.pdf",
        PDF,
    )

    delete = pc.change("roadmap_item", item, "_delete", None, parent=attach["uuid"])
    assert pc.apply(delete).status == "applied"
    assert db.session.scalar(select(RoadmapItem).where(RoadmapItem.uuid == item_uuid)) is None
    fields = db.session.scalars(
        select(Change.field).where(Change.subject_uuid == item_uuid).order_by(Change.id)
    ).all()
    assert fields == ["_create", "evidence.add", "_delete"]


def test_to_wire_names_everything_the_district_needs(insp):
    inspections.save_answer(insp.staff, insp.sub, "count", "12", 0)
    change = stored(fresh(insp.sub).head_uuid)
    wire = changelog.to_wire(change)
    assert wire == {
        "uuid": change.uuid,
        "parent_uuid": None,
        "school": insp.school.code,
        "subject_type": "submission",
        "subject_uuid": insp.sub.uuid,
        "field": "count",
        "value": "12",
        "author_login": insp.staff.login,
        "author_name": "Петрова Анна",
        "saved_at": change.saved_at.isoformat(),
        "node_id": None,
        "version": insp.campaign.version.uuid,
    }
    assert [c.uuid for c in changelog.changes_to_send(insp.school.id)] == [change.uuid]
    changelog.mark_sync_state([change.uuid], "confirmed")
    db.session.commit()
    assert changelog.changes_to_send(insp.school.id) == []


@pytest.fixture(autouse=True)
def _no_leftovers(app_ctx):
    yield
    db.session.rollback()


def test_a_copy_whose_clock_runs_years_ahead_is_not_locked_out(insp):
    pc = Copy(insp.school, NODE_A, insp.staff)
    ahead = {
        **pc.change("submission", fresh(insp.sub), "note", "часы спешат"),
        "saved_at": datetime(2031, 1, 1, tzinfo=UTC).isoformat(),
    }
    outcome = pc.apply(ahead)
    assert outcome.status == "applied", outcome.reason
    assert stored(ahead["uuid"]).saved_at.year == 2031  # kept as the copy said, shown so


def test_a_file_attached_on_both_sides_is_one_evidence_and_the_chain_goes_on(published):
    item = published.item("1.1")
    digest = hashlib.sha256(PDF).hexdigest()
    pc = Copy(published.school, NODE_A, published.staff)
    file = {"uuid": new_uuid(), "sha256": digest, "filename": "акт.pdf", "size": len(PDF)}
    offline = pc.change("roadmap_item", item, "evidence.add", file)
    note = pc.change("roadmap_item", item, "progress_note", "Акт приложен")
    roadmaps.add_evidence_file(published.head, item, "акт (скан).pdf", PDF)

    assert pc.apply(offline, attachments={digest: PDF}).status == "merged"
    assert pc.apply(note).status == "merged"
    assert len(db.session.scalars(select(Evidence).where(Evidence.item_id == item.id)).all()) == 1
    assert fresh(item).progress_note == "Акт приложен"
