"""One mechanism records every write: a flush listener over every ``Audited`` model.

Services name the acting user with ``acting(user)``; inside a request the logged-in user
is the default, and anything else (the CLI, the demo) is logged as the system.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from intranet.audit.mixins import Audited
from intranet.audit.models import AuditEntry
from intranet.mixins import utcnow

_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("audit_actor", default=None)

REDACTED = "***"


@contextlib.contextmanager
def acting(user: Any) -> Iterator[None]:
    """Attribute every write inside the block to ``user`` (None: the system)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


@contextlib.contextmanager
def writing(actor: Any) -> Iterator[None]:
    """``acting(actor)`` that also rolls the session back when the block fails, so a
    refused write leaves nothing half-done behind for a later commit."""
    from intranet.extensions import db

    with acting(actor):
        try:
            yield
        except Exception:
            db.session.rollback()
            raise


def current_actor() -> Any:
    actor = _actor.get()
    if actor is not None:
        return actor
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user._get_current_object()
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _columns(obj: Audited) -> list[str]:
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in obj.__audit_ignore__]


def _value(obj: Audited, key: str, value: Any) -> Any:
    return REDACTED if key in obj.__audit_redact__ else _jsonable(value)


def _snapshot(obj: Audited) -> dict[str, Any]:
    # state.dict, never getattr: loading an attribute here would flush inside the flush.
    values = inspect(obj).dict
    return {k: _value(obj, k, values.get(k)) for k in _columns(obj)}


def _diff(obj: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[key] = _value(obj, key, old)
        after[key] = _value(obj, key, new)
    return before, after


def _entity_id(obj: Audited) -> str:
    # A row just inserted has no identity key yet in after_flush, but its primary key
    # is known: without it a creation would be logged with an empty id.
    state = inspect(obj)
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(i) for i in ident if i is not None) if ident else ""


@event.listens_for(Session, "after_flush")
def _record(session: Session, flush_context: Any) -> None:  # noqa: ARG001
    rows: list[dict[str, Any]] = []
    actor = current_actor()
    actor_id = getattr(actor, "id", None)
    actor_login = getattr(actor, "login", "") or "system"
    now = utcnow()

    def add(obj: Audited, action: str, before: dict | None, after: dict | None) -> None:
        district_id, school_id = obj.audit_scope()
        rows.append(
            {
                "at": now,
                "actor_id": actor_id,
                "actor_login": actor_login,
                "action": action,
                "entity": obj.__audit_entity__ or type(obj).__tablename__,
                "entity_id": _entity_id(obj),
                "district_id": district_id,
                "school_id": school_id,
                "before": before,
                "after": after,
            }
        )

    for obj in session.new:
        if isinstance(obj, Audited):
            add(obj, "create", None, _snapshot(obj))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _diff(obj)
            if after:
                add(obj, "update", before, after)
    for obj in session.deleted:
        if isinstance(obj, Audited):
            add(obj, "delete", _snapshot(obj), None)
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def entries_query(district_id: int, school_id: int | None = None, actor_id: int | None = None):
    stmt = select(AuditEntry).where(AuditEntry.district_id == district_id)
    if school_id is not None:
        stmt = stmt.where(AuditEntry.school_id == school_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
