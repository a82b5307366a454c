"""Control acts (акт проверки): a district's paper on one school, numbered once issued."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from intranet.audit.mixins import Audited
from intranet.extensions import db
from intranet.i18n import lazy_gettext as _l
from intranet.mixins import TimestampMixin, UUIDMixin

if TYPE_CHECKING:
    from intranet.auth.models import User
    from intranet.schools.models import School


class ActStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class ControlForm(StrEnum):
    DOCUMENTARY = "documentary"
    ONSITE = "onsite"

    @property
    def label(self) -> str:
        return str(CONTROL_FORM_LABELS[self])


CONTROL_FORM_LABELS = {
    ControlForm.DOCUMENTARY: _l("documentary"),
    ControlForm.ONSITE: _l("on-site"),
}


class Finding(StrEnum):
    COMPLIES = "complies"
    PARTLY = "partly"
    FAILS = "fails"

    @property
    def label(self) -> str:
        return str(FINDING_LABELS[self])


FINDING_LABELS = {
    Finding.COMPLIES: _l("complies"),
    Finding.PARTLY: _l("partly complies"),
    Finding.FAILS: _l("does not comply"),
}


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the act's content in one canonical JSON spelling."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ActCounter(db.Model):
    """The last number issued in a district in a year; bumped in the issuing transaction,
    so a rolled-back issue gives its number back (no gaps) and the row lock makes two
    issues at once wait for each other (no duplicates)."""

    __tablename__ = "act_counters"

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ActCounter {self.district_id}/{self.year} {self.last}>"


# What a reviewer writes in a draft (the services save these from the form).
DRAFT_FIELDS = (
    "order_number",
    "order_date",
    "period_start",
    "period_end",
    "control_form",
    "subject",
    "place",
    "commission",
    "items",
    "conclusions",
    "recommendations",
    "head_name",
)
# Columns an issued act may never change again.
_FROZEN = frozenset(
    {
        "school_id",
        "district_id",
        "status",
        "year",
        "seq",
        "act_date",
        *DRAFT_FIELDS,
        "sources",
        "replaces_id",
        "content",
        "content_hash",
        "issued_at",
        "issued_by_id",
        "issued_by_name",
    }
)


class ImmutableAct(RuntimeError):
    """Raised at flush when something tries to change an issued act."""


class ControlAct(UUIDMixin, TimestampMixin, Audited, db.Model):
    __tablename__ = "control_acts"
    __table_args__ = (UniqueConstraint("district_id", "year", "seq"),)
    __audit_entity__ = "control_act"
    __audit_ignore__ = frozenset({"created_at", "updated_at", "content"})

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ActStatus.DRAFT.value)
    # The number "seq-year", given when issued.
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    act_date: Mapped[date | None] = mapped_column(Date)
    # Basis: the district's order.
    order_number: Mapped[str] = mapped_column(String(60), default="")
    order_date: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    control_form: Mapped[str] = mapped_column(String(20), default=ControlForm.DOCUMENTARY.value)
    subject: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    # [{"name", "post"}], the chair first
    commission: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"topic", "finding", "note", "source"}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    conclusions: Mapped[str] = mapped_column(Text, default="")
    # [{"text", "deadline" (ISO date), "responsible"}]
    recommendations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    head_name: Mapped[str] = mapped_column(String(200), default="")
    # What the prefill was made from: [{"kind", "id", "title", "version", "version_uuid", "at"}]
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("control_acts.id"))
    # Optimistic lock of the draft: a save names the revision it was made from.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_by_name: Mapped[str] = mapped_column(String(200), default="")
    # Everything the paper prints, frozen when issued, and its SHA-256.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Where the check page was when issued (the QR code's address), and the roadmap
    # measures made from the recommendations; neither is part of the printed content.
    check_base_url: Mapped[str] = mapped_column(String(300), default="")
    measure_item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    school: Mapped[School] = relationship()
    replaces: Mapped[ControlAct | None] = relationship(remote_side=[id])

    @property
    def is_issued(self) -> bool:
        return self.status == ActStatus.ISSUED.value

    @property
    def number(self) -> str:
        return f"{self.seq}-{self.year}" if self.seq else ""

    @property
    def short_hash(self) -> str:
        return self.content_hash[:10]

    def stored_content_matches(self) -> bool:
        """Whether the stored content still hashes to the hash printed on the paper."""
        return bool(self.content) and content_hash(self.content) == self.content_hash

    @staticmethod
    def visible_to(user: User):
        """District staff see their district's acts; a school sees its own issued acts."""
        stmt = select(ControlAct).where(ControlAct.district_id == user.district_id)
        if not user.is_district_staff:
            stmt = stmt.where(
                ControlAct.school_id == user.school_id,
                ControlAct.status == ActStatus.ISSUED.value,
            )
        return stmt

    def can_edit(self, user: User) -> bool:
        return (
            user.is_district_staff
            and user.district_id == self.district_id
            and self.status == ActStatus.DRAFT.value
        )

    def can_correct(self, user: User) -> bool:
        return user.is_district_staff and user.district_id == self.district_id and self.is_issued

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<ControlAct {self.id} {self.status} {self.number}>"


@event.listens_for(Session, "before_flush")
def _issued_acts_never_change(session, flush_context, instances):  # noqa: ARG001
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, ControlAct):
            continue
        state = inspect(obj)
        status = state.attrs.status.history
        was = status.deleted[0] if status.deleted else obj.status
        if was != ActStatus.ISSUED.value:
            continue
        if obj in session.deleted:
            raise ImmutableAct(f"issued act {obj.id} cannot be deleted")
        changed = [
            key for key in _FROZEN if state.attrs[key].history.has_changes()
        ]  # fmt: skip
        if changed:
            raise ImmutableAct(f"issued act {obj.id} cannot change: {', '.join(sorted(changed))}")
