"""Column mixins shared by every domain's models."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    """A UUID version 7 (RFC 9562): the time in milliseconds, then 74 random bits.

    Records born close in time get close identifiers, so the unique index on ``uuid``
    grows at its end like an id's: a change log of millions of rows takes a new change
    into the pages just written, where random (version 4) identifiers would scatter every
    bundle's changes over as many pages as it has changes."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(secrets.token_bytes(10))
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC's variant
    return str(uuid.UUID(int=value))


class UUIDMixin:
    """Identity made where the record is born, so an offline copy can create rows safely."""

    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
