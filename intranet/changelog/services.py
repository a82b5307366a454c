"""Writing and reading the change log; what sync sends and what it applies.

Each domain (forms, roadmaps) writes its own records with a revision guard in one
conditional statement and appends its changes here in the same transaction; the sync
import (``apply_incoming``) goes through those same domain functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from intranet.changelog.models import SUBMIT, Blob, Change, Subject, SyncState
from intranet.extensions import db
from intranet.mixins import new_uuid, utcnow

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
    params = [{**defaults, **row} for row in rows]
    # One row (every autosave) as a plain execute, not the executemany path.
    connection.execute(_APPEND, params[0] if len(params) == 1 else params)


@dataclass
class Origin:
    """Who made a change and where: typed into this database (``Origin.of(actor)``), or
    carried in from a school's copy with the uuid, parent, node and time given there."""

    author_id: int | None
    author_login: str
    author_name: str
    uuid: str | None = None
    parent_uuid: str | None = None
    node_id: str | None = None
    saved_at: datetime | None = None
    received_at: datetime | None = None

    @classmethod
    def of(cls, actor) -> Origin:
        return cls(
            getattr(actor, "id", None),
            getattr(actor, "login", "") or "",
            getattr(actor, "full_name", "") or "",
        )

    @property
    def carried(self) -> bool:
        """Made elsewhere: its uuid and parent were given there."""
        return self.uuid is not None

    def parent(self, head: str | None) -> str | None:
        return self.parent_uuid if self.carried else head

    def row(self, **values: Any) -> dict[str, Any]:
        now = utcnow()
        return {
            "author_id": self.author_id,
            "author_login": self.author_login,
            "author_name": self.author_name,
            "node_id": self.node_id,
            "saved_at": self.saved_at or now,
            "received_at": self.received_at or now,
            **values,
        }


def record_submit(subject, origin: Origin, version_uuid: str) -> str:
    """The submit action as a change of the record (it changes no field: no number,
    and the record's head stays the last change of its content)."""
    uuid = origin.uuid or new_uuid()
    append(
        db.session.connection(),
        origin.row(
            uuid=uuid,
            parent_uuid=origin.parent(getattr(subject, "head_uuid", None)),
            district_id=subject.district_id,
            school_id=subject.school_id,
            subject_type=subject.review_type,
            subject_id=subject.id,
            subject_uuid=subject.uuid,
            number=None,
            field=SUBMIT,
            value={"version": version_uuid},
        ),
    )
    return uuid


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


def blob_size(sha256: str) -> int | None:
    """The size of stored content, or None when it is not stored (without reading it)."""
    return db.session.scalar(select(Blob.size).where(Blob.sha256 == sha256))


# A download reads stored content this much at a time: a 50 MB scan costs a few MB of
# memory, whatever the number of people downloading it at once.
CHUNK_BYTES = 64 * 1024
_ROWID = text("SELECT rowid FROM blobs WHERE sha256 = :sha256")
_PIECE = select(
    func.substr(Blob.data, bindparam("start"), bindparam("length"), type_=Blob.data.type)
).where(Blob.sha256 == bindparam("sha256"))


def blob_chunks(sha256: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Stored content, ``chunk_bytes`` at a time, never whole in memory (nothing when it
    is not stored). SQLite reads it through its incremental blob I/O (``substr()`` there
    would load the whole value for every piece); PostgreSQL takes one ``substr()`` per
    piece, which reads only the TOAST chunks it covers (the column is stored
    uncompressed for that)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rowid = connection.scalar(_ROWID, {"sha256": sha256})
        if rowid is None:
            return
        driver = connection.connection.driver_connection
        with driver.blobopen("blobs", "data", rowid, readonly=True) as handle:
            while piece := handle.read(chunk_bytes):
                yield piece
        return
    start = 1
    while True:
        piece = connection.scalar(_PIECE, {"sha256": sha256, "start": start, "length": chunk_bytes})
        if not piece:
            return
        yield bytes(piece)
        if len(piece) < chunk_bytes:
            return
        start += chunk_bytes


# -- sync -----------------------------------------------------------------------------------


def to_wire(
    change: Change, school_code: str | None = None, versions: dict[int, Any] | None = None
) -> dict[str, Any]:
    """One change as it travels in a bundle (JSON-serialisable). A form's change names
    the version of the template it was made on ("version"); ``versions`` keeps them by
    submission id for a caller that sends many."""
    if school_code is None:
        from intranet.schools.models import School

        school_code = db.session.scalar(select(School.code).where(School.id == change.school_id))
    wire = {
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
    if change.subject_type == Subject.SUBMISSION:
        if versions is None:
            wire["version"] = _version_of(change.subject_id)
        else:
            if change.subject_id not in versions:
                versions[change.subject_id] = _version_of(change.subject_id)
            wire["version"] = versions[change.subject_id]
    return wire


def _version_of(submission_id: int) -> str | None:
    from intranet.inspections.models import Campaign, FormVersion, Submission

    return db.session.scalar(
        select(FormVersion.uuid)
        .join(Campaign, Campaign.version_id == FormVersion.id)
        .join(Submission, Submission.campaign_id == Campaign.id)
        .where(Submission.id == submission_id)
    )


def apply_incoming(wire: dict[str, Any], *, school, node_id, received_at, attachments=None):
    """Apply one change made on a school's copy (``to_wire``'s shape) by the merge rules;
    returns an ``merge.Outcome``. Runs in the caller's transaction and never commits."""
    from intranet.changelog import merge

    return merge.apply_incoming(
        wire, school=school, node_id=node_id, received_at=received_at, attachments=attachments
    )


def incoming_batch(wires: list[dict[str, Any]], *, school, node_id, received_at, attachments=None):
    """A bundle's changes applied in order by the same rules (``merge.Batch``): what they
    touch is read once, and each form's answers are written once. ``apply_incoming`` is
    a batch of one."""
    from intranet.changelog import merge

    return merge.Batch(
        wires, school=school, node_id=node_id, received_at=received_at, attachments=attachments
    )


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
