"""Control acts of one school: list, compose, preview, issue, correct, check."""

from __future__ import annotations

from datetime import date

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

from intranet.acts import services
from intranet.acts.documents import ControlActDocument, check_url
from intranet.acts.forms import ActForm
from intranet.acts.models import ControlAct, ControlForm, Finding
from intranet.auth.access import district_staff, logged_in, scoped_or_404
from intranet.errors import Refused
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.schools.models import School

bp = Blueprint("acts", __name__)


@bp.app_template_filter("act_form_label")
def act_form_label(value: str) -> str:
    return ControlForm(value).label


@bp.app_template_filter("iso_ru_date")
def iso_ru_date(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d.%m.%Y") if value else "—"


def _school(school_id: int) -> School:
    return scoped_or_404(School.visible_to(current_user), school_id, School.id)


def _act(school: School, act_id: int) -> ControlAct:
    stmt = ControlAct.visible_to(current_user).where(ControlAct.school_id == school.id)
    return scoped_or_404(stmt, act_id, ControlAct.id)


def _base_url() -> str:
    return (current_app.config["PUBLIC_URL"] or request.url_root).rstrip("/")


@bp.route("/schools/<int:school_id>/acts")
@logged_in
def index(school_id: int):
    school = _school(school_id)
    acts = services.acts_of_school(current_user, school)
    return render_template("acts/index.html", school=school, acts=acts, form=ConfirmForm())


@bp.route("/schools/<int:school_id>/acts/new", methods=["GET", "POST"])
@district_staff
def create(school_id: int):
    school = _school(school_id)
    filled = services.prefill(school)
    form = ConfirmForm()
    if form.validate_on_submit():
        scratch = request.form.get("scratch") == "1"
        try:
            act = services.create_draft(current_user, school, from_scratch=scratch)
        except Refused as exc:
            flash(str(exc), "error")
        else:
            return redirect(url_for("acts.edit", school_id=school.id, act_id=act.id))
    return render_template("acts/new.html", school=school, prefill=filled, form=form)


def _form_data(act: ControlAct) -> dict:
    recs = [
        {**r, "deadline": date.fromisoformat(r["deadline"]) if r.get("deadline") else None}
        for r in act.recommendations
    ]
    return {
        "order_number": act.order_number,
        "order_date": act.order_date,
        "period_start": act.period_start,
        "period_end": act.period_end,
        "control_form": act.control_form,
        "subject": act.subject,
        "place": act.place,
        "commission": act.commission or [{}],
        "items": act.items,
        "conclusions": act.conclusions,
        "recommendations": recs,
        "head_name": act.head_name,
        "revision": act.revision,
    }


@bp.route("/schools/<int:school_id>/acts/<int:act_id>/edit", methods=["GET", "POST"])
@district_staff
def edit(school_id: int, act_id: int):
    school = _school(school_id)
    act = _act(school, act_id)
    if not act.can_edit(current_user):
        return redirect(url_for("acts.detail", school_id=school.id, act_id=act.id))
    if request.method == "POST":
        form = ActForm()
        if form.validate_on_submit():
            try:
                services.save_draft(current_user, act, form.values(), form.revision.data)
            except Refused as exc:
                # What was typed stays in the form, beside the message.
                exc.attach(form)
            else:
                flash(_("Draft saved."), "success")
                if request.form.get("then") == "preview":
                    return redirect(url_for("acts.pdf", school_id=school.id, act_id=act.id))
                return redirect(url_for("acts.edit", school_id=school.id, act_id=act.id))
    else:
        form = ActForm(data=_form_data(act))
    form.add_spare_rows()
    return render_template(
        "acts/edit.html",
        school=school,
        act=act,
        form=form,
        missing=services.missing_requisites(act),
        confirm=ConfirmForm(),
        findings=list(Finding),
    )


@bp.route("/schools/<int:school_id>/acts/<int:act_id>")
@logged_in
def detail(school_id: int, act_id: int):
    school = _school(school_id)
    act = _act(school, act_id)
    if act.can_edit(current_user):
        return redirect(url_for("acts.edit", school_id=school.id, act_id=act.id))
    return render_template(
        "acts/detail.html",
        school=school,
        act=act,
        content=services.content_of(act),
        replaced_by=services.replaced_by(act),
        matches=act.stored_content_matches(),
        form=ConfirmForm(),
        findings={f.value: f.label for f in Finding},
    )


@bp.route("/schools/<int:school_id>/acts/<int:act_id>.pdf")
@logged_in
def pdf(school_id: int, act_id: int):
    from intranet.documents import pdf_response

    school = _school(school_id)
    act = _act(school, act_id)
    document = ControlActDocument([act], base_url=act.check_base_url or _base_url())
    # A draft opens in the browser as a preview; an issued act downloads to be filed.
    return pdf_response(document, inline=not act.is_issued)


@bp.route("/schools/<int:school_id>/acts/<int:act_id>/issue", methods=["POST"])
@district_staff
def issue(school_id: int, act_id: int):
    school = _school(school_id)
    act = _act(school, act_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        act = services.issue(current_user, act, check_base_url=_base_url())
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("acts.edit", school_id=school.id, act_id=act_id))
    flash(_("Act No. %(number)s issued.", number=act.number), "success")
    return redirect(url_for("acts.detail", school_id=school.id, act_id=act.id))


@bp.route("/schools/<int:school_id>/acts/<int:act_id>/correct", methods=["POST"])
@district_staff
def correct(school_id: int, act_id: int):
    school = _school(school_id)
    act = _act(school, act_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        draft = services.correct(current_user, act)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("acts.detail", school_id=school.id, act_id=act.id))
    flash(_("A correction of act No. %(number)s is drafted.", number=act.number), "success")
    return redirect(url_for("acts.edit", school_id=school.id, act_id=draft.id))


@bp.route("/schools/<int:school_id>/acts/<int:act_id>/delete", methods=["POST"])
@district_staff
def delete(school_id: int, act_id: int):
    school = _school(school_id)
    act = _act(school, act_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_draft(current_user, act)
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("acts.detail", school_id=school.id, act_id=act.id))
    flash(_("Draft deleted."), "success")
    return redirect(url_for("acts.index", school_id=school.id))


@bp.route("/acts/<uuid>/check")
@logged_in
def check(uuid: str):
    """The QR code's address: does the act in the database still match the paper?"""
    act = scoped_or_404(ControlAct.visible_to(current_user), uuid, ControlAct.uuid)
    if not act.is_issued:
        abort(404)
    printed = request.args.get("h", "")
    return render_template(
        "acts/check.html",
        act=act,
        school=act.school,
        printed=printed,
        stored_ok=act.stored_content_matches(),
        paper_ok=printed == act.content_hash,
        url=check_url(act),
    )


@bp.route("/acts/")
@district_staff
def district():
    year = request.args.get("year", type=int) or services.today_local().year
    acts = services.issued_acts(year, current_user.district_id)
    return render_template("acts/district.html", acts=acts, year=year)


@bp.route("/acts/print")
@district_staff
def print_year():
    from intranet.documents import pdf_response

    year = request.args.get("year", type=int) or services.today_local().year
    acts = services.issued_acts(year, current_user.district_id)
    if not acts:
        flash(_("No acts were issued in %(year)s.", year=year), "error")
        return redirect(url_for("acts.district", year=year))
    return pdf_response(ControlActDocument(acts, base_url=_base_url()))
