"""Conflicts: the same field changed on both sides, both values kept until a district
reviewer chooses one; the choice is written through the domain's own services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select, union_all
from sqlalchemy.orm import aliased, joinedload

from intranet.audit.services import writing
from intranet.changelog.models import Change, Conflict, Subject, SyncState
from intranet.changelog.services import Origin
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.i18n import lazy_gettext as _l
from intranet.mixins import utcnow

CURRENT = "current"
INCOMING = "incoming"


# Built once (an aliased table and its columns cost more to build than to run the
# query): it runs on every roadmap and form page. Asked by school (an index of each
# table leads with it) rather than by a list of ids, whose statement is written anew for
# every length of the list; a school has few open conflicts, and those of other records
# are left out after.
_LATER = aliased(Change)
_OPEN_CONFLICTS = select(Conflict.subject_id, Conflict.field).where(
    Conflict.school_id == bindparam("school_id"),
    Conflict.subject_type == bindparam("subject_type"),
    Conflict.resolved_at.is_(None),
)
_MARKED_IN_CONFLICT = select(Change.subject_id, Change.field).where(
    Change.school_id == bindparam("school_id"),
    Change.sync_state == SyncState.CONFLICT.value,
    Change.subject_type == bindparam("subject_type"),
    Change.node_id.is_(None),
    ~exists().where(
        _LATER.subject_type == Change.subject_type,
        _LATER.subject_id == Change.subject_id,
        _LATER.field == Change.field,
        _LATER.applied.is_(True),
        _LATER.id > Change.id,
    ),
)
# Both in one statement: one round trip to the database instead of two.
_OPEN_FIELDS = union_all(_OPEN_CONFLICTS, _MARKED_IN_CONFLICT)


def open_fields(
    subject_type: str, school_id: int, subject_ids: Iterable[int]
) -> dict[int, set[str]]:
    """{subject id: fields in conflict} of these records of one school (the school's
    «в конфликте»).

    On the district: the open conflicts. On a school's copy, which keeps no conflicts of
    its own: the fields whose latest change here came back from the district marked
    "in conflict" (its receipt), until a later change of the field (the district's
    choice coming down, or the school's own) replaces it."""
    ids = set(subject_ids)
    if not ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    params = {"subject_type": subject_type, "school_id": school_id}
    for subject_id, field in db.session.execute(_OPEN_FIELDS, params):
        if subject_id in ids:
            found[subject_id].add(field)
    return dict(found)


@dataclass
class Side:
    value: str
    author: str
    saved_at: datetime
    received_at: datetime
    node_id: str | None


@dataclass
class Shown:
    """One open conflict as the district's screen shows it."""

    conflict: Conflict
    school: str
    record: str
    field: str
    current: Side
    incoming: Side


_ITEM_LABELS = {
    "number": _l("Number"),
    "text": _l("Measure"),
    "deadline": _l("Deadline"),
    "responsible": _l("Responsible"),
    "result": _l("Expected result"),
    "status": _l("Status"),
    "done_on": _l("Date done"),
    "progress_note": _l("What was done"),
    "school_text": _l("School's wording"),
}


def open_conflicts(district_id: int) -> list[Shown]:
    from intranet.inspections import services as inspections
    from intranet.inspections.models import Submission
    from intranet.roadmaps.models import ItemStatus, RoadmapItem
    from intranet.schools.models import School

    conflicts = db.session.scalars(
        select(Conflict)
        .where(Conflict.district_id == district_id, Conflict.resolved_at.is_(None))
        .options(joinedload(Conflict.current), joinedload(Conflict.incoming))
        .order_by(Conflict.school_id, Conflict.id)
    ).all()
    schools = {
        s.id: s.display_name
        for s in db.session.scalars(
            select(School).where(School.id.in_({c.school_id for c in conflicts}))
        )
    }
    shown = []
    for c in conflicts:
        if c.subject_type == Subject.SUBMISSION:
            submission = db.session.get(Submission, c.subject_id)
            record = submission.campaign.title
            field, show = _form_field(submission, c.field, inspections)
        else:
            item = db.session.get(RoadmapItem, c.subject_id)
            record = f"{item.number} {item.text[:80]}".strip()
            field = str(_ITEM_LABELS.get(c.field, c.field))

            def show(value: Any, name=c.field) -> str:
                if name == "deadline":
                    return (value or {}).get("text") or "—"
                if name == "status" and value in {s.value for s in ItemStatus}:
                    return ItemStatus(value).label
                return str(value) if value not in (None, "") else "—"

        shown.append(
            Shown(
                c,
                schools.get(c.school_id, ""),
                record,
                field,
                _side(c.current, show),
                _side(c.incoming, show),
            )
        )
    return shown


def _form_field(submission, key: str, inspections):
    specs = submission.specs
    parts = key.split(".")
    spec = specs.get(parts[0]) or {"label": key, "type": "text"}
    label = spec["label"]
    if len(parts) == 3:
        column = next((c for c in spec.get("columns", []) if c["key"] == parts[2]), None)
        if column is not None:
            label = f"{label} — {column['label']}"
            spec = column

    def show(value: Any) -> str:
        if isinstance(value, list) and spec.get("type") == "table":
            return _("%(n)d rows", n=len(value))
        shown = inspections.display(spec, value)
        return shown if shown not in (None, "") else "—"

    return label, show


def _side(change: Change, show) -> Side:
    return Side(
        show(change.value), change.author_name, change.saved_at, change.received_at, change.node_id
    )


def resolve(actor, conflict: Conflict, choice: str) -> None:
    """Keep the value in force (``current``) or write the school's (``incoming``) as a
    new change by ``actor`` through the form's or the roadmap's own write."""
    if not (actor.is_district_staff and actor.district_id == conflict.district_id):
        raise Refused(_("Only the district's reviewers choose between conflicting values."))
    if choice not in (CURRENT, INCOMING):
        raise Refused(_("Choose one of the two values."))
    if conflict.resolved_at is not None:
        raise Refused(_("This conflict has already been resolved."))
    with writing(actor):
        if choice == INCOMING:
            _write_incoming(actor, conflict)
        conflict.resolved_at = utcnow()
        conflict.resolved_by = actor.id
        conflict.choice = choice
        db.session.commit()


def _write_incoming(actor, conflict: Conflict) -> None:
    value = conflict.incoming.value
    origin = Origin.of(actor)
    if conflict.subject_type == Subject.SUBMISSION:
        from intranet.inspections import services as inspections
        from intranet.inspections.models import Submission

        submission = db.session.get(Submission, conflict.subject_id)
        if not submission.is_editable:
            raise Refused(
                _("Submitted for review: nothing can be changed until the district returns it.")
            )
        answers, value = inspections.answers_with(submission, conflict.field, value)
        inspections.write_carried(submission, conflict.field, value, answers, origin)
    else:
        from intranet.roadmaps import changes
        from intranet.roadmaps import services as roadmaps
        from intranet.roadmaps.models import RoadmapItem

        item = db.session.get(RoadmapItem, conflict.subject_id)
        roadmaps.check_item_value(conflict.field, value)
        try:
            roadmaps.apply_item_change(item, conflict.field, value, origin)
        except changes.Overtaken:
            raise Refused(
                _("Several people are changing this item at this moment; try again.")
            ) from None


def conflict_of(actor, conflict_id: int) -> Conflict | None:
    return db.session.scalar(
        select(Conflict).where(
            Conflict.id == conflict_id, Conflict.district_id == actor.district_id
        )
    )
