"""The district plan (Plan, PlanSection, PlanItem) and each school's roadmap."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from intranet.audit.mixins import Audited
from intranet.deadlines import Deadline
from intranet.extensions import db
from intranet.i18n import lazy_gettext as _l
from intranet.mixins import TimestampMixin, UUIDMixin
from intranet.review.models import Reviewable, ReviewState
from intranet.text import shorten
from intranet.uploads.names import clean_filename

if TYPE_CHECKING:
    from intranet.auth.models import User
    from intranet.schools.models import School

# Kinds whose end date is a real deadline; events and unknown texts have none.
DATED_KINDS = frozenset({"date", "window", "continuous", "recurring"})


class DeadlineMixin:
    """The deadline as written, what the parser (or a person) made of it, and its due date."""

    deadline_text: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deadline_corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    due_date: Mapped[date | None] = mapped_column(Date)

    def set_deadline(self, parsed: Deadline, corrected: bool = False) -> None:
        self.deadline_text = parsed.text
        self.deadline = parsed.as_dict()
        self.deadline_corrected = corrected
        self.due_date = parsed.end if parsed.kind in DATED_KINDS else None

    @property
    def parsed_deadline(self) -> Deadline | None:
        return Deadline.from_dict(self.deadline) if self.deadline else None


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Plan(UUIDMixin, TimestampMixin, Audited, db.Model):
    __tablename__ = "plans"
    __audit_entity__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    order_number: Mapped[str] = mapped_column(String(40), default="")
    order_date: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    submit_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.DRAFT.value)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    sections: Mapped[list[PlanSection]] = relationship(
        back_populates="plan", order_by="PlanSection.position", cascade="all, delete-orphan"
    )
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", order_by="PlanItem.position", cascade="all, delete-orphan"
    )

    @property
    def period(self) -> tuple[date, date]:
        return self.period_start, self.period_end

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def basis(self) -> str:
        """«от 31.08.2026 № 216»: what follows «Приказ» wherever the order is named."""
        from intranet.i18n import gettext as _

        parts = []
        if self.order_date:
            parts.append(_("of %(date)s", date=self.order_date.strftime("%d.%m.%Y")))
        if self.order_number:
            parts.append(f"№ {self.order_number}")
        return " ".join(parts)

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None

    @staticmethod
    def visible_to(user: User):
        stmt = select(Plan).where(Plan.district_id == user.district_id)
        if not user.is_district_staff:
            stmt = stmt.where(Plan.status == PlanStatus.PUBLISHED.value)
        return stmt

    def can_edit(self, user: User) -> bool:
        return user.is_district_admin and user.district_id == self.district_id and self.is_draft

    def __repr__(self) -> str:
        return f"<Plan {self.id} {self.status}>"


class PlanSection(Audited, db.Model):
    __tablename__ = "plan_sections"
    __audit_entity__ = "plan_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="sections")

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None

    def __repr__(self) -> str:
        return f"<PlanSection {self.id} {self.title[:30]!r}>"


class PlanItem(UUIDMixin, DeadlineMixin, Audited, db.Model):
    __tablename__ = "plan_items"
    __audit_entity__ = "plan_item"
    __audit_ignore__ = frozenset({"done_count"})

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_sections.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    schools_report: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # How many schools have done it, kept by services.track_item with every change.
    done_count: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship(back_populates="items")
    section: Mapped[PlanSection | None] = relationship()

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None

    def __repr__(self) -> str:
        return f"<PlanItem {self.id} {self.number}>"


def overdue_in(open_due_dates: list[str], today: date) -> int:
    """How many of these sorted ISO due dates have passed by ``today``."""
    return bisect_left(open_due_dates or [], today.isoformat())


class PlanItemDue(db.Model):
    """How many schools have not yet done a plan item due on a given day (their own
    deadline for it). The district's per-item table adds up the days already past, so it
    reads a few rows per item instead of every school's item."""

    __tablename__ = "plan_item_dues"

    plan_item_id: Mapped[int] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), primary_key=True
    )
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    open_count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<PlanItemDue {self.plan_item_id} {self.due_date} {self.open_count}>"


class ItemStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_DONE = "not_done"

    @property
    def label(self) -> str:
        return str(ITEM_STATUS_LABELS[self])


ITEM_STATUS_LABELS = {
    ItemStatus.PLANNED: _l("planned"),
    ItemStatus.IN_PROGRESS: _l("in progress"),
    ItemStatus.DONE: _l("done"),
    ItemStatus.NOT_DONE: _l("not done"),
}


class SchoolRoadmap(UUIDMixin, TimestampMixin, Audited, Reviewable, db.Model):
    """One school's roadmap for one plan, reviewed by the district."""

    __tablename__ = "school_roadmaps"
    __table_args__ = (
        UniqueConstraint("plan_id", "school_id"),
        # The district's review queue: the oldest waiting read off the index.
        Index("ix_school_roadmaps_review_queue", "district_id", "status", "review_state_at", "id"),
    )
    __audit_entity__ = "roadmap"
    __audit_ignore__ = frozenset(
        {
            "created_at",
            "updated_at",
            "review_state_at",
            "items_count",
            "done_count",
            "in_progress_count",
            "open_due_dates",
            "first_open_due",
        }
    )
    review_type = "roadmap"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReviewState.DRAFT.value)
    changed_since_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the status last changed (kept by intranet/review): how long it has waited.
    review_state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Progress counts, kept by services.refresh_progress after every change of the items,
    # so the district's execution table reads 300 schools without counting 12,000 items.
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    done_count: Mapped[int] = mapped_column(Integer, default=0)
    in_progress_count: Mapped[int] = mapped_column(Integer, default=0)
    # Due dates (ISO, sorted) of the items not done yet: whether they are overdue depends
    # on the day the page is read, so that is counted then and never stored.
    open_due_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_open_due: Mapped[date | None] = mapped_column(Date)

    plan: Mapped[Plan] = relationship()
    school: Mapped[School] = relationship()
    items: Mapped[list[RoadmapItem]] = relationship(
        back_populates="roadmap", order_by="RoadmapItem.position", cascade="all, delete-orphan"
    )

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    @staticmethod
    def visible_to(user: User):
        stmt = select(SchoolRoadmap).where(SchoolRoadmap.district_id == user.district_id)
        if not user.is_district_staff:
            stmt = stmt.where(SchoolRoadmap.school_id == user.school_id)
        return stmt

    @staticmethod
    def scope_of(user: User, school_id: int) -> dict[str, int] | None:
        """``visible_to`` as the parameters of a statement built once: a roadmap of
        ``school_id`` in the user's district (the district's staff: any school; a school:
        its own), or None when the user may not see that school at all (as
        ``Submission.scope_of``)."""
        if not user.is_district_staff and school_id != user.school_id:
            return None
        return {"school_id": school_id, "district_id": user.district_id}

    def can_edit(self, user: User) -> bool:
        return user.is_school_user and user.school_id == self.school_id and self.is_editable

    def review_snapshot(self) -> dict[str, dict[str, Any]]:
        snapshot: dict[str, dict[str, Any]] = {}
        for item in self.items:
            snapshot.update(item.snapshot())
        return snapshot

    def submit_problems(self) -> list[str]:
        from intranet.i18n import gettext as _

        if not self.items:
            return [_("The roadmap has no items.")]
        return []

    def review_notice(self, action) -> str:
        from intranet.i18n import gettext as _

        if action == "accept":
            return _("The roadmap «%(title)s» was accepted.", title=self.plan.title)
        return _("The roadmap «%(title)s» was returned for revision.", title=self.plan.title)

    def __repr__(self) -> str:
        return f"<SchoolRoadmap {self.id} plan={self.plan_id} school={self.school_id}>"


class RoadmapItem(UUIDMixin, DeadlineMixin, TimestampMixin, Audited, db.Model):
    """A measure of a school's roadmap: the district's (``plan_item_id``) or the school's own."""

    __tablename__ = "roadmap_items"
    __table_args__ = (
        # Covering indexes: execution counts are read off them without touching the rows.
        Index("ix_roadmap_items_roadmap_progress", "roadmap_id", "status", "due_date"),
        Index("ix_roadmap_items_plan_item_progress", "plan_item_id", "status", "due_date"),
    )
    __audit_entity__ = "roadmap_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("school_roadmaps.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    plan_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_items.id", ondelete="SET NULL")
    )
    section: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ItemStatus.PLANNED.value)
    done_on: Mapped[date | None] = mapped_column(Date)
    progress_note: Mapped[str] = mapped_column(Text, default="")
    # A district measure's wording stays the district's (``text``); the school may say it
    # in its own words beside it, and the reviewer reads both.
    school_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Optimistic lock: an edit names the revision it started from, and the write is
    # guarded by it (``services.update_roadmap_item``).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The uuid of the latest applied change (the change log): the parent the next names.
    head_uuid: Mapped[str | None] = mapped_column(String(36))

    roadmap: Mapped[SchoolRoadmap] = relationship(back_populates="items")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="item", order_by="Evidence.id", cascade="all, delete-orphan"
    )

    @property
    def is_own(self) -> bool:
        return self.plan_item_id is None

    @property
    def status_label(self) -> str:
        return ItemStatus(self.status).label

    def is_overdue(self, today: date) -> bool:
        return (
            self.due_date is not None
            and self.due_date < today
            and self.status != ItemStatus.DONE.value
        )

    @property
    def heading(self) -> str:
        """«1.2 Обсудить результаты на …»: how a remark or a change names the item."""
        return f"{self.number} {shorten(self.text, 60)}".strip()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        head = self.heading
        values = {
            "text": (_l("Measure"), self.text),
            "deadline": (_l("Deadline"), self.deadline_text),
            "responsible": (_l("Responsible"), self.responsible),
            "result": (_l("Expected result"), self.result),
            "status": (_l("Status"), self.status_label),
            "done_on": (_l("Date done"), self.done_on.strftime("%d.%m.%Y") if self.done_on else ""),
            "progress": (_l("What was done"), self.progress_note),
            "evidence": (_l("Evidence"), ", ".join(e.title for e in self.evidence)),
        }
        if self.school_text:
            # Only once the school words it: earlier versions then show it as new.
            values["school_text"] = (_l("School's wording"), self.school_text)
        return {
            f"{self.uuid}.{key}": {"label": f"{head} — {label}", "value": value}
            for key, (label, value) in values.items()
        }

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<RoadmapItem {self.id} {self.number}>"


class Evidence(UUIDMixin, Audited, db.Model):
    """A link or a file. A file's bytes are a ``changelog.models.Blob`` named by their
    SHA-256 (in the database, so backups and sync carry it; stored once per content)."""

    __tablename__ = "evidence"
    # One copy of a file per item, however many uploads of it arrive at once (a link
    # has no hash: NULLs never collide).
    __table_args__ = (UniqueConstraint("item_id", "sha256"),)
    __audit_entity__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("roadmap_items.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    url: Mapped[str] = mapped_column(String(1000), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    item: Mapped[RoadmapItem] = relationship(back_populates="evidence")

    @validates("filename")
    def _clean_filename(self, key: str, value: str) -> str:  # noqa: ARG002
        # However a file arrives (a page, a sync bundle), its name cannot disguise it.
        return clean_filename(value)[-255:] if value else ""

    @property
    def is_file(self) -> bool:
        return not self.url

    @property
    def title(self) -> str:
        return self.filename or self.url

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<Evidence {self.id} {self.title!r}>"
