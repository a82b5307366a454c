"""Writing and reading the change log; what sync sends and what it applies.

Each domain (forms, roadmaps) writes its own records with a revision guard in one
conditional statement and appends its changes here in the same transaction; the sync
import (``apply_incoming``) goes through those same domain functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from intranet.changelog.models import Blob, Change, SyncState
from intranet.extensions import db
from intranet.mixins import utcnow

# Built once: the autosave appends a change for every answer typed.
_APPEND = insert(Change.__table__)


def append(connection, *rows: dict[str, Any]) -> None:
    """Append changes with one plain INSERT on the caller's connection (inside its
    transaction). Missing columns take their defaults."""
    defaults = {
        "applied": True,
        "node_id": None,
        "sync_state": SyncState.UNSENT.value,
        "author_login": "",
    }
    connection.execute(_APPEND, [{**defaults, **row} for row in rows])


# -- files ----------------------------------------------------------------------------------


def _insert_ignoring_duplicates(table, values: dict[str, Any], keys: list[str]):
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)


def store_blob(data: bytes, sha256: str) -> None:
    """Keep a file's content once: a second upload of the same bytes (even at the same
    moment, from another request) writes nothing."""
    db.session.execute(
        _insert_ignoring_duplicates(
            Blob.__table__,
            {"sha256": sha256, "size": len(data), "data": data, "created_at": utcnow()},
            ["sha256"],
        )
    )


def blob(sha256: str) -> bytes | None:
    return db.session.scalar(select(Blob.data).where(Blob.sha256 == sha256))


# -- sync -----------------------------------------------------------------------------------


def to_wire(change: Change, school_code: str | None = None) -> dict[str, Any]:
    """One change as it travels in a bundle (JSON-serialisable)."""
    if school_code is None:
        from intranet.schools.models import School

        school_code = db.session.scalar(select(School.code).where(School.id == change.school_id))
    return {
        "uuid": change.uuid,
        "parent_uuid": change.parent_uuid,
        "school": school_code,
        "subject_type": change.subject_type,
        "subject_uuid": change.subject_uuid,
        "field": change.field,
        "value": change.value,
        "author_login": change.author_login,
        "author_name": change.author_name,
        "saved_at": _iso(change.saved_at),
        "node_id": change.node_id,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def changes_to_send(school_id: int, *, after_id: int = 0) -> list[Change]:
    """Changes made on this copy itself that the district has not confirmed, in order."""
    return list(
        db.session.scalars(
            select(Change)
            .where(
                Change.school_id == school_id,
                Change.node_id.is_(None),
                Change.sync_state.in_((SyncState.UNSENT.value, SyncState.SENT.value)),
                Change.id > after_id,
            )
            .order_by(Change.id)
        )
    )


def mark_sync_state(uuids: Iterable[str], state: SyncState | str) -> int:
    """Set the sync state of these changes (from a receipt); returns how many."""
    uuids = list(uuids)
    if not uuids:
        return 0
    return db.session.execute(
        update(Change).where(Change.uuid.in_(uuids)).values(sync_state=str(state))
    ).rowcount
