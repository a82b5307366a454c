"""Applying a change made on a school's copy: the merge rules of offline sync.

The school owns a record's content while it is a draft or returned; the district owns
review state, templates, plans and campaigns. A change based on the record's head
applies; a change based on an older head merges when no change since touched its field,
and otherwise becomes a conflict with both values kept. What cannot be applied is
quarantined with its reason, never dropped. Parents and revisions order everything;
clocks never do (the copy's saved-at time only decides whether a form was in time).

Everything runs inside the caller's transaction and never commits: one bundle applies
whole or not at all. Every check comes before the first write, so a change that is
refused leaves nothing behind.

A bundle's changes go through one ``Batch``: it reads what they touch in a few statements
(the changes already here, their authors, their records and the records' heads), decides
each change in order by the rules below in memory, and writes the answers of each form
once, with the changes, when the batch ends (or before anything reads the change log).
A single change (``apply_incoming``) is a batch of one: there is one way in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, inspect, select

from intranet.audit.services import acting
from intranet.changelog import services as changelog
from intranet.changelog.models import (
    CREATE,
    DELETE,
    EVIDENCE_ADD,
    EVIDENCE_REMOVE,
    SUBMIT,
    Change,
    Conflict,
    Subject,
    SyncState,
)
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.review.models import ReviewState

APPLIED = "applied"
SKIPPED = "skipped"
MERGED = "merged"
CONFLICT = "conflict"
QUARANTINED = "quarantined"

# Which of a batch's changes are here already (built once).
_KNOWN_CHANGES = select(Change.__table__.c.uuid).where(
    Change.__table__.c.uuid.in_(bindparam("b_uuids", expanding=True))
)

_WIRE_KEYS = ("uuid", "school", "subject_type", "subject_uuid", "field", "saved_at")


@dataclass
class Outcome:
    """What became of one incoming change; ``reason`` is for people (Russian)."""

    status: str
    reason: str = ""
    change_uuid: str = ""
    conflict_id: int | None = None


class _Quarantine(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = str(reason)


def apply_incoming(
    wire: dict[str, Any],
    *,
    school,
    node_id: str | None,
    received_at: datetime,
    attachments: dict[str, bytes] | None = None,
) -> Outcome:
    """Apply one change: a batch of one."""
    batch = Batch(
        [wire], school=school, node_id=node_id, received_at=received_at, attachments=attachments
    )
    outcome = batch.apply(wire)
    batch.finish()
    return outcome


class Batch:
    """Changes of one school applied in the order given (a bundle's), by the merge rules.

    ``apply`` decides each change at once and returns its ``Outcome``; answers of a form
    are written when the batch is flushed (``flush``: before anything reads the change
    log or writes another way, and at ``finish``), so a bundle's changes of one form cost
    one UPDATE, and the changes of all its forms one INSERT. Read the outcomes after
    ``finish``: a form that someone else saved meanwhile (its write finds another
    revision) turns its pending changes into quarantined ones, as when each was written
    alone.
    """

    def __init__(
        self,
        wires: list[dict[str, Any]],
        *,
        school,
        node_id: str | None,
        received_at: datetime,
        attachments: dict[str, bytes] | None = None,
    ) -> None:
        self.school = school
        self.node_id = node_id
        self.received_at = received_at
        self.attachments = attachments or {}
        self._known: set[str] = set()
        self._seen: set[str] = set()
        # Pending writes: per submission id, its staged saves; the outcomes in order.
        self._writes: dict[int, Any] = {}
        self._staged: list[tuple[int, Outcome]] = []
        # The records read with the batch, by (table, uuid).
        self.records: dict[tuple[str, str], Any] = {}
        self._preload([w for w in wires if isinstance(w, dict)])

    # -- reads, once per batch ------------------------------------------------------------

    def _preload(self, wires: list[dict[str, Any]]) -> None:
        """What the changes touch, in a few statements: which are here already, their
        authors, their records (with what the rules read of them) and the records'
        heads."""
        uuids = [w["uuid"] for w in wires if isinstance(w.get("uuid"), str)]
        with db.session.no_autoflush:
            connection = db.session.connection()
            for part in _chunks(uuids):
                self._known.update(
                    row[0] for row in connection.execute(_KNOWN_CHANGES, {"b_uuids": part})
                )
            _preload_authors({str(w.get("author_login") or "") for w in wires} - {""}, self.school)
            heads = set()
            by_type: dict[str, set[str]] = {}
            for w in wires:
                if isinstance(w.get("subject_uuid"), str):
                    by_type.setdefault(w.get("subject_type"), set()).add(w["subject_uuid"])
            for kind, model, by_uuids in _subject_models():
                for part in _chunks(sorted(by_type.get(kind, ()))):
                    for record in db.session.scalars(by_uuids, {"b_uuids": part}).unique():
                        _memo("records")[(model.__tablename__, record.uuid)] = record.id
                        self.records[(model.__tablename__, record.uuid)] = record
                        if getattr(record, "head_uuid", None):
                            heads.add(record.head_uuid)
            _preload_head_flags(heads)

    # -- applying -------------------------------------------------------------------------

    def apply(self, wire: dict[str, Any]) -> Outcome:
        uuid = wire.get("uuid") if isinstance(wire, dict) else None
        try:
            if not isinstance(wire, dict) or any(not wire.get(k) for k in _WIRE_KEYS):
                raise _Quarantine(_("The change record is malformed."))
            if self._is_known(uuid):
                return Outcome(SKIPPED, change_uuid=uuid)
            if wire["school"] != self.school.code:
                raise _Quarantine(_("The change belongs to another school."))
            change = _Incoming(
                wire, self.school, self.node_id, self.received_at, self.attachments, self
            )
            return change.apply()
        except _Quarantine as exc:
            return Outcome(QUARANTINED, exc.reason, change_uuid=uuid or "")

    def _is_known(self, uuid: str) -> bool:
        if uuid in self._known:
            return True
        if uuid not in self._seen:  # read with the batch: not here when it began
            self._seen.add(uuid)
            return False
        # The same change twice in one batch: what became of the first decides.
        self.flush()
        with db.session.no_autoflush:
            return db.session.scalar(select(Change.id).where(Change.uuid == uuid)) is not None

    def stage(self, submission, key: str, value: Any, answers: dict, origin, outcome) -> None:
        """A form's change that applies: written with the form's others at the flush."""
        from intranet.inspections import services as inspections

        writes = self._writes.get(submission.id)
        if writes is None:
            writes = self._writes[submission.id] = inspections.AnswerWrites(submission)
        writes.add(None, key, value, answers, key, origin)
        self._staged.append((submission.id, outcome))

    def flush(self) -> None:
        """Write what is pending: each form's answers (one guarded UPDATE each), then
        their changes in the order they were made (one INSERT)."""
        if not self._staged:
            return
        writes, staged = self._writes, self._staged
        self._writes, self._staged = {}, []
        rows: dict[int, list[dict[str, Any]]] = {}
        refused: dict[int, str] = {}
        for submission_id, pending in writes.items():
            try:
                rows[submission_id] = pending.update_carried()
            except Refused as exc:  # a parallel save of the same form
                refused[submission_id] = str(exc)
        ordered = []
        for submission_id, outcome in staged:
            if submission_id in refused:
                _memo("head_based").pop(outcome.change_uuid, None)
                self._seen.discard(outcome.change_uuid)
                outcome.status, outcome.reason = QUARANTINED, refused[submission_id]
            else:
                ordered.append(rows[submission_id].pop(0))
        if ordered:
            changelog.append(db.session.connection(), *ordered)

    def finish(self) -> None:
        self.flush()


class _Incoming:
    def __init__(self, wire, school, node_id, received_at, attachments, batch: Batch) -> None:
        self.batch = batch
        self.wire = wire
        self.school = school
        self.field: str = wire["field"]
        self.value = wire.get("value")
        self.attachments = attachments
        saved_at = _moment(wire["saved_at"])
        self.author = _author(wire.get("author_login") or "", school)
        self.origin = changelog.Origin(
            author_id=self.author.id if self.author else None,
            author_login=wire.get("author_login") or "",
            author_name=wire.get("author_name") or "",
            uuid=wire["uuid"],
            parent_uuid=wire.get("parent_uuid"),
            node_id=node_id,
            saved_at=saved_at,
            received_at=received_at,
        )

    def apply(self) -> Outcome:
        kind = self.wire["subject_type"]
        with acting(self.author):
            if kind == Subject.SUBMISSION:
                return self._submission()
            if kind == Subject.ROADMAP_ITEM:
                return self._roadmap_item()
            if kind == Subject.ROADMAP:
                return self._roadmap()
        raise _Quarantine(_("Unknown kind of change."))

    def _author_user(self):
        from intranet.auth.models import User

        return db.session.get(User, self.author.id) if self.author is not None else None

    # -- shared rules --------------------------------------------------------------------

    def _find(self, model):
        # A bundle carries many changes of few records: the batch read them at once, and
        # their ids are kept for the session (the identity map answers without a query).
        known = _memo("records")
        key = (model.__tablename__, self.wire["subject_uuid"])
        record = self.batch.records.get(key)
        if record is not None and (inspect(record).was_deleted or record in db.session.deleted):
            record = None  # removed by an earlier change of the batch: asked as before
        if record is None and key in known:
            record = db.session.get(model, known[key])
        if record is None:
            with db.session.no_autoflush:
                record = db.session.scalar(select(model).where(model.uuid == key[1]))
            if record is not None:
                known[key] = record.id
        if record is None:
            raise _Quarantine(_("The district has no such record."))
        if record.school_id != self.school.id:
            raise _Quarantine(_("The change belongs to another school."))
        return record

    def _owned(self, record) -> None:
        """The school owns the content only while the record is a draft or returned."""
        if record.state is ReviewState.SUBMITTED:
            raise _Quarantine(
                _("Under review by the district: the change applies once it is returned.")
            )
        if record.state is ReviewState.ACCEPTED:
            raise _Quarantine(_("Accepted by the district: sync does not change it."))

    def _fork(self, kind: str, subject_id: int) -> tuple[int, set[str]]:
        """Where the copy's history left this database's: the number of the last change
        both had (the nearest ancestor that was written on top of the head of its time)
        and the copy's own changes since then (the ancestors above it). Quarantined when
        an ancestor never arrived."""
        self.batch.flush()
        ancestors: set[str] = set()
        parent = self.origin.parent_uuid
        while parent is not None:
            row = db.session.execute(
                select(
                    Change.id,
                    Change.subject_type,
                    Change.subject_id,
                    Change.number,
                    Change.applied,
                    Change.parent_uuid,
                ).where(Change.uuid == parent)
            ).first()
            if row is None or (row.subject_type, row.subject_id) != (kind, subject_id):
                raise _Quarantine(_("The change it was based on has not arrived."))
            if row.applied and row.number is not None and self._was_head_based(row):
                return row.number, ancestors
            ancestors.add(parent)
            parent = row.parent_uuid
        return 0, ancestors

    @staticmethod
    def _was_head_based(row) -> bool:
        """Whether a change was written on top of the head of its time (rather than
        merged beside changes its author had not seen)."""
        head_before = db.session.scalar(
            select(Change.uuid)
            .where(
                Change.subject_type == row.subject_type,
                Change.subject_id == row.subject_id,
                Change.applied.is_(True),
                Change.number.is_not(None),
                Change.id < row.id,
            )
            .order_by(Change.id.desc())
            .limit(1)
        )
        return row.parent_uuid == head_before

    def _unseen(self, kind: str, subject_id: int) -> dict[str, int]:
        """{field: id of its latest change} of the changes written here that the copy
        had not seen when it made this one."""
        base, ancestors = self._fork(kind, subject_id)
        rows = db.session.execute(
            select(Change.field, Change.id, Change.uuid).where(
                Change.subject_type == kind,
                Change.subject_id == subject_id,
                Change.applied.is_(True),
                Change.number > base,
            )
        ).all()
        unseen: dict[str, int] = {}
        for name, change_id, uuid in rows:
            if uuid not in ancestors:
                unseen[name] = max(change_id, unseen.get(name, 0))
        return unseen

    def _on_head(self, head: str | None) -> bool:
        """Based on the record's head, which was itself written on top of the head of
        its time: nothing can be unseen (the common case: a copy's chain of changes,
        each based on the one before)."""
        if head is None or self.origin.parent_uuid != head:
            return False
        flags = _memo("head_based")
        if head not in flags:
            self.batch.flush()
            row = db.session.execute(
                select(Change.id, Change.subject_type, Change.subject_id, Change.parent_uuid).where(
                    Change.uuid == head
                )
            ).first()
            flags[head] = row is not None and self._was_head_based(row)
        return flags[head]

    def _clash(self, kind: str, subject_id: int, head: str | None) -> tuple[int | None, bool]:
        """(the latest unseen change of the same field or None, whether anything at all
        was unseen: then the change merges rather than applies)."""
        if self._on_head(head):
            return None, False
        unseen = self._unseen(kind, subject_id)
        clashing = [
            change_id
            for name, change_id in unseen.items()
            if name == self.field
            or name.startswith(self.field + ".")
            or self.field.startswith(name + ".")
        ]
        return (max(clashing) if clashing else None), bool(unseen)

    def _keep_in_conflict(self, record, kind: str, current_id: int) -> Outcome:
        """Both values kept: the incoming change is stored unapplied, and one open
        conflict per field names the latest of each side."""
        self.batch.flush()
        changelog.append(
            db.session.connection(),
            self.origin.row(
                uuid=self.origin.uuid,
                parent_uuid=self.origin.parent_uuid,
                district_id=record.district_id,
                school_id=record.school_id,
                subject_type=kind,
                subject_id=record.id,
                subject_uuid=record.uuid,
                number=None,
                applied=False,
                field=self.field,
                value=self.value,
                sync_state=SyncState.CONFLICT.value,
            ),
        )
        incoming_id = db.session.scalar(select(Change.id).where(Change.uuid == self.origin.uuid))
        conflict = db.session.scalar(
            select(Conflict).where(
                Conflict.subject_type == kind,
                Conflict.subject_id == record.id,
                Conflict.field == self.field,
                Conflict.resolved_at.is_(None),
            )
        )
        if conflict is None:
            conflict = Conflict(
                district_id=record.district_id,
                school_id=record.school_id,
                subject_type=kind,
                subject_id=record.id,
                field=self.field,
                current_id=current_id,
                incoming_id=incoming_id,
            )
            db.session.add(conflict)
        else:
            conflict.current_id, conflict.incoming_id = current_id, incoming_id
        db.session.flush()
        return Outcome(
            CONFLICT,
            _("The same field was changed in the district: both values are kept for a reviewer."),
            change_uuid=self.origin.uuid,
            conflict_id=conflict.id,
        )

    def _done(self, merged: bool) -> Outcome:
        _memo("head_based")[self.origin.uuid] = not merged
        return Outcome(MERGED if merged else APPLIED, change_uuid=self.origin.uuid)

    # -- forms ---------------------------------------------------------------------------

    def _submission(self) -> Outcome:
        from intranet.inspections import services as inspections
        from intranet.inspections.models import Submission

        submission = self._find(Submission)
        campaign = submission.campaign
        version = self.wire.get("version")
        if version and version != campaign.version.uuid:
            raise _Quarantine(_("Unknown version of the form template."))
        target = submission.target
        if target is None or target.is_locked(self._saved_on()):
            raise _Quarantine(_("The campaign is closed and was not reopened for the school."))
        if self.field == SUBMIT:
            self.batch.flush()
            return self._submit(submission, inspections.submit_carried)
        self._owned(submission)
        try:
            answers, value = inspections.answers_with(submission, self.field, self.value)
        except Refused as exc:
            raise _Quarantine(str(exc)) from None
        clash, merged = self._clash(Subject.SUBMISSION, submission.id, submission.head_uuid)
        if clash is not None and inspections.current_answer(submission, self.field) != value:
            return self._keep_in_conflict(submission, Subject.SUBMISSION, clash)
        self.value = value
        outcome = self._done(merged)
        self.batch.stage(submission, self.field, value, answers, self.origin, outcome)
        return outcome

    def _saved_on(self) -> date:
        """The day the change was made, for the campaign's lock: the copy's clock, but
        never later than its arrival here (a clock running ahead proves nothing)."""
        return min(self.origin.saved_at, self.origin.received_at).date()

    def _submit(self, record, act) -> Outcome:
        from intranet.review import services as review

        if record.state is ReviewState.SUBMITTED:
            return Outcome(SKIPPED, _("Already submitted."), change_uuid=self.origin.uuid)
        self._owned(record)
        author = self._author_user()
        if author is None or not review.can_submit(author, record):
            raise _Quarantine(_("Only the school head can submit."))
        # The content it submits must have arrived (its parent is the copy's last change).
        head = getattr(record, "head_uuid", None)
        merged = not self._on_head(head) and bool(self._unseen(record.review_type, record.id))
        problems = record.submit_problems()
        if problems:
            raise _Quarantine("; ".join(problems))
        act(author, record, self.origin)
        return self._done(merged)

    # -- roadmaps ------------------------------------------------------------------------

    def _roadmap(self) -> Outcome:
        from intranet.review import services as review
        from intranet.roadmaps.models import SchoolRoadmap

        self.batch.flush()
        roadmap = self._find(SchoolRoadmap)
        if self.field != SUBMIT:
            raise _Quarantine(_("Unknown kind of change."))
        return self._submit(
            roadmap, lambda actor, rec, origin: review.submit(actor, rec, origin, commit=False)
        )

    def _roadmap_item(self) -> Outcome:
        from intranet.roadmaps import changes as item_changes
        from intranet.roadmaps import services as roadmaps
        from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap

        self.batch.flush()
        if self.field == CREATE:
            value = self.value if isinstance(self.value, dict) else {}
            roadmap = db.session.scalar(
                select(SchoolRoadmap).where(SchoolRoadmap.uuid == value.get("roadmap_uuid"))
            )
            if roadmap is None:
                raise _Quarantine(_("The district has no such record."))
            if roadmap.school_id != self.school.id:
                raise _Quarantine(_("The change belongs to another school."))
            self._owned(roadmap)
            exists = db.session.scalar(
                select(RoadmapItem.id).where(RoadmapItem.uuid == self.wire["subject_uuid"])
            )
            if exists is not None:
                raise _Quarantine(_("A measure with this identifier already exists."))
            try:
                roadmaps.create_carried(roadmap, self.wire["subject_uuid"], value, self.origin)
            except Refused as exc:
                raise _Quarantine(str(exc)) from None
            return Outcome(APPLIED, change_uuid=self.origin.uuid)

        item = self._find(RoadmapItem)
        self._owned(item.roadmap)
        if self.field in item_changes.FIELDS:
            try:
                roadmaps.check_item_value(self.field, self.value, item)
            except Refused as exc:
                raise _Quarantine(str(exc)) from None
            clash, merged = self._clash(Subject.ROADMAP_ITEM, item.id, item.head_uuid)
            if clash is not None and item_changes.value_of(item, self.field) != self.value:
                return self._keep_in_conflict(item, Subject.ROADMAP_ITEM, clash)
            self._write(
                lambda: roadmaps.apply_item_change(item, self.field, self.value, self.origin)
            )
            return self._done(merged)
        merged = not self._on_head(item.head_uuid) and bool(
            self._unseen(Subject.ROADMAP_ITEM, item.id)
        )
        if self.field == DELETE:
            if not item.is_own:
                raise _Quarantine(_("Only the school's own measures can be removed."))
            self._write(lambda: roadmaps.delete_carried(item, self.origin))
        elif self.field == EVIDENCE_ADD:
            self._attach(item, roadmaps)
        elif self.field == EVIDENCE_REMOVE:
            self._detach(item, roadmaps)
        else:
            raise _Quarantine(_("Unknown kind of change."))
        return self._done(merged)

    def _write(self, write) -> None:
        from intranet.roadmaps import changes as item_changes

        try:
            write()
        except item_changes.Overtaken:  # a parallel edit here: the import is retried
            raise _Quarantine(
                _("Several people are changing this item at this moment; try again.")
            ) from None

    def _attach(self, item, roadmaps) -> None:
        import hashlib

        from intranet.roadmaps.models import Evidence

        value = self.value if isinstance(self.value, dict) else {}
        evidence_uuid = value.get("uuid")
        if not evidence_uuid:
            raise _Quarantine(_("The change record is malformed."))
        if db.session.scalar(select(Evidence.id).where(Evidence.uuid == evidence_uuid)):
            raise _Quarantine(_("A measure with this identifier already exists."))
        if value.get("url"):
            url = str(value["url"])
            if not url.startswith(("http://", "https://")) or len(url) > 1000:
                raise _Quarantine(_("Not a web address (https://...)."))
            self._write(lambda: roadmaps.attach_link(item, value, self.origin))
            return
        digest = value.get("sha256") or ""
        data = self.attachments.get(digest)
        if data is not None:
            if hashlib.sha256(data).hexdigest() != digest:
                raise _Quarantine(_("The file has not arrived."))
        elif changelog.blob_size(digest) is None:
            raise _Quarantine(_("The file has not arrived."))
        try:
            roadmaps.sniff_evidence(data or b"%PDF-", str(value.get("filename") or ""))
        except Refused as exc:
            raise _Quarantine(str(exc)) from None
        file = {
            "uuid": evidence_uuid,
            "sha256": digest,
            "filename": str(value.get("filename") or "file")[-255:],
            "content_type": str(value.get("content_type") or "application/octet-stream"),
            "size": len(data) if data is not None else changelog.blob_size(digest),
        }
        if data is not None:
            changelog.store_blob(data, digest)
        self._write(lambda: roadmaps.attach_file(item, file, self.origin))

    def _detach(self, item, roadmaps) -> None:
        from intranet.roadmaps.changes import record_action
        from intranet.roadmaps.models import Evidence

        value = self.value if isinstance(self.value, dict) else {}
        evidence = db.session.scalar(
            select(Evidence).where(Evidence.uuid == value.get("uuid"), Evidence.item_id == item.id)
        )
        if evidence is None:  # removed here already: record the removal all the same
            self._write(lambda: record_action(item, EVIDENCE_REMOVE, value, self.origin))
            return
        self._write(lambda: roadmaps.detach(item, evidence, self.origin))


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise _Quarantine(_("The change record is malformed.")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Author:
    """Who a change names, as the audit log needs it (the user row is read only for a
    submit, which checks the role)."""

    id: int
    login: str
    full_name: str


def _author(login: str, school) -> _Author | None:
    from intranet.auth.models import User

    if not login:
        return None
    known = _memo("authors")
    key = (login.lower(), school.district_id)
    if key not in known:
        with db.session.no_autoflush:
            row = db.session.execute(
                select(User.id, User.login, User.full_name).where(
                    User.login == key[0], User.district_id == key[1]
                )
            ).first()
        known[key] = _Author(*row) if row is not None else None
    return known[key]


def _chunks(values, size: int = 500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


_SUBJECT_MODELS: tuple | None = None


def _subject_models() -> tuple:
    """(subject type, model, the statement that reads its records by uuid with what the
    rules read of them): built once."""
    global _SUBJECT_MODELS
    if _SUBJECT_MODELS is None:
        _SUBJECT_MODELS = _build_subject_models()
    return _SUBJECT_MODELS


def _build_subject_models():
    from sqlalchemy.orm import joinedload

    from intranet.inspections.models import Campaign, FormVersion, Submission
    from intranet.roadmaps.models import RoadmapItem, SchoolRoadmap

    def by_uuids(model, *options):
        return (
            select(model)
            .where(model.uuid.in_(bindparam("b_uuids", expanding=True)))
            .options(*options)
        )

    return (
        (
            Subject.SUBMISSION.value,
            Submission,
            by_uuids(
                Submission,
                # The version's schema is read once per process (``FormVersion.frozen_schema``).
                joinedload(Submission.campaign)
                .joinedload(Campaign.version)
                .defer(FormVersion.schema),
                joinedload(Submission.target),
            ),
        ),
        (
            Subject.ROADMAP_ITEM.value,
            RoadmapItem,
            by_uuids(RoadmapItem, joinedload(RoadmapItem.roadmap)),
        ),
        (Subject.ROADMAP.value, SchoolRoadmap, by_uuids(SchoolRoadmap)),
    )


def _preload_authors(logins: set[str], school) -> None:
    """The users the changes name, in one statement (``_author`` answers from the memo)."""
    from intranet.auth.models import User

    known = _memo("authors")
    wanted = {login.lower() for login in logins}
    wanted = {login for login in wanted if (login, school.district_id) not in known}
    if not wanted:
        return
    found = {}
    for part in _chunks(sorted(wanted)):
        for row in db.session.execute(
            select(User.id, User.login, User.full_name).where(
                User.login.in_(part), User.district_id == school.district_id
            )
        ):
            found[row.login] = _Author(*row)
    for login in wanted:
        known[(login, school.district_id)] = found.get(login)


def _preload_head_flags(heads: set[str]) -> None:
    """Whether each record's head was written on top of the head of its time (what
    ``_was_head_based`` answers for one), for all the heads in one statement."""
    flags = _memo("head_based")
    wanted = sorted(heads - flags.keys())
    if not wanted:
        return
    table = Change.__table__
    row, earlier = table.alias("row"), table.alias("earlier")
    head_before = (
        select(earlier.c.uuid)
        .where(
            earlier.c.subject_type == row.c.subject_type,
            earlier.c.subject_id == row.c.subject_id,
            earlier.c.applied.is_(True),
            earlier.c.number.is_not(None),
            earlier.c.id < row.c.id,
        )
        .order_by(earlier.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    found = {}
    for part in _chunks(wanted):
        for uuid, parent, before in db.session.execute(
            select(row.c.uuid, row.c.parent_uuid, head_before).where(row.c.uuid.in_(part))
        ):
            found[uuid] = parent == before
    for uuid in wanted:
        flags[uuid] = found.get(uuid, False)


def _memo(name: str) -> dict:
    """Facts that never change once written (a change's place in its record's history,
    a login's user, a uuid's row), kept for the session: a bundle of a thousand changes
    asks for each once."""
    return db.session.info.setdefault("changelog.merge", {}).setdefault(name, {})
