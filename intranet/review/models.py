from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intranet.extensions import db
from intranet.i18n import lazy_gettext as _l
from intranet.mixins import new_uuid, utcnow


class ReviewState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    ReviewState.DRAFT: _l("draft"),
    ReviewState.SUBMITTED: _l("submitted"),
    ReviewState.RETURNED: _l("returned"),
    ReviewState.ACCEPTED: _l("accepted"),
}

# The school may change content in these states; a submitted record waits for review.
EDITABLE_STATES = frozenset({ReviewState.DRAFT, ReviewState.RETURNED, ReviewState.ACCEPTED})


class Reviewable:
    """Mixin for a record that goes through review. The model provides ``status``,
    ``changed_since_accepted``, ``review_state_at``, ``school_id`` and ``district_id``
    columns."""

    review_type: ClassVar[str]

    def review_snapshot(self) -> dict[str, dict[str, Any]]:
        """{stable key: {"label": str, "value": JSON value}} of the content under review."""
        raise NotImplementedError

    def submit_problems(self) -> list[str]:
        """What must be fixed before the school may submit (Russian, for the user)."""
        return []

    def review_notice(self, action: ReviewAction) -> str:
        """What the school is told when the district returns or accepts the record."""
        raise NotImplementedError

    @property
    def state(self) -> ReviewState:
        return ReviewState(self.status)  # type: ignore[attr-defined]

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class Version(db.Model):
    """An append-only snapshot of a reviewable record, saved at each submission."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "number"),
        Index("ix_versions_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    parent_uuid: Mapped[str | None] = mapped_column(String(36))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    # When the school saved it, and when the district received it (equal when online).
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Version {self.subject_type}:{self.subject_id} #{self.number}>"


class ReviewAction(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    ACCEPT = "accept"
    COMMENT = "comment"
    REOPEN = "reopen"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    ReviewAction.SUBMIT: _l("submitted for review"),
    ReviewAction.RETURN: _l("returned for revision"),
    ReviewAction.ACCEPT: _l("accepted"),
    ReviewAction.COMMENT: _l("comment"),
    ReviewAction.REOPEN: _l("changed after acceptance"),
}


class ReviewEvent(db.Model):
    __tablename__ = "review_events"
    __table_args__ = (Index("ix_review_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    action: Mapped[str] = mapped_column(String(20))
    # The item or field a comment is about (its stable key), or None for the whole record.
    target_key: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def action_label(self) -> str:
        return ReviewAction(self.action).label

    def __repr__(self) -> str:
        return f"<ReviewEvent {self.action} {self.subject_type}:{self.subject_id}>"


class Notification(db.Model):
    """An in-app message to a school (a new campaign, a return or an acceptance of its
    roadmap or form, a deadline soon)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_school", "school_id", "created_at"),
        UniqueConstraint("school_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(300), default="")
    # The same reminder is created once (e.g. "due:campaign:12").
    dedupe_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<Notification {self.school_id} {self.dedupe_key}>"
