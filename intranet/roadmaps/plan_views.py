"""The district's plans: create or import, edit items inline, publish, watch execution."""

from __future__ import annotations

import tempfile

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from intranet import paging
from intranet.auth.access import district_admin, district_staff, logged_in, scoped_or_404
from intranet.documents import EmptyDocument, pdf_response
from intranet.documents.http import content_disposition
from intranet.errors import Refused
from intranet.extensions import db
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.reports import data as reports
from intranet.reports.documents import DistrictReportDocument, RoadmapDocument
from intranet.review.models import ReviewState
from intranet.roadmaps import columns, exports, inline, services
from intranet.roadmaps.forms import PlanForm, PlanImportForm, PlanItemForm, SectionForm
from intranet.roadmaps.models import Plan, PlanItem, SchoolRoadmap
from intranet.roadmaps.plan_import import ParsedPlan, PlanImportError, parse_plan
from intranet.timezones import local_today
from intranet.uploads import services as uploads

bp = Blueprint("plans", __name__, url_prefix="/plans")

IMPORT_KIND = "plan"


def _plan(plan_id: int) -> Plan:
    return scoped_or_404(Plan.visible_to(current_user), plan_id, Plan.id)


def _item(plan: Plan, item_id: int) -> PlanItem:
    from sqlalchemy import select

    return scoped_or_404(select(PlanItem).where(PlanItem.plan_id == plan.id), item_id, PlanItem.id)


@bp.route("/")
@logged_in
def index():
    plans = db.session.scalars(
        Plan.visible_to(current_user).order_by(Plan.period_start.desc(), Plan.id.desc())
    ).all()
    roadmaps = {}
    if current_user.is_school_user:
        from sqlalchemy import select

        roadmaps = {
            r.plan_id: r
            for r in db.session.scalars(
                select(SchoolRoadmap).where(SchoolRoadmap.school_id == current_user.school_id)
            )
        }
    return render_template("roadmaps/plans.html", plans=plans, roadmaps=roadmaps)


def _plan_data(form: PlanForm) -> dict:
    return {
        k: form[k].data
        for k in ("title", "order_number", "order_date", "period_start", "period_end", "submit_by")
    }


@bp.route("/new", methods=["GET", "POST"])
@district_admin
def create():
    form = PlanForm()
    if request.method == "GET":
        today = local_today()
        start, end = services.school_year(today.year if today.month >= 8 else today.year - 1)
        form.period_start.data, form.period_end.data = start, end
    if form.validate_on_submit():
        try:
            plan = services.create_plan(current_user, current_user.district_id, _plan_data(form))
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Plan created. Add its sections and items, then publish it."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("roadmaps/plan_form.html", form=form, plan=None)


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@district_admin
def edit(plan_id: int):
    plan = _plan(plan_id)
    form = PlanForm(obj=plan)
    if form.validate_on_submit():
        try:
            services.update_plan(current_user, plan, _plan_data(form))
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template("roadmaps/plan_form.html", form=form, plan=plan)


@bp.route("/import", methods=["GET", "POST"])
@district_admin
def import_upload():
    form = PlanImportForm()
    if form.validate_on_submit() and (data := uploads.read_limited(form.file)) is not None:
        filename = form.file.data.filename or ""
        try:
            parsed = parse_plan(data, filename)
        except PlanImportError as exc:
            form.file.errors.append(str(exc))
        else:
            # Read once per upload: the preview (shown again on every change of the
            # period) works from what was read here.
            staged = uploads.stage(current_user, IMPORT_KIND, filename, data, parsed.as_dict())
            return redirect(url_for("plans.import_preview", staged_id=staged.id))
    return render_template("roadmaps/plan_import.html", form=form)


@bp.route("/import/<staged_id>", methods=["GET", "POST"])
@district_admin
def import_preview(staged_id: str):
    staged = uploads.get_or_404(current_user, IMPORT_KIND, staged_id)
    form = PlanForm()
    period = None
    if (
        form.period_start.data
        and form.period_end.data
        and form.period_end.data >= form.period_start.data
    ):
        period = (form.period_start.data, form.period_end.data)
    if staged.parsed is not None:
        parsed = ParsedPlan.from_dict(staged.parsed, period)
    else:  # staged before files were read once per upload
        parsed = parse_plan(staged.data, staged.filename, period)
    if request.method == "GET":
        form.title.data = parsed.title or staged.filename
        form.order_number.data = parsed.order_number
        form.order_date.data = parsed.order_date
        form.submit_by.data = parsed.submit_by
        if parsed.period:
            form.period_start.data, form.period_end.data = parsed.period
    elif request.form.get("confirm") and form.validate_on_submit():
        try:
            plan = services.import_plan(
                current_user, current_user.district_id, parsed, _plan_data(form)
            )
        except Refused as exc:
            exc.attach(form)
        else:
            uploads.discard(staged)
            flash(
                _("Plan imported: %(n)d items. Check them, then publish.", n=len(parsed.items)),
                "success",
            )
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template(
        "roadmaps/plan_import_preview.html",
        form=form,
        parsed=parsed,
        staged=staged,
        cols=columns.plan_columns(parsed.items, False),
    )


@bp.route("/<int:plan_id>")
@logged_in
def detail(plan_id: int):
    plan = _plan(plan_id)
    editable = plan.can_edit(current_user)
    return render_template(
        "roadmaps/plan.html",
        plan=plan,
        section_form=SectionForm(),
        new_item_form=_item_form(plan, prefix="new"),
        confirm=ConfirmForm(),
        editable=editable,
        cols=columns.plan_columns(plan.items, editable),
    )


def _item_form(plan: Plan, item: PlanItem | None = None, **kwargs) -> PlanItemForm:
    form = PlanItemForm(obj=item, **kwargs)
    form.section_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(s.id, s.title[:80]) for s in plan.sections
    ]
    if item is not None and request.method == "GET":
        form.section_id.data = item.section_id or 0
        form.show_item(item)
    return form


def _item_data(form: PlanItemForm) -> dict:
    data = form.values("schools_report")
    data["section_id"] = form.section_id.data or None
    return data


def _row(plan: Plan, item: PlanItem):
    return render_template(
        "roadmaps/_partials/plan_item_row.html",
        plan=plan,
        item=item,
        editable=plan.can_edit(current_user),
        cols=columns.plan_columns(plan.items, plan.can_edit(current_user)),
    )


@bp.route("/<int:plan_id>/items/<int:item_id>")
@district_staff
def item_row(plan_id: int, item_id: int):
    plan = _plan(plan_id)
    return _row(plan, _item(plan, item_id))


@bp.route("/<int:plan_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@district_admin
def edit_item(plan_id: int, item_id: int):
    plan = _plan(plan_id)
    item = _item(plan, item_id)
    form = _item_form(plan, item)
    return inline.edit_item(
        item,
        form,
        save=lambda: services.update_plan_item(
            current_user, item, _item_data(form), form.revision.data
        ),
        row=lambda: _row(plan, item),
        back=lambda: redirect(
            url_for("plans.detail", plan_id=plan.id, _anchor=f"plan-item-{item.id}")
        ),
        row_id=f"plan-item-{item.id}",
        templates=("roadmaps/_partials/plan_item_form.html", "roadmaps/plan_item_edit.html"),
        context={"plan": plan},
    )


@bp.route("/<int:plan_id>/items/new", methods=["POST"])
@district_admin
def add_item(plan_id: int):
    plan = _plan(plan_id)
    form = _item_form(plan, prefix="new")
    if form.validate_on_submit():
        try:
            item = services.add_plan_item(current_user, plan, _item_data(form))
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Item %(n)s added.", n=item.number or item.text[:40]), "success")
            return redirect(
                url_for("plans.detail", plan_id=plan.id, _anchor=f"plan-item-{item.id}")
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("plans.detail", plan_id=plan.id, _anchor="new-item"))


@bp.route("/<int:plan_id>/sections/new", methods=["POST"])
@district_admin
def add_section(plan_id: int):
    plan = _plan(plan_id)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            services.add_section(current_user, plan, form.title.data)
        except Refused as exc:
            flash(str(exc), "error")
    else:
        flash(_("Name the section."), "error")
    return redirect(url_for("plans.detail", plan_id=plan.id, _anchor="new-item"))


def _plan_action(plan_id: int, action) -> object:
    plan = _plan(plan_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
    else:
        try:
            action(plan)
        except Refused as exc:
            flash(str(exc), "error")
    return plan


@bp.route("/<int:plan_id>/items/<int:item_id>/move", methods=["POST"])
@district_admin
def move_item(plan_id: int, item_id: int):
    direction = "up" if request.form.get("direction") == "up" else "down"
    plan = _plan_action(
        plan_id, lambda p: services.move_plan_item(current_user, _item(p, item_id), direction)
    )
    return redirect(url_for("plans.detail", plan_id=plan.id, _anchor=f"plan-item-{item_id}"))


@bp.route("/<int:plan_id>/items/<int:item_id>/delete", methods=["POST"])
@district_admin
def delete_item(plan_id: int, item_id: int):
    plan = _plan_action(
        plan_id, lambda p: services.delete_plan_item(current_user, _item(p, item_id))
    )
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/<int:plan_id>/renumber", methods=["POST"])
@district_admin
def renumber(plan_id: int):
    plan = _plan_action(plan_id, lambda p: services.renumber(current_user, p))
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/<int:plan_id>/publish", methods=["POST"])
@district_admin
def publish(plan_id: int):
    def act(plan):
        n = services.publish(current_user, plan)
        flash(_("Plan published: %(n)d schools received their roadmaps.", n=n), "success")

    plan = _plan_action(plan_id, act)
    return redirect(url_for("plans.detail", plan_id=plan.id))


def _execution_args():
    status = request.args.get("status") or None
    if status not in (None, "draft", "submitted", "returned", "accepted"):
        status = None
    return status, request.args.get("overdue") == "1"


@bp.route("/<int:plan_id>/execution")
@district_staff
def execution(plan_id: int):
    plan = _plan(plan_id)
    status, overdue_only = _execution_args()
    result = services.execution_by_school(
        plan,
        local_today(),
        status,
        overdue_only,
        page=paging.requested_page(),
        per_page=current_app.config["SCHOOLS_PAGE_SIZE"],
    )
    state_labels = {s.value: s.label for s in ReviewState}
    return render_template(
        "roadmaps/execution.html",
        plan=plan,
        result=result,
        status=status,
        overdue_only=overdue_only,
        state_labels=state_labels,
        rows=_execution_rows(result.schools, state_labels),
    )


def _execution_rows(schools: list[services.SchoolExecution], labels: dict[str, str]) -> Markup:
    """The table's rows as ready HTML: one format per row of seven cells instead of a
    template loop's lookup and escape per value (as the campaign matrix's cells)."""
    base = url_for("schools.index")
    labels = {state: escape(label) for state, label in labels.items()}
    changed = f' <span class="badge state-changed">{escape(_("changed since accepted"))}</span>'
    return Markup(
        "".join(
            "\n    <tr>\n"
            f"      <td>{escape(row.code)}</td>\n"
            f'      <td><a href="{base}{row.school_id}/roadmaps/{row.roadmap_id}">'
            f"{escape(row.name)}</a></td>\n"
            f'      <td><span class="badge state-{escape(row.status)}">{labels[row.status]}</span>'
            f"{changed if row.changed_since_accepted else ''}</td>\n"
            f'      <td class="num">{row.items}</td>\n'
            f'      <td class="num">{row.done}</td>\n'
            f'      <td class="num">{row.in_progress}</td>\n'
            f'      <td class="num{" overdue" if row.overdue else ""}">{row.overdue}</td>\n'
            "    </tr>"
            for row in schools
        )
    )


@bp.route("/<int:plan_id>/report.pdf")
@district_staff
def report_pdf(plan_id: int):
    plan = _plan(plan_id)
    return pdf_response(DistrictReportDocument(reports.plan_report(plan, local_today())))


@bp.route("/<int:plan_id>/roadmaps.pdf")
@district_staff
def roadmaps_pdf(plan_id: int):
    plan = _plan(plan_id)
    document = RoadmapDocument.for_plan(plan)
    # Laid out into a temporary file, one school at a time, then sent from the disk.
    out = tempfile.TemporaryFile()  # noqa: SIM115  (closed by _chunks once sent)
    try:
        document.write(out)
    except EmptyDocument as exc:
        out.close()
        flash(str(exc), "error")
        return redirect(url_for("plans.execution", plan_id=plan.id))
    size = out.tell()
    out.seek(0)
    response = Response(_chunks(out), mimetype="application/pdf")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = content_disposition(document.filename())
    return response


def _chunks(file, size: int = 256 * 1024):
    try:
        while chunk := file.read(size):
            yield chunk
    finally:
        file.close()


@bp.route("/<int:plan_id>/execution/items")
@district_staff
def execution_items(plan_id: int):
    plan = _plan(plan_id)
    items = services.execution_by_item(plan, local_today())
    return render_template("roadmaps/execution_items.html", plan=plan, items=items)


@bp.route("/<int:plan_id>/execution.xlsx")
@district_staff
def execution_xlsx(plan_id: int):
    plan = _plan(plan_id)
    status, overdue_only = _execution_args()
    today = local_today()
    schools = services.execution_by_school(plan, today, status, overdue_only, per_page=None)
    items = services.execution_by_item(plan, today)
    data = exports.execution_xlsx(plan, schools.schools, items)
    return send_file(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"plan-{plan.id}-execution.xlsx",
    )
