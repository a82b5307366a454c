"""One mechanism records every write: a flush listener over every ``Audited`` model.

Services name the acting user with ``acting(user)``; inside a request the logged-in user
is the default, and anything else (the CLI, the demo) is logged as the system.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
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


_COLUMNS: dict[type, tuple[str, ...]] = {}


def _columns(obj: Audited) -> tuple[str, ...]:
    # Per class, once: every flush of every write asks.
    columns = _COLUMNS.get(type(obj))
    if columns is None:
        columns = _COLUMNS[type(obj)] = tuple(
            c.key for c in inspect(obj).mapper.column_attrs if c.key not in obj.__audit_ignore__
        )
    return columns


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
    # Only an attribute set since the row was read can have history.
    touched = state.committed_state
    for key in _columns(obj):
        if key not in touched:
            continue
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
    state = inspect(obj)
    ident = state.identity
    if ident is None:
        # A row inserted by this very flush has its key in its attributes but no identity
        # yet (that comes after the flush listeners).
        keys = [state.mapper.get_property_by_column(c).key for c in state.mapper.primary_key]
        ident = tuple(state.dict.get(k) for k in keys)
        if any(i is None for i in ident):
            return ""
    return ",".join(str(i) for i in ident)


@dataclass
class _Bulk:
    """What one bulk action has created so far: ids by entity."""

    ids: dict[str, list[Any]] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, entity: str, entity_id: str) -> None:
        self.ids.setdefault(entity, []).append(int(entity_id) if entity_id.isdigit() else entity_id)
        self.seen.add((entity, entity_id))


_bulk: contextvars.ContextVar[_Bulk | None] = contextvars.ContextVar("audit_bulk", default=None)

BULK_ACTION = "bulk_create"


def _ranges(ids: list[Any]) -> list[Any]:
    """Integer ids as [first, last] runs (the rows of one bulk insert are mostly
    consecutive); any other id as itself."""
    ints = sorted(i for i in ids if isinstance(i, int))
    runs: list[Any] = []
    for i in ints:
        if runs and runs[-1][1] + 1 == i:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs + sorted(str(i) for i in ids if not isinstance(i, int))


def _in_ranges(runs: list[Any], entity_id: str) -> bool:
    for run in runs:
        if isinstance(run, list):
            if entity_id.isdigit() and run[0] <= int(entity_id) <= run[1]:
                return True
        elif run == entity_id:
            return True
    return False


@contextlib.contextmanager
def bulk(operation: str, subject: Audited) -> Iterator[None]:
    """Log the records created inside the block as ONE entry on ``subject`` (publishing a
    plan to 300 schools creates 12,000 rows: one entry each would outgrow the data).

    The entry (action ``bulk_create``) names the operation, how many records of each
    kind it created, and their ids as runs, so every record stays traceable to it
    (``created_by``). Changes to those records inside the block belong to their creation;
    anything else written inside it is logged as usual. The caller commits after the
    block; a failure inside it leaves the session to the caller's rollback.
    """
    from intranet.extensions import db

    record = _Bulk()
    token = _bulk.set(record)
    try:
        yield
        db.session.flush()
    finally:
        _bulk.reset(token)
    if not record.ids:
        return
    actor = current_actor()
    district_id, school_id = subject.audit_scope()
    counts = {entity: len(ids) for entity, ids in sorted(record.ids.items())}
    db.session.connection().execute(
        insert(AuditEntry),
        [
            {
                "at": utcnow(),
                "actor_id": getattr(actor, "id", None),
                "actor_login": getattr(actor, "login", "") or "system",
                "action": BULK_ACTION,
                "entity": subject.__audit_entity__ or type(subject).__tablename__,
                "entity_id": _entity_id(subject),
                "district_id": district_id,
                "school_id": school_id,
                "before": None,
                "after": {
                    "operation": operation,
                    "count": sum(counts.values()),
                    "created": counts,
                    "ids": {entity: _ranges(ids) for entity, ids in record.ids.items()},
                },
            }
        ],
    )


def created_by(district_id: int | None, entity: str, entity_id: int | str) -> AuditEntry | None:
    """The entry that logged the creation of a record: its own, or the bulk action's."""
    from intranet.extensions import db

    key = str(entity_id)
    own = db.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.district_id == district_id,
            AuditEntry.action == "create",
            AuditEntry.entity == entity,
            AuditEntry.entity_id == key,
        )
        .limit(1)
    )
    if own is not None:
        return own
    # Bulk actions are few (one per publication or launch), so reading them is cheap.
    for entry in db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.district_id == district_id, AuditEntry.action == BULK_ACTION)
        .order_by(AuditEntry.id)
    ):
        if _in_ranges(((entry.after or {}).get("ids") or {}).get(entity, []), key):
            return entry
    return None


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

    in_bulk = _bulk.get()

    def bulk_created(obj: Audited) -> bool:
        entity = obj.__audit_entity__ or type(obj).__tablename__
        return (entity, _entity_id(obj)) in in_bulk.seen  # type: ignore[union-attr]

    for obj in session.new:
        if isinstance(obj, Audited):
            if in_bulk is not None:
                in_bulk.add(obj.__audit_entity__ or type(obj).__tablename__, _entity_id(obj))
            else:
                add(obj, "create", None, _snapshot(obj))
    for obj in session.dirty:
        if in_bulk is not None and isinstance(obj, Audited) and bulk_created(obj):
            continue
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
