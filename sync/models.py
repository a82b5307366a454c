"""What the sync keeps: nodes, bundles seen, quarantine, and on a school copy its own
state and outbox (the district's feed to each school is ``sync.downstream``'s)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.audit.mixins import Audited
from intranet.extensions import db
from intranet.mixins import utcnow
from intranet.schools.models import School


class SyncNode(Audited, db.Model):
    """One enrolled school PC. The district keeps only its public key.

    ``applied_seq`` is the highest sequence number up to which every change the node
    sent has been applied (a bundle starting past it waits); ``acked_position`` is the
    last district feed position the node said it applied.
    """

    __tablename__ = "sync_nodes"
    __audit_entity__ = "sync_node"
    __audit_ignore__ = frozenset(
        {
            "last_bundle_at",
            "last_bundle_id",
            "digest_state",
            "digest_checked_at",
            "digest_diff",
            "digest_sent",
        }
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Empty while the node is enrolled but has not sent its first bundle yet: that bundle
    # carries the key and a proof made with the one-time token (sha256 kept here).
    public_key: Mapped[str] = mapped_column(String(64), default="")
    enrol_secret: Mapped[str] = mapped_column(String(64), default="")
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applied_seq: Mapped[int] = mapped_column(Integer, default=0)
    acked_position: Mapped[int] = mapped_column(Integer, default=0)
    # The last sequence number the node has a receipt for: later receipts go down again.
    confirmed_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_bundle_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_bundle_id: Mapped[str | None] = mapped_column(String(64))
    # Proof of agreement (``sync.digest``): how the node's digest compared with the
    # district's at its last bundle ("" never, agree, pending, differ), the records that
    # differ, and the district's digest as last sent down (a node that still holds it
    # sends only its root).
    digest_state: Mapped[str] = mapped_column(String(20), default="")
    digest_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    digest_diff: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    digest_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)

    school: Mapped[School] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @staticmethod
    def visible_to(user):
        return select(SyncNode).where(SyncNode.district_id == user.district_id)

    def can_revoke(self, user) -> bool:
        return (
            user.is_district_admin and user.district_id == self.district_id and not self.is_revoked
        )

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<SyncNode {self.id} school={self.school_id}>"


class SyncBundle(Audited, db.Model):
    """A bundle this side has seen, by the hash of its signed manifest: the same bundle
    again changes nothing and gets the receipt kept here. A bundle that came before the
    ones it follows keeps its bytes here (``waiting``) until the gap is filled."""

    __tablename__ = "sync_bundles"
    __table_args__ = (Index("ix_sync_bundles_node_waiting", "node_id", "status", "seq_from"),)
    __audit_entity__ = "sync_bundle"
    __audit_ignore__ = frozenset({"raw", "receipt"})

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    node_id: Mapped[str | None] = mapped_column(ForeignKey("sync_nodes.id"))
    direction: Mapped[str] = mapped_column(String(10))
    # applied | waiting | quarantined
    status: Mapped[str] = mapped_column(String(20))
    seq_from: Mapped[int] = mapped_column(Integer, default=0)
    seq_to: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<SyncBundle {self.id[:12]} {self.status}>"


class SyncQuarantine(Audited, db.Model):
    """Content that could not be applied, kept whole with its reason and never discarded:
    one change (``change_uuid``) or a whole bundle (a revoked node's)."""

    __tablename__ = "sync_quarantine"
    __table_args__ = (Index("ix_sync_quarantine_district", "district_id", "released_at"),)
    __audit_entity__ = "sync_quarantine"
    __audit_ignore__ = frozenset({"raw"})

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    node_id: Mapped[str | None] = mapped_column(ForeignKey("sync_nodes.id"))
    bundle_id: Mapped[str | None] = mapped_column(String(64))
    change_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    # "change" (one record, raw is its JSON) or "bundle" (raw is the bundle's bytes)
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # How many changes it holds (a bundle: its change records).
    changes: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    release_note: Mapped[str] = mapped_column(Text, default="")

    school: Mapped[School | None] = relationship()

    @property
    def preview(self) -> dict[str, Any]:
        """A quarantined change as it arrived (a bundle is shown by its count)."""
        if self.kind != "change":
            return {}
        try:
            value = json.loads(self.raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def preview_saved_at(self) -> datetime | None:
        """When the school saved the change (its own clock), for people to read."""
        try:
            return datetime.fromisoformat(str(self.preview.get("saved_at")))
        except ValueError:
            return None

    @property
    def preview_text(self) -> str:
        return json.dumps(self.preview, ensure_ascii=False, indent=2)

    @staticmethod
    def visible_to(user):
        return select(SyncQuarantine).where(SyncQuarantine.district_id == user.district_id)

    def can_release(self, user) -> bool:
        return (
            user.is_district_admin
            and user.district_id == self.district_id
            and self.released_at is None
        )

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.district_id, self.school_id

    def __repr__(self) -> str:
        return f"<SyncQuarantine {self.id} {self.kind}>"


class SyncLocal(db.Model):
    """A school copy's own sync state (one row): who it is, whom it trusts, how far the
    district's feed has been applied, and the next sequence number to give a change."""

    __tablename__ = "sync_local"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    node_id: Mapped[str] = mapped_column(String(36))
    district_public_key: Mapped[str] = mapped_column(String(64))
    # Kept until the district accepted the first bundle (it proves the enrolment).
    enrol_token: Mapped[str] = mapped_column(String(100), default="")
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    # The last of this node's sequence numbers the district sent a receipt for.
    confirmed_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The last district feed position applied here.
    feed_position: Mapped[int] = mapped_column(Integer, default=0)
    last_export_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_import_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Proof of agreement, as the copy found it at the district's last bundle: the state
    # (agree, pending, differ), the records that differ, and the district's root then.
    digest_state: Mapped[str] = mapped_column(String(20), default="")
    digest_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    digest_diff: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    digest_seen_root: Mapped[str] = mapped_column(String(64), default="")

    def __repr__(self) -> str:
        return f"<SyncLocal node={self.node_id}>"


class SyncOutbox(db.Model):
    """On a school copy: the sequence number each change made here got when it was first
    sent. Resending keeps the number, so the district can tell a replay from a gap."""

    __tablename__ = "sync_outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    change_uuid: Mapped[str] = mapped_column(String(36), unique=True)

    def __repr__(self) -> str:
        return f"<SyncOutbox {self.seq} {self.change_uuid}>"
