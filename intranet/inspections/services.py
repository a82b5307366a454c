"""Self-inspection forms: every write takes the acting user and goes through here.

Templates and campaigns belong to the district; a submission's answers belong to its
school. Every autosave appends one change to the change log (``intranet.changelog``: its
own uuid, naming its parent),
so any two saves can be rebuilt by replaying the changes and compared field by field.
"""

from __future__ import annotations

import copy
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm.attributes import set_committed_value

from intranet import paging, timezones
from intranet.audit.services import bulk, writing
from intranet.changelog import services as changelog
from intranet.changelog.models import Change, Subject
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.inspections import formatting
from intranet.inspections import schema as form_schema
from intranet.inspections.models import (
    Campaign,
    CampaignTarget,
    FormTemplate,
    FormVersion,
    Notification,
    Submission,
    VersionStatus,
)
from intranet.mixins import new_uuid, utcnow
from intranet.review import services as review
from intranet.review.models import ReviewState
from intranet.schools.models import District, School
from intranet.timezones import local_today

DUE_SOON_DAYS = 3


# -- templates and versions ----------------------------------------------------------------


def _require_admin(actor, district_id: int) -> None:
    if actor is not None and not (actor.is_district_admin and actor.district_id == district_id):
        raise Refused(_("Only the district administrator can change form templates."))


def _check_schema(template: FormTemplate, schema: dict, exclude: FormVersion | None) -> None:
    previous = [v.schema for v in template.versions if v is not exclude]
    try:
        form_schema.validate_schema(schema, previous)
    except form_schema.SchemaError as exc:
        raise Refused(str(exc)) from exc


def create_template(
    actor, district_id: int, title: str, description: str = "", schema: dict | None = None
) -> FormTemplate:
    _require_admin(actor, district_id)
    title = (title or "").strip()
    if not title:
        raise Refused(_("Give the form a title."), "title")
    schema = schema or {"sections": []}
    try:
        form_schema.validate_schema(schema)
    except form_schema.SchemaError as exc:
        raise Refused(str(exc)) from exc
    with writing(actor):
        template = FormTemplate(district_id=district_id, title=title, description=description)
        db.session.add(template)
        db.session.flush()
        db.session.add(
            FormVersion(
                template_id=template.id,
                district_id=district_id,
                number=1,
                schema=schema,
            )
        )
        db.session.commit()
    return template


def editable_version(actor, template: FormTemplate) -> FormVersion:
    """The draft to edit: the latest version if it is a draft, else a new draft copied
    from the published one (which itself never changes)."""
    _require_admin(actor, template.district_id)
    draft = template.draft
    if draft is not None:
        return draft
    latest = template.latest
    with writing(actor):
        draft = FormVersion(
            template_id=template.id,
            district_id=template.district_id,
            number=(latest.number + 1) if latest else 1,
            schema=copy.deepcopy(latest.schema) if latest else {"sections": []},
        )
        db.session.add(draft)
        db.session.commit()
    db.session.refresh(template)
    return draft


def save_schema(actor, version: FormVersion, schema: dict) -> FormVersion:
    """Replace a draft's schema; a published version is refused."""
    _require_admin(actor, version.district_id)
    if not version.is_draft:
        raise Refused(_("A published version never changes; edit a new draft."))
    _check_schema(version.template, schema, version)
    with writing(actor):
        version.schema = copy.deepcopy(schema)
        db.session.commit()
    return version


def add_section(actor, version: FormVersion, title: str) -> FormVersion:
    title = (title or "").strip()
    if not title:
        raise Refused(_("Every section needs a title."), "title")
    schema = copy.deepcopy(version.schema)
    sections = schema.setdefault("sections", [])
    sections.append({"key": f"s{len(sections) + 1}", "title": title, "fields": []})
    return save_schema(actor, version, schema)


def _with_keys(version: FormVersion, spec: dict, old: dict | None = None) -> dict:
    """The question with its keys: a new question's made from its text (unique among
    the keys of every version of the template, so an old answer never meets a new
    question), a new column's from its name; an edited question and its columns keep
    theirs."""
    spec = copy.deepcopy(spec)
    if not spec.get("key"):
        taken = form_schema.all_keys([v.schema for v in version.template.versions])
        spec["key"] = form_schema.make_key(spec.get("label", ""), taken)
    if spec.get("type") == "table":
        kept = {c["key"] for c in (old or {}).get("columns") or []}
        used: set[str] = set()
        for column in spec.get("columns") or []:
            if column.get("key") not in kept or column["key"] in used:
                column["key"] = form_schema.make_key(column.get("label", ""), used | kept)
            used.add(column["key"])
    return spec


def add_field(actor, version: FormVersion, section_index: int, spec: dict) -> FormVersion:
    schema = copy.deepcopy(version.schema)
    sections = schema.get("sections", [])
    if not 0 <= section_index < len(sections):
        raise Refused(_("Add a section first."), "section")
    sections[section_index]["fields"].append(_with_keys(version, spec))
    return save_schema(actor, version, schema)


def field_position(schema: dict, key: str) -> tuple[int, int]:
    """(section index, field index) of the question ``key``; a forged key is refused."""
    for s, section in enumerate(schema.get("sections", [])):
        for i, f in enumerate(section.get("fields", [])):
            if f.get("key") == key:
                return s, i
    raise Refused(_("There is no such question in this form."))


def update_field(
    actor, version: FormVersion, key: str, section_index: int, spec: dict
) -> FormVersion:
    """Change a question of a draft in place (or move it to another section's end).
    Its key stays: answers and earlier versions are matched by it."""
    schema = copy.deepcopy(version.schema)
    sections = schema.get("sections", [])
    s, i = field_position(schema, key)
    if spec.get("key") not in (None, "", key):
        raise Refused(
            _("The key cannot change; remove the question and add a new one instead."), "key"
        )
    if not 0 <= section_index < len(sections):
        raise Refused(_("Add a section first."), "section")
    spec = _with_keys(version, {**spec, "key": key}, sections[s]["fields"][i])
    if section_index == s:
        sections[s]["fields"][i] = spec
    else:
        del sections[s]["fields"][i]
        sections[section_index]["fields"].append(spec)
    return save_schema(actor, version, schema)


def move_field(actor, version: FormVersion, key: str, step: int) -> FormVersion:
    """Move a question one place up (``step`` -1) or down (+1); past the first or last
    question of its section it goes to the end of the previous or the start of the next
    section."""
    if step not in (-1, 1):
        raise Refused(_("There is no such question in this form."))
    schema = copy.deepcopy(version.schema)
    sections = schema.get("sections", [])
    s, i = field_position(schema, key)
    fields_ = sections[s]["fields"]
    if 0 <= i + step < len(fields_):
        fields_[i], fields_[i + step] = fields_[i + step], fields_[i]
    elif 0 <= s + step < len(sections):
        spec = fields_.pop(i)
        target = sections[s + step]["fields"]
        if step < 0:
            target.append(spec)
        else:
            target.insert(0, spec)
    else:
        return version  # already first (or last) of the form
    return save_schema(actor, version, schema)


def remove_field(actor, version: FormVersion, key: str) -> FormVersion:
    schema = copy.deepcopy(version.schema)
    field_position(schema, key)
    for section in schema.get("sections", []):
        section["fields"] = [f for f in section["fields"] if f["key"] != key]
    for f in form_schema.fields(schema):
        if (f.get("show_if") or {}).get("field") == key:
            raise Refused(_("The question «%(q)s» depends on it; remove that first.", q=f["label"]))
    return save_schema(actor, version, schema)


def publish_version(actor, version: FormVersion) -> FormVersion:
    _require_admin(actor, version.district_id)
    if not version.is_draft:
        raise Refused(_("This version is already published."))
    if not form_schema.fields(version.schema):
        raise Refused(_("The form has no questions."))
    _check_schema(version.template, version.schema, version)
    with writing(actor):
        version.status = VersionStatus.PUBLISHED.value
        version.published_at = utcnow()
        db.session.commit()
    return version


# -- campaigns ------------------------------------------------------------------------------


# One way to tell schools, shared with the review workflow.
_notify = review.notify


def launch_campaign(
    actor,
    version: FormVersion,
    title: str,
    due_date: date,
    grace_days: int = 0,
    school_ids: list[int] | None = None,
    today: date | None = None,
) -> Campaign:
    """Send a published version to all active schools of the district, or to some."""
    _require_admin(actor, version.district_id)
    if version.is_draft:
        raise Refused(_("Publish the form before launching a campaign."))
    title = (title or "").strip() or version.template.title
    today = today or local_today()
    if due_date is None or due_date < today:
        raise Refused(_("The due date cannot be in the past."), "due_date")
    if grace_days < 0 or grace_days > 365:
        raise Refused(_("The grace period is 0 to 365 days."), "grace_days")
    stmt = select(School.id).where(
        School.district_id == version.district_id, School.active.is_(True)
    )
    if school_ids is not None:
        stmt = stmt.where(School.id.in_(school_ids))
    schools = list(db.session.scalars(stmt.order_by(School.code)))
    if not schools or (school_ids is not None and len(schools) != len(set(school_ids))):
        raise Refused(_("Choose the schools of your district."), "schools")
    with writing(actor):
        campaign = Campaign(
            district_id=version.district_id,
            version_id=version.id,
            title=title,
            due_date=due_date,
            grace_days=grace_days,
        )
        db.session.add(campaign)
        db.session.flush()
        # One audit entry for what the launch creates in every school.
        with bulk("launch", campaign):
            for school_id in schools:
                db.session.add(
                    CampaignTarget(
                        campaign_id=campaign.id,
                        district_id=campaign.district_id,
                        school_id=school_id,
                    )
                )
                db.session.add(
                    Submission(
                        campaign_id=campaign.id,
                        district_id=campaign.district_id,
                        school_id=school_id,
                        answers={},
                        field_revisions={},
                    )
                )
        refresh_campaign_counts(campaign.id)
        _notify(
            campaign.district_id,
            schools,
            _(
                "New form to fill: «%(title)s», due %(due)s.",
                title=title,
                due=due_date.strftime("%d.%m.%Y"),
            ),
            "",
            f"campaign:{campaign.id}",
        )
        db.session.commit()
    return campaign


def reopen(actor, target: CampaignTarget, until: date, today: date | None = None) -> None:
    """Let one school answer a locked campaign until ``until``."""
    _require_admin(actor, target.district_id)
    today = today or local_today()
    if until is None or until < today:
        raise Refused(_("The date cannot be in the past."), "until")
    with writing(actor):
        target.reopened_until = until
        db.session.commit()


def target_of(submission: Submission) -> CampaignTarget:
    target = submission.target
    if target is None:  # a submission without a target is never expected
        raise Refused(_("This form was not sent to your school."))
    return target


# -- filling --------------------------------------------------------------------------------


class StaleField(Refused):
    """Someone saved the same field after the page was rendered; nothing was written."""

    def __init__(self, key: str, current: Any, author: str, revision: int) -> None:
        super().__init__(
            _(
                "%(who)s changed this answer while you were editing it; their value is shown. "
                "Your value was not saved.",
                who=author or _("Someone"),
            ),
            key,
        )
        self.current = current
        self.revision = revision


@dataclass
class Saved:
    revision: int
    value: Any
    visibility_changed: bool = False
    reopened: bool = False
    saved_at: datetime | None = None


def _begin_edit(actor, submission: Submission, today: date | None = None) -> None:
    if not (actor.is_school_user and actor.school_id == submission.school_id):
        raise Refused(_("Only the school's staff can fill its forms."))
    if submission.state is ReviewState.SUBMITTED:
        raise Refused(
            _("Submitted for review: nothing can be changed until the district returns it.")
        )
    if target_of(submission).is_locked(today or local_today()):
        raise Refused(_("The campaign is closed; ask the district to reopen it for your school."))


def _resolve(
    specs: dict[str, dict], answers: dict, key: str
) -> tuple[dict, str, str | None, str | None]:
    """(spec, field key, row id, column key) of ``key``: "field" or "table.row.column";
    a forged key is refused."""
    parts = key.split(".")
    spec = specs.get(parts[0])
    if spec is None or len(parts) not in (1, 3) or (len(parts) == 3) != (spec["type"] == "table"):
        raise Refused(_("There is no such question in this form."))
    if len(parts) == 1:
        return spec, key, None, None
    row_id, col_key = parts[1], parts[2]
    column = next((c for c in spec["columns"] if c["key"] == col_key), None)
    rows = answers.get(spec["key"]) or []
    if column is None or not any(r.get("id") == row_id for r in rows):
        raise Refused(_("There is no such row or column in this table."))
    return column, spec["key"], row_id, col_key


def _clean(spec: dict, raw: Any) -> Any:
    if spec["type"] == "multichoice":
        values = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        return [v for v in values if v != ""]
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return "" if raw is None else str(raw)


def _visibility(specs: dict[str, dict], answers: dict) -> tuple[bool, ...]:
    return tuple(form_schema.is_visible(f, answers, specs) for f in specs.values())


class _Raced(Exception):
    """Another save of the same submission was committed between our read and write."""


RACE_RETRIES = 3
_SUBMISSIONS = Submission.__table__
# Built once: the two statements of every autosave.
# (The SET clause is named by the parameters given.)
_WRITE_ANSWERS = update(_SUBMISSIONS).where(
    _SUBMISSIONS.c.id == bindparam("b_id"), _SUBMISSIONS.c.revision == bindparam("b_revision")
)


def _raced_message() -> str:
    return _("Several people are saving this form at this moment; try again.")


# The columns a save writes besides the change itself.
_WRITTEN = ("answers", "field_revisions", "revision", "head_uuid", "last_saved_at", "updated_at")


class AnswerWrites:
    """The saves of one submission, written together: each ``add`` moves the submission
    object on in memory (the next save reads the answers, revision and head it leads to)
    and keeps the change; ``store`` writes them with one UPDATE of the submission and one
    INSERT of the changes.

    An autosave adds one save and stores it at once (``_write_change``); a sync import
    adds every change a bundle carries for the form and stores them once. The UPDATE is
    guarded by the revision that was read (compare-and-set): when another save got in
    between, nothing is written, the object is as it was read, and ``_Raced`` makes the
    caller read again (the autosave) or keep the changes in quarantine (sync). It is
    plain statements: this runs on every answer typed, and the ORM's unit of work would
    cost more than the rest of the request (the audit log ignores answers; their history
    is the change log).
    """

    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        self.rows: list[dict[str, Any]] = []
        self._read = {name: getattr(submission, name) for name in _WRITTEN}

    def add(
        self,
        actor,
        key: str,
        value: Any,
        answers: dict,
        revision_key: str,
        origin: changelog.Origin | None = None,
    ) -> tuple[int, datetime]:
        """Stage one save (``origin``: a change carried in by sync, with its uuid,
        parent, node and times); returns (save number, time)."""
        submission = self.submission
        number = submission.revision + 1
        now = utcnow()
        change_uuid = origin.uuid if origin is not None and origin.carried else new_uuid()
        revisions = {**(submission.field_revisions or {}), revision_key: number}
        if origin is None:
            origin = changelog.Origin.of(actor)
        self.rows.append(
            origin.row(
                uuid=change_uuid,
                parent_uuid=origin.parent(submission.head_uuid),
                district_id=submission.district_id,
                school_id=submission.school_id,
                subject_type=Subject.SUBMISSION.value,
                subject_id=submission.id,
                subject_uuid=submission.uuid,
                number=number,
                field=key,
                value=value,
                saved_at=origin.saved_at or now,
                received_at=origin.received_at or now,
            )
        )
        # The object in the session is what the row will be, for the rest of the request.
        self._set(
            {
                "answers": answers,
                "field_revisions": revisions,
                "revision": number,
                "head_uuid": change_uuid,
                "last_saved_at": now,
                "updated_at": now,
            }
        )
        return number, now

    def update(self, *, flush: bool = True) -> list[dict[str, Any]]:
        """The guarded UPDATE of the submission; returns the changes still to append
        (``store`` appends them; a sync import appends those of several forms at once,
        in the order they were made). ``_Raced`` when another save got in first.
        ``flush``: the ORM's pending writes go first (a reopen, accepted → draft, made by
        the page); a sync import never reopens a form and flushes its own rows later."""
        rows, self.rows = self.rows, []
        if not rows:
            return rows
        if flush:
            db.session.flush()
        submission = self.submission
        written = db.session.connection().execute(
            _WRITE_ANSWERS,
            {
                "b_id": submission.id,
                "b_revision": self._read["revision"],
                **{name: getattr(submission, name) for name in _WRITTEN},
            },
        )
        if written.rowcount != 1:
            self._set(self._read)
            raise _Raced
        self._read = {name: getattr(submission, name) for name in _WRITTEN}
        return rows

    def update_carried(self) -> list[dict[str, Any]]:
        """``update`` for changes carried in by sync: ``Refused`` (with the reason) when
        another save got in first."""
        try:
            return self.update(flush=False)
        except _Raced:
            raise Refused(_raced_message()) from None

    def store(self) -> None:
        rows = self.update()
        if rows:
            changelog.append(db.session.connection(), *rows)

    def _set(self, values: dict[str, Any]) -> None:
        for name, current in values.items():
            set_committed_value(self.submission, name, current)


def _write_change(
    actor,
    submission: Submission,
    key: str,
    value: Any,
    answers: dict,
    revision_key: str,
    origin: changelog.Origin | None = None,
) -> tuple[int, datetime]:
    """Append one change and store the answers it leads to; returns (save number, time).
    ``_Raced`` (nothing written) when another save of the submission got in first."""
    writes = AnswerWrites(submission)
    saved = writes.add(actor, key, value, answers, revision_key, origin)
    writes.store()
    return saved


def _retrying(write):
    """Run ``write`` again (after reading the submission afresh) when another save of
    the same submission got in first."""
    for _attempt in range(RACE_RETRIES):
        try:
            return write()
        except _Raced:
            db.session.rollback()
    raise Refused(_raced_message())


def _last_author(submission: Submission, number: int) -> str:
    return (
        db.session.scalar(
            select(Change.author_name).where(*_of(submission), Change.number == number)
        )
        or ""
    )


def save_answer(
    actor, submission: Submission, key: str, raw: Any, revision: int, today: date | None = None
) -> Saved:
    """Save one answer (or one table cell "table.row.column") typed on a page rendered at
    ``revision``. An invalid value or a newer save of the same field by someone else is
    refused and nothing is written; saves of other fields merge."""
    return _retrying(lambda: _save_answer(actor, submission, key, raw, revision, today))


def _save_answer(
    actor, submission: Submission, key: str, raw: Any, revision: int, today: date | None
) -> Saved:
    _begin_edit(actor, submission, today)
    specs = submission.specs
    answers = submission.answers or {}
    spec, field_key, row_id, col_key = _resolve(specs, answers, key)
    value = _clean(spec, raw)
    checked = form_schema.check_value(spec, value)
    if not checked.ok:
        raise Refused(checked.error, key)
    # A cell is its own answer: rows added or removed meanwhile do not conflict with it
    # (a removed row is refused above; row ids are never reused).
    last = (submission.field_revisions or {}).get(key, 0)
    current = _read(answers, field_key, row_id, col_key)
    if _same(current, value):  # nothing changes: no conflict, nothing written
        return Saved(submission.revision, current)
    if last > revision:
        raise StaleField(key, current, _last_author(submission, last), submission.revision)
    controls = field_key in submission.campaign.controls
    before = _visibility(specs, answers) if controls else ()
    # A shallow copy: only the changed answer (or the changed table) is new.
    answers = dict(answers)
    if row_id is None:
        answers[field_key] = value
    else:
        answers[field_key] = [
            {**row, col_key: value} if row["id"] == row_id else row for row in answers[field_key]
        ]
    with writing(actor):
        state = submission.state
        review.before_school_edit(actor, submission)
        number, saved_at = _write_change(actor, submission, key, value, answers, key)
        db.session.commit()
    return Saved(
        number,
        value,
        visibility_changed=controls and before != _visibility(specs, answers),
        reopened=state is ReviewState.ACCEPTED,
        saved_at=saved_at,
    )


def _same(current: Any, value: Any) -> bool:
    """An unanswered question and an empty answer are the same (a page without scripts
    posts every empty field)."""
    return current == value or (current in (None, "", []) and value in (None, "", []))


def _read(answers: dict, field_key: str, row_id: str | None, col_key: str | None) -> Any:
    value = answers.get(field_key)
    if row_id is None:
        return value
    for row in value or []:
        if row.get("id") == row_id:
            return row.get(col_key, "")
    return None


@dataclass
class Posted:
    """What a plain post of the whole form did: the values as posted, and the refusal of
    each one not saved (every other one is saved)."""

    values: dict[str, Any]
    errors: dict[str, Refused]

    def messages(self) -> dict[str, str]:
        """{key: what to say beside it}; a value someone else changed meanwhile is not
        shown in the field (theirs is), so the message repeats what was typed."""
        out = {}
        for key, exc in self.errors.items():
            message = str(exc)
            if isinstance(exc, StaleField):
                typed = self.values.get(key)
                if isinstance(typed, list):
                    typed = ", ".join(str(v) for v in typed)
                if typed:
                    message += " " + _("Yours was: «%(v)s».", v=typed)
            out[key] = message
        return out

    def typed(self) -> dict[str, Any]:
        """The refused values to show in their fields as typed (not the stale ones)."""
        return {
            key: self.values[key]
            for key, exc in self.errors.items()
            if key in self.values and not isinstance(exc, StaleField)
        }


def save_all(actor, submission: Submission, values: dict[str, Any], revision: int) -> Posted:
    """The no-JavaScript path: save every field posted; each field refused is reported
    (every other field is still saved). Values equal to the stored ones are skipped."""
    errors: dict[str, Refused] = {}
    for key, raw in values.items():
        try:
            save_answer(actor, submission, key, raw, revision)
        except Refused as exc:
            if exc.field is None:
                raise
            errors[key] = exc
    return Posted(values, errors)


def add_row(actor, submission: Submission, table_key: str, today: date | None = None) -> str:
    return _retrying(lambda: _add_row(actor, submission, table_key, today))


def _add_row(actor, submission: Submission, table_key: str, today: date | None) -> str:
    _begin_edit(actor, submission, today)
    spec = submission.specs.get(table_key)
    if spec is None or spec["type"] != "table":
        raise Refused(_("There is no such question in this form."))
    rows = list((submission.answers or {}).get(table_key) or [])
    if len(rows) >= form_schema.MAX_ROWS:
        raise Refused(_("At most %(n)d rows.", n=form_schema.MAX_ROWS), table_key)
    row_id = new_uuid()
    _write_rows(actor, submission, table_key, rows + [{"id": row_id}])
    return row_id


def remove_row(
    actor, submission: Submission, table_key: str, row_id: str, today: date | None = None
) -> None:
    _retrying(lambda: _remove_row(actor, submission, table_key, row_id, today))


def _remove_row(
    actor, submission: Submission, table_key: str, row_id: str, today: date | None
) -> None:
    _begin_edit(actor, submission, today)
    spec = submission.specs.get(table_key)
    rows = list((submission.answers or {}).get(table_key) or [])
    if spec is None or spec["type"] != "table" or not any(r.get("id") == row_id for r in rows):
        raise Refused(_("There is no such row or column in this table."))
    _write_rows(actor, submission, table_key, [r for r in rows if r.get("id") != row_id])


def _write_rows(actor, submission: Submission, table_key: str, rows: list[dict]) -> None:
    with writing(actor):
        review.before_school_edit(actor, submission)
        answers = {**(submission.answers or {}), table_key: rows}
        _write_change(actor, submission, table_key, rows, answers, table_key)
        db.session.commit()


# -- changes carried in by sync ---------------------------------------------------------------


def answers_with(submission: Submission, key: str, value: Any) -> tuple[dict, Any]:
    """The answers after a change of ``key`` (a question, a table cell, or a table's
    whole rows) made on a school's copy, and the value as stored; ``Refused`` (with the
    reason) when this form cannot take it."""
    specs = submission.specs
    answers = submission.answers or {}
    spec = specs.get(key)
    if spec is not None and spec["type"] == "table":
        if not isinstance(value, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) for r in value
        ):
            raise Refused(_("There is no such row or column in this table."), key)
        if len(value) > form_schema.MAX_ROWS:
            raise Refused(_("At most %(n)d rows.", n=form_schema.MAX_ROWS), key)
        return {**answers, key: value}, value
    spec, field_key, row_id, col_key = _resolve(specs, answers, key)
    value = _clean(spec, value)
    checked = form_schema.check_value(spec, value)
    if not checked.ok:
        raise Refused(checked.error, key)
    answers = dict(answers)
    if row_id is None:
        answers[field_key] = value
    else:
        answers[field_key] = [
            {**row, col_key: value} if row["id"] == row_id else row for row in answers[field_key]
        ]
    return answers, value


def current_answer(submission: Submission, key: str) -> Any:
    parts = key.split(".")
    if len(parts) == 3:
        return _read(submission.answers or {}, parts[0], parts[1], parts[2])
    return (submission.answers or {}).get(key)


def write_carried(
    submission: Submission, key: str, value: Any, answers: dict, origin: changelog.Origin
) -> None:
    """Write a change made on a school's copy (checked by ``answers_with``) through the
    same guarded write as the autosave; no commit (the sync import's transaction)."""
    try:
        _write_change(None, submission, key, value, answers, key, origin)
    except _Raced:
        raise Refused(_raced_message()) from None


def submit_carried(actor, submission: Submission, origin: changelog.Origin):
    """A submit made on a school's copy: on time when it was saved there in time (the
    bundle's signature vouches for the copy); no commit."""
    version = review.submit(actor, submission, origin, commit=False)
    if submission.first_submitted_at is None:
        submission.first_submitted_at = version.saved_at
        db.session.flush()
        refresh_campaign_counts(submission.campaign_id)
    return version


# -- review ---------------------------------------------------------------------------------


def submit(actor, submission: Submission, today: date | None = None):
    if target_of(submission).is_locked(today or local_today()):
        raise Refused(_("The campaign is closed; ask the district to reopen it for your school."))
    version = review.submit(actor, submission)
    if submission.first_submitted_at is None:
        with writing(actor):
            submission.first_submitted_at = version.saved_at
            db.session.flush()
            refresh_campaign_counts(submission.campaign_id)
            db.session.commit()
    return version


def refresh_campaign_counts(campaign_id: int) -> None:
    """Recount a campaign's expected, submitted and on-time schools in one UPDATE (a full
    recount, so concurrent first submissions cannot lose one). On time means before the
    midnight that ends the due date in the district's time zone."""
    due, zone_name = db.session.execute(
        select(Campaign.due_date, District.time_zone)
        .join(District, District.id == Campaign.district_id)
        .where(Campaign.id == campaign_id)
    ).one()
    ends = timezones.day_end_utc(due, zone_name)
    of_campaign = Submission.campaign_id == campaign_id
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            expected_count=select(func.count(CampaignTarget.id))
            .where(CampaignTarget.campaign_id == campaign_id)
            .scalar_subquery(),
            submitted_count=select(func.count(Submission.first_submitted_at))
            .where(of_campaign)
            .scalar_subquery(),
            on_time_count=select(func.count(Submission.id))
            .where(of_campaign, Submission.first_submitted_at < ends)
            .scalar_subquery(),
        )
    )


# -- history --------------------------------------------------------------------------------


def answers_at(submission: Submission, number: int) -> dict[str, Any]:
    """The answers as they were after save ``number``, rebuilt from the changes."""
    answers: dict[str, Any] = {}
    changes = db.session.execute(
        select(Change.field, Change.value)
        .where(*_of(submission), Change.number <= number)
        .order_by(Change.number)
    )
    for key, value in changes:
        parts = key.split(".")
        if len(parts) == 3:
            for row in answers.get(parts[0]) or []:
                if row.get("id") == parts[1]:
                    row[parts[2]] = value
        else:
            answers[key] = copy.deepcopy(value)
    return answers


def _of(submission: Submission) -> tuple:
    return (
        Change.subject_type == Subject.SUBMISSION.value,
        Change.subject_id == submission.id,
    )


def saves(submission: Submission) -> list[Change]:
    """The saved changes of the answers, in order (a submit has no number: not a save)."""
    return db.session.scalars(
        select(Change).where(*_of(submission), Change.number.is_not(None)).order_by(Change.number)
    ).all()


def compare(submission: Submission, a: int, b: int) -> list[review.Change]:
    schema = submission.schema
    return review.diff(
        snapshot(schema, answers_at(submission, a)), snapshot(schema, answers_at(submission, b))
    )


def compare_versions(submission: Submission, a, b=None) -> list[review.Change]:
    """Two submitted versions (``review.Version``), or version ``a`` and the answers as
    they are now (``b`` None): each version keeps the questions' text it was sent with."""
    after = b.content if b is not None else snapshot(submission.schema, submission.answers or {})
    return review.diff(a.content, after)


def snapshot(schema: dict, answers: dict) -> dict[str, dict[str, Any]]:
    """{key: {"label", "value"}} of the visible answers; a table gives one entry per cell
    ("table.row.column"), so versions compare cell by cell."""
    specs = form_schema.field_map(schema)
    out: dict[str, dict[str, Any]] = {}
    for f in specs.values():
        if not form_schema.is_visible(f, answers, specs):
            continue
        value = answers.get(f["key"])
        if f["type"] == "table":
            for n, row in enumerate(value or [], start=1):
                for c in f["columns"]:
                    out[f"{f['key']}.{row['id']}.{c['key']}"] = {
                        "label": f"{f['label']} — {n} — {c['label']}",
                        "value": display(c, row.get(c["key"])),
                    }
            continue
        out[f["key"]] = {"label": f["label"], "value": display(f, value)}
    return out


def labels_of(schema: dict, keys: list[str], answers: dict | None = None) -> dict[str, str]:
    """The question's text for each key a person would otherwise read: a question, a
    table cell ("table.row.column": «Таблица — строка 2 — Столбец», the row's number
    read from ``answers`` when given) or a whole table. A key the form no longer has keeps
    its key (an old save of a question since removed)."""
    specs = form_schema.field_map(schema)
    out = {}
    for key in keys:
        parts = key.split(".")
        spec = specs.get(parts[0])
        if spec is None:
            out[key] = key
        elif len(parts) == 3 and spec["type"] == "table":
            column = next((c for c in spec["columns"] if c["key"] == parts[2]), None)
            rows = [r.get("id") for r in (answers or {}).get(parts[0]) or []]
            row = _("row %(n)d", n=rows.index(parts[1]) + 1) if parts[1] in rows else _("row")
            out[key] = f"{spec['label']} — {row} — {column['label'] if column else parts[2]}"
        else:
            out[key] = spec["label"]
    return out


def display(spec: dict, value: Any) -> str | None:
    """An answer as a person reads it: «да», 01.10.2025, 1 000,5."""
    return formatting.answer(spec, value)


# -- school tasks and notifications ----------------------------------------------------------


@dataclass(frozen=True)
class Task:
    submission_id: int
    title: str
    due_date: date
    locks_after: date
    status: str
    changed_since_accepted: bool
    revision: int
    locked: bool
    late: bool


# Built once, as the two below: the school's home and its forms page ask on every view.
_SCHOOL_TASKS = (
    select(
        Submission.id,
        Campaign.title,
        Campaign.due_date,
        Campaign.grace_days,
        Submission.status,
        Submission.changed_since_accepted,
        Submission.revision,
        CampaignTarget.reopened_until,
    )
    .join(Campaign, Campaign.id == Submission.campaign_id)
    .join(
        CampaignTarget,
        (CampaignTarget.campaign_id == Submission.campaign_id)
        & (CampaignTarget.school_id == Submission.school_id),
    )
    .where(Submission.school_id == bindparam("school_id"))
    .order_by(Campaign.due_date.desc(), Campaign.id.desc())
)


def school_tasks(school_id: int, today: date) -> list[Task]:
    """The school's forms with deadlines: one query."""
    rows = db.session.execute(_SCHOOL_TASKS, {"school_id": school_id}).all()
    tasks = []
    for sid, title, due, grace, status, changed, revision, reopened in rows:
        locks = due + timedelta(days=grace)
        locked = today > locks and not (reopened is not None and today <= reopened)
        open_state = status in (ReviewState.DRAFT, ReviewState.RETURNED)
        tasks.append(
            Task(
                sid,
                title,
                due,
                locks,
                status,
                changed,
                revision,
                locked,
                open_state and today > due,
            )
        )
    return tasks


def remind_due_soon(school_id: int, district_id: int, tasks: list[Task], today: date) -> None:
    """Create the "deadline in three days" notification once per form (dedupe_key)."""
    soon = [
        t
        for t in tasks
        if t.status in (ReviewState.DRAFT, ReviewState.RETURNED)
        and today <= t.due_date <= today + timedelta(days=DUE_SOON_DAYS)
    ]
    if not soon:
        return
    keys = {f"due:{t.submission_id}": t for t in soon}
    sent = set(
        db.session.scalars(
            select(Notification.dedupe_key).where(
                Notification.school_id == school_id, Notification.dedupe_key.in_(list(keys))
            )
        )
    )
    fresh = [
        Notification(
            district_id=district_id,
            school_id=school_id,
            text=_(
                "The form «%(title)s» is due %(due)s.",
                title=t.title,
                due=t.due_date.strftime("%d.%m.%Y"),
            ),
            dedupe_key=key,
        )
        for key, t in keys.items()
        if key not in sent
    ]
    if fresh:
        db.session.add_all(fresh)
        try:
            db.session.commit()
        except Exception:  # a concurrent view created it first: the unique key holds
            db.session.rollback()


def mark_read(actor, school_id: int) -> int:
    """Mark the school's unread notifications read; returns how many. Only the school's
    own staff read its notifications (a district visit marks nothing)."""
    if not (actor.is_school_user and actor.school_id == school_id):
        raise Refused(_("Only the school's staff can mark its notifications read."))
    result = db.session.execute(
        update(Notification)
        .where(Notification.school_id == school_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


_NOTIFICATIONS = (
    select(Notification)
    .where(Notification.school_id == bindparam("school_id"))
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(bindparam("limit"))
)


def notifications(school_id: int, limit: int = 10) -> list[Notification]:
    return db.session.scalars(_NOTIFICATIONS, {"school_id": school_id, "limit": limit}).all()


# -- district dashboards --------------------------------------------------------------------


@dataclass
class CampaignStats:
    id: int
    title: str
    due_date: date
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def completeness(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.expected if self.expected else 0.0


@dataclass
class MatrixRow:
    school_id: int
    code: str
    name: str
    # One per campaign, in the campaigns' order: (state, submission id, changed) or None.
    cells: list[tuple[str, int, bool] | None]


@dataclass
class Matrix(paging.Paged):
    campaigns: list[CampaignStats]
    rows: list[MatrixRow]
    total: int = 0
    page: int = 1
    per_page: int = 50
    # The school year shown (None: every campaign), and every school year with campaigns.
    school_year: int | None = None
    school_years: list[int] = field(default_factory=list)

    def cell(self, school_id: int, campaign_id: int) -> tuple[str, int, bool] | None:
        column = next(n for n, s in enumerate(self.campaigns) if s.id == campaign_id)
        row = next(r for r in self.rows if r.school_id == school_id)
        return row.cells[column]


# A cell's state is the review state, except that a draft never submitted is "not
# started" (nothing saved yet) or "draft", and "late" once its due date has passed. SQL
# reads it as one small number (plus 8 when changed since accepted): the matrix reads
# 600 of them, and a number costs less to fetch than a string and three columns.
_CODES = ("not_started", "draft", "draft", "submitted", "returned", "accepted")
_NEVER_SUBMITTED = 2  # codes below this are drafts never submitted: late after the due date
CHANGED = 8
CELL_CODE = case(
    (
        (Submission.status == ReviewState.DRAFT.value) & Submission.first_submitted_at.is_(None),
        case((Submission.revision == 0, 0), else_=1),
    ),
    (Submission.status == ReviewState.DRAFT.value, 2),
    (Submission.status == ReviewState.SUBMITTED.value, 3),
    (Submission.status == ReviewState.RETURNED.value, 4),
    else_=5,
) + case((Submission.changed_since_accepted, CHANGED), else_=0)


# The codes of answers the school has sent: submitted, or accepted (a returned form, or
# one reopened after acceptance, is being changed again: a draft until sent).
SENT_CODES = (3, 5)
SENT_STATES = (ReviewState.SUBMITTED.value, ReviewState.ACCEPTED.value)


def is_sent(code: int) -> bool:
    return code & (CHANGED - 1) in SENT_CODES


def cell_state(code: int, due: date, today: date) -> str:
    code &= CHANGED - 1
    if code < _NEVER_SUBMITTED and today > due:
        return "late"
    return _CODES[code]


def answer_rows(campaign_id: int):
    """Every school's submission of a campaign in the order of school codes: id, school id,
    code, short name, cell code and answers (the consolidated table, its totals' page and
    the district report read the same rows)."""
    return (
        select(
            Submission.id,
            Submission.school_id,
            School.code,
            func.coalesce(func.nullif(School.short_name, ""), School.name),
            CELL_CODE,
            Submission.answers,
        )
        .join(School, School.id == Submission.school_id)
        .where(Submission.campaign_id == campaign_id)
        .order_by(School.code)
    )


# The cells of the page's schools, read from the covering index alone: per school, one
# range of campaign ids (one index seek each, where a list of ids costs a seek per cell;
# campaigns in the range the page does not show are skipped as they are read).
_MATRIX_CELLS = select(
    Submission.id, Submission.campaign_id, Submission.school_id, CELL_CODE
).where(
    Submission.school_id.in_(bindparam("schools", expanding=True)),
    Submission.campaign_id.between(bindparam("first"), bindparam("last")),
)
# The same on PostgreSQL, with the schools as one array joined row by row. Prepared (a
# statement the page runs on every view), the list form gets a generic plan that reads
# every submission in the campaign range and filters by school (4,725 rows for 600: 2 ms);
# joined, the plan probes the index per school and campaign range whatever the values.
_PAGE_SCHOOLS = (
    func.unnest(bindparam("schools", type_=ARRAY(Integer)))
    .table_valued("id")
    .render_derived(name="page_schools")
)
_MATRIX_CELLS_PG = (
    select(Submission.id, Submission.campaign_id, Submission.school_id, CELL_CODE)
    .join(_PAGE_SCHOOLS, Submission.school_id == _PAGE_SCHOOLS.c.id)
    .where(Submission.campaign_id.between(bindparam("first"), bindparam("last")))
)


_ACTIVE_SCHOOLS = (School.district_id == bindparam("district")) & School.active.is_(True)
_COUNT_SCHOOLS = select(func.count(School.id)).where(_ACTIVE_SCHOOLS)
# The page's schools, each with how many there are in all (computed once).
_MATRIX_SCHOOLS = (
    select(
        School.id,
        School.code,
        func.coalesce(func.nullif(School.short_name, ""), School.name),
        _COUNT_SCHOOLS.scalar_subquery(),
    )
    .where(_ACTIVE_SCHOOLS)
    .order_by(School.code)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def school_year_of(day: date) -> int:
    """The school year a day belongs to, by the year it starts in (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


_CAMPAIGN_SPAN = select(func.min(Campaign.due_date), func.max(Campaign.due_date)).where(
    Campaign.district_id == bindparam("district")
)


@cache
def _matrix_campaigns(since: bool, before: bool):
    """The district's campaigns due on or after ``since`` and before ``before`` (when
    bounded), latest first, each with the first and last due dates of all the district's
    campaigns: the span of school years the page offers, in the same query."""
    first, last = (
        select(f(Campaign.due_date)).where(Campaign.district_id == bindparam("district"))
        for f in (func.min, func.max)
    )
    stmt = select(
        Campaign.id,
        Campaign.title,
        Campaign.due_date,
        Campaign.expected_count,
        Campaign.submitted_count,
        Campaign.on_time_count,
        first.scalar_subquery(),
        last.scalar_subquery(),
    ).where(Campaign.district_id == bindparam("district"))
    if since:
        stmt = stmt.where(Campaign.due_date >= bindparam("since"))
    if before:
        stmt = stmt.where(Campaign.due_date < bindparam("before"))
    return stmt.order_by(Campaign.due_date.desc(), Campaign.id.desc())


def matrix(
    district_id: int,
    today: date,
    page: int = 1,
    per_page: int = 50,
    school_year: int | None = None,
    later_too: bool = False,
) -> Matrix:
    """Schools x campaigns with each cell's state, and per campaign the completeness and
    on-time rates (from the counts each campaign keeps): three queries whatever the
    number of schools, the cells read for the page's schools only. With ``school_year``,
    only the campaigns due in that school year (and with ``later_too``, those due after
    it: next year's, launched in August), so the table does not widen every year."""
    params: dict[str, Any] = {"district": district_id}
    if school_year is not None:
        params["since"] = date(school_year, 9, 1)
        params["before"] = date(school_year + 1, 9, 1)
    stmt = _matrix_campaigns(school_year is not None, school_year is not None and not later_too)
    found = db.session.execute(stmt, params).all()
    if found:
        first, last = found[0][-2:]
    else:  # none in this year: the years there are, apart
        first, last = db.session.execute(_CAMPAIGN_SPAN, params).one()
    school_years = list(range(school_year_of(last), school_year_of(first) - 1, -1)) if first else []
    campaigns = [
        CampaignStats(
            cid,
            title,
            due,
            expected=expected,
            submitted=submitted,
            on_time=on_time,
            overdue=expected - submitted if today > due else 0,
        )
        for cid, title, due, expected, submitted, on_time, _first, _last in found
    ]

    def schools_of(page: int) -> list:
        window = {"limit": per_page, "offset": (page - 1) * per_page}
        return db.session.execute(_MATRIX_SCHOOLS, params | window).all()

    def count() -> int:
        return db.session.scalar(_COUNT_SCHOOLS, params)

    schools, total, page = paging.read_page(schools_of, count, page, per_page)
    column = {c.id: n for n, c in enumerate(campaigns)}
    rows = {
        sid: MatrixRow(sid, code, name, [None] * len(campaigns))
        for sid, code, name, _total in schools
    }
    # The schools are the district's own, so their submissions are too. Plain rows: no
    # ORM loading for 600 small tuples.
    # Each column's (state, changed) by cell code, so a cell looks them up: one table for
    # the campaigns past their due date, one for the others.
    codes = [code + changed for code in range(len(_CODES)) for changed in (0, CHANGED)]
    by_code = {
        past_due: {code: (cell_state(code, due, today), code >= CHANGED) for code in codes}
        for past_due, due in ((False, today), (True, today - timedelta(days=1)))
    }
    states = [by_code[today > c.due_date] for c in campaigns]
    if rows and column:
        connection = db.session.connection()
        stmt = _MATRIX_CELLS_PG if connection.dialect.name == "postgresql" else _MATRIX_CELLS
        result = connection.execute(
            stmt, {"schools": list(rows), "first": min(column), "last": max(column)}
        )
        # The driver's own tuples: 600 rows of four integers need no Row objects (a
        # third of the reading of the cells on SQLite).
        cells = result.cursor.fetchall()
        result.close()
        for sub_id, cid, school_id, code in cells:
            n = column.get(cid)
            if n is not None:
                state, changed = states[n][code]
                rows[school_id].cells[n] = (state, sub_id, changed)
    return Matrix(campaigns, list(rows.values()), total, page, per_page, school_year, school_years)


@dataclass
class Column:
    spec: dict
    summary: str
    number: str = ""  # the question's number in the form, "2.3"
    short: str = ""  # its text as the header shows it (the whole text on hover)


def numbers_of(schema: dict) -> dict[str, str]:
    """Each question's number in the form ("2.3"): how pages and exports number them."""
    return {
        f["key"]: f"{s}.{n}"
        for s, section in enumerate(schema.get("sections", []), start=1)
        for n, f in enumerate(section.get("fields", []), start=1)
    }


def headers(labels: list[str], limit: int = 60) -> list[str]:
    """Column headers no longer than ``limit`` that tell apart questions which begin
    alike: «Положение о формах … размещено на сайте ОО» rather than two identical
    «Положение о формах, периодичности и порядке текущего…»."""
    split = [" ".join(str(label).split()).split(" ") for label in labels]
    out = []
    for i, words in enumerate(split):
        text = " ".join(words)
        if len(text) <= limit:
            out.append(text)
            continue
        common = 0
        for j, other in enumerate(split):
            if j != i:
                k = 0
                while k < min(len(words), len(other)) and words[k] == other[k]:
                    k += 1
                common = max(common, k)
        if len(" ".join(words[:common])) < limit - 15:
            out.append(form_schema.short(text, limit))  # the cut shows the difference
            continue
        head: list[str] = []
        for word in words[:common]:
            if head and len(" ".join([*head, word])) > limit // 3:
                break
            head.append(word)
        lead = " ".join(head).rstrip(",;:") + " … "
        out.append(lead + form_schema.short(" ".join(words[common:]), limit - len(lead)))
    return out


def columns_of(schema: dict, specs: list[dict], totals: dict, counted: int) -> list[Column]:
    numbers = numbers_of(schema)
    shorts = headers([f["label"] for f in specs])
    return [
        Column(f, _total_text(f, totals[f["key"]], counted), numbers.get(f["key"], ""), short)
        for f, short in zip(specs, shorts, strict=True)
    ]


@dataclass
class Consolidated:
    campaign: Campaign
    columns: list[Column]
    # (submission id, school id, code, name, state, shown answers, sent): the answers of
    # a school that has not sent its form are None unless drafts were asked for
    rows: list[tuple[int, int, str, str, str, list[str | None], bool]]
    # per table question: (code, name, row, sent)
    tables: list[tuple[dict, list[tuple[str, str, dict, bool]]]]
    drafts: bool = False
    counted: int = 0  # the schools whose answers the totals count
    raw: list[list[Any]] = field(default_factory=list)  # the answers as stored, per row


def empty_total(spec: dict) -> dict[str, Any]:
    kind = spec["type"]
    if kind == "yesno":
        return {"yes": 0, "answered": 0}
    if kind in ("choice", "multichoice"):
        return {"options": {o: 0 for o in spec.get("options", [])}}
    if kind in ("integer", "decimal"):
        return {"sum": Decimal(0), "count": 0, "median": None}
    return {"answered": 0}


def _summary(spec: dict, values: list[Any]) -> dict[str, Any]:
    """The counts of one question's total over ``values``, the counted schools' answers
    (the export reads them all; the pages have the database count them)."""
    answered = [v for v in values if v not in (None, "", [])]
    kind = spec["type"]
    total = empty_total(spec)
    if kind == "yesno":
        total["yes"] = sum(1 for v in answered if v == "yes")
        total["answered"] = sum(1 for v in answered if v in ("yes", "no"))
    elif kind in ("integer", "decimal"):
        numbers = [c.value for c in (form_schema.check_value(spec, v) for v in answered) if c.ok]
        total["sum"] = sum((Decimal(n) for n in numbers), Decimal(0))
        total["count"] = len(numbers)
        total["median"] = (
            statistics.median(sorted(Decimal(n) for n in numbers)) if numbers else None
        )
    elif kind in ("choice", "multichoice"):
        for option in total["options"]:
            total["options"][option] = sum(
                1 for v in answered if v == option or (isinstance(v, list) and option in v)
            )
    else:
        total["answered"] = len(answered)
    return total


def _total_text(spec: dict, total: dict[str, Any], schools: int) -> str:
    """How a question's total reads, from its counts (computed in Python or in SQL):
    «да» of those who answered; the mean and the median of a number (a sum of shares or
    percentages means nothing); a count per option."""
    kind = spec["type"]
    if kind == "yesno":
        yes, answered = total["yes"], total["answered"]
        if not answered:
            return _("no answers")
        return _(
            "yes: %(n)d of %(m)d answered (%(p)s)",
            n=yes,
            m=answered,
            p=formatting.percent(yes, answered),
        )
    if kind in ("integer", "decimal"):
        n = total["count"]
        if not n:
            return _("no answers")
        return _(
            "mean %(a)s, median %(m)s (%(n)d answered)",
            a=formatting.number(Decimal(total["sum"]) / n),
            m=formatting.number(total["median"]),
            n=n,
        )
    if kind in ("choice", "multichoice"):
        return "; ".join(f"{option}: {n}" for option, n in total["options"].items())
    return _("answered: %(n)d of %(m)d", n=total["answered"], m=schools)


def consolidated(campaign: Campaign, today: date, drafts: bool = False) -> Consolidated:
    """Every school's answers side by side with totals: two queries. Only the answers a
    school has sent are shown and counted, unless ``drafts`` (then marked)."""
    schema = campaign.schema
    specs = form_schema.fields(schema)
    plain = [f for f in specs if f["type"] != "table"]
    tables = [f for f in specs if f["type"] == "table"]
    rows = []
    raw = []
    table_rows: dict[str, list] = {t["key"]: [] for t in tables}
    values: dict[str, list] = {f["key"]: [] for f in plain}
    for sid, school_id, code, name, cell, answers in db.session.execute(answer_rows(campaign.id)):
        state = cell_state(cell, campaign.due_date, today)
        sent = is_sent(cell)
        answers = (answers or {}) if sent or drafts else {}
        shown = []
        for f in plain:
            v = answers.get(f["key"])
            values[f["key"]].append(v)
            shown.append(display(f, v))
        rows.append((sid, school_id, code, name, state, shown, sent))
        raw.append([answers.get(f["key"]) for f in plain])
        for t in tables:
            for row in answers.get(t["key"]) or []:
                table_rows[t["key"]].append((code, name, row, sent))
    counted = sum(1 for row in rows if row[6] or drafts)
    totals = {f["key"]: _summary(f, values[f["key"]]) for f in plain}
    return Consolidated(
        campaign,
        columns_of(schema, plain, totals, counted),
        rows,
        [(t, table_rows[t["key"]]) for t in tables],
        drafts,
        counted,
        raw,
    )
