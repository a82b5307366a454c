"""What sync over the network keeps on the district: one-time enrolment codes, the nonces
of signed requests, failed code attempts (for the throttle) and the parts of bundles being
pushed. (The copy keeps nothing new: its district's address lives in its config.py.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from intranet.extensions import db
from intranet.mixins import utcnow


class SyncEnrolCode(db.Model):
    """A one-time enrolment code for one school: shown once, kept only as its SHA-256,
    good for 7 days and for one enrolment."""

    __tablename__ = "sync_enrol_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The node the code enrolled.
    node_id: Mapped[str | None] = mapped_column(String(36))

    @staticmethod
    def visible_to(user):
        return select(SyncEnrolCode).where(SyncEnrolCode.district_id == user.district_id)

    def __repr__(self) -> str:
        return f"<SyncEnrolCode {self.id} school={self.school_id}>"


class SyncNonce(db.Model):
    """A signed request's nonce, once per node: the same request again is a replay."""

    __tablename__ = "sync_nonces"
    __table_args__ = (Index("ix_sync_nonces_seen_at", "seen_at"),)

    node_id: Mapped[str] = mapped_column(ForeignKey("sync_nodes.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncCodeAttempt(db.Model):
    """A failed enrolment-code attempt, by address and by the school the code named."""

    __tablename__ = "sync_code_attempts"
    __table_args__ = (Index("ix_sync_code_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncUpload(db.Model):
    """A bundle a node is pushing in parts, named by the SHA-256 of its bytes. Once it is
    whole and imported, the parts go and the answer stays (a retry gets it again)."""

    __tablename__ = "sync_uploads"

    node_id: Mapped[str] = mapped_column(ForeignKey("sync_nodes.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    parts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The JSON answer of the import (receipt and counts), kept for retries.
    answer: Mapped[str | None] = mapped_column(Text)


class SyncUploadPart(db.Model):
    __tablename__ = "sync_upload_parts"

    node_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
