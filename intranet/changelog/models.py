"""The one change log of everything a school owns, its conflicts and its file contents.

Form answers, roadmap item fields, a school's own items, evidence and the submit action
are all rows of ``changes``: append-only, each with its own uuid and the uuid of the change
it was based on. The web pages and the sync import write them through the same services,
so a change carried in from a school's copy differs from one typed on the server only by
its node and its two times.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.audit.mixins import Audited
from intranet.extensions import db
from intranet.mixins import utcnow


class Subject(StrEnum):
    SUBMISSION = "submission"
    ROADMAP_ITEM = "roadmap_item"
    ROADMAP = "roadmap"


class SyncState(StrEnum):
    """Where a change made on a school's copy stands with the district."""

    UNSENT = "unsent"
    SENT = "sent"
    CONFIRMED = "confirmed"
    CONFLICT = "conflict"
    ERROR = "error"


# Fields that are actions rather than values.
SUBMIT = "_submit"
CREATE = "_create"
DELETE = "_delete"
EVIDENCE_ADD = "evidence.add"
EVIDENCE_REMOVE = "evidence.remove"


class Change(db.Model):
    """One saved change of one field of a school's record."""

    __tablename__ = "changes"
    __table_args__ = (
        # A subject's history in order (the form's saves, an item's edits); ``number`` is
        # the subject's revision after the change (the changes of one edit of several
        # fields share it; NULL for actions and kept changes).
        Index("ix_changes_subject", "subject_type", "subject_id", "number"),
        Index("ix_changes_school_sync", "school_id", "sync_state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    parent_uuid: Mapped[str | None] = mapped_column(String(36))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_uuid: Mapped[str] = mapped_column(String(36))
    number: Mapped[int | None] = mapped_column(Integer)
    # False while kept unapplied (the losing side of a conflict until someone chooses).
    # Actions (a submit) are applied without a number: they change no field.
    applied: Mapped[bool] = mapped_column(Boolean, default=True)
    field: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any] = mapped_column(JSON)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_login: Mapped[str] = mapped_column(String(80), default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    # Where it was made (the school's clock) and where this database got it; never used
    # to order anything.
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The school PC it came from; NULL when typed into this database itself.
    node_id: Mapped[str | None] = mapped_column(String(36))
    sync_state: Mapped[str] = mapped_column(String(20), default=SyncState.UNSENT.value)

    def __repr__(self) -> str:
        return f"<Change {self.subject_type}:{self.subject_id} #{self.number} {self.field}>"


class Conflict(Audited, db.Model):
    """The same field changed on both sides from one parent: both changes kept until a
    district reviewer chooses."""

    __tablename__ = "conflicts"
    __audit_entity__ = "conflict"
    __table_args__ = (Index("ix_conflicts_open", "school_id", "subject_type", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(200))
    # The change in force when the other arrived, and the arriving one (not applied).
    current_id: Mapped[int] = mapped_column(ForeignKey("changes.id"))
    incoming_id: Mapped[int] = mapped_column(ForeignKey("changes.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "current" or "incoming": whose value stayed.
    choice: Mapped[str | None] = mapped_column(String(20))

    current: Mapped[Change] = relationship(foreign_keys=[current_id])
    incoming: Mapped[Change] = relationship(foreign_keys=[incoming_id])

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<Conflict {self.subject_type}:{self.subject_id} {self.field}>"


class Blob(db.Model):
    """A file's content, stored once whatever the number of items that attach it."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Blob {self.sha256[:12]} {self.size}>"
