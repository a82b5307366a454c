"""Submit, return, accept, comment; versions and their differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from intranet.audit.services import writing
from intranet.auth.roles import Role
from intranet.database import claim
from intranet.errors import Refused
from intranet.extensions import db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from intranet.review.models import (
    EDITABLE_STATES,
    Notification,
    Reviewable,
    ReviewAction,
    ReviewEvent,
    ReviewState,
    Version,
)


def _subject_filter(model, subject: Reviewable):
    return (model.subject_type == subject.review_type) & (model.subject_id == subject.id)


def latest_version(subject: Reviewable) -> Version | None:
    return db.session.scalar(
        select(Version).where(_subject_filter(Version, subject)).order_by(Version.number.desc())
    )


def versions(subject: Reviewable) -> list[Version]:
    return db.session.scalars(
        select(Version).where(_subject_filter(Version, subject)).order_by(Version.number)
    ).all()


def events(subject: Reviewable) -> list[ReviewEvent]:
    return db.session.scalars(
        select(ReviewEvent).where(_subject_filter(ReviewEvent, subject)).order_by(ReviewEvent.id)
    ).all()


def open_comments(subject: Reviewable) -> dict[str | None, list[ReviewEvent]]:
    """While a record is returned: the reason and remarks of that return, by target key
    (None: about the whole record). Once resubmitted they live on in the history only."""
    if subject.state is not ReviewState.RETURNED:
        return {}
    last_return = db.session.scalar(
        select(func.max(ReviewEvent.id)).where(
            _subject_filter(ReviewEvent, subject), ReviewEvent.action == ReviewAction.RETURN
        )
    )
    if last_return is None:
        return {}
    rows = db.session.scalars(
        select(ReviewEvent)
        .where(
            _subject_filter(ReviewEvent, subject),
            ReviewEvent.id >= last_return,
            ReviewEvent.action.in_([ReviewAction.RETURN, ReviewAction.COMMENT]),
        )
        .order_by(ReviewEvent.id)
    ).all()
    out: dict[str | None, list[ReviewEvent]] = {}
    for event in rows:
        out.setdefault(event.target_key, []).append(event)
    return out


def _event(actor, subject: Reviewable, action: ReviewAction, **values: Any) -> ReviewEvent:
    event = ReviewEvent(
        at=utcnow(),
        subject_type=subject.review_type,
        subject_id=subject.id,
        district_id=subject.district_id,
        school_id=subject.school_id,
        action=action.value,
        author_id=getattr(actor, "id", None),
        author_name=getattr(actor, "full_name", "") or "",
        **values,
    )
    db.session.add(event)
    return event


def _set_state(subject: Reviewable, state: ReviewState, event: ReviewEvent) -> None:
    """Every change of a review state goes through here: the record keeps when it
    entered its state, so the district's queue reads how long each waits off an index."""
    subject.status = state.value
    subject.review_state_at = event.at  # type: ignore[attr-defined]


def notify(district_id: int, school_ids: list[int], text: str, url: str, key: str) -> None:
    """One notification per school, once per ``key`` (already sent ones are skipped)."""
    if not school_ids:
        return
    sent = set(
        db.session.scalars(
            select(Notification.school_id).where(
                Notification.school_id.in_(school_ids), Notification.dedupe_key == key
            )
        )
    )
    db.session.add_all(
        Notification(district_id=district_id, school_id=s, text=text, url=url, dedupe_key=key)
        for s in school_ids
        if s not in sent
    )


def _tell_school(subject: Reviewable, action: ReviewAction, version: Version) -> None:
    """A return or an acceptance reaches the school the same way for every kind of record."""
    notify(
        subject.district_id,  # type: ignore[attr-defined]
        [subject.school_id],  # type: ignore[attr-defined]
        subject.review_notice(action),
        "",
        f"{action.value}:{subject.review_type}:{subject.id}:{version.number}",  # type: ignore[attr-defined]
    )


def can_submit(user, subject: Reviewable) -> bool:
    return user.role_enum is Role.SCHOOL_HEAD and user.school_id == subject.school_id


def can_review(user, subject: Reviewable) -> bool:
    return user.is_district_staff and user.district_id == subject.district_id


def submit(actor, subject: Reviewable, origin=None, *, commit: bool = True) -> Version:
    """The school head sends the record for review: one new version, whatever the clicks.

    The action is also a change of the change log (``origin``: where it was made; the
    sync import passes the copy's, and ``commit=False`` to stay in its transaction)."""
    from intranet.changelog import services as changelog

    if not can_submit(actor, subject):
        raise Refused(_("Only the school head can submit."))
    # Two clicks at once make one version: the loser waits for the winner's commit and
    # then finds the record submitted.
    if not claim(subject, [s.value for s in EDITABLE_STATES]):
        db.session.rollback()
        raise Refused(_("Already submitted; wait for the district's review."))
    problems = subject.submit_problems()
    if problems:
        db.session.rollback()
        raise Refused("; ".join(problems))
    origin = origin or changelog.Origin.of(actor)
    parent = latest_version(subject)
    with writing(actor):
        version = Version(
            parent_uuid=parent.uuid if parent else None,
            subject_type=subject.review_type,
            subject_id=subject.id,
            district_id=subject.district_id,
            school_id=subject.school_id,
            number=(parent.number + 1) if parent else 1,
            content=subject.review_snapshot(),
            author_id=actor.id,
            author_name=actor.full_name,
            saved_at=origin.saved_at or utcnow(),
        )
        db.session.add(version)
        db.session.flush()
        event = _event(actor, subject, ReviewAction.SUBMIT, version_id=version.id)
        _set_state(subject, ReviewState.SUBMITTED, event)
        changelog.record_submit(subject, origin, version.uuid)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    return version


def _require_submitted(actor, subject: Reviewable) -> Version:
    """Claim a submitted record for one review action: of parallel returns and accepts
    exactly one acts, the others are told someone reviewed it already."""
    if not can_review(actor, subject):
        raise Refused(_("Only district staff can review."))
    if not claim(subject, [ReviewState.SUBMITTED.value]):
        db.session.rollback()
        raise Refused(_("This is not waiting for review (someone may have reviewed it already)."))
    version = latest_version(subject)
    assert version is not None
    return version


def return_for_revision(
    actor, subject: Reviewable, reason: str, comments: dict[str, str] | None = None
) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why it is returned."), "reason")
    version = _require_submitted(actor, subject)
    snapshot_keys = {k.split(".")[0] for k in version.content}
    with writing(actor):
        event = _event(actor, subject, ReviewAction.RETURN, version_id=version.id, text=reason)
        for key, text in (comments or {}).items():
            text = (text or "").strip()
            if text and key in snapshot_keys:
                _event(
                    actor,
                    subject,
                    ReviewAction.COMMENT,
                    version_id=version.id,
                    target_key=key,
                    text=text,
                )
        _set_state(subject, ReviewState.RETURNED, event)
        _tell_school(subject, ReviewAction.RETURN, version)
        db.session.commit()


def accept(actor, subject: Reviewable) -> None:
    version = _require_submitted(actor, subject)
    with writing(actor):
        event = _event(actor, subject, ReviewAction.ACCEPT, version_id=version.id)
        _set_state(subject, ReviewState.ACCEPTED, event)
        _tell_school(subject, ReviewAction.ACCEPT, version)
        subject.changed_since_accepted = False
        db.session.commit()


def before_school_edit(actor, subject: Reviewable) -> None:
    """Called by every service that changes content: refuses while under review, and an
    edit after acceptance reopens the record as "changed since accepted"."""
    if subject.state is ReviewState.SUBMITTED:
        raise Refused(
            _("Submitted for review: nothing can be changed until the district returns it.")
        )
    if subject.state is ReviewState.ACCEPTED:
        subject.changed_since_accepted = True
        _set_state(subject, ReviewState.DRAFT, _event(actor, subject, ReviewAction.REOPEN))


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: Any
    after: Any


def diff(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    """Field-by-field differences between two snapshots, in the newer one's order."""
    changes = []
    for key in list(new) + [k for k in old if k not in new]:
        before = old.get(key, {}).get("value")
        after = new.get(key, {}).get("value")
        if before != after:
            label = (new.get(key) or old.get(key) or {}).get("label", key)
            changes.append(Change(key, label, before, after))
    return changes
