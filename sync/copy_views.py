"""The school copy's «Синхронизация» page, the per-record sync badges, and the district's
enrolment button on a school's page. Thin: the services are the CLI's."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from sqlalchemy import func, select

from intranet.auth.access import district_admin, roles, scoped_or_404
from intranet.auth.roles import SCHOOL_ROLES
from intranet.errors import Refused
from intranet.extensions import db
from intranet.forms import ConfirmForm, Form
from intranet.i18n import gettext as _
from intranet.i18n import lazy_gettext as _l
from intranet.schools.models import School
from intranet.settings import is_school_copy

bp = Blueprint("sync_copy", __name__, url_prefix="/sync")

STATE_LABELS = {
    "unsent": _l("not sent"),
    "sent": _l("sent"),
    "confirmed": _l("confirmed"),
    "conflict": _l("in conflict"),
    "error": _l("error"),
}
# The state a record shows: the most pressing of its changes' states.
_PRIORITY = ("conflict", "error", "unsent", "sent", "confirmed")


# What a change touched, as the pages name it.
_ITEM_FIELDS = {
    "number": _l("No."),
    "text": _l("Measure"),
    "deadline": _l("Deadline"),
    "responsible": _l("Responsible"),
    "result": _l("Expected result"),
    "status": _l("Status"),
    "done_on": _l("Date done"),
    "progress_note": _l("What was done"),
    "school_text": _l("School's wording"),
    "evidence.add": _l("Evidence"),
    "evidence.remove": _l("Evidence"),
}
_ACTIONS = {
    "_submit": _l("sent for review"),
    "_create": _l("new measure"),
    "_delete": _l("measure removed"),
}


def describe(changes: list[Any]) -> dict[int, str]:
    """{change id: what it changed, in words} for the waiting list (one query per kind)."""
    from intranet.inspections.models import Submission
    from intranet.roadmaps.models import RoadmapItem

    sub_ids = {c.subject_id for c in changes if c.subject_type == "submission"}
    item_ids = {c.subject_id for c in changes if c.subject_type == "roadmap_item"}
    subs = {
        s.id: s
        for s in db.session.scalars(select(Submission).where(Submission.id.in_(sub_ids or [0])))
    }
    items = dict(
        db.session.execute(
            select(RoadmapItem.id, RoadmapItem.text).where(RoadmapItem.id.in_(item_ids or [0]))
        ).all()
    )
    out: dict[int, str] = {}
    for change in changes:
        action = _ACTIONS.get(change.field)
        if change.subject_type == "submission":
            sub = subs.get(change.subject_id)
            where = sub.campaign.title if sub else str(_("Form"))
            spec = sub.specs.get(change.field.split(".")[0]) if sub else None
            what = action or (spec or {}).get("label") or change.field
        elif change.subject_type == "roadmap_item":
            where = (items.get(change.subject_id) or str(_("Measure")))[:80]
            what = action or _ITEM_FIELDS.get(change.field) or change.field
        else:
            where = str(_("Roadmap"))
            what = action or change.field
        out[change.id] = f"{where} — {what}"
    return out


class BundleUploadForm(Form):
    bundle = FileField(_l("District's bundle"), validators=[FileRequired(_l("Choose the file."))])


def _local_or_404():
    from sync import nodes

    if not is_school_copy():
        abort(404)
    local = nodes.local()
    if local is None or local.school_id != current_user.school_id:
        abort(404)
    return local


def record_states(subject_type: str, school_id: int) -> dict[int, str]:
    """{subject id: the state of its changes made on this copy} for one school."""
    from intranet.changelog.models import Change

    found: dict[int, set[str]] = {}
    for subject_id, state in db.session.execute(
        select(Change.subject_id, Change.sync_state)
        .where(
            Change.school_id == school_id,
            Change.subject_type == subject_type,
            Change.node_id.is_(None),
        )
        .group_by(Change.subject_id, Change.sync_state)
    ):
        found.setdefault(subject_id, set()).add(state)
    return {
        subject_id: next(s for s in _PRIORITY if s in states)
        for subject_id, states in found.items()
        if any(s in _PRIORITY for s in states)
    }


def sync_badge(subject_type: str, subject_id: int, school_id: int) -> Markup:
    """A badge with the record's sync state, on a school copy only (one query per kind of
    record per page, whatever the number of records)."""
    if not is_school_copy():
        return Markup("")
    cache = g.setdefault("sync_states", {})
    key = (subject_type, school_id)
    if key not in cache:
        cache[key] = record_states(subject_type, school_id)
    state = cache[key].get(subject_id)
    if state is None:
        return Markup("")
    label = escape(str(STATE_LABELS[state]))
    title = escape(_("Sync with the district"))
    return Markup(f'<span class="badge sync-{state}" title="{title}">{label}</span>')


@bp.route("/copy")
@roles(*SCHOOL_ROLES)
def copy():
    from sync.models import SyncBundle
    from sync.status import copy_status

    local = _local_or_404()
    status = copy_status()
    from intranet.changelog.models import Change

    waiting = db.session.scalars(
        select(Change)
        .where(
            Change.school_id == local.school_id,
            Change.node_id.is_(None),
            Change.sync_state.in_(["unsent", "sent", "error"]),
        )
        .order_by(Change.id)
        .limit(200)
    ).all()
    waiting_count = db.session.scalar(
        select(func.count())
        .select_from(Change)
        .where(
            Change.school_id == local.school_id,
            Change.node_id.is_(None),
            Change.sync_state.in_(["unsent", "sent", "error"]),
        )
    )
    last_bundle = db.session.scalar(
        select(SyncBundle)
        .where(SyncBundle.school_id == local.school_id, SyncBundle.direction == "down")
        .order_by(SyncBundle.received_at.desc())
        .limit(1)
    )
    from sync.background import syncer
    from sync.client import district_url
    from sync.enrol import fingerprint

    return render_template(
        "sync/copy.html",
        district_url=district_url(),
        last_sync=syncer.last,
        local=local,
        status=status,
        states=STATE_LABELS,
        waiting=waiting,
        described=describe(waiting),
        waiting_count=waiting_count,
        last_bundle=last_bundle,
        fingerprint=fingerprint(local.district_public_key),
        confirm=ConfirmForm(),
        upload=BundleUploadForm(),
    )


@bp.route("/copy/export", methods=["POST"])
@roles(*SCHOOL_ROLES)
def copy_export():
    from sync.bundle import BundleRefused
    from sync.exporter import export_up

    local = _local_or_404()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        exported = export_up()
    except BundleRefused as exc:
        flash(exc.reason, "error")
        return redirect(url_for("sync_copy.copy"))
    school = db.session.get(School, local.school_id)
    name = f"to-district-{school.code}-{exported.manifest.get('seq_to', 0)}.zip"
    return send_file(
        io.BytesIO(exported.data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=name,
    )


@bp.route("/copy/import", methods=["POST"])
@roles(*SCHOOL_ROLES)
def copy_import():
    from sync.bundle import BundleRefused
    from sync.importer import import_bundle

    _local_or_404()
    form = BundleUploadForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("sync_copy.copy"))
    data = form.bundle.data.read(int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) + 1)
    try:
        result = import_bundle(data)
    except BundleRefused as exc:
        flash(_("Bundle refused: %(reason)s", reason=exc.reason), "error")
        return redirect(url_for("sync_copy.copy"))
    if result.status == "known":
        flash(_("This bundle was applied before; nothing changed."), "info")
    elif result.status == "applied":
        flash(
            _(
                "District bundle applied: %(receipts)s receipts, %(records)s other records.",
                receipts=result.counts.get("receipts", 0),
                records=sum(v for k, v in result.counts.items() if k != "receipts"),
            ),
            "success",
        )
    else:
        flash(result.message, "error")
    return redirect(url_for("sync_copy.copy"))


@bp.route("/schools/<int:school_id>/enrol", methods=["POST"])
@district_admin
def enrol(school_id: int):
    from sync.bundle import BundleRefused
    from sync.enrol import build_enrolment, enrolment_filename

    school = scoped_or_404(School.visible_to(current_user), school_id, School.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        made = build_enrolment(current_user, school)
    except (Refused, BundleRefused) as exc:
        flash(str(exc), "error")
        return redirect(url_for("schools.detail", school_id=school.id))
    return send_file(
        io.BytesIO(made.data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=enrolment_filename(school),
    )


@bp.route("/copy/now", methods=["POST"])
@roles(*SCHOOL_ROLES)
def copy_sync():
    from sync.client import run_sync

    _local_or_404()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    report = run_sync()
    category = "success" if report.all_confirmed else ("info" if not report.link else "error")
    if report.link and not report.errors and report.conflicts + report.waiting:
        category = "info"
    for line in report.lines():
        flash(line, category)
    return redirect(url_for("sync_copy.copy"))


@bp.route("/schools/<int:school_id>/code", methods=["POST"])
@district_admin
def enrol_code(school_id: int):
    from sync.codes import create_code

    school = scoped_or_404(School.visible_to(current_user), school_id, School.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        made = create_code(current_user, school)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("schools.detail", school_id=school.id))
    # Shown once, in this answer only (never in a flash message kept in the cookie).
    return render_template(
        "sync/code.html",
        school=school,
        code=made.code,
        expires_at=made.expires_at,
        district_url=current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/"),
    )


def init_app(app: Flask) -> None:
    from sync import api, background, downstream

    app.register_blueprint(bp)
    api.init_app(app)
    background.init_app(app)
    if app.config.get("MODE") != "school":
        # The district's writes keep the schools' feeds honest about what may be new.
        with app.app_context():
            downstream.watch(db.engine)

    @app.context_processor
    def sync_helpers() -> dict[str, Any]:
        return {"sync_badge": sync_badge, "enrol_form": ConfirmForm}
