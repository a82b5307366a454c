"""Objectivity: import of ВПР results, the risk zone, a school's analytics and charts."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape

from intranet.auth.access import district_admin, district_staff, logged_in, scoped_or_404
from intranet.documents import pdf_response
from intranet.errors import Refused
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.objectivity import charts, importer, services
from intranet.objectivity.forms import RuleForm, ScaleForm, SettingsForm, UploadForm
from intranet.objectivity.models import MarkScale, ObjectivityRule
from intranet.reports import data as reports
from intranet.reports.documents import VprReportDocument
from intranet.schools.models import School
from intranet.uploads import services as uploads
from intranet.web import render_page

bp = Blueprint("objectivity", __name__, url_prefix="/objectivity")

IMPORT_KIND = "vpr"


@bp.app_template_global()
def school_at_risk(school_id: int) -> bool:
    """Whether one school is flagged in the latest year, for its page's badge."""
    if not current_user.is_authenticated:
        return False
    return services.school_at_risk(current_user.district_id, school_id)


def _risk_rows(rows: list[services.RiskRow], year: int) -> Markup:
    """The risk list's rows as ready HTML: a district's tens of schools with their
    reasons, built in one pass (a template loop costs several times more per reason)."""
    base = url_for("objectivity.index") + "schools/"
    grade, rule = escape(_("grade")), escape(_("district rule"))
    badge = f' <span class="badge">{rule}</span>'
    titles: dict[tuple, str] = {}
    heads: dict[tuple[str, int], str] = {}  # a subject and grade, as each reason begins
    out = []
    for row in rows:
        out.append(
            f"<tr>\n<td>{escape(row.code)}</td>\n"
            f'<td><a href="{base}{row.school_id}?year={year}">{escape(row.name)}</a></td>\n'
            f'<td class="num">{row.count}</td>\n<td class="num">{row.years_in_row}</td>\n'
            '<td><ul class="reasons">\n'
        )
        # The markers' columns, as ``services.risk_list`` reads them.
        for m in row.markers:
            _school, subject, subject_grade, code, federal, title, reason = m[:7]
            title_html = titles.get((federal, code, title))
            if title_html is None:
                title_html = titles[(federal, code, title)] = escape(services.marker_title(m))
            head = heads.get((subject, subject_grade))
            if head is None:
                head = heads[(subject, subject_grade)] = (
                    f"<li><strong>{escape(subject)}, {subject_grade} {grade}.</strong> "
                )
            out.append(f"{head}{title_html}{'' if federal else badge}: {escape(reason)}</li>\n")
        out.append("</ul></td>\n</tr>\n")
    if not rows:
        nobody = escape(_("No school is flagged this year."))
        out.append(f'<tr><td colspan="5" class="muted">{nobody}</td></tr>')
    return Markup("".join(out))


def _history_rows(history: services.History) -> Markup:
    """The history's rows (schools ever at risk x years) as ready HTML."""
    base = url_for("objectivity.index") + "schools/"
    out = []
    for school_id, code, name, counts in history.rows:
        out.append(
            f'<tr><td>{escape(code)}</td><td><a href="{base}{school_id}">{escape(name)}</a></td>'
        )
        out.extend(
            f'<td class="num risk-cell">{counts[y]}</td>'
            if counts.get(y)
            else '<td class="num"></td>'
            for y in history.years
        )
        out.append("</tr>\n")
    return Markup("".join(out))


def _marker_writer():
    """What writes a group's markers on the school page as ready HTML (a year shows some
    sixty, each a row of three cells with a few translated words: a template loop cost
    more than the rest of the page); the words are translated once for all the groups."""
    federal, rule, version = _("federal method"), _("district rule"), _("version")
    not_computable = Markup('<span class="badge">%s</span>') % _("not computable")
    flagged = Markup('<span class="badge risk-badge">%s</span>') % _("flagged")
    no_sign = escape(_("no sign"))

    def write(markers: list) -> Markup:
        out = []
        for m in markers:
            # The columns of ``services._SCHOOL_MARKERS``.
            is_federal, is_flagged, _title, reason, rule_version = m[3:8]
            origin = escape(federal if is_federal else f"{rule}, {version} {rule_version}")
            result = not_computable if is_flagged is None else flagged if is_flagged else no_sign
            row_class = ' class="flagged"' if is_flagged else ""
            out.append(
                f"<tr{row_class}>\n"
                f"<td>{escape(services.marker_title(m))}<br>"
                f'<small class="muted">{origin}</small></td>\n'
                f"<td>{result}</td>\n<td>{escape(reason[:1].upper() + reason[1:])}</td>\n</tr>\n"
            )
        return Markup("".join(out))

    return write


def _group_writer():
    """What writes one subject and grade of the school page as ready HTML: its counts,
    its markers and its three charts (eight groups a year, each a dozen template calls
    otherwise). The words every group repeats are translated once."""
    grade_word = escape(_("grade"))
    participants = Markup(_("Participants: %(n)s, absent: %(a)s."))
    mean_text = Markup(_("Mean primary score: %(m)s."))
    heads = "".join(f"<th>{escape(w)}</th>" for w in (_("Marker"), _("Result"), _("Why")))
    boundaries = escape(
        _(
            "Dashed lines: the lowest scores of «3», «4» and «5». "
            "A peak just at a boundary is a known sign of pulled-up scores."
        )
    )
    no_scale = escape(
        _("No mark scale for this year, subject and grade: boundaries are not drawn.")
    )
    matrix = escape(
        _(
            "Above the diagonal are the pupils whose ВПР mark is higher than the journal "
            "mark; below it, those whose ВПР mark is lower."
        )
    )

    marker_rows = _marker_writer()
    said = charts.words()

    def write(g: services.GroupView) -> Markup:
        out = [
            f'\n<section class="card vpr-group">\n  <h2>{escape(g.subject)}, {g.grade} '
            f"{grade_word}</h2>\n  <p>{participants % {'n': g.participants, 'a': g.absent}}"
        ]
        if g.mean is not None:
            out.append(" " + mean_text % {"m": f"{g.mean:.1f}".replace(".", ",")})
        out.append("</p>\n  ")
        if g.markers:
            out.append(
                f'\n  <table class="grid markers">\n    <thead><tr>{heads}</tr></thead>\n'
                f"    <tbody>\n    {marker_rows(g.markers)}\n    </tbody>\n  </table>\n  "
            )
        out.append('\n  <div class="charts">\n    ')
        if g.scores:
            out.append(
                f"\n    <figure>{charts.score_distribution(g.scores, g.scale, said=said)}\n      "
                f"<figcaption>{boundaries if g.scale else no_scale}</figcaption>\n"
                "    </figure>\n    "
            )
        out.append("\n    ")
        if g.matrix:
            out.append(
                f"\n    <figure>{charts.marks_matrix(g.matrix, said)}\n      "
                f"<figcaption>{matrix}</figcaption>\n    </figure>\n    "
            )
        out.append("\n    ")
        if g.school_shares:
            chart = charts.school_vs_district(g.school_shares, g.district_shares, said)
            out.append(f"\n    <figure>{chart}</figure>\n    ")
        out.append("\n  </div>\n</section>\n")
        return Markup("".join(out))

    return write


def _year_arg(years: list[int]) -> int | None:
    year = request.args.get("year", type=int)
    if year in years:
        return year
    return years[0] if years else None


@bp.route("/")
@logged_in
def index():
    if not current_user.is_district_staff:
        return redirect(url_for("objectivity.school", school_id=current_user.school_id))
    district_id = current_user.district_id
    groups = services.summary_groups(district_id)
    years = list(groups)
    year = _year_arg(years)
    history = services.risk_history(district_id)
    rows = services.risk_list(district_id, year, history) if year else []
    return render_page(
        "objectivity/index.html",
        "risk-list",
        "objectivity/_partials/risk_list.html",
        years=years,
        year=year,
        rows=rows,
        history=history,
        risk_rows=_risk_rows,
        history_rows=_history_rows,
        groups=groups.get(year, []),
    )


@bp.route("/report.pdf")
@district_staff
def report_pdf():
    """The analytical report of one year, subject and grade («2024|Математика|5»)."""
    district = current_user.district
    year, _sep, rest = (request.args.get("group") or "").partition("|")
    subject, _sep, grade = rest.rpartition("|")
    if not (year.isdigit() and grade.isdigit()):
        abort(404)
    if (subject, int(grade)) not in reports.vpr_groups(district.id, int(year)):
        abort(404)
    report = reports.vpr_report(district, int(year), subject, int(grade))
    return pdf_response(VprReportDocument(report))


@bp.route("/schools/<int:school_id>")
@logged_in
def school(school_id: int):
    school = scoped_or_404(School.visible_to(current_user), school_id, School.id)
    years, year, groups = services.school_page(school, request.args.get("year", type=int))
    return render_template(
        "objectivity/school.html",
        school=school,
        years=years,
        year=year,
        groups=groups,
        group_html=_group_writer(),
    )


@bp.route("/import", methods=["GET", "POST"])
@district_admin
def import_upload():
    form = UploadForm()
    if form.validate_on_submit() and (data := uploads.read_limited(form.file)) is not None:
        staged = uploads.stage(current_user, IMPORT_KIND, form.file.data.filename or "", data)
        picked = {
            "year": form.year.data or None,
            "subject": form.subject.data or None,
            "grade": form.grade.data or None,
        }
        return redirect(url_for("objectivity.import_preview", staged_id=staged.id, **picked))
    return render_template("objectivity/import.html", form=form)


def _picked() -> dict:
    out = {
        "year": request.args.get("year", type=int),
        "subject": request.args.get("subject") or None,
        "grade": request.args.get("grade", type=int),
    }
    if out["subject"] not in importer.SUBJECTS:
        out["subject"] = None
    return {k: v for k, v in out.items() if v}


@bp.route("/import/<staged_id>", methods=["GET", "POST"])
@district_admin
def import_preview(staged_id: str):
    staged = uploads.get_or_404(current_user, IMPORT_KIND, staged_id)
    parsed = importer.parse(current_user.district_id, staged.data, staged.filename, _picked())
    form = ConfirmForm()
    if form.validate_on_submit():
        clean_only = request.form.get("clean_only") == "1"
        try:
            batch = importer.apply(
                current_user,
                current_user.district_id,
                parsed,
                staged.filename,
                clean_only=clean_only,
            )
        except Refused as exc:
            flash(str(exc), "error")
        else:
            uploads.discard(staged)
            flash(
                _(
                    "Imported %(n)d rows of %(s)d schools; %(k)d rows with errors skipped.",
                    n=batch.rows,
                    s=batch.schools,
                    k=batch.skipped,
                ),
                "success",
            )
            return redirect(url_for("objectivity.index"))
    return render_template(
        "objectivity/import_preview.html",
        parsed=parsed,
        staged=staged,
        form=form,
        shown=parsed.problems[: importer.SHOWN_PROBLEMS],
        kind_label=importer.kind_label(parsed.kind),
    )


@bp.route("/scales", methods=["GET", "POST"])
@district_admin
def scales():
    return _scale_page(
        None,
        ScaleForm(),
        "objectivity/scales.html",
        scales=services.scales(current_user.district_id),
    )


@bp.route("/scales/<int:scale_id>", methods=["GET", "POST"])
@district_admin
def scale_edit(scale_id: int):
    scale = scoped_or_404(MarkScale.visible_to(current_user), scale_id, MarkScale.id)
    return _scale_page(scale, ScaleForm(obj=scale), "objectivity/scale_form.html", scale=scale)


def _scale_page(existing: MarkScale | None, form: ScaleForm, template: str, **context):
    """A new (``existing`` None) or existing mark scale: saved, or ``template`` again
    with the reasons beside the fields."""
    if form.validate_on_submit():
        try:
            services.save_scale(current_user, current_user.district_id, existing, form.data)
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Scale saved; markers recomputed."), "success")
            return redirect(url_for("objectivity.scales"))
    return render_template(template, form=form, **context)


@bp.route("/rules")
@district_staff
def rules():
    district_id = current_user.district_id
    found = services.rules(district_id)
    settings = SettingsForm(min_participants=services.min_participants(district_id))
    return render_template(
        "objectivity/rules.html",
        rules=found,
        settings=settings,
        kinds=services.RULE_KINDS,
        federal_titles=services.FEDERAL_TITLES,
    )


@bp.route("/settings", methods=["POST"])
@district_admin
def settings():
    form = SettingsForm()
    if not form.validate_on_submit():
        flash(_("The minimum must be 2 to 1000 participants."), "error")
    else:
        services.set_min_participants(
            current_user, current_user.district_id, form.min_participants.data
        )
        flash(_("Settings saved; markers recomputed."), "success")
    return redirect(url_for("objectivity.rules"))


def _rule_data(form: RuleForm) -> dict:
    return {k: form[k].data for k in (*services.RULE_FIELDS, "code")} | {
        "subject": form.subject.data or ""
    }


@bp.route("/rules/new", methods=["GET", "POST"])
@district_admin
def rule_new():
    return _rule_page(
        None, RuleForm(active=True, min_participants=10, source=services.LOCAL_SOURCE)
    )


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@district_admin
def rule_edit(rule_id: int):
    rule = scoped_or_404(ObjectivityRule.visible_to(current_user), rule_id, ObjectivityRule.id)
    form = RuleForm(obj=rule)
    form.code.data = rule.code  # the code names stored markers; it never changes
    return _rule_page(rule, form)


def _rule_page(rule: ObjectivityRule | None, form: RuleForm):
    """A new (``rule`` None) or existing rule: saved, or the form again with the reasons."""
    if form.validate_on_submit():
        try:
            services.save_rule(current_user, current_user.district_id, rule, _rule_data(form))
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Rule saved; markers recomputed."), "success")
            return redirect(url_for("objectivity.rules"))
    return render_template("objectivity/rule_form.html", form=form, rule=rule)
