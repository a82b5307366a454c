"""Plans and roadmaps: every write takes the acting user and goes through here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from intranet import paging
from intranet.audit.services import bulk, writing
from intranet.changelog import services as changelog
from intranet.changelog.models import CREATE, DELETE, EVIDENCE_ADD, EVIDENCE_REMOVE
from intranet.changelog.services import Origin
from intranet.database import claim
from intranet.deadlines import Deadline, parse_deadline
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import new_uuid, utcnow
from intranet.review import services as review
from intranet.roadmaps import changes
from intranet.roadmaps.models import (
    Evidence,
    ItemStatus,
    Plan,
    PlanItem,
    PlanItemDue,
    PlanSection,
    PlanStatus,
    RoadmapItem,
    SchoolRoadmap,
    overdue_in,
)
from intranet.roadmaps.plan_import import ParsedPlan
from intranet.schools.models import School
from intranet.text import shorten
from intranet.timezones import local_today

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class StaleEdit(Refused):
    """Someone saved the same item since this edit began; ``current`` is what they saved."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__(
            _(
                "Someone else changed this item while you were editing it. Their version is "
                "shown below; your text is kept in the form. Save again to overwrite."
            )
        )
        self.current = current


# -- the district plan ----------------------------------------------------------------------


def school_year(start_year: int) -> tuple[date, date]:
    return date(start_year, 9, 1), date(start_year + 1, 8, 31)


def _new_plan(district_id: int, data: dict[str, Any]) -> Plan:
    _check_period(data["period_start"], data["period_end"])
    plan = Plan(
        district_id=district_id,
        title=data["title"],
        order_number=data.get("order_number") or "",
        order_date=data.get("order_date"),
        period_start=data["period_start"],
        period_end=data["period_end"],
        submit_by=data.get("submit_by"),
        status=PlanStatus.DRAFT.value,
    )
    db.session.add(plan)
    return plan


def create_plan(actor, district_id: int, data: dict[str, Any]) -> Plan:
    with writing(actor):
        plan = _new_plan(district_id, data)
        db.session.commit()
    return plan


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise Refused(_("The period ends before it starts."), "period_end")


def update_plan(actor, plan: Plan, data: dict[str, Any]) -> Plan:
    _require_draft(plan)
    _check_period(data["period_start"], data["period_end"])
    period_changed = (plan.period_start, plan.period_end) != (
        data["period_start"],
        data["period_end"],
    )
    with writing(actor):
        for key in (
            "title",
            "order_number",
            "order_date",
            "period_start",
            "period_end",
            "submit_by",
        ):
            value = data.get(key)
            if key == "order_number":
                value = value or ""
            if getattr(plan, key) != value:
                setattr(plan, key, value)
        if period_changed:
            # Months without a year are read within the period: read them again.
            for item in plan.items:
                if not item.deadline_corrected:
                    item.set_deadline(parse_deadline(item.deadline_text, plan.period))
        db.session.commit()
    return plan


def _require_draft(plan: Plan) -> None:
    if not plan.is_draft:
        raise Refused(_("The plan is published and can no longer be changed."))


def import_plan(actor, district_id: int, parsed: ParsedPlan, data: dict[str, Any]) -> Plan:
    """Save a parsed plan as a draft: the user's corrections of title and period win."""
    if not parsed.items:
        raise Refused(_("The file holds no plan items."))
    with writing(actor):
        plan = _new_plan(district_id, data)
        db.session.flush()
        sections: dict[str, PlanSection] = {}
        for position, title in enumerate(parsed.sections, start=1):
            section = PlanSection(
                plan_id=plan.id, district_id=district_id, position=position, title=title
            )
            db.session.add(section)
            sections[title] = section
        db.session.flush()
        for position, parsed_item in enumerate(parsed.items, start=1):
            item = PlanItem(
                plan_id=plan.id,
                district_id=district_id,
                section_id=sections[parsed_item.section].id if parsed_item.section else None,
                position=position,
                number=parsed_item.number,
                text=parsed_item.text,
                responsible=parsed_item.responsible,
                result=parsed_item.result,
                schools_report=True,
            )
            item.set_deadline(parse_deadline(parsed_item.deadline_text, plan.period))
            db.session.add(item)
        db.session.commit()
    return plan


def add_section(actor, plan: Plan, title: str) -> PlanSection:
    _require_draft(plan)
    title = " ".join((title or "").split())
    if not title:
        raise Refused(_("Name the section."), "title")
    with writing(actor):
        section = PlanSection(
            plan_id=plan.id,
            district_id=plan.district_id,
            position=len(plan.sections) + 1,
            title=title,
        )
        db.session.add(section)
        db.session.commit()
    return section


def deadline_from_form(
    text: str, kind: str, start: date | None, end: date | None, period
) -> tuple[Deadline, bool]:
    """The parsed deadline, or the person's correction of it when they gave one."""
    parsed = parse_deadline(text or "", period)
    if not kind or kind == parsed.kind and start == parsed.start and end == parsed.end:
        return parsed, False
    if kind in ("event", "unknown"):
        start = end = None
    elif kind == "date":
        start = None
    if kind != "date" and kind not in ("event", "unknown") and (start is None or end is None):
        raise Refused(_("Give both the first and the last day."), "deadline_end")
    if kind == "date" and end is None:
        raise Refused(_("Give the due date."), "deadline_end")
    if start and end and end < start:
        raise Refused(_("The period ends before it starts."), "deadline_end")
    windows = ((start, end),) if start and end else ()
    return Deadline(
        kind=kind, start=start, end=end, windows=windows, needs_review=False, text=parsed.text
    ), True


def _apply_item_fields(item, data: dict[str, Any], period) -> None:
    for key in ("number", "text", "responsible", "result"):
        if key in data and getattr(item, key) != (data[key] or ""):
            setattr(item, key, data[key] or "")
    if "deadline_text" in data:
        deadline, corrected = deadline_from_form(
            data["deadline_text"],
            data.get("deadline_kind") or "",
            data.get("deadline_start"),
            data.get("deadline_end"),
            period,
        )
        if deadline.as_dict() != item.deadline or corrected != item.deadline_corrected:
            item.set_deadline(deadline, corrected)


def _check_revision(item, revision: int | None, fields: tuple[str, ...]) -> None:
    if revision is not None and revision != item.revision:
        raise StaleEdit({key: getattr(item, key) for key in fields})


PLAN_ITEM_FIELDS = ("number", "text", "deadline_text", "responsible", "result")


def add_plan_item(actor, plan: Plan, data: dict[str, Any]) -> PlanItem:
    _require_draft(plan)
    with writing(actor):
        item = PlanItem(
            plan_id=plan.id,
            district_id=plan.district_id,
            section_id=data.get("section_id") or None,
            position=(max((i.position for i in plan.items), default=0) + 1),
            text="",
            schools_report=data.get("schools_report", True),
        )
        _apply_item_fields(item, data, plan.period)
        if not item.text:
            raise Refused(_("Describe the measure."), "text")
        db.session.add(item)
        db.session.commit()
    return item


def update_plan_item(actor, item: PlanItem, data: dict[str, Any], revision: int | None) -> PlanItem:
    """Save a plan item edited from ``revision``; the write is guarded by it in one
    conditional statement, so of parallel edits from one revision exactly one is saved
    and the others get ``StaleEdit``."""
    _require_draft(item.plan)
    _check_revision(item, revision, PLAN_ITEM_FIELDS)
    base = item.revision if revision is None else revision
    try:
        with writing(actor):
            _apply_item_fields(item, data, item.plan.period)
            if "schools_report" in data and item.schools_report != data["schools_report"]:
                item.schools_report = data["schools_report"]
            if not item.text:
                raise Refused(_("Describe the measure."), "text")
            if db.session.is_modified(item):
                _claim_plan_item(item, base)
            db.session.commit()
    except changes.Overtaken:
        raise StaleEdit({key: getattr(item, key) for key in PLAN_ITEM_FIELDS}) from None
    return item


_PLAN_ITEMS = PlanItem.__table__


def _claim_plan_item(item: PlanItem, base: int) -> None:
    written = (
        db.session.connection()
        .execute(
            update(_PLAN_ITEMS)
            .where(_PLAN_ITEMS.c.id == item.id, _PLAN_ITEMS.c.revision == base)
            .values(revision=base + 1)
        )
        .rowcount
    )
    if written != 1:
        raise changes.Overtaken
    set_committed_value(item, "revision", base + 1)


def move_plan_item(actor, item: PlanItem, direction: str) -> None:
    plan = item.plan
    _require_draft(plan)
    items = list(plan.items)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return
    with writing(actor):
        items[index], items[other] = items[other], items[index]
        # Moving across a section border takes the neighbour's section (after the swap
        # the neighbour stands where the item was).
        item.section_id = items[index].section_id
        for position, each in enumerate(items, start=1):
            if each.position != position:
                each.position = position
        db.session.commit()


def delete_plan_item(actor, item: PlanItem) -> None:
    _require_draft(item.plan)
    with writing(actor):
        db.session.delete(item)
        db.session.commit()


def renumber(actor, plan: Plan) -> None:
    """1, 2, 3 ... or, with sections, 1.1, 1.2, 2.1 ... in the order shown."""
    _require_draft(plan)
    section_index = {s.id: n for n, s in enumerate(plan.sections, start=1)}
    counters: dict[int | None, int] = {}
    with writing(actor):
        for item in plan.items:
            counters[item.section_id] = counters.get(item.section_id, 0) + 1
            n = counters[item.section_id]
            number = f"{section_index[item.section_id]}.{n}" if item.section_id else str(n)
            if item.number != number:
                item.number = number
                item.revision += 1
        db.session.commit()


def publish(actor, plan: Plan) -> int:
    """Publish the plan and give every active school its roadmap; returns how many."""
    _require_draft(plan)
    if not plan.items:
        raise Refused(_("The plan has no items."))
    # Two clicks at once publish once: the loser finds the plan published.
    if not claim(plan, [PlanStatus.DRAFT.value]):
        db.session.rollback()
        raise Refused(_("The plan is published and can no longer be changed."))
    schools = db.session.scalars(
        select(School).where(School.district_id == plan.district_id, School.active.is_(True))
    ).all()
    sections = {s.id: s.title for s in plan.sections}
    reported = [i for i in plan.items if i.schools_report]
    with writing(actor):
        plan.status = PlanStatus.PUBLISHED.value
        plan.published_at = utcnow()
        # One audit entry for the whole publication, not one per roadmap item.
        with bulk("publish", plan):
            for school in schools:
                roadmap = SchoolRoadmap(
                    plan_id=plan.id, district_id=plan.district_id, school_id=school.id
                )
                db.session.add(roadmap)
                db.session.flush()
                db.session.add_all(
                    RoadmapItem(
                        roadmap_id=roadmap.id,
                        district_id=plan.district_id,
                        school_id=school.id,
                        plan_item_id=item.id,
                        section=sections.get(item.section_id, ""),
                        position=position,
                        number=item.number,
                        text=item.text,
                        responsible=item.responsible,
                        result=item.result,
                        deadline_text=item.deadline_text,
                        deadline=item.deadline,
                        deadline_corrected=item.deadline_corrected,
                        due_date=item.due_date,
                    )
                    for position, item in enumerate(reported, start=1)
                )
                _set_progress(roadmap, [(ItemStatus.PLANNED.value, i.due_date) for i in reported])
            for item in reported:
                item.done_count = 0
                if item.due_date and schools:
                    db.session.add(
                        PlanItemDue(
                            plan_item_id=item.id, due_date=item.due_date, open_count=len(schools)
                        )
                    )
        db.session.commit()
    return len(schools)


# -- the school's roadmap -------------------------------------------------------------------


def _set_progress(roadmap: SchoolRoadmap, items: list[tuple[str, date | None]]) -> None:
    """Store the counts the district's execution table reads, from (status, due) pairs."""
    roadmap.items_count = len(items)
    roadmap.done_count = sum(1 for status, _ in items if status == ItemStatus.DONE.value)
    roadmap.in_progress_count = sum(
        1 for status, _ in items if status == ItemStatus.IN_PROGRESS.value
    )
    open_due = sorted(
        due.isoformat() for status, due in items if due and status != ItemStatus.DONE.value
    )
    roadmap.open_due_dates = open_due
    roadmap.first_open_due = date.fromisoformat(open_due[0]) if open_due else None


def _open_due(plan_item_id: int, due: date, delta: int) -> None:
    """Add ``delta`` to the schools not done with the item by ``due``, in one statement
    (concurrent schools never lose each other's change)."""
    updated = db.session.execute(
        update(PlanItemDue)
        .where(PlanItemDue.plan_item_id == plan_item_id, PlanItemDue.due_date == due)
        .values(open_count=PlanItemDue.open_count + delta)
    ).rowcount
    if not updated:
        db.session.add(PlanItemDue(plan_item_id=plan_item_id, due_date=due, open_count=delta))
        db.session.flush()


def track_item(item: RoadmapItem, before: tuple[str, date | None]) -> None:
    """Keep the plan item's counts for the district's per-item table after a school's
    item changed from ``before`` (status, due date) to what it is now."""
    if item.plan_item_id is None:
        return
    done = ItemStatus.DONE.value
    (old_status, old_due), (new_status, new_due) = before, (item.status, item.due_date)
    if (old_status, old_due) == (new_status, new_due):
        return
    delta_done = (new_status == done) - (old_status == done)
    if delta_done:
        db.session.execute(
            update(PlanItem)
            .where(PlanItem.id == item.plan_item_id)
            .values(done_count=PlanItem.done_count + delta_done)
        )
    if old_due and old_status != done:
        _open_due(item.plan_item_id, old_due, -1)
    if new_due and new_status != done:
        _open_due(item.plan_item_id, new_due, +1)


def recount_plan_items(plan: Plan) -> None:
    """Rebuild the per-item counts of a plan from its schools' items (after bulk loads,
    or to repair); ``track_item`` keeps them from then on."""
    ids = [i.id for i in plan.items]
    db.session.execute(delete(PlanItemDue).where(PlanItemDue.plan_item_id.in_(ids)))
    done = RoadmapItem.status == ItemStatus.DONE.value
    counts = dict(
        db.session.execute(
            select(RoadmapItem.plan_item_id, func.count(RoadmapItem.id))
            .where(RoadmapItem.plan_item_id.in_(ids), done)
            .group_by(RoadmapItem.plan_item_id)
        ).all()
    )
    for item in plan.items:
        item.done_count = counts.get(item.id, 0)
    for plan_item_id, due, n in db.session.execute(
        select(RoadmapItem.plan_item_id, RoadmapItem.due_date, func.count(RoadmapItem.id))
        .where(RoadmapItem.plan_item_id.in_(ids), ~done, RoadmapItem.due_date.is_not(None))
        .group_by(RoadmapItem.plan_item_id, RoadmapItem.due_date)
    ):
        db.session.add(PlanItemDue(plan_item_id=plan_item_id, due_date=due, open_count=n))
    db.session.flush()


def refresh_progress(roadmap: SchoolRoadmap) -> None:
    """Recount after any change of a roadmap's items (called inside the writing block)."""
    db.session.flush()
    db.session.expire(roadmap, ["items"])
    _set_progress(roadmap, [(i.status, i.due_date) for i in roadmap.items])


ROADMAP_ITEM_FIELDS = (
    "number",
    "text",
    "deadline_text",
    "responsible",
    "result",
    "status",
    "done_on",
    "progress_note",
    "school_text",
)
ITEM_RETRIES = 3
# A district measure's own words: the school writes its wording beside them.
DISTRICT_WORDING = ("number", "text")


def _begin_school_edit(actor, roadmap: SchoolRoadmap) -> None:
    if not (actor.is_school_user and actor.school_id == roadmap.school_id):
        raise Refused(_("Only the school's staff can change its roadmap."))
    review.before_school_edit(actor, roadmap)


def _stale(item) -> StaleEdit:
    """The stale-edit answer with what is stored now (read afresh after a lost race)."""
    return StaleEdit({key: getattr(item, key) for key in ROADMAP_ITEM_FIELDS})


def _retrying(write):
    """Run ``write`` again, on the item read afresh, when another edit of the same item
    got in first (for actions that do not depend on what the person saw: evidence)."""
    for _attempt in range(ITEM_RETRIES):
        try:
            return write()
        except changes.Overtaken:
            db.session.rollback()
    raise Refused(_("Several people are changing this item at this moment; try again."))


def update_roadmap_item(
    actor, item: RoadmapItem, data: dict[str, Any], revision: int | None
) -> RoadmapItem:
    """Save an item edited on a page rendered at ``revision``. The write is guarded by
    that revision (``changes.claim``): of several edits from the same revision exactly
    one is saved and the others get ``StaleEdit``, nothing of theirs written."""
    roadmap = item.roadmap
    _check_revision(item, revision, ROADMAP_ITEM_FIELDS)
    base = item.revision if revision is None else revision
    status = data.get("status") or item.status
    if status not in {s.value for s in ItemStatus}:
        raise Refused(_("Unknown status."), "status")
    done_on = data.get("done_on")
    if status == ItemStatus.DONE.value and done_on is None:
        done_on = local_today()
    if done_on and done_on > local_today():
        raise Refused(_("The date done cannot be in the future."), "done_on")
    try:
        with writing(actor):
            _begin_school_edit(actor, roadmap)
            before = item_state(item)
            _keep_district_wording(item, data)
            _apply_item_fields(item, data, roadmap.plan.period)
            if not item.text:
                raise Refused(_("Describe the measure."), "text")
            changes.set_value(item, "status", status)
            changes.set_value(item, "done_on", done_on.isoformat() if done_on else None)
            for name in ("progress_note", "school_text"):
                if data.get(name) is not None:
                    changes.set_value(item, name, data[name])
            write_item(item, before, base, Origin.of(actor))
            db.session.commit()
    except changes.Overtaken:
        raise _stale(item) from None
    return item


def _keep_district_wording(item: RoadmapItem, data: dict[str, Any]) -> None:
    if item.is_own:
        return
    for name in DISTRICT_WORDING:
        if name in data and (data[name] or "") != getattr(item, name):
            raise Refused(
                _(
                    "The wording of a district measure is the district's; write the "
                    "school's wording beside it."
                ),
                "school_text",
            )


def mark_done(
    actor,
    item: RoadmapItem,
    data: dict[str, Any],
    revision: int | None,
    file: tuple[str, bytes] | None = None,
    url: str = "",
) -> RoadmapItem:
    """The school's short report on an item: done on a day, what was done, and (if any)
    a file or a link as evidence, written as one edit. Everything is checked before
    anything is written: a bad file or link leaves the item as it was."""
    done_on = data.get("done_on") or local_today()
    if done_on > local_today():
        raise Refused(_("The date done cannot be in the future."), "done_on")
    note = (data.get("progress_note") or "").strip()
    if not note:
        raise Refused(_("Say what was done."), "progress_note")
    stored = None
    if file is not None and file[1]:
        filename, content = file
        if len(content) > MAX_EVIDENCE_BYTES:
            raise Refused(
                _("The file is larger than %(mb)d MB.", mb=MAX_EVIDENCE_BYTES // 2**20), "file"
            )
        stored = {
            "sha256": hashlib.sha256(content).hexdigest(),
            "filename": (filename or "file").replace("/", "_").replace("\\", "_")[-255:],
            "content_type": sniff_evidence(content, filename),
            "size": len(content),
        }
    url = (url or "").strip()
    if url and (not url.startswith(("http://", "https://")) or len(url) > 1000 or " " in url):
        raise Refused(_("Not a web address (https://...)."), "url")
    _check_revision(item, revision, ROADMAP_ITEM_FIELDS)
    base = item.revision if revision is None else revision
    try:
        with writing(actor):
            _begin_school_edit(actor, item.roadmap)
            before = item_state(item)
            changes.set_value(item, "status", ItemStatus.DONE.value)
            changes.set_value(item, "done_on", done_on.isoformat())
            changes.set_value(item, "progress_note", note)
            origin = Origin.of(actor)
            write_item(item, before, base, origin)
            if stored is not None and _evidence_with(item, stored["sha256"]) is None:
                changelog.store_blob(file[1], stored["sha256"])
                attach_file(item, stored, origin)
            if url and url not in {e.url for e in item.evidence}:
                attach_link(item, {"url": url}, origin)
            db.session.commit()
    except changes.Overtaken:
        raise _stale(item) from None
    return item


def write_item(item: RoadmapItem, before: dict[str, Any], base: int, origin: Origin) -> list[str]:
    """Record what changed on ``item`` since ``before`` (its fields' values) as changes
    based on revision ``base``, and keep the district's counts. No commit; raises
    ``changes.Overtaken`` when the item is no longer at ``base``."""
    after = changes.values_of(item)
    changed = [(name, after[name]) for name in changes.FIELDS if after[name] != before[name]]
    if not changed:
        return []
    uuids = changes.record(item, changed, base, origin)
    track_item(item, (before["status"], before["_due"]))
    refresh_progress(item.roadmap)
    return uuids


def item_state(item: RoadmapItem) -> dict[str, Any]:
    """What ``write_item`` compares with: the fields, and the due date they gave."""
    return {**changes.values_of(item), "_due": item.due_date}


def add_own_item(actor, roadmap: SchoolRoadmap, data: dict[str, Any]) -> RoadmapItem:
    with writing(actor):
        _begin_school_edit(actor, roadmap)
        item = RoadmapItem(
            roadmap_id=roadmap.id,
            district_id=roadmap.district_id,
            school_id=roadmap.school_id,
            section=_("Own measures of the school"),
            position=max((i.position for i in roadmap.items), default=0) + 1,
            text="",
            revision=0,
        )
        _apply_item_fields(item, data, roadmap.plan.period)
        if not item.text:
            raise Refused(_("Describe the measure."), "text")
        if not item.number:
            own = sum(1 for i in roadmap.items if i.is_own)
            item.number = f"С.{own + 1}"
        db.session.add(item)
        db.session.flush()
        changes.record_action(item, CREATE, created_value(item), Origin.of(actor))
        refresh_progress(roadmap)
        db.session.commit()
    return item


def created_value(item: RoadmapItem) -> dict[str, Any]:
    """The "_create" change's value: all an own item is made of."""
    return {
        "roadmap_uuid": item.roadmap.uuid,
        "section": item.section,
        "position": item.position,
        **changes.values_of(item),
    }


def delete_own_item(actor, item: RoadmapItem) -> None:
    if not item.is_own:
        raise Refused(_("Only the school's own measures can be removed."))
    roadmap = item.roadmap
    with writing(actor):
        _begin_school_edit(actor, roadmap)
        try:
            changes.record_action(item, DELETE, None, Origin.of(actor))
        except changes.Overtaken:
            db.session.rollback()
            raise _stale(item) from None
        db.session.delete(item)
        refresh_progress(roadmap)
        db.session.commit()


def apply_item_change(item: RoadmapItem, name: str, value: Any, origin: Origin) -> None:
    """A field of an item changed on a school's copy (checked by ``check_item_value``),
    written under the same revision guard as an edit typed here; no commit."""
    before = item_state(item)
    changes.set_value(item, name, value)
    changes.record(item, [(name, value)], item.revision, origin)
    track_item(item, (before["status"], before["_due"]))
    refresh_progress(item.roadmap)


def check_item_value(name: str, value: Any, item: RoadmapItem | None = None) -> None:
    """Refuse (with the reason) a field value a page would not have saved (on ``item``,
    when named: a district measure keeps the district's wording)."""
    if item is not None and name in DISTRICT_WORDING:
        _keep_district_wording(item, {name: value})
    if name in ("number", "text", "responsible", "result", "progress_note", "school_text"):
        if not isinstance(value, str):
            raise Refused(_("Describe the measure."), name)
        if name == "text" and not value.strip():
            raise Refused(_("Describe the measure."), name)
    elif name == "status":
        if value not in {s.value for s in ItemStatus}:
            raise Refused(_("Unknown status."), "status")
    elif name == "done_on":
        try:
            if value is not None:
                date.fromisoformat(value)
        except (TypeError, ValueError):
            raise Refused(_("The date done cannot be in the future."), "done_on") from None
    elif name == "deadline":
        if not isinstance(value, dict) or not isinstance(value.get("text", ""), str):
            raise Refused(_("Give the due date."), "deadline_end")
        try:
            if value.get("parsed"):
                Deadline.from_dict(value["parsed"])
        except (KeyError, TypeError, ValueError):
            raise Refused(_("Give the due date."), "deadline_end") from None


def create_carried(roadmap: SchoolRoadmap, uuid: str, value: dict[str, Any], origin: Origin):
    """An own item created on a school's copy, with the uuid it was born with; no commit."""
    for name in changes.FIELDS:
        if name in value:
            check_item_value(name, value[name])
    item = RoadmapItem(
        uuid=uuid,
        roadmap_id=roadmap.id,
        district_id=roadmap.district_id,
        school_id=roadmap.school_id,
        section=value.get("section") or _("Own measures of the school"),
        position=max((i.position for i in roadmap.items), default=0) + 1,
        text="",
        revision=0,
    )
    for name in changes.FIELDS:
        if name in value:
            changes.set_value(item, name, value[name])
    if not item.text:
        raise Refused(_("Describe the measure."), "text")
    db.session.add(item)
    db.session.flush()
    changes.record_action(item, CREATE, value, origin)
    refresh_progress(roadmap)
    return item


def delete_carried(item: RoadmapItem, origin: Origin) -> None:
    roadmap = item.roadmap
    changes.record_action(item, DELETE, None, origin)
    db.session.delete(item)
    refresh_progress(roadmap)


# Magic numbers of what a school may attach: a scan, a Word or Excel file, a photo.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff_evidence(data: bytes, filename: str) -> str:
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    lower = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        for ext, content_type in _OOXML.items():
            if lower.endswith(ext):
                return content_type
    raise Refused(_("Attach a PDF, DOCX, XLSX or an image (PNG, JPEG, GIF)."), "file")


def add_evidence_file(actor, item: RoadmapItem, filename: str, data: bytes) -> Evidence:
    """Attach a file. The same bytes are stored once whatever the number of items that
    attach them; on one item they are one evidence: of parallel uploads of one file one
    is saved and the others are refused as a second upload."""
    if not data:
        raise Refused(_("The file is empty."), "file")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise Refused(
            _("The file is larger than %(mb)d MB.", mb=MAX_EVIDENCE_BYTES // 2**20), "file"
        )
    content_type = sniff_evidence(data, filename)
    digest = hashlib.sha256(data).hexdigest()
    name = (filename or "file").replace("/", "_").replace("\\", "_")[-255:]

    def attach() -> Evidence:
        # Read on every try: a parallel upload of the same file that got in first
        # makes this one the second upload, refused as such.
        if _evidence_with(item, digest) is not None:
            raise Refused(_("This file is already attached."), "file")
        with writing(actor):
            _begin_school_edit(actor, item.roadmap)
            changelog.store_blob(data, digest)
            return attach_file(
                item,
                {
                    "sha256": digest,
                    "filename": name,
                    "content_type": content_type,
                    "size": len(data),
                },
                Origin.of(actor),
            )

    evidence = _retrying(attach)
    db.session.commit()
    return evidence


def attach_file(item: RoadmapItem, file: dict[str, Any], origin: Origin) -> Evidence:
    """Attach stored content (``changelog.store_blob``) to ``item``, once: the existing
    evidence when the item has it already. No commit; ``changes.Overtaken`` when another
    edit of the item got in first (read again and retry)."""
    existing = _evidence_with(item, file["sha256"])
    if existing is not None:
        if origin.carried:
            # Attached here too meanwhile: still one of the copy's changes (later ones
            # name it as their parent).
            changes.record_action(item, EVIDENCE_ADD, {**file, "uuid": existing.uuid}, origin)
        return existing
    evidence = Evidence(
        uuid=file.get("uuid") or new_uuid(),
        item_id=item.id,
        district_id=item.district_id,
        school_id=item.school_id,
        filename=file["filename"],
        content_type=file["content_type"],
        size=file["size"],
        sha256=file["sha256"],
        created_at=origin.saved_at or utcnow(),
        created_by=origin.author_id,
    )
    # The claim comes first: it holds the item while the evidence row goes in.
    changes.record_action(item, EVIDENCE_ADD, {**file, "uuid": evidence.uuid}, origin)
    db.session.add(evidence)
    db.session.flush()
    return evidence


def _evidence_with(item: RoadmapItem, digest: str) -> Evidence | None:
    return db.session.scalar(
        select(Evidence).where(Evidence.item_id == item.id, Evidence.sha256 == digest)
    )


def add_evidence_link(actor, item: RoadmapItem, url: str) -> Evidence:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 1000 or " " in url:
        raise Refused(_("Not a web address (https://...)."), "url")

    def attach() -> Evidence:
        with writing(actor):
            _begin_school_edit(actor, item.roadmap)
            return attach_link(item, {"url": url}, Origin.of(actor))

    evidence = _retrying(attach)
    db.session.commit()
    return evidence


def attach_link(item: RoadmapItem, link: dict[str, Any], origin: Origin) -> Evidence:
    evidence = Evidence(
        uuid=link.get("uuid") or new_uuid(),
        item_id=item.id,
        district_id=item.district_id,
        school_id=item.school_id,
        url=link["url"],
        created_at=origin.saved_at or utcnow(),
        created_by=origin.author_id,
    )
    changes.record_action(item, EVIDENCE_ADD, {"uuid": evidence.uuid, "url": link["url"]}, origin)
    db.session.add(evidence)
    db.session.flush()
    return evidence


def delete_evidence(actor, evidence: Evidence) -> None:
    item = evidence.item

    def remove() -> None:
        with writing(actor):
            _begin_school_edit(actor, item.roadmap)
            detach(item, evidence, Origin.of(actor))

    _retrying(remove)
    db.session.commit()


def detach(item: RoadmapItem, evidence: Evidence, origin: Origin) -> None:
    changes.record_action(item, EVIDENCE_REMOVE, {"uuid": evidence.uuid}, origin)
    db.session.delete(evidence)
    db.session.flush()


# -- versions and remarks, as a reviewer reads them ------------------------------------------


def item_names(roadmap: SchoolRoadmap, contents: list[dict[str, Any]]) -> dict[str, str]:
    """{item uuid: «1.2 Обсудить результаты на …»}: the items of the roadmap now, and
    those only older versions had (named as those versions named them)."""
    names: dict[str, str] = {}
    for content in contents:
        for key, entry in content.items():
            uuid, _, field = key.partition(".")
            if field == "text":
                head = str(entry.get("label", "")).rsplit(" — ", 1)[0]
                names[uuid] = shorten(head, 70)
    names.update({item.uuid: item.heading for item in roadmap.items})
    return names


def named_changes(changes: list[review.Change], names: dict[str, str]) -> list[review.Change]:
    """The differences of two versions, each named by its item as it is now (a version
    stores the name it had then, cut wherever the text then ended)."""
    out = []
    for change in changes:
        uuid, _, _field = change.key.partition(".")
        what = change.label.rsplit(" — ", 1)[-1]
        label = f"{names[uuid]} — {what}" if uuid in names else change.label
        out.append(review.Change(change.key, label, change.before, change.after))
    return out


# -- district view of execution --------------------------------------------------------------


@dataclass(frozen=True)
class SchoolExecution:
    school_id: int
    code: str
    name: str
    roadmap_id: int
    status: str
    changed_since_accepted: bool
    items: int
    done: int
    in_progress: int
    overdue: int


@dataclass(frozen=True)
class ItemExecution:
    plan_item_id: int
    number: str
    text: str
    due_date: date | None
    schools: int
    done: int
    overdue: int


@dataclass(frozen=True)
class ExecutionPage(paging.Paged):
    schools: list[SchoolExecution]
    total: int
    page: int
    per_page: int


@cache
def _execution_scope(by_status: bool, overdue_only: bool):
    """The plan's roadmaps an execution page lists: maybe of one state, maybe only those
    with an item past its due date."""
    scope = SchoolRoadmap.plan_id == bindparam("plan")
    if by_status:
        scope = scope & (SchoolRoadmap.status == bindparam("status"))
    if overdue_only:
        scope = scope & (SchoolRoadmap.first_open_due < bindparam("today"))
    return scope


@cache
def _execution_count(by_status: bool, overdue_only: bool):
    return select(func.count(SchoolRoadmap.id)).where(_execution_scope(by_status, overdue_only))


@cache
def _execution_statement(by_status: bool, overdue_only: bool, paged: bool):
    """The schools with their roadmaps' counts, in the order of school codes, each row
    with how many there are in all (a subquery computed once): built once per filter."""
    stmt = (
        select(
            School.id,
            School.code,
            func.coalesce(func.nullif(School.short_name, ""), School.name),
            SchoolRoadmap.id,
            SchoolRoadmap.status,
            SchoolRoadmap.changed_since_accepted,
            SchoolRoadmap.items_count,
            SchoolRoadmap.done_count,
            SchoolRoadmap.in_progress_count,
            SchoolRoadmap.open_due_dates,
            _execution_count(by_status, overdue_only).scalar_subquery(),
        )
        .join(School, School.id == SchoolRoadmap.school_id)
        .where(_execution_scope(by_status, overdue_only))
        .order_by(School.code)
    )
    if paged:
        stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
    return stmt


def execution_by_school(
    plan: Plan,
    today: date,
    status: str | None = None,
    overdue_only: bool = False,
    page: int = 1,
    per_page: int | None = 50,
) -> ExecutionPage:
    """One page of schools with their progress: one query whatever the number of
    schools (three for a page past the last), reading the counts each roadmap keeps
    (``refresh_progress``)."""
    key = (bool(status), overdue_only)
    params: dict[str, Any] = {"plan": plan.id, "status": status, "today": today}
    if per_page:

        def rows_of(page: int) -> list:
            window = {"limit": per_page, "offset": (page - 1) * per_page}
            return db.session.execute(_execution_statement(*key, True), params | window).all()

        def count() -> int:
            return db.session.scalar(_execution_count(*key), params)

        rows, total, page = paging.read_page(rows_of, count, page, per_page)
    else:
        rows = db.session.execute(_execution_statement(*key, False), params).all()
        total = rows[0][-1] if rows else 0
    schools = [SchoolExecution(*row[:-2], overdue_in(row[-2], today)) for row in rows]
    return ExecutionPage(schools, total, page, per_page or max(total, 1))


def _execution_by_item_statement():
    """Per item that schools report on, in the plan's order: its counts, the schools
    late with it (the open counts kept per due date, summed over the days past) and how
    many schools have the plan (a subquery computed once)."""
    late = (
        select(func.coalesce(func.sum(PlanItemDue.open_count), 0))
        .where(PlanItemDue.plan_item_id == PlanItem.id, PlanItemDue.due_date < bindparam("today"))
        .scalar_subquery()
    )
    schools = (
        select(func.count(SchoolRoadmap.id))
        .where(SchoolRoadmap.plan_id == bindparam("plan"))
        .scalar_subquery()
    )
    return (
        select(
            PlanItem.id,
            PlanItem.number,
            PlanItem.text,
            PlanItem.due_date,
            PlanItem.done_count,
            late,
            schools,
        )
        .where(PlanItem.plan_id == bindparam("plan"), PlanItem.schools_report.is_(True))
        .order_by(PlanItem.position)
    )


_EXECUTION_BY_ITEM = _execution_by_item_statement()


def execution_by_item(plan: Plan, today: date) -> list[ItemExecution]:
    """Per item of the plan: how many schools have it, did it, are late with it. Reads
    the counts kept by ``track_item``: one query whatever the number of schools."""
    rows = db.session.execute(_EXECUTION_BY_ITEM, {"plan": plan.id, "today": today})
    published = not plan.is_draft
    return [
        ItemExecution(item_id, number, text, due, schools if published else 0, done, late)
        for item_id, number, text, due, done, late, schools in rows
    ]
