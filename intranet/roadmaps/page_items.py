"""A roadmap's items and their evidence as the roadmap page reads them: plain rows of one
statement, in small read-only objects (the edit routes keep the mapped ``RoadmapItem``).

The page draws forty items. Loaded as mapped objects, with their evidence, in the
roadmap's own joined statement, each item cost some 27 microseconds of row processing
(identity map, instance state, a joined row per entity) -- a third of the page's own
time. Read here, an item costs a tuple and a few attributes. What the page asks of an
item (``rows.py``, ``columns.roadmap_columns``, ``display.deadline_html``, the overdue
set) is the same attributes as the mapped item's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select

from intranet.extensions import db
from intranet.roadmaps.models import Evidence, ItemStatus, RoadmapItem

_DONE = ItemStatus.DONE.value

_ITEM_FIELDS = (
    "id",
    "uuid",
    "school_id",
    "plan_item_id",
    "section",
    "number",
    "text",
    "responsible",
    "result",
    "status",
    "done_on",
    "progress_note",
    "school_text",
    "revision",
    "deadline_text",
    "deadline",
    "deadline_corrected",
    "due_date",
)
_EVIDENCE_FIELDS = ("id", "url", "filename", "size")
_N = len(_ITEM_FIELDS)


class PageEvidence:
    """A file or a link attached to an item, as the page shows it."""

    __slots__ = _EVIDENCE_FIELDS

    def __init__(self, id: int, url: str, filename: str, size: int) -> None:  # noqa: A002
        self.id = id
        self.url = url
        self.filename = filename
        self.size = size

    @property
    def is_file(self) -> bool:
        return not self.url


class PageItem:
    """A roadmap item, read only, with its evidence (in the order of their ids)."""

    __slots__ = (*_ITEM_FIELDS, "evidence")

    def __init__(self, row: Any) -> None:
        # In the order of _ITEM_FIELDS (one assignment: a loop of setattr costs twice).
        (
            self.id,
            self.uuid,
            self.school_id,
            self.plan_item_id,
            self.section,
            self.number,
            self.text,
            self.responsible,
            self.result,
            self.status,
            self.done_on,
            self.progress_note,
            self.school_text,
            self.revision,
            self.deadline_text,
            self.deadline,
            self.deadline_corrected,
            self.due_date,
        ) = row[:_N]
        self.evidence: list[PageEvidence] = []

    @property
    def is_own(self) -> bool:
        return self.plan_item_id is None

    def is_overdue(self, today: date) -> bool:
        return self.due_date is not None and self.due_date < today and self.status != _DONE


# Built once. Each item with its evidence joined (an item without any: one row of NULLs
# for the evidence), in the page's order; the id breaks ties of position so that an
# item's rows stay together.
# Of the tables, not the mapped classes: a statement of table columns runs on the
# session's connection without the ORM's compiling and result layers.
_item, _evidence = RoadmapItem.__table__.c, Evidence.__table__.c
_ITEMS = (
    select(
        *(_item[name] for name in _ITEM_FIELDS),
        *(_evidence[name] for name in _EVIDENCE_FIELDS),
    )
    .select_from(RoadmapItem.__table__.outerjoin(Evidence.__table__, _evidence.item_id == _item.id))
    .where(_item.roadmap_id == bindparam("roadmap_id"))
    .order_by(_item.position, _item.id, _evidence.id)
)


def page_items(roadmap_id: int) -> list[PageItem]:
    """The roadmap's items in their order, each with its evidence."""
    items: list[PageItem] = []
    item = None
    for row in db.session.connection().execute(_ITEMS, {"roadmap_id": roadmap_id}):
        if item is None or item.id != row[0]:
            item = PageItem(row)
            items.append(item)
        if row[_N] is not None:
            item.evidence.append(PageEvidence(*row[_N:]))
    return items
