"""A school's roadmap: the school edits and reports; the district reviews."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, joinedload

from intranet.auth.access import district_staff, logged_in, roles, scoped_or_404
from intranet.auth.roles import SCHOOL_ROLES, Role
from intranet.changelog import conflicts
from intranet.documents import pdf_response
from intranet.errors import Refused
from intranet.extensions import db, htmx
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.reports.documents import RoadmapDocument
from intranet.review import actions
from intranet.review import services as review
from intranet.review.forms import ReturnForm
from intranet.roadmaps import columns, inline, rows, services
from intranet.roadmaps.display import deadline_html
from intranet.roadmaps.forms import EvidenceForm, MarkDoneForm, OwnItemForm, RoadmapItemForm
from intranet.roadmaps.models import Evidence, ItemStatus, RoadmapItem, SchoolRoadmap
from intranet.roadmaps.page_items import page_items
from intranet.timezones import local_today
from intranet.uploads.download import stored_file

bp = Blueprint("roadmaps", __name__, url_prefix="/schools/<int:school_id>/roadmaps")
bp.add_app_template_global(deadline_html)
bp.add_app_template_global(rows.item_rows)

school_roles = roles(*SCHOOL_ROLES)


# Built once: the statement and its loader options cost more to build than to run, and
# every roadmap page and row reads it. The roadmap with its plan, school, items and
# their evidence in one statement, whatever the number of items: a round trip fewer to
# a database server, for a few repeated columns per item.
_IN_SCOPE = select(SchoolRoadmap).where(
    SchoolRoadmap.district_id == bindparam("district_id"),
    SchoolRoadmap.school_id == bindparam("school_id"),
    SchoolRoadmap.id == bindparam("roadmap_id"),
)
_ROADMAP = _IN_SCOPE.options(
    joinedload(SchoolRoadmap.items).joinedload(RoadmapItem.evidence),
    joinedload(SchoolRoadmap.plan),
    joinedload(SchoolRoadmap.school),
)


# The page itself: the roadmap with its plan and school, without the columns it never
# shows (read later, they load on their own). Its items come as plain rows, read only
# (``page_items``): the page never changes them, and as mapped objects they cost the
# page a third of its time.
_ROADMAP_PAGE = _IN_SCOPE.options(
    joinedload(SchoolRoadmap.plan),
    joinedload(SchoolRoadmap.school),
    defer(SchoolRoadmap.open_due_dates),
    defer(SchoolRoadmap.first_open_due),
    defer(SchoolRoadmap.created_at),
    defer(SchoolRoadmap.updated_at),
)


def _roadmap(school_id: int, roadmap_id: int, statement=_ROADMAP) -> SchoolRoadmap:
    """The roadmap in the address, if the user may see it: anything else (another
    school's, another district's, a forged id) is 404."""
    scope = SchoolRoadmap.scope_of(current_user, school_id)
    roadmap = (
        db.session.scalars(statement, {"roadmap_id": roadmap_id, **scope}).unique().one_or_none()
        if scope
        else None
    )
    if roadmap is None:
        abort(404)
    return roadmap


def _item(roadmap: SchoolRoadmap, item_id: int) -> RoadmapItem:
    stmt = select(RoadmapItem).where(RoadmapItem.roadmap_id == roadmap.id)
    return scoped_or_404(stmt, item_id, RoadmapItem.id)


def _evidence(roadmap: SchoolRoadmap, evidence_id: int) -> Evidence:
    stmt = (
        select(Evidence)
        .join(RoadmapItem, RoadmapItem.id == Evidence.item_id)
        .where(RoadmapItem.roadmap_id == roadmap.id)
    )
    return scoped_or_404(stmt, evidence_id, Evidence.id)


def _back(roadmap: SchoolRoadmap, anchor: str | None = None):
    return redirect(
        url_for(
            "roadmaps.detail", school_id=roadmap.school_id, roadmap_id=roadmap.id, _anchor=anchor
        )
    )


def _context(roadmap: SchoolRoadmap, items=None) -> dict:
    """What the page and its rows read; ``items``: the roadmap's, as the page reads them
    (``page_items``), or else its mapped ones."""
    if items is None:
        items = roadmap.items
    # The signed-in user once, rather than through the proxy for each question asked.
    user = current_user._get_current_object()
    can_edit = roadmap.can_edit(user)
    today = local_today()
    return {
        "roadmap": roadmap,
        "items": items,
        "today": today,
        # Worked out once for all rows (roadmaps/_macros.html asks by membership).
        "overdue": {item.id for item in items if item.is_overdue(today)},
        "status_labels": {s.value: s.label for s in ItemStatus},
        "comments": review.open_comments(roadmap),
        "can_edit": can_edit,
        "cols": columns.roadmap_columns(items, can_edit),
        "can_submit": review.can_submit(user, roadmap) and roadmap.is_editable,
        "can_review": review.can_review(user, roadmap) and roadmap.state.value == "submitted",
        # Items with a field a school's computer changed against the district's change,
        # until a reviewer chooses: «в конфликте».
        "conflicted": conflicts.open_fields(
            "roadmap_item", roadmap.school_id, [i.id for i in items]
        ),
    }


@bp.route("/<int:roadmap_id>")
@logged_in
def detail(school_id: int, roadmap_id: int):
    roadmap = _roadmap(school_id, roadmap_id, _ROADMAP_PAGE)
    context = _context(roadmap, page_items(roadmap.id))
    # Each form only for the reader who is shown it (a reviewer of a draft sees none).
    return render_template(
        "roadmaps/roadmap.html",
        confirm=ConfirmForm() if context["can_submit"] else None,
        return_form=ReturnForm(formdata=None) if context["can_review"] else None,
        new_item_form=OwnItemForm(formdata=None, prefix="new") if context["can_edit"] else None,
        **context,
    )


def _row(roadmap: SchoolRoadmap, item: RoadmapItem):
    return render_template(
        "roadmaps/_partials/roadmap_item_row.html", item=item, **_context(roadmap)
    )


@bp.route("/<int:roadmap_id>.pdf")
@logged_in
def pdf(school_id: int, roadmap_id: int):
    return pdf_response(RoadmapDocument.single(_roadmap(school_id, roadmap_id)))


@bp.route("/<int:roadmap_id>/items/<int:item_id>")
@logged_in
def item_row(school_id: int, roadmap_id: int, item_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    return _row(roadmap, _item(roadmap, item_id))


# What a school reports on an item, besides the item's own fields.
_PROGRESS = ("status", "done_on", "progress_note", "school_text")


@bp.route("/<int:roadmap_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@school_roles
def edit_item(school_id: int, roadmap_id: int, item_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    item = _item(roadmap, item_id)
    form = RoadmapItemForm(obj=item).for_item(item)
    if request.method == "GET":
        form.show_item(item)
    return inline.edit_item(
        item,
        form,
        save=lambda: services.update_roadmap_item(
            current_user, item, form.values(*_PROGRESS), form.revision.data
        ),
        row=lambda: _row(roadmap, item),
        back=lambda: _back(roadmap, f"item-{item.id}"),
        row_id=f"item-{item.id}",
        templates=("roadmaps/_partials/roadmap_item_form.html", "roadmaps/roadmap_item_edit.html"),
        context={"roadmap": roadmap},
    )


def _reload(roadmap: SchoolRoadmap, item: RoadmapItem):
    """Back to the roadmap page; from htmx, as a whole page (not into the row)."""
    back = _back(roadmap, f"item-{item.id}")
    if htmx:
        back = _row(roadmap, item), {"HX-Redirect": back.location}
    return back


@bp.route("/<int:roadmap_id>/items/<int:item_id>/done", methods=["GET", "POST"])
@school_roles
def mark_done(school_id: int, roadmap_id: int, item_id: int):
    """«Отметить выполнение»: the date, what was done and the evidence in one short form
    (opened in the item's row; this page when it must come back with a reason)."""
    roadmap = _roadmap(school_id, roadmap_id)
    item = _item(roadmap, item_id)
    form = MarkDoneForm(obj=item)
    if request.method == "GET":
        form.done_on.data = item.done_on or local_today()
    conflict = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            services.mark_done(
                current_user,
                item,
                {"done_on": form.done_on.data, "progress_note": form.progress_note.data},
                form.revision.data,
                file=(upload.filename, upload.read()) if upload and upload.filename else None,
                url=form.url.data or "",
            )
        except services.StaleEdit as exc:
            conflict = exc
            form.revision.data = item.revision
            form.revision.raw_data = [str(item.revision)]
        except Refused as exc:
            if not roadmap.can_edit(current_user):
                # Submitted meanwhile: the roadmap page says so, read-only.
                flash(str(exc), "error")
                return _reload(roadmap, item)
            exc.attach(form)
        else:
            if htmx:
                return _row(roadmap, item)
            flash(_("Item %(n)s marked done.", n=item.number), "success")
            return _back(roadmap, f"item-{item.id}")
    context = {"item": item, "done_form": form, "conflict": conflict, "open_done": True}
    if htmx and htmx.target == f"item-{item.id}":
        return render_template(
            "roadmaps/_partials/roadmap_item_row.html", **context, **_context(roadmap)
        )
    return render_template("roadmaps/roadmap_item_done.html", **context, **_context(roadmap))


@bp.route("/<int:roadmap_id>/items/new", methods=["POST"])
@school_roles
def add_item(school_id: int, roadmap_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    form = OwnItemForm(prefix="new")
    if form.validate_on_submit():
        try:
            item = services.add_own_item(current_user, roadmap, form.values())
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Item %(n)s added.", n=item.number), "success")
            return _back(roadmap, f"item-{item.id}")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return _back(roadmap, "new-item")


@bp.route("/<int:roadmap_id>/items/<int:item_id>/delete", methods=["POST"])
@school_roles
def delete_item(school_id: int, roadmap_id: int, item_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    item = _item(roadmap, item_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.delete_own_item(current_user, item)
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Item removed."), "success")
    return _back(roadmap)


@bp.route("/<int:roadmap_id>/items/<int:item_id>/evidence", methods=["POST"])
@school_roles
def add_evidence(school_id: int, roadmap_id: int, item_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    item = _item(roadmap, item_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            upload = form.file.data
            if upload and upload.filename:
                services.add_evidence_file(current_user, item, upload.filename, upload.read())
            elif form.url.data:
                services.add_evidence_link(current_user, item, form.url.data)
            else:
                raise Refused(_("Choose a file or give a link."))
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Evidence added to item %(n)s.", n=item.number), "success")
    else:
        flash(_("The form has expired. Try again."), "error")
    return _back(roadmap, f"item-{item.id}")


@bp.route("/<int:roadmap_id>/evidence/<int:evidence_id>")
@logged_in
def download_evidence(school_id: int, roadmap_id: int, evidence_id: int):
    roadmap = scoped_or_404(
        SchoolRoadmap.visible_to(current_user).where(SchoolRoadmap.school_id == school_id),
        roadmap_id,
        SchoolRoadmap.id,
    )
    evidence = _evidence(roadmap, evidence_id)
    if not evidence.is_file:
        return redirect(evidence.url)
    return stored_file(evidence.sha256 or "", evidence.filename, evidence.content_type)


@bp.route("/<int:roadmap_id>/evidence/<int:evidence_id>/delete", methods=["POST"])
@school_roles
def delete_evidence(school_id: int, roadmap_id: int, evidence_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    evidence = _evidence(roadmap, evidence_id)
    anchor = f"item-{evidence.item_id}"
    if ConfirmForm().validate_on_submit():
        try:
            services.delete_evidence(current_user, evidence)
        except Refused as exc:
            flash(str(exc), "error")
    return _back(roadmap, anchor)


@bp.route("/<int:roadmap_id>/submit", methods=["POST"])
@roles(Role.SCHOOL_HEAD)
def submit(school_id: int, roadmap_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    actions.submit(roadmap)
    return _back(roadmap)


@bp.route("/<int:roadmap_id>/return", methods=["POST"])
@district_staff
def return_(school_id: int, roadmap_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    form = actions.return_for_revision(roadmap)
    if form is None:
        return _back(roadmap)
    # Refused (no reason given): the page again, with the reason and remarks as typed.
    return render_template(
        "roadmaps/roadmap.html",
        confirm=ConfirmForm(),
        return_form=form,
        new_item_form=OwnItemForm(formdata=None, prefix="new"),
        remarks=actions.typed_remarks(),
        **_context(roadmap),
    ), 422


@bp.route("/<int:roadmap_id>/accept", methods=["POST"])
@district_staff
def accept(school_id: int, roadmap_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    actions.accept(roadmap)
    return _back(roadmap)


@bp.route("/<int:roadmap_id>/history")
@logged_in
def history(school_id: int, roadmap_id: int):
    roadmap = _roadmap(school_id, roadmap_id)
    versions = review.versions(roadmap)
    by_number = {v.number: v for v in versions}
    a = by_number.get(request.args.get("a", type=int) or 0)
    b = by_number.get(request.args.get("b", type=int) or 0)
    if a is None and len(versions) >= 2:
        a, b = versions[-2], versions[-1]
    changes = None
    if a is not None and b is not None:
        if a.number > b.number:
            a, b = b, a
        changes = review.diff(a.content, b.content)
    elif request.args.get("a") or request.args.get("b"):
        abort(404)
    # Every remark and every change names its item.
    names = services.item_names(roadmap, [v.content for v in versions])
    return render_template(
        "roadmaps/history.html",
        roadmap=roadmap,
        versions=versions,
        events=review.events(roadmap),
        a=a,
        b=b,
        changes=None if changes is None else services.named_changes(changes, names),
        names=names,
    )
