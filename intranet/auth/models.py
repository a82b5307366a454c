"""User accounts and login attempts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from intranet.audit.mixins import Audited
from intranet.auth.roles import DISTRICT_ROLES, SCHOOL_ROLES, Role
from intranet.extensions import db
from intranet.mixins import TimestampMixin, UUIDMixin, utcnow
from intranet.schools.models import District, School

_SCHOOL_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in sorted(SCHOOL_ROLES))
_ALL_ROLE_VALUES = ", ".join(f"'{r.value}'" for r in sorted(Role))


class User(UUIDMixin, TimestampMixin, Audited, UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ALL_ROLE_VALUES})", name="role_known"),
        CheckConstraint(
            f"role NOT IN ({_SCHOOL_ROLE_VALUES}) OR school_id IS NOT NULL",
            name="school_role_has_school",
        ),
    )
    __audit_entity__ = "user"
    __audit_redact__ = frozenset({"password_hash"})
    # Logins are in login_attempts already; logging them here would bury real changes.
    # The session version moves on every logout, which is no change of the account; a new
    # password is logged already (as a redacted password_hash).
    __audit_ignore__ = frozenset(
        {"created_at", "updated_at", "last_login_at", "session_version", "password_changed_at"}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: logins are compared case-insensitively everywhere.
    login: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(30))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session's user id: raising it ends every session of the account at
    # once (logout, a new password, deactivation), on every app server.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Failed logins before it do not lock the account: a new password lifts a lockout.
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    district: Mapped[District] = relationship()
    school: Mapped[School | None] = relationship()

    # -- passwords -------------------------------------------------------------
    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt with a per-password salt.
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = utcnow()
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every session cookie of this account worthless (from the next commit)."""
        if self.id is not None:
            # In SQL, so two concurrent ends cannot both write the same number.
            self.session_version = User.session_version + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # -- roles -----------------------------------------------------------------
    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return self.role_enum.label

    @property
    def is_district_staff(self) -> bool:
        return self.role_enum in DISTRICT_ROLES

    @property
    def is_district_admin(self) -> bool:
        return self.role_enum is Role.DISTRICT_ADMIN

    @property
    def is_school_user(self) -> bool:
        return self.role_enum in SCHOOL_ROLES

    # -- flask-login -------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    def get_id(self) -> str:
        # The uuid, not the row id: a session cookie then names one account for ever;
        # the version ends it (see ``end_sessions``).
        return f"{self.uuid}:{self.session_version or 0}"

    # -- scoping ---------------------------------------------------------------
    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    @staticmethod
    def visible_to(user: User):
        stmt = select(User)
        if user.is_district_staff:
            return stmt.where(User.district_id == user.district_id)
        return stmt.where(User.school_id == user.school_id)

    def can_edit(self, user: User) -> bool:
        return user.is_district_admin and self.district_id == user.district_id

    def __repr__(self) -> str:
        return f"<User {self.id} {self.login} {self.role}>"


class LoginAttempt(db.Model):
    """One row per failed or successful login; lockout and throttle are counted from here,
    so they hold across several app servers and restarts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_login_at", "login", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.login} {self.address} {self.succeeded}>"
