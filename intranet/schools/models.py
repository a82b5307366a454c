"""District and School."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.audit.mixins import Audited
from intranet.extensions import db
from intranet.mixins import TimestampMixin, UUIDMixin

if TYPE_CHECKING:
    from intranet.auth.models import User


class District(UUIDMixin, TimestampMixin, Audited, db.Model):
    __tablename__ = "districts"
    __audit_entity__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(120), default="")
    # An IANA zone (intranet.timezones.ZONES): due dates end at midnight there, and its
    # pages show times in it.
    time_zone: Mapped[str] = mapped_column(
        String(40), default="Europe/Moscow", server_default="Europe/Moscow"
    )

    schools: Mapped[list[School]] = relationship(back_populates="district")

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.id, None

    def __repr__(self) -> str:
        return f"<District {self.id} {self.short_name or self.name!r}>"


class School(UUIDMixin, TimestampMixin, Audited, db.Model):
    __tablename__ = "schools"
    # Also the index the district list is read from, in code order.
    __table_args__ = (UniqueConstraint("district_id", "code"),)
    __audit_entity__ = "school"
    __audit_ignore__ = frozenset({"created_at", "updated_at", "search_text"})

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(500))
    short_name: Mapped[str] = mapped_column(String(200), default="")
    head_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Lower-cased code, names and head, kept by the model: the search matches one plain
    # column with LIKE, the same on SQLite (whose lower() knows no Cyrillic) and PostgreSQL.
    search_text: Mapped[str] = mapped_column(String(1300), default="")

    district: Mapped[District] = relationship(back_populates="schools")

    def refresh_search_text(self) -> None:
        parts = (self.code, self.name, self.short_name, self.head_name)
        self.search_text = " ".join(p or "" for p in parts).lower().replace("ё", "е")

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.id

    @staticmethod
    def visible_to(user: User):
        """A select of the schools ``user`` may see: their own, or their district's."""
        stmt = select(School)
        if user.is_district_staff:
            return stmt.where(School.district_id == user.district_id)
        return stmt.where(School.id == user.school_id)

    def can_edit(self, user: User) -> bool:
        return user.is_district_admin and self.district_id == user.district_id

    def __repr__(self) -> str:
        return f"<School {self.id} {self.code}>"


@event.listens_for(School, "before_insert")
@event.listens_for(School, "before_update")
def _school_search_text(mapper, connection, school: School) -> None:  # noqa: ARG001
    school.refresh_search_text()
