"""District registry of schools and each school's home page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import bindparam, select

from intranet import paging
from intranet.auth.access import district_admin, district_staff, logged_in, scoped_or_404
from intranet.auth.models import User
from intranet.errors import Refused
from intranet.extensions import db
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.inspections.views import tasks_panel
from intranet.roadmaps.models import Plan, SchoolRoadmap
from intranet.schools import importer, services
from intranet.schools.forms import SCHOOL_FIELDS, ImportForm, SchoolForm
from intranet.schools.models import School
from intranet.uploads import services as uploads
from intranet.web import render_page

bp = Blueprint("schools", __name__, url_prefix="/schools")

IMPORT_KIND = "schools"


def _load(school_id: int) -> School:
    return scoped_or_404(School.visible_to(current_user), school_id, School.id)


@bp.route("/")
@district_staff
def index():
    q = request.args.get("q", "")
    page = services.search(
        current_user,
        q,
        page=paging.requested_page(),
        per_page=current_app.config["SCHOOLS_PAGE_SIZE"],
    )
    return render_page(
        "schools/index.html", "school-list", "schools/_partials/list.html", result=page, q=q
    )


# Built once: the school's home reads them on every view.
_USERS = (
    select(User)
    .where(User.school_id == bindparam("school_id"))
    .order_by(User.active.desc(), User.full_name)
)
_ROADMAPS = (
    select(SchoolRoadmap, Plan.title)
    .join(Plan, Plan.id == SchoolRoadmap.plan_id)
    .where(SchoolRoadmap.school_id == bindparam("school_id"))
    .order_by(Plan.period_start.desc())
)


@bp.route("/<int:school_id>")
@logged_in
def detail(school_id: int):
    school = _load(school_id)
    users = db.session.scalars(_USERS, {"school_id": school.id}).all()
    roadmaps = db.session.execute(_ROADMAPS, {"school_id": school.id}).all()
    return render_template(
        "schools/detail.html",
        school=school,
        users=users,
        roadmaps=roadmaps,
        **tasks_panel(school),
    )


@bp.route("/new", methods=["GET", "POST"])
@district_admin
def create():
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            school = services.create_school(current_user, current_user.district_id, form.data)
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("School %(name)s added.", name=school.display_name), "success")
            return redirect(url_for("schools.detail", school_id=school.id))
    return render_template("schools/form.html", form=form, school=None)


@bp.route("/<int:school_id>/edit", methods=["GET", "POST"])
@district_admin
def edit(school_id: int):
    school = _load(school_id)
    form = SchoolForm(obj=school)
    if form.validate_on_submit():
        try:
            services.update_school(current_user, school, {k: form[k].data for k in SCHOOL_FIELDS})
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("schools.detail", school_id=school.id))
    return render_template("schools/form.html", form=form, school=school)


@bp.route("/<int:school_id>/active", methods=["POST"])
@district_admin
def set_active(school_id: int):
    school = _load(school_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    services.set_active(current_user, school, active)
    if active:
        flash(_("School %(name)s is active again.", name=school.display_name), "success")
    else:
        flash(_("School %(name)s deactivated.", name=school.display_name), "success")
    return redirect(url_for("schools.detail", school_id=school.id))


@bp.route("/import", methods=["GET", "POST"])
@district_admin
def import_upload():
    form = ImportForm()
    if form.validate_on_submit() and (data := uploads.read_limited(form.file)) is not None:
        staged = uploads.stage(current_user, IMPORT_KIND, form.file.data.filename or "", data)
        return redirect(url_for("schools.import_preview", staged_id=staged.id))
    return render_template("schools/import.html", form=form)


@bp.route("/import/<staged_id>", methods=["GET", "POST"])
@district_admin
def import_preview(staged_id: str):
    staged = uploads.get_or_404(current_user, IMPORT_KIND, staged_id)
    result = importer.preview(current_user.district_id, staged.data, staged.filename)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not result.valid:
            flash(_("The file has errors; nothing was imported."), "error")
        else:
            counts = importer.apply(current_user, current_user.district_id, result)
            uploads.discard(staged)
            flash(
                _(
                    "Import finished: %(c)d added, %(u)d updated, %(s)d unchanged.",
                    c=counts["create"],
                    u=counts["update"],
                    s=counts["same"],
                ),
                "success",
            )
            return redirect(url_for("schools.index"))
    labels = {
        name: str(f.label.text) for name, f in SchoolForm(meta={"csrf": False})._fields.items()
    }
    return render_template(
        "schools/import_preview.html", result=result, staged=staged, form=form, labels=labels
    )
