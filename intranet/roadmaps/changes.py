"""A roadmap item's fields as changes of the one change log, and their guarded write.

Every edit of a school's item (typed on a page or carried in by sync) sets the fields on
the item, then claims the revision it was based on in one conditional UPDATE and appends
one change per field, in the same transaction: of several edits made from the same
revision exactly one is written, the others are told they were overtaken and write
nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from intranet.changelog import services as changelog
from intranet.changelog.models import Subject
from intranet.changelog.services import Origin
from intranet.deadlines import Deadline
from intranet.extensions import db
from intranet.mixins import new_uuid
from intranet.roadmaps.models import RoadmapItem

# The fields of an item a school changes, in the change log's words.
FIELDS = (
    "number",
    "text",
    "responsible",
    "result",
    "deadline",
    "status",
    "done_on",
    "progress_note",
    "school_text",
)


def value_of(item: RoadmapItem, name: str) -> Any:
    """A field's value as the change log keeps it (JSON-ready)."""
    if name == "deadline":
        return {
            "text": item.deadline_text or "",
            "parsed": item.deadline,
            "corrected": bool(item.deadline_corrected),
        }
    if name == "done_on":
        return item.done_on.isoformat() if item.done_on else None
    return getattr(item, name)


def values_of(item: RoadmapItem) -> dict[str, Any]:
    return {name: value_of(item, name) for name in FIELDS}


def set_value(item: RoadmapItem, name: str, value: Any) -> None:
    """Set a field from its change-log value (only when it differs, so that the audit
    log and the change log see the same changes)."""
    if value_of(item, name) == value:
        return
    if name == "deadline":
        value = value or {}
        parsed = value.get("parsed")
        if parsed:
            item.set_deadline(Deadline.from_dict(parsed), bool(value.get("corrected")))
        else:
            item.deadline, item.due_date = None, None
            item.deadline_corrected = bool(value.get("corrected"))
        item.deadline_text = value.get("text") or ""
    elif name == "done_on":
        item.done_on = date.fromisoformat(value) if value else None
    else:
        setattr(item, name, value if value is not None else "")


class Overtaken(Exception):
    """Another edit of the item was written after the revision this one was based on."""


_ITEMS = RoadmapItem.__table__
_CLAIM = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("b_id"), _ITEMS.c.revision == bindparam("b_revision"))
    .values(revision=bindparam("b_new"), head_uuid=bindparam("b_head"))
)


def claim(item: RoadmapItem, base: int, head: str | None) -> None:
    """Move the item from revision ``base`` to ``base + 1`` in one conditional
    statement; raises ``Overtaken`` (nothing written) when it is no longer at ``base``.
    On PostgreSQL a parallel claim waits for this transaction and then finds the new
    revision; SQLite runs one writer at a time."""
    written = (
        db.session.connection()
        .execute(_CLAIM, {"b_id": item.id, "b_revision": base, "b_new": base + 1, "b_head": head})
        .rowcount
    )
    if written != 1:
        raise Overtaken
    set_committed_value(item, "revision", base + 1)
    set_committed_value(item, "head_uuid", head)


def record(
    item: RoadmapItem, changes: list[tuple[str, Any]], base: int, origin: Origin
) -> list[str]:
    """Claim revision ``base`` and append ``changes`` (field, value) as one chain of
    changes of the item, all numbered ``base + 1`` (one edit, one revision); returns
    their uuids. The fields are already set on ``item``
    (the ORM flushes them, and the audit log records them, in the same transaction)."""
    if not changes:
        return []
    uuids = [new_uuid() for _ in changes]
    if origin.uuid is not None:
        uuids[0] = origin.uuid
    parent = origin.parent(item.head_uuid)
    claim(item, base, uuids[-1])
    rows = []
    for (name, value), uuid in zip(changes, uuids, strict=True):
        rows.append(
            origin.row(
                uuid=uuid,
                parent_uuid=parent,
                district_id=item.district_id,
                school_id=item.school_id,
                subject_type=Subject.ROADMAP_ITEM.value,
                subject_id=item.id,
                subject_uuid=item.uuid,
                number=base + 1,
                field=name,
                value=value,
            )
        )
        parent = uuid
    changelog.append(db.session.connection(), *rows)
    return uuids


def record_action(item: RoadmapItem, name: str, value: Any, origin: Origin) -> str:
    """An action on an item that is not a field (created, deleted, evidence added or
    removed): one change, in the same chain and under the same guard."""
    return record(item, [(name, value)], item.revision, origin)[0]
