"""What the district sends down to a school, as one ordered feed per school.

District side: ``refresh(school)`` compares what the district holds for the school today
(review decisions, campaigns, plans and roadmaps, template versions, accounts) with what
the feed last said about each of them, and appends an entry, with the school's next
position, for every one that is new or changed, whatever page or command changed it.
``collect(school, after_position)`` returns the entries past a position: each bundle for
the school carries them in position order. Positions are numbers, never clocks.

Most pulls find nothing new, and the comparison reads everything the school is sent. So
every write to a table the feed is made of bumps one counter (``FeedGeneration``) when
the writer's transaction commits, whatever page, command or import made it: the watch is
on the database engine, not in the services. A school's refresh remembers the counter it saw
(``FeedCheck``); the same counter and no change of the school's content waiting for the
feed, and nothing can be new: the comparison is skipped.

Copy side: ``apply(records, school=...)`` writes them into the copy, each once (a position
the copy already applied is skipped), inside the import's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import event as sqla_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from intranet.extensions import db
from intranet.mixins import utcnow
from intranet.schools.models import School
from sync import rows

# The order a bundle carries them in (after the receipts): why a form came back first.
KINDS = (
    "review_event",
    # A change of the school's content not made on the copy that receives it (another PC
    # of the school, or the school's people on the district server): in the district's
    # order, between the review decisions (a return, then an edit of the returned form).
    "change",
    "resolution",
    "campaign",
    "plan",
    "roadmap",
    "form_version",
    "user",
    "notification",
)


class FeedEntry(db.Model):
    """One record of a school's downstream feed (district side)."""

    __tablename__ = "sync_feed_entries"
    __table_args__ = (
        UniqueConstraint("school_id", "position"),
        # Whether a record (a change, a review event) has been put in the feed, and where.
        Index("ix_sync_feed_entries_key", "school_id", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    # What it is about (a uuid): a newer entry of the same kind and key supersedes it.
    key: Mapped[str] = mapped_column(String(36))
    digest: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<FeedEntry {self.school_id}#{self.position} {self.kind} {self.key}>"


class FeedGeneration(db.Model):
    """One counter (row 1), bumped by every write that may change a feed record of any
    school (district side; a missing row counts as 0)."""

    __tablename__ = "sync_feed_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<FeedGeneration {self.value}>"


class FeedCheck(db.Model):
    """The counter a school's feed saw when it last compared everything (district side)."""

    __tablename__ = "sync_feed_checks"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<FeedCheck {self.school_id} at {self.generation}>"


# -- district side: what the school should know -------------------------------------------

# Columns that move with the school's own work or with other schools (counters, login
# times): they are sent with a record but never make a new one.
_VOLATILE = {
    "plans": {"updated_at"},
    "plan_items": {"done_count"},
    "campaigns": {"updated_at", "expected_count", "submitted_count", "on_time_count"},
    "users": {"updated_at", "last_login_at"},
}
# District-made rows the school then works on: only their birth is news.
_IDENTITY = {
    "submissions": ("id", "uuid", "campaign_id", "school_id", "district_id"),
    "school_roadmaps": ("id", "uuid", "plan_id", "school_id", "district_id"),
    "roadmap_items": ("uuid", "roadmap_id", "plan_item_id"),
}


# -- district side: the watch on what the feed is made of ------------------------------------

# The tables ``_current`` reads, and the change log (its new changes are found apart, by
# ``_changes_waiting``: a change written is not a bump, or every import would be one).
_FED_TABLES = frozenset(
    {
        "review_events",
        "conflicts",
        "campaign_targets",
        "campaigns",
        "form_versions",
        "form_templates",
        "submissions",
        "plans",
        "plan_sections",
        "plan_items",
        "school_roadmaps",
        "roadmap_items",
        "users",
        "notifications",
        "changes",
    }
)
# What an UPDATE may set without changing any feed record: the columns a record never
# compares (``_VOLATILE``), the school's own work on rows sent only for their birth
# (``_IDENTITY``), and a change's sync state.
_UNFED_COLUMNS = {"changes": frozenset({"sync_state"})}
_GENERATION = FeedGeneration.__table__
_CHECKS = FeedCheck.__table__


def _written(clause, multiparams, params) -> set[str] | None:
    """The columns an UPDATE sets, as far as the statement and its parameters say."""
    table = clause.table
    names = {str(getattr(key, "key", key)) for key in (getattr(clause, "_values", None) or {})}
    ordered = getattr(clause, "_ordered_values", None) or ()
    names.update(str(getattr(key, "key", key)) for key, _value in ordered)
    for given in [*(multiparams or ()), params or {}]:
        if isinstance(given, dict):
            names.update(given)
    columns = {c.key for c in table.columns}
    return names & columns if names else None


def _may_change_feed(clause, multiparams, params) -> bool:
    table = getattr(clause, "table", None)
    name = getattr(table, "name", None)
    if name not in _FED_TABLES:
        return False
    if clause.is_insert:
        return name != "changes"
    if not clause.is_update:
        return True  # a delete
    written = _written(clause, multiparams, params)
    if written is None:
        return True  # cannot tell: counted
    if name in _IDENTITY:
        return bool(written & set(_IDENTITY[name]))
    unfed = _VOLATILE.get(name, set()) | _UNFED_COLUMNS.get(name, frozenset()) | {"updated_at"}
    return not written <= unfed


def _bump_statement(dialect_name: str):
    if dialect_name == "postgresql":
        stmt = postgresql.insert(_GENERATION)
    elif dialect_name == "sqlite":
        stmt = sqlite.insert(_GENERATION)
    else:  # the row is made by the migration
        return (
            update(_GENERATION).where(_GENERATION.c.id == 1).values(value=_GENERATION.c.value + 1)
        )
    return stmt.values(id=1, value=1).on_conflict_do_update(
        index_elements=[_GENERATION.c.id], set_={"value": _GENERATION.c.value + 1}
    )


_PENDING = "sync_feed_bump"


def _watch(conn, clause, multiparams, params, execution_options) -> None:  # noqa: ARG001
    """A write that may change a school's feed: its transaction bumps the counter when
    it commits."""
    if getattr(clause, "is_dml", False) and _may_change_feed(clause, multiparams, params):
        conn.info[_PENDING] = True


def _bump(conn) -> None:
    """At the commit of a transaction that wrote what a feed is made of: the counter, in
    that very transaction (seen with the write, never without it). Last, so the counter's
    row is held only while the transaction commits, never while it waits for another."""
    if conn.info.pop(_PENDING, False):
        conn.execute(_bump_statement(conn.dialect.name))


def _forget(conn) -> None:
    conn.info.pop(_PENDING, None)


def watch(engine) -> None:
    """Watch the district database's writes (once per engine)."""
    for name, listener in (("before_execute", _watch), ("commit", _bump), ("rollback", _forget)):
        if not sqla_event.contains(engine, name, listener):
            sqla_event.listen(engine, name, listener)


def _generation() -> int:
    return int(
        db.session.execute(select(_GENERATION.c.value).where(_GENERATION.c.id == 1)).scalar() or 0
    )


def _changes_waiting(school: School) -> bool:
    """Whether a change of the school's content was applied here and is not in its feed
    yet (what ``_new_changes`` would send)."""
    from intranet.changelog.models import Change

    fed = select(FeedEntry.id).where(
        FeedEntry.school_id == school.id, FeedEntry.kind == "change", FeedEntry.key == Change.uuid
    )
    return (
        db.session.execute(
            select(Change.id)
            .where(Change.school_id == school.id, Change.applied.is_(True), ~fed.exists())
            .limit(1)
        ).first()
        is not None
    )


def _checked(school: School, generation: int) -> None:
    done = db.session.execute(
        update(_CHECKS)
        .where(_CHECKS.c.school_id == school.id)
        .values(generation=generation, checked_at=utcnow())
    )
    if done.rowcount == 0:
        db.session.execute(
            insert(_CHECKS).values(school_id=school.id, generation=generation, checked_at=utcnow())
        )


def _select(name: str, where) -> list[Any]:
    tbl = rows.table(name)
    return list(db.session.execute(select(tbl).where(where).order_by(*tbl.primary_key)))


def _rows(name: str, found: list[Any]) -> list[dict[str, Any]]:
    tbl = rows.table(name)
    attachments: dict[str, bytes] = {}
    return [rows.dump(tbl, r, attachments) for r in found]


def _digest_part(name: str, row: dict[str, Any]) -> dict[str, Any]:
    if name in _IDENTITY:
        return {k: row.get(k) for k in _IDENTITY[name]}
    volatile = _VOLATILE.get(name, set())
    return {k: v for k, v in row.items() if k not in volatile}


def _record(kind: str, key: str, tables: dict[str, list[dict[str, Any]]], **extra: Any):
    payload = {"tables": tables, **extra}
    basis = {
        "tables": {n: [_digest_part(n, r) for r in rs] for n, rs in tables.items()},
        **extra,
    }
    digest = hashlib.sha256(
        json.dumps(basis, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()
    return kind, key, digest, payload


def _current(school: School) -> Iterable[tuple[str, str, str, dict[str, Any]]]:
    t = rows.table
    # Review decisions: comments, returns, acceptances (append-only, each sent once).
    events = _select(
        "review_events",
        (t("review_events").c.school_id == school.id)
        & t("review_events").c.action.in_(["return", "accept", "comment"]),
    )
    subjects = {
        "submission": dict(
            db.session.execute(
                select(t("submissions").c.id, t("submissions").c.uuid).where(
                    t("submissions").c.school_id == school.id
                )
            ).all()
        ),
        "roadmap": dict(
            db.session.execute(
                select(t("school_roadmaps").c.id, t("school_roadmaps").c.uuid).where(
                    t("school_roadmaps").c.school_id == school.id
                )
            ).all()
        ),
    }
    version_ids = {e.version_id for e in events if e.version_id}
    version_uuids = dict(
        db.session.execute(
            select(t("versions").c.id, t("versions").c.uuid).where(
                t("versions").c.id.in_(sorted(version_ids) or [0])
            )
        ).all()
    )
    for event, row in zip(events, _rows("review_events", events), strict=True):
        row.pop("author_id", None)
        yield _record(
            "review_event",
            event.uuid,
            {},
            event=row,
            subject_uuid=subjects.get(event.subject_type, {}).get(event.subject_id),
            version_uuid=version_uuids.get(event.version_id),
        )

    yield from _resolutions(school)

    # Campaigns: launch (with the form version and the school's empty submission),
    # reopening for the school, and the due date and grace that lock it.
    targets = _select("campaign_targets", t("campaign_targets").c.school_id == school.id)
    for target in targets:
        campaign = _select("campaigns", t("campaigns").c.id == target.campaign_id)
        version = _select("form_versions", t("form_versions").c.id == campaign[0].version_id)
        template = _select("form_templates", t("form_templates").c.id == version[0].template_id)
        submission = _select(
            "submissions",
            (t("submissions").c.campaign_id == target.campaign_id)
            & (t("submissions").c.school_id == school.id),
        )
        yield _record(
            "campaign",
            campaign[0].uuid,
            {
                "form_templates": _rows("form_templates", template),
                "form_versions": _rows("form_versions", version),
                "campaigns": _rows("campaigns", campaign),
                "campaign_targets": _rows("campaign_targets", [target]),
                "submissions": _rows("submissions", submission),
            },
        )

    # Published plans, and the roadmap each made for this school with its plan items.
    plans = _select(
        "plans",
        (t("plans").c.district_id == school.district_id) & (t("plans").c.status == "published"),
    )
    for plan in plans:
        yield _record(
            "plan",
            plan.uuid,
            {
                "plans": _rows("plans", [plan]),
                "plan_sections": _rows(
                    "plan_sections",
                    _select("plan_sections", t("plan_sections").c.plan_id == plan.id),
                ),
                "plan_items": _rows(
                    "plan_items", _select("plan_items", t("plan_items").c.plan_id == plan.id)
                ),
            },
        )
    roadmaps = _select("school_roadmaps", t("school_roadmaps").c.school_id == school.id)
    for roadmap in roadmaps:
        items = _select(
            "roadmap_items",
            (t("roadmap_items").c.roadmap_id == roadmap.id)
            & t("roadmap_items").c.plan_item_id.is_not(None),
        )
        yield _record(
            "roadmap",
            roadmap.uuid,
            {
                "school_roadmaps": _rows("school_roadmaps", [roadmap]),
                "roadmap_items": _rows("roadmap_items", items),
            },
        )

    # Form versions of the templates the school's campaigns use (a new version of one).
    template_ids = {
        r.template_id
        for r in _select(
            "form_versions",
            t("form_versions").c.id.in_(
                select(t("campaigns").c.version_id).where(
                    t("campaigns").c.id.in_(
                        select(t("campaign_targets").c.campaign_id).where(
                            t("campaign_targets").c.school_id == school.id
                        )
                    )
                )
            ),
        )
    }
    for version in _select(
        "form_versions",
        t("form_versions").c.template_id.in_(sorted(template_ids) or [0])
        & (t("form_versions").c.status == "published"),
    ):
        template = _select("form_templates", t("form_templates").c.id == version.template_id)
        yield _record(
            "form_version",
            version.uuid,
            {
                "form_templates": _rows("form_templates", template),
                "form_versions": _rows("form_versions", [version]),
            },
        )

    # The school's accounts: new ones, reset passwords, disabled logins.
    for user in _select("users", t("users").c.school_id == school.id):
        yield _record("user", user.uuid, {"users": _rows("users", [user])})

    # What the district told the school (a form returned, a new campaign): the same line
    # appears on the copy's home page. Whether it was read is the copy's own business.
    for note in _select("notifications", t("notifications").c.school_id == school.id):
        yield _record(
            "notification",
            hashlib.sha256(note.dedupe_key.encode("utf-8")).hexdigest()[:36],
            {},
            notification={"dedupe_key": note.dedupe_key, "text": note.text, "url": note.url},
        )


def _resolutions(school: School):
    """A reviewer's choice between two values of a field: the change in force comes down,
    so the copy holds that value and stops showing «в конфликте»."""
    from intranet.changelog.models import Change, Conflict
    from intranet.changelog.services import to_wire

    resolved = db.session.execute(
        select(Conflict.subject_type, Conflict.subject_id, Conflict.field)
        .where(Conflict.school_id == school.id, Conflict.resolved_at.is_not(None))
        .distinct()
    ).all()
    for subject_type, subject_id, field in resolved:
        in_force = db.session.scalar(
            select(Change)
            .where(
                Change.subject_type == subject_type,
                Change.subject_id == subject_id,
                Change.field == field,
                Change.applied.is_(True),
            )
            .order_by(Change.id.desc())
            .limit(1)
        )
        if in_force is None:
            continue
        wire = to_wire(in_force, school.code)
        key = hashlib.sha256(f"{wire['subject_uuid']}:{field}".encode()).hexdigest()[:36]
        yield _record("resolution", key, {}, change=wire)


def _new_changes(school: School) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Changes of the school's content applied here and not yet in its feed, in the order
    applied. A change goes down once; the copy that made it skips it (or, when the bundle
    is made for one node, never gets it)."""
    from intranet.changelog.models import Change
    from intranet.changelog.services import to_wire

    fed = select(FeedEntry.id).where(
        FeedEntry.school_id == school.id, FeedEntry.kind == "change", FeedEntry.key == Change.uuid
    )
    versions: dict[int, Any] = {}
    out = []
    for change in db.session.scalars(
        select(Change)
        .where(Change.school_id == school.id, Change.applied.is_(True), ~fed.exists())
        .order_by(Change.id)
    ):
        wire = to_wire(change, school.code, versions)
        wire["received_at"] = change.received_at.isoformat()
        out.append(("change", change.uuid, change.uuid, {"change": wire}))
    return out


def _feed_order(record: tuple[str, str, str, dict[str, Any]]):
    """Review decisions and changes interleave as they happened here (one clock: this
    database's); the other kinds follow in ``KINDS`` order."""
    kind, _key, _digest, payload = record
    if kind == "change":
        return (0, str(payload["change"].get("received_at") or ""))
    if kind == "review_event":
        return (0, str((payload.get("event") or {}).get("at") or ""))
    return (KINDS.index(kind), "")


def _lock(school: School) -> None:
    # Two exports for one school at once must not take the same position.
    db.session.execute(select(School.id).where(School.id == school.id).with_for_update())


def current_position(school: School) -> int:
    return int(
        db.session.scalar(
            select(func.max(FeedEntry.position)).where(FeedEntry.school_id == school.id)
        )
        or 0
    )


def refresh(school: School) -> int:
    """Append what changed for ``school`` since the feed last spoke of it; the position
    reached. No commit: the caller's transaction keeps the feed and its bundle together."""
    _lock(school)
    # The counter first, then what it stands for: a write committed meanwhile is either
    # read below or bumps the counter past the one kept.
    generation, checked = db.session.execute(
        select(
            select(_GENERATION.c.value).where(_GENERATION.c.id == 1).scalar_subquery(),
            select(_CHECKS.c.generation).where(_CHECKS.c.school_id == school.id).scalar_subquery(),
        )
    ).one()
    generation = generation or 0
    if checked == generation and not _changes_waiting(school):
        return current_position(school)
    last: dict[tuple[str, str], str] = {}
    for kind, key, digest in db.session.execute(
        select(FeedEntry.kind, FeedEntry.key, FeedEntry.digest)
        .where(FeedEntry.school_id == school.id)
        .order_by(FeedEntry.position)
    ):
        last[(kind, key)] = digest
    position = current_position(school)
    current = [r for r in _current(school) if last.get((r[0], r[1])) != r[2]]
    current.extend(_new_changes(school))
    current.sort(key=_feed_order)
    new = []
    for kind, key, digest, payload in current:
        position += 1
        new.append(
            {
                "school_id": school.id,
                "position": position,
                "kind": kind,
                "key": key,
                "digest": digest,
                "payload": payload,
                "created_at": utcnow(),
            }
        )
    if new:
        db.session.execute(insert(FeedEntry), new)
    _checked(school, generation)
    return position


def collect(
    school: School, *, after_position: int, node_id: str | None = None
) -> list[dict[str, Any]]:
    """The feed records for ``school`` past ``after_position``, in position order; for
    one node (``node_id``) without the changes that node made itself."""
    return collect_to_head(school, after_position=after_position, node_id=node_id)[0]


def collect_to_head(
    school: School, *, after_position: int, node_id: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """``collect``, and the feed's position after the refresh (the last a bundle covers,
    even when it leaves the node's own changes out)."""
    head = refresh(school)
    if head <= after_position:
        return [], head
    entries = db.session.scalars(
        select(FeedEntry)
        .where(FeedEntry.school_id == school.id, FeedEntry.position > after_position)
        .order_by(FeedEntry.position)
    )
    records = [
        {"kind": e.kind, "position": e.position, "school": school.code, "key": e.key, **e.payload}
        for e in entries
        if not (
            node_id is not None
            and e.kind == "change"
            and (e.payload.get("change") or {}).get("node_id") == node_id
        )
    ]
    return records, head


# -- copy side ---------------------------------------------------------------------------


def applied_position() -> int:
    from sync import nodes

    local = nodes.local()
    return local.feed_position if local else 0


def _upsert(name: str, row: dict[str, Any], *, keep: set[str] | None = None) -> None:
    """Insert the district's row with its id, or bring the copy's row to it (all columns,
    or only ``keep`` when the school works on the rest)."""
    tbl = rows.table(name)
    values = rows.load(tbl, row, {})
    pk = [c.name for c in tbl.primary_key.columns]
    where = [tbl.c[k] == values[k] for k in pk]
    exists = db.session.execute(select(*tbl.primary_key.columns).where(*where)).first()
    if exists is None:
        db.session.execute(insert(tbl).values(**values))
    else:
        changed = {k: v for k, v in values.items() if k not in pk and (keep is None or k in keep)}
        if changed:
            db.session.execute(update(tbl).where(*where).values(**changed))


def _insert_by_uuid(name: str, row: dict[str, Any], **override: Any) -> bool:
    """A row of a table the copy also writes: matched by uuid, inserted with a copy id."""
    tbl = rows.table(name)
    if db.session.scalar(select(tbl.c.id).where(tbl.c.uuid == row["uuid"])) is not None:
        return False
    values = rows.load(tbl, row, {})
    values.pop("id", None)
    values.update(override)
    db.session.execute(insert(tbl).values(**values))
    return True


def _apply_review_event(record: dict[str, Any]) -> None:
    t = rows.table
    row = dict(record["event"])
    table_name = "submissions" if row["subject_type"] == "submission" else "school_roadmaps"
    subject = db.session.execute(
        select(t(table_name).c.id, t(table_name).c.status).where(
            t(table_name).c.uuid == record.get("subject_uuid")
        )
    ).first()
    if subject is None:
        return  # a record the copy never had (made before it was enrolled elsewhere)
    version_id = None
    if record.get("version_uuid"):
        version_id = db.session.scalar(
            select(t("versions").c.id).where(t("versions").c.uuid == record["version_uuid"])
        )
    if not _insert_by_uuid(
        "review_events", row, subject_id=subject.id, version_id=version_id, author_id=None
    ):
        return
    decided = {"return": "returned", "accept": "accepted"}.get(row["action"])
    # The decision is about what the school submitted; a copy that has moved on keeps
    # its own state (the district will see the newer submission next).
    if decided and subject.status == "submitted":
        values: dict[str, Any] = {"status": decided}
        if decided == "accepted":
            values["changed_since_accepted"] = False
        db.session.execute(
            update(t(table_name)).where(t(table_name).c.id == subject.id).values(**values)
        )


def _apply_resolution(record: dict[str, Any]) -> None:
    """Write the value the district kept through the record's own write (as a change made
    there, never sent back up), and close this copy's side of the conflict."""
    from intranet.changelog.models import Change
    from intranet.changelog.services import Origin
    from intranet.errors import Refused

    wire = record["change"]
    closed = (
        update(Change)
        .where(
            Change.subject_uuid == wire["subject_uuid"],
            Change.field == wire["field"],
            Change.node_id.is_(None),
            Change.sync_state == "conflict",
        )
        .values(sync_state="confirmed")
    )
    _close_conflicts(wire)
    known = db.session.execute(
        select(Change.id, Change.applied).where(Change.uuid == wire["uuid"])
    ).first()
    if known is not None and known.applied:
        db.session.execute(closed)
        return
    origin = Origin(
        None,
        wire.get("author_login") or "",
        wire.get("author_name") or "",
        uuid=wire["uuid"],
        parent_uuid=wire.get("parent_uuid"),
        node_id=wire.get("node_id") or "district",
        saved_at=datetime.fromisoformat(wire["saved_at"]) if wire.get("saved_at") else None,
    )
    if known is not None:
        # Kept here unapplied (it came down beside this copy's own change of the field):
        # the value chosen is written as the district's change of this copy.
        origin.uuid, origin.parent_uuid, origin.node_id = None, None, "district"
    try:
        if wire["subject_type"] == "submission":
            from intranet.inspections import services as inspections
            from intranet.inspections.models import Submission

            submission = db.session.scalar(
                select(Submission).where(Submission.uuid == wire["subject_uuid"])
            )
            if submission is None:
                return
            answers, value = inspections.answers_with(submission, wire["field"], wire["value"])
            inspections.write_carried(submission, wire["field"], value, answers, origin)
        elif wire["subject_type"] == "roadmap_item":
            from intranet.roadmaps import services as roadmaps
            from intranet.roadmaps.models import RoadmapItem

            item = db.session.scalar(
                select(RoadmapItem).where(RoadmapItem.uuid == wire["subject_uuid"])
            )
            if item is None:
                return
            roadmaps.check_item_value(wire["field"], wire["value"])
            roadmaps.apply_item_change(item, wire["field"], wire["value"], origin)
        else:
            return
    except Refused:
        return  # the record moved on here (submitted again): the district sees it next
    db.session.flush()
    db.session.execute(
        update(Change).where(Change.uuid == wire["uuid"]).values(sync_state="confirmed")
    )
    db.session.execute(closed)


def _close_conflicts(wire: dict[str, Any]) -> None:
    """A conflict this copy kept itself (a change from another PC or the district server
    beside its own) is settled by the district's choice too."""
    from intranet.changelog.models import Conflict

    for conflict in db.session.scalars(
        select(Conflict).where(
            Conflict.subject_type == wire["subject_type"],
            Conflict.field == wire["field"],
            Conflict.resolved_at.is_(None),
        )
    ):
        if conflict.incoming.subject_uuid == wire["subject_uuid"]:
            conflict.resolved_at = utcnow()
            conflict.choice = "district"


def _apply_change(record: dict[str, Any], school: School, *, last_try: bool = False) -> str:
    """A change of the school's content made elsewhere (another PC of the school, or the
    district server), applied by the same merge rules as on the district. The copy's own
    changes are known already and skipped; what cannot be applied here is left to the
    proof of agreement (the district keeps it, and names the record when they differ)."""
    from intranet.changelog.merge import QUARANTINED
    from intranet.changelog.services import apply_incoming
    from sync import nodes

    wire = record.get("change")
    if not isinstance(wire, dict):
        return "skipped"
    local = nodes.local()
    if local is not None and wire.get("node_id") == local.node_id:
        return "skipped"
    outcome = apply_incoming(
        wire,
        school=school,
        node_id=wire.get("node_id") or "district",
        received_at=utcnow(),
    )
    if outcome.status == QUARANTINED:
        if not last_try:
            return "retry"
        return "refused"
    if outcome.status in ("applied", "merged", "conflict"):
        # Made elsewhere and already at the district: nothing of it is this copy's to send.
        from intranet.changelog.models import Change

        db.session.execute(
            update(Change).where(Change.uuid == wire["uuid"]).values(sync_state="confirmed")
        )
    return outcome.status


def _apply_notification(record: dict[str, Any], school: School) -> None:
    tbl = rows.table("notifications")
    note = record["notification"]
    known = db.session.scalar(
        select(tbl.c.id).where(tbl.c.school_id == school.id, tbl.c.dedupe_key == note["dedupe_key"])
    )
    if known is None:
        db.session.execute(
            insert(tbl).values(
                district_id=school.district_id,
                school_id=school.id,
                text=note["text"],
                url=note.get("url") or "",
                dedupe_key=note["dedupe_key"],
                created_at=utcnow(),
            )
        )


def _apply_tables(record: dict[str, Any]) -> None:
    tables: dict[str, list[dict[str, Any]]] = record.get("tables") or {}
    for name in (
        "users",
        "plans",
        "plan_sections",
        "plan_items",
        "form_templates",
        "form_versions",
        "campaigns",
        "campaign_targets",
        "school_roadmaps",
        "submissions",
        "roadmap_items",
    ):
        for row in tables.get(name, []):
            if name == "submissions":
                # Born at launch; from then on the school's answers and the review events
                # change it, never this record.
                _upsert(name, row, keep=set())
            elif name == "school_roadmaps":
                _upsert(name, row, keep=set())
            elif name == "roadmap_items":
                _insert_by_uuid(name, row)
            elif name == "plan_items":
                _upsert(name, {k: v for k, v in row.items() if k != "done_count"})
            elif name == "campaigns":
                counts = {"expected_count", "submitted_count", "on_time_count"}
                _upsert(name, {k: v for k, v in row.items() if k not in counts})
            else:
                _upsert(name, row)


def apply(records: list[dict[str, Any]], *, school: School) -> dict[str, int]:
    """Apply the district's records on this copy, each once; counts by kind."""
    done: Counter[str] = Counter()
    position = applied_position()
    # Changes of a record this bundle brings further on (a form launched and filled on
    # the district since the last bundle): tried again once everything else is in.
    later: list[dict[str, Any]] = []
    for record in sorted(records, key=lambda r: int(r.get("position") or 0)):
        kind = record.get("kind")
        if kind not in KINDS:
            from intranet.i18n import gettext as _
            from sync.bundle import BundleRefused

            raise BundleRefused(
                _("The bundle carries records of an unknown kind: %(kind)s", kind=str(kind)[:40])
            )
        if int(record.get("position") or 0) <= position:
            done["skipped"] += 1
            continue
        if kind == "change":
            status = _apply_change(record, school)
            if status == "retry":
                later.append(record)
                continue
            done[f"change_{status}"] += 1
        elif kind == "review_event":
            _apply_review_event(record)
        elif kind == "resolution":
            _apply_resolution(record)
        elif kind == "notification":
            _apply_notification(record, school)
        else:
            _apply_tables(record)
        done[kind] += 1
    for record in later:
        db.session.flush()
        status = _apply_change(record, school, last_try=True)
        done[f"change_{status}"] += 1
    if done:
        db.session.flush()
        db.session.expire_all()
    return dict(done)
