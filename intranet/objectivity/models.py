"""ВПР results as imported, mark scales, local rules and the stored markers.

Pupil rows are written in bulk and are not ``Audited`` one by one: an import is audited
once, through its ``VprImport`` row, whatever the number of pupils it brought.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from intranet.audit.mixins import Audited
from intranet.extensions import db
from intranet.mixins import TimestampMixin, utcnow

if TYPE_CHECKING:
    from intranet.auth.models import User

#: The three shapes of ФИС ОКО exports the import understands.
KIND_RESULTS = "results"
KIND_STATS = "stats"
KIND_COMPARISON = "comparison"
KINDS = (KIND_RESULTS, KIND_STATS, KIND_COMPARISON)


class _DistrictScoped:
    district_id: Mapped[int]

    @classmethod
    def visible_to(cls, user: User):
        """District-level objects: only district staff of the same district see them."""
        stmt = select(cls)
        if user.is_district_staff:
            return stmt.where(cls.district_id == user.district_id)
        return stmt.where(false())

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None


class VprImport(_DistrictScoped, Audited, db.Model):
    """One imported file: the audit log's single entry for all the rows it brought."""

    __tablename__ = "vpr_imports"
    __audit_entity__ = "vpr_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255), default="")
    years: Mapped[str] = mapped_column(String(100), default="")
    subjects: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    schools: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A large file is written in short transactions (SQLite has one writer at a time, and
    # the schools' autosaves must not wait for a whole year of pupils); its rows stay out
    # of every result until the last of them is in and this is set.
    complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def __repr__(self) -> str:
        return f"<VprImport {self.id} {self.kind} {self.filename!r}>"


def visible(model):
    """Rows of finished imports only: a file still being written is not part of results."""
    return model.import_id.not_in(select(VprImport.id).where(VprImport.complete.is_(False)))


class _GroupColumns:
    """Who and what a row belongs to: the school, and the year, subject and grade."""

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(SmallInteger)
    subject: Mapped[str] = mapped_column(String(60))
    grade: Mapped[int] = mapped_column(SmallInteger)


class VprResult(_GroupColumns, db.Model):
    """One pupil's work: the individual results export of ФИС ОКО."""

    __tablename__ = "vpr_results"
    __table_args__ = (
        Index("ix_vpr_results_group", "district_id", "year", "subject", "grade", "school_id"),
        Index("ix_vpr_results_school_year", "school_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("vpr_imports.id", ondelete="CASCADE"), index=True
    )
    class_name: Mapped[str] = mapped_column(String(20), default="")
    participant: Mapped[str] = mapped_column(String(40), default="")
    variant: Mapped[str] = mapped_column(String(20), default="")
    # Scores per task as written ("1 2 0 X"): shown, never computed on.
    tasks: Mapped[str] = mapped_column(String(400), default="")
    absent: Mapped[bool] = mapped_column(Boolean, default=False)
    primary_score: Mapped[int | None] = mapped_column(SmallInteger)
    mark: Mapped[int | None] = mapped_column(SmallInteger)
    journal_mark: Mapped[int | None] = mapped_column(SmallInteger)

    def __repr__(self) -> str:
        return f"<VprResult {self.id} {self.school_id} {self.participant}>"


class VprMarkStat(_GroupColumns, db.Model):
    """A school's statistics of marks: participants and the shares (%) of 2, 3, 4, 5."""

    __tablename__ = "vpr_mark_stats"
    __table_args__ = (
        Index("ix_vpr_mark_stats_group", "district_id", "year", "subject", "grade", "school_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("vpr_imports.id", ondelete="CASCADE"), index=True
    )
    participants: Mapped[int] = mapped_column(Integer)
    share2: Mapped[float] = mapped_column(Float)
    share3: Mapped[float] = mapped_column(Float)
    share4: Mapped[float] = mapped_column(Float)
    share5: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<VprMarkStat {self.school_id} {self.year} {self.subject} {self.grade}>"


class VprComparison(_GroupColumns, db.Model):
    """A school's comparison with journal marks: shares (%) lowered, confirmed, raised."""

    __tablename__ = "vpr_comparisons"
    __table_args__ = (
        Index("ix_vpr_comparisons_group", "district_id", "year", "subject", "grade", "school_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("vpr_imports.id", ondelete="CASCADE"), index=True
    )
    participants: Mapped[int] = mapped_column(Integer)
    lowered: Mapped[float] = mapped_column(Float)
    confirmed: Mapped[float] = mapped_column(Float)
    raised: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<VprComparison {self.school_id} {self.year} {self.subject} {self.grade}>"


class VprSummary(db.Model):
    """What a district's stored results add up to per year, subject and grade, rebuilt
    whenever they change (``services.recompute``): the years a district has and its
    distributions of marks are then a few rows, whatever the number of pupils."""

    __tablename__ = "vpr_summaries"
    __table_args__ = (UniqueConstraint("district_id", "year", "subject", "grade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    subject: Mapped[str] = mapped_column(String(60))
    grade: Mapped[int] = mapped_column(SmallInteger)
    # Pupils' rows (absent included), and how many of them got each mark.
    pupils: Mapped[int] = mapped_column(Integer, default=0)
    mark2: Mapped[int] = mapped_column(Integer, default=0)
    mark3: Mapped[int] = mapped_column(Integer, default=0)
    mark4: Mapped[int] = mapped_column(Integer, default=0)
    mark5: Mapped[int] = mapped_column(Integer, default=0)
    # Schools' statistics of marks: rows, and participants times each share.
    stat_schools: Mapped[int] = mapped_column(Integer, default=0)
    stat2: Mapped[float] = mapped_column(Float, default=0.0)
    stat3: Mapped[float] = mapped_column(Float, default=0.0)
    stat4: Mapped[float] = mapped_column(Float, default=0.0)
    stat5: Mapped[float] = mapped_column(Float, default=0.0)
    comparison_schools: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<VprSummary {self.district_id} {self.year} {self.subject} {self.grade}>"


class MarkScale(_DistrictScoped, TimestampMixin, Audited, db.Model):
    """Primary-score boundaries of marks 3, 4, 5 and the maximum, per year/subject/grade."""

    __tablename__ = "vpr_mark_scales"
    __table_args__ = (UniqueConstraint("district_id", "year", "subject", "grade"),)
    __audit_entity__ = "vpr_mark_scale"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    subject: Mapped[str] = mapped_column(String(60))
    grade: Mapped[int] = mapped_column(SmallInteger)
    min3: Mapped[int] = mapped_column(SmallInteger)
    min4: Mapped[int] = mapped_column(SmallInteger)
    min5: Mapped[int] = mapped_column(SmallInteger)
    max_score: Mapped[int] = mapped_column(SmallInteger)

    def mark_for(self, score: int) -> int:
        if score >= self.min5:
            return 5
        if score >= self.min4:
            return 4
        if score >= self.min3:
            return 3
        return 2

    def __repr__(self) -> str:
        return f"<MarkScale {self.year} {self.subject} {self.grade}>"


class ObjectivityRule(_DistrictScoped, TimestampMixin, Audited, db.Model):
    """A local, configurable rule (never the federal method): a threshold on a share."""

    __tablename__ = "objectivity_rules"
    __table_args__ = (UniqueConstraint("district_id", "code"),)
    __audit_entity__ = "objectivity_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    threshold: Mapped[float] = mapped_column(Float)
    min_participants: Mapped[int] = mapped_column(Integer, default=10)
    # Empty subject or no grade: the rule applies to every subject or grade.
    subject: Mapped[str] = mapped_column(String(60), default="")
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def applies_to(self, subject: str, grade: int) -> bool:
        return (not self.subject or self.subject == subject) and (
            self.grade is None or self.grade == grade
        )

    def __repr__(self) -> str:
        return f"<ObjectivityRule {self.code} v{self.version}>"


class ObjectivitySetting(_DistrictScoped, TimestampMixin, Audited, db.Model):
    """District-wide settings of the federal markers."""

    __tablename__ = "objectivity_settings"
    __audit_entity__ = "objectivity_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), unique=True)
    min_participants: Mapped[int] = mapped_column(Integer, default=10)

    def __repr__(self) -> str:
        return f"<ObjectivitySetting {self.district_id} min={self.min_participants}>"


class SchoolMarker(_GroupColumns, db.Model):
    """A computed marker, stored so the risk list is a cheap read; rebuilt by services."""

    __tablename__ = "objectivity_markers"
    __table_args__ = (
        Index("ix_objectivity_markers_district_year", "district_id", "year", "flagged"),
        Index("ix_objectivity_markers_school_year", "school_id", "year"),
        # The flagged markers of every year (a school's years in a row, the history) are
        # a few rows of this index, not a scan of every year's markers.
        Index("ix_objectivity_markers_flagged", "district_id", "flagged", "school_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    federal: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: not computable (too few participants, no data), never "not flagged".
    flagged: Mapped[bool | None] = mapped_column(Boolean)
    value: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    rule_version: Mapped[int | None] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<SchoolMarker {self.school_id} {self.year} {self.code} {self.flagged}>"
