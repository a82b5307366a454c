"""School mode: a school's offline copy changes only what the school owns.

The district owns plans, form templates, campaigns, review decisions, the school registry
and the accounts; on a copy these arrive only through enrolment and the district's
bundles (``sync.enrol``, ``sync.downstream``), which write inside ``district_data()``.
Two layers refuse everything else: the district's write pages answer 403 with a message
before any work (``refuse_district_pages``), and a flush guard refuses any district-owned
row change whatever service or command tried it, so nothing half-done can be committed.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import click
from flask import Flask, has_app_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from intranet.errors import Refused
from intranet.i18n import gettext as _
from intranet.settings import is_school_copy

_district_data: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "district_data", default=False
)

# Pages that change what the district owns. On a school copy they are refused whatever
# the role; the menu does not offer them. (tests/test_schoolcopy.py checks every write
# route is named here or in SCHOOL_WRITE_ENDPOINTS, so a new route cannot slip through.)
DISTRICT_WRITE_ENDPOINTS = frozenset(
    {
        # plans
        "plans.create",
        "plans.edit",
        "plans.add_item",
        "plans.add_section",
        "plans.delete_item",
        "plans.edit_item",
        "plans.move_item",
        "plans.publish",
        "plans.renumber",
        "plans.import_upload",
        "plans.import_preview",
        # form templates
        "forms.create",
        "forms.add_field",
        "forms.add_section",
        "forms.delete_field",
        "forms.edit_field",
        "forms.move_field",
        "forms.new_draft",
        "forms.publish",
        "forms.update_field",
        # campaigns
        "campaigns.create",
        "campaigns.reopen",
        # review decisions
        "roadmaps.accept",
        "roadmaps.return_",
        "inspections.accept",
        "inspections.return_",
        # the school registry
        "schools.create",
        "schools.edit",
        "schools.set_active",
        "schools.import_upload",
        "schools.import_preview",
        # accounts (a user's own password change stays allowed: auth.password)
        "users.create",
        "users.edit",
        "users.reset_password",
        # ВПР results and their rules are the district's
        "objectivity.import_upload",
        "objectivity.import_preview",
        "objectivity.rule_new",
        "objectivity.rule_edit",
        "objectivity.scales",
        "objectivity.scale_edit",
        "objectivity.settings",
        # enrolling and revoking school computers, releasing quarantine
        "sync_copy.enrol",
        "sync_copy.enrol_code",
        # the sync API: writes on the district, reachable only by enrolled school computers
        # (signed requests) or with a one-time code; a copy answers them 404
        "sync_api.enrol",
        "sync_api.push_part",
        "sync.revoke",
        "sync.release",
        # choosing between conflicting values is a review decision
        "changelog.resolve",
        # control acts are the district's documents
        "acts.create",
        "acts.edit",
        "acts.issue",
        "acts.correct",
        "acts.delete",
    }
)

# Writes a school copy keeps: the school's own content and the user's own session.
SCHOOL_WRITE_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.logout",
        "auth.password",
        "roadmaps.add_evidence",
        "roadmaps.add_item",
        "roadmaps.delete_evidence",
        "roadmaps.delete_item",
        "roadmaps.edit_item",
        "roadmaps.mark_done",
        "roadmaps.submit",
        "inspections.notifications_read",
        "inspections.rows",
        "inspections.save",
        "inspections.save_all",
        "inspections.submit",
        # the copy's own exchange with the district
        "sync_copy.copy_export",
        "sync_copy.copy_import",
        "sync_copy.copy_sync",
    }
)


class DistrictOwned(Refused, click.ClickException):
    """A school copy was asked to change what only the district may change.

    Also a ClickException: a command (``intranet users create`` on a copy) ends with the
    message on one line and exit code 1 instead of a traceback."""

    def __init__(self) -> None:
        text = message()
        Refused.__init__(self, text)
        click.ClickException.__init__(self, text)


def message() -> str:
    return _(
        "This is the school's copy of the intranet: plans, forms, campaigns, review "
        "decisions, schools and accounts are changed on the district server only and "
        "arrive here with the district's bundle."
    )


@contextlib.contextmanager
def district_data() -> Iterator[None]:
    """Let enrolment and the district's bundle write district-owned rows on a copy."""
    token = _district_data.set(True)
    try:
        yield
    finally:
        _district_data.reset(token)


def _guarding() -> bool:
    return has_app_context() and is_school_copy() and not _district_data.get()


# -- the flush guard ------------------------------------------------------------------

# Tables the district alone writes (rows of the district and its registry, plans,
# templates, campaigns, ВПР results).
_DISTRICT_TABLES = frozenset(
    {
        "districts",
        "schools",
        "plans",
        "plan_sections",
        "form_templates",
        "form_versions",
        "campaign_targets",
        "vpr_imports",
        "vpr_results",
        "vpr_mark_stats",
        "vpr_comparisons",
        "vpr_mark_scales",
        "objectivity_rules",
        "objectivity_settings",
        "objectivity_markers",
        "control_acts",
        "act_counters",
    }
)
# Counters the school's own edits keep up to date on district rows.
_DERIVED_COLUMNS = {
    "plan_items": frozenset({"done_count"}),
    "campaigns": frozenset({"expected_count", "submitted_count", "on_time_count", "updated_at"}),
}
# (A password change and a logout end the user's other sessions: session_version.)
_OWN_PASSWORD_COLUMNS = frozenset(
    {
        "password_hash",
        "must_change_password",
        "last_login_at",
        "updated_at",
        "session_version",
        "password_changed_at",
    }
)
_DISTRICT_DECISIONS = frozenset({"returned", "accepted"})
_DISTRICT_EVENTS = frozenset({"return", "accept", "comment"})


def _changed(obj: Any) -> set[str]:
    state = inspect(obj)
    return {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}


def _refused_new(obj: Any) -> bool:
    table = obj.__table__.name
    if table in _DISTRICT_TABLES or table in _DERIVED_COLUMNS or table == "users":
        return True
    if table in {"school_roadmaps", "submissions"}:
        return True  # born when the district publishes a plan or launches a campaign
    if table == "review_events":
        return obj.action in _DISTRICT_EVENTS
    return False


def _refused_change(obj: Any) -> bool:
    table = obj.__table__.name
    if table in _DISTRICT_TABLES:
        return True
    if table in _DERIVED_COLUMNS:
        return not _changed(obj) <= _DERIVED_COLUMNS[table]
    if table == "users":
        from intranet.audit.services import current_actor

        # Only a login time and a person's own password change are the copy's to make.
        changed = _changed(obj)
        if changed <= {"last_login_at", "updated_at"}:
            return False
        actor = current_actor()
        own = actor is not None and getattr(actor, "id", None) == obj.id
        return not (own and changed <= _OWN_PASSWORD_COLUMNS)
    if table in {"school_roadmaps", "submissions"}:
        changed = _changed(obj)
        if changed & {"plan_id", "campaign_id", "school_id", "district_id"}:
            return True
        return "status" in changed and obj.status in _DISTRICT_DECISIONS
    return table == "review_events"


@event.listens_for(Session, "before_flush")
def _guard(session: Session, flush_context: Any, instances: Any) -> None:  # noqa: ARG001
    if not (session.new or session.dirty or session.deleted) or not _guarding():
        return
    for obj in session.new:
        if hasattr(obj, "__table__") and _refused_new(obj):
            raise DistrictOwned()
    for obj in session.dirty:
        if (
            hasattr(obj, "__table__")
            and session.is_modified(obj, include_collections=False)
            and _refused_change(obj)
        ):
            raise DistrictOwned()
    for obj in session.deleted:
        if hasattr(obj, "__table__") and (
            _refused_new(obj) or obj.__table__.name in {"plan_items", "users"}
        ):
            raise DistrictOwned()


# -- pages ------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    # The district's feed model and the enrolment commands (``intranet sync enrol/init``).
    import sync.downstream  # noqa: F401
    import sync.enrol  # noqa: F401
    from sync import copy_views

    copy_views.init_app(app)

    @app.before_request
    def refuse_district_pages():
        if request.endpoint in DISTRICT_WRITE_ENDPOINTS and is_school_copy():
            from intranet.web import render_error

            return render_error(403, message())
        return None

    @app.errorhandler(DistrictOwned)
    def district_owned(exc: DistrictOwned):
        from intranet.extensions import db
        from intranet.web import render_error

        db.session.rollback()
        return render_error(403, str(exc))

    @app.context_processor
    def school_copy_flag() -> dict[str, Any]:
        return {"school_copy": is_school_copy()}
