"""Form templates and their versions, campaigns, submissions and their saved changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
    bindparam,
    select,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from intranet.audit.mixins import Audited
from intranet.changelog.models import Change  # noqa: F401  (the change log of the answers)
from intranet.extensions import db
from intranet.inspections import schema as form_schema
from intranet.mixins import TimestampMixin, UUIDMixin, utcnow

# Notifications to schools belong to the shared review workflow; forms send them too.
from intranet.review.models import Notification, Reviewable, ReviewState  # noqa: F401

if TYPE_CHECKING:
    from intranet.auth.models import User
    from intranet.schools.models import School


class FormTemplate(UUIDMixin, TimestampMixin, Audited, db.Model):
    __tablename__ = "form_templates"
    __audit_entity__ = "form_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")

    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="template", order_by="FormVersion.number", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> FormVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def draft(self) -> FormVersion | None:
        latest = self.latest
        return latest if latest is not None and latest.is_draft else None

    @staticmethod
    def visible_to(user: User):
        return select(FormTemplate).where(FormTemplate.district_id == user.district_id)

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None

    def __repr__(self) -> str:
        return f"<FormTemplate {self.id} {self.title[:30]!r}>"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


# Parsed schemas of published versions, by the uuid of the version or of a campaign
# (a campaign's version never changes either); a few hundred at most.
_PUBLISHED_SCHEMAS: dict[str, Any] = {}


def _frozen(uuid: str, load) -> Any:
    schema = _PUBLISHED_SCHEMAS.get(uuid)
    if schema is None:
        if len(_PUBLISHED_SCHEMAS) >= 512:
            _PUBLISHED_SCHEMAS.clear()
        schema = _PUBLISHED_SCHEMAS[uuid] = load()
    return schema


class FormVersion(UUIDMixin, Audited, db.Model):
    """A version of a template. Once published it never changes; edits make a new draft."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)
    __audit_entity__ = "form_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("form_templates.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT.value)
    schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    template: Mapped[FormTemplate] = relationship(back_populates="versions")

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def fields(self) -> list[dict]:
        return form_schema.fields(self.schema)

    @property
    def frozen_schema(self) -> dict[str, Any]:
        """The schema, kept parsed in memory once the version is published.

        A published version never changes (``services.save_schema`` refuses it), and its
        uuid names it in any database, so every school's autosave reads the same parsed
        schema instead of 12 KB of JSON per answer. Readers must not change it.
        """
        if self.is_draft:
            return self.schema
        return _frozen(self.uuid, lambda: self.schema)

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None

    def __repr__(self) -> str:
        return f"<FormVersion {self.template_id} v{self.number} {self.status}>"


class Campaign(UUIDMixin, TimestampMixin, Audited, db.Model):
    """A published form version sent to schools with a due date."""

    __tablename__ = "campaigns"
    __audit_entity__ = "campaign"
    __audit_ignore__ = frozenset(
        {"created_at", "updated_at", "expected_count", "submitted_count", "on_time_count"}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    title: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    # Days after the due date during which late answers are still taken; then it locks.
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    # Kept by services.refresh_campaign_counts at launch and at every first submission,
    # so the district's matrix reads them instead of counting every submission.
    expected_count: Mapped[int] = mapped_column(Integer, default=0)
    submitted_count: Mapped[int] = mapped_column(Integer, default=0)
    on_time_count: Mapped[int] = mapped_column(Integer, default=0)

    version: Mapped[FormVersion] = relationship()
    targets: Mapped[list[CampaignTarget]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    @property
    def schema(self) -> dict[str, Any]:
        """The schema of the campaign's published version, without reading the version
        once it is known (``FormVersion.frozen_schema``)."""
        return _frozen(self.uuid, lambda: self.version.frozen_schema)

    @property
    def specs(self) -> dict[str, dict]:
        """The schema's questions by key (``form_schema.field_map``), kept alongside."""
        return _frozen(f"{self.uuid}:specs", lambda: form_schema.field_map(self.schema))

    @property
    def controls(self) -> frozenset[str]:
        """Keys of the questions that other questions' visibility depends on."""
        return _frozen(
            f"{self.uuid}:controls",
            lambda: frozenset(
                f["show_if"]["field"] for f in self.specs.values() if f.get("show_if")
            ),
        )

    @property
    def locks_after(self) -> date:
        return self.due_date + timedelta(days=self.grace_days)

    @staticmethod
    def visible_to(user: User):
        stmt = select(Campaign).where(Campaign.district_id == user.district_id)
        if not user.is_district_staff:
            stmt = stmt.join(CampaignTarget).where(CampaignTarget.school_id == user.school_id)
        return stmt

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, None

    def __repr__(self) -> str:
        return f"<Campaign {self.id} due={self.due_date}>"


class CampaignTarget(Audited, db.Model):
    """A school a campaign is sent to; ``reopened_until`` lets one school answer late."""

    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)
    __audit_entity__ = "campaign_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reopened_until: Mapped[date | None] = mapped_column(Date)

    campaign: Mapped[Campaign] = relationship(back_populates="targets")

    def is_locked(self, today: date) -> bool:
        if self.reopened_until is not None and today <= self.reopened_until:
            return False
        return today > self.campaign.locks_after

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<CampaignTarget {self.campaign_id}:{self.school_id}>"


class Submission(UUIDMixin, TimestampMixin, Audited, Reviewable, db.Model):
    """One school's answers to one campaign. ``answers`` is the current state; every save
    is also kept in the change log (``changelog.models.Change``), append-only."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "school_id"),
        # Covers the campaign matrix: its cells are read from the index alone, never from
        # the rows that carry the answers.
        Index(
            "ix_submissions_matrix",
            "school_id",
            "campaign_id",
            "status",
            "revision",
            "first_submitted_at",
            "changed_since_accepted",
        ),
        # The district's review queue: the oldest waiting read off the index.
        Index("ix_submissions_review_queue", "district_id", "status", "review_state_at"),
    )
    __audit_entity__ = "submission"
    # The answers change with every autosave; their history is the change log.
    __audit_ignore__ = frozenset(
        {
            "created_at",
            "updated_at",
            "answers",
            "field_revisions",
            "revision",
            "last_saved_at",
            "review_state_at",
        }
    )
    review_type = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReviewState.DRAFT.value)
    changed_since_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The save number that last changed each field: a save based on an older number
    # that touches the same field is a conflict; other fields merge.
    field_revisions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    last_saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the status last changed (kept by intranet/review): how long it has waited.
    review_state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The uuid of the latest saved change: the parent the next change names.
    head_uuid: Mapped[str | None] = mapped_column(String(36))

    campaign: Mapped[Campaign] = relationship()
    school: Mapped[School] = relationship()
    target: Mapped[CampaignTarget] = relationship(
        primaryjoin="and_(Submission.campaign_id == foreign(CampaignTarget.campaign_id), "
        "Submission.school_id == foreign(CampaignTarget.school_id))",
        viewonly=True,
        uselist=False,
    )

    @property
    def schema(self) -> dict:
        return self.campaign.schema

    @property
    def specs(self) -> dict[str, dict]:
        return self.campaign.specs

    @staticmethod
    def scope_of(user: User, school_id: int) -> dict[str, int] | None:
        """Parameters that scope a submission of ``school_id`` to what ``user`` may see
        (the district's staff: their district; a school: its own), or None when the user
        may not see that school at all. Used with ``visible_statement`` below."""
        if not user.is_district_staff and school_id != user.school_id:
            return None
        return {"school": school_id, "district": user.district_id}

    def can_edit(self, user: User) -> bool:
        return user.is_school_user and user.school_id == self.school_id and self.is_editable

    def review_snapshot(self) -> dict[str, dict[str, Any]]:
        # Visible answers as people read them; a table gives one entry per cell.
        from intranet.inspections.services import snapshot

        return snapshot(self.schema, self.answers or {})

    def submit_problems(self) -> list[str]:
        from intranet.i18n import gettext as _

        missing = form_schema.missing_required(self.schema, self.answers)
        if missing:
            names = "; ".join(f"«{f['label']}»" for f in missing[:20])
            return [_("Answer the required questions first: %(names)s", names=names)]
        return []

    def review_notice(self, action) -> str:
        from intranet.i18n import gettext as _

        if action == "accept":
            return _("The form «%(title)s» was accepted.", title=self.campaign.title)
        return _("The form «%(title)s» was returned for revision.", title=self.campaign.title)

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<Submission {self.id} c={self.campaign_id} s={self.school_id} {self.status}>"


# One submission visible to a user (parameters: ``id`` and ``Submission.scope_of``), with
# its campaign and target; built once, for the autosave runs it for every answer typed.
# (The form's schema is then read once per campaign: ``Campaign.schema``.)
VISIBLE_SUBMISSION = (
    select(Submission)
    .where(
        Submission.id == bindparam("id"),
        Submission.school_id == bindparam("school"),
        Submission.district_id == bindparam("district"),
    )
    # The school too: its name heads every page of a submission.
    .options(
        joinedload(Submission.campaign),
        joinedload(Submission.target),
        joinedload(Submission.school),
    )
)
