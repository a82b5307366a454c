"""Form templates (district admin), campaigns and dashboards (district), filling (schools)."""

from __future__ import annotations

import html

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from intranet import paging
from intranet.auth.access import district_admin, district_staff, logged_in, roles, scoped_or_404
from intranet.auth.roles import SCHOOL_ROLES, Role
from intranet.busy import retry_when_busy
from intranet.changelog import conflicts
from intranet.documents import pdf_response
from intranet.errors import Refused
from intranet.extensions import db, htmx
from intranet.forms import ConfirmForm
from intranet.i18n import gettext as _
from intranet.inspections import consolidation, exports, services
from intranet.inspections import schema as form_schema
from intranet.inspections.forms import (
    CampaignForm,
    FieldForm,
    ReopenForm,
    SectionForm,
    TemplateForm,
)
from intranet.inspections.models import (
    VISIBLE_SUBMISSION,
    Campaign,
    CampaignTarget,
    FormTemplate,
    FormVersion,
    Submission,
    VersionStatus,
)
from intranet.objectivity import services as objectivity
from intranet.reports import data as reports
from intranet.reports.documents import DistrictReportDocument, FilledFormDocument
from intranet.review import actions
from intranet.review import services as review
from intranet.review.forms import ReturnForm
from intranet.review.models import ReviewState
from intranet.schools.models import School
from intranet.timezones import local_today

forms_bp = Blueprint("forms", __name__, url_prefix="/forms")
campaigns_bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
bp = Blueprint("inspections", __name__, url_prefix="/schools/<int:school_id>/forms")

school_roles = roles(*SCHOOL_ROLES)
SAVED = "inspections/_partials/saved.html"  # the autosave's answer
EMPTY = (None, "", [])  # an unanswered question
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- templates (the builder) -----------------------------------------------------------------


def _template(template_id: int) -> FormTemplate:
    stmt = FormTemplate.visible_to(current_user).options(selectinload(FormTemplate.versions))
    return scoped_or_404(stmt, template_id, FormTemplate.id)


@forms_bp.route("/")
@district_admin
def index():
    templates = db.session.scalars(
        FormTemplate.visible_to(current_user)
        .options(selectinload(FormTemplate.versions))
        .order_by(FormTemplate.created_at.desc())
    ).all()
    return render_template("inspections/templates.html", templates=templates, form=TemplateForm())


@forms_bp.route("/new", methods=["POST"])
@district_admin
def create():
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = services.create_template(
                current_user, current_user.district_id, form.title.data, form.description.data
            )
        except Refused as exc:
            flash(str(exc), "error")
        else:
            return redirect(url_for("forms.detail", template_id=template.id))
    else:
        flash(_("Give the form a title."), "error")
    return redirect(url_for("forms.index"))


def _numbered(schema: dict) -> dict[str, str]:
    """Each question's number in the form ("2.3"): how the builder names it in lists."""
    return {
        f["key"]: f"{s}.{n}"
        for s, section in enumerate(schema.get("sections", []), start=1)
        for n, f in enumerate(section.get("fields", []), start=1)
    }


def _field_form(
    version: FormVersion | None, editing: str | None = None, blank_columns: int = 0, **kwargs
) -> FieldForm:
    """The builder's question form with its lists: the sections, and for the condition
    the yes/no and choice questions before this one (before the end of the form, for a
    new question) with the answers of the one chosen."""
    form = FieldForm(**kwargs)
    schema = (version.schema if version else None) or {"sections": []}
    sections = schema.get("sections", []) or []
    form.section.choices = [SelectChoice(n, s["title"][:80]) for n, s in enumerate(sections)]
    order = form_schema.fields(schema)
    keys = [f["key"] for f in order]
    before = order[: keys.index(editing)] if editing in keys else order
    numbers = _numbered(schema)
    earlier = [
        (f["key"], f"{numbers[f['key']]}. {form_schema.short(f['label'], 90)}")
        for f in before
        if f.get("type") in form_schema.CONTROLLING_TYPES
    ]
    chosen = form.show_if_field.data
    if chosen and chosen not in {k for k, _n in earlier}:
        # A condition saved before the builder offered lists (or on a question that
        # has moved): shown as it is, so saving names what is wrong with it.
        other = next((f for f in order if f["key"] == chosen), None)
        earlier.append((chosen, form_schema.short(other["label"], 90) if other else chosen))
    form.set_condition_choices(earlier, {f["key"]: f for f in order})
    form.blank_columns(blank_columns)
    return form


def _builder(
    template: FormTemplate,
    field_form: FieldForm | None = None,
    status: int = 200,
    editing: str | None = None,
    edit_form: FieldForm | None = None,
):
    version = template.latest
    schema = version.schema
    show_keys = request.args.get("keys") == "1"
    return (
        render_template(
            "inspections/builder.html",
            template=template,
            version=version,
            section_form=SectionForm(formdata=None),
            field_form=field_form or _field_form(version, blank_columns=3, formdata=None),
            editing=editing,
            edit_form=edit_form,
            confirm=ConfirmForm(),
            field_types=form_schema.FIELD_TYPES,
            specs=form_schema.field_map(schema),
            numbers=_numbered(schema),
            answer_of=_answer_name,
            show_keys=show_keys,
        ),
        status,
    )


def _answer_name(spec: dict | None, value: str) -> str:
    """An answer a condition waits for, as a person reads it («да», an option)."""
    return dict(form_schema.answers_of(spec or {})).get(value, value)


def _not_saved(form: FieldForm) -> bool:
    """The no-JavaScript buttons inside the question form that only redraw it: one more
    table column, or the answers of the question just chosen for the condition. Nothing
    is saved; the form comes back as typed."""
    if "more_columns" in request.form:
        form.blank_columns(1)
        return True
    return "refresh_condition" in request.form


def _condition_unanswered(form: FieldForm, version: FormVersion) -> bool:
    """A question was chosen for the condition but not one of its answers (without
    scripts its answers are offered once it is chosen): ask for one, save nothing."""
    chosen = form_schema.field_map(version.schema).get(form.show_if_field.data or "")
    offered = {value for value, _shown in form_schema.answers_of(chosen or {})}
    if not offered or form.show_if_equals.data in offered:
        return False  # no condition, or a valid one, or one the schema check refuses
    form.show_if_equals.errors = [_("Choose the answer on which the question is shown.")]
    return True


@forms_bp.route("/<int:template_id>")
@district_admin
def detail(template_id: int):
    return _builder(_template(template_id))


def _draft(template: FormTemplate) -> FormVersion:
    draft = template.draft
    if draft is None:
        raise Refused(_("A published version never changes; edit a new draft."))
    return draft


@forms_bp.route("/<int:template_id>/preview")
@district_admin
def preview(template_id: int):
    """The latest version as a school will see it: every question shown (conditions are
    written beside them), one empty row per table, nothing wired to a save."""
    template = _template(template_id)
    version = template.latest
    schema = version.schema
    specs = form_schema.field_map(schema)
    return render_template(
        "inspections/preview.html",
        template=template,
        version=version,
        schema=schema,
        specs=specs,
        answers={k: [{"id": "preview"}] for k, f in specs.items() if f["type"] == "table"},
        errors={},
        typed={},
        missing=set(),
        comments={},
        can_edit=True,
        can_review=False,
        preview=True,
        sub=None,
        is_visible=lambda *_: True,
        fid=_fid,
        display=services.display,
    )


@forms_bp.route("/<int:template_id>/draft", methods=["POST"])
@district_admin
def new_draft(template_id: int):
    template = _template(template_id)
    if ConfirmForm().validate_on_submit():
        services.editable_version(current_user, template)
        flash(_("A new draft version is open for editing."), "success")
    return redirect(url_for("forms.detail", template_id=template.id))


@forms_bp.route("/<int:template_id>/sections", methods=["POST"])
@district_admin
def add_section(template_id: int):
    template = _template(template_id)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            services.add_section(current_user, _draft(template), form.title.data)
        except Refused as exc:
            flash(str(exc), "error")
    else:
        flash(_("Every section needs a title."), "error")
    return redirect(url_for("forms.detail", template_id=template.id, _anchor="builder"))


@forms_bp.route("/<int:template_id>/fields", methods=["POST"])
@district_admin
def add_field(template_id: int):
    template = _template(template_id)
    form = _field_form(template.latest)
    if _not_saved(form):
        return _builder(template, form)
    if form.validate_on_submit() and not _condition_unanswered(form, template.latest):
        try:
            services.add_field(current_user, _draft(template), form.section.data or 0, form.spec())
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Question «%(label)s» added.", label=form.label.data), "success")
            return redirect(url_for("forms.detail", template_id=template.id, _anchor="new-field"))
    return _builder(template, form, 422)


@forms_bp.route("/<int:template_id>/fields/<key>/edit")
@district_admin
def edit_field(template_id: int, key: str):
    """The builder with one question open for editing, in its place."""
    template = _template(template_id)
    version = template.latest
    if not version.is_draft:
        flash(_("A published version never changes; edit a new draft."), "error")
        return redirect(url_for("forms.detail", template_id=template.id))
    try:
        section, index = services.field_position(version.schema, key)
    except Refused:
        abort(404)
    spec = version.schema["sections"][section]["fields"][index]
    form = _field_form(
        version,
        editing=key,
        blank_columns=1 if spec["type"] == "table" else 3,
        formdata=None,
        prefix="edit",
        data=FieldForm.data_of(spec, section),
    )
    return _builder(template, editing=key, edit_form=form)


@forms_bp.route("/<int:template_id>/fields/<key>", methods=["POST"])
@district_admin
def update_field(template_id: int, key: str):
    template = _template(template_id)
    try:
        services.field_position(template.latest.schema, key)
    except Refused:
        abort(404)
    form = _field_form(template.latest, editing=key, prefix="edit")
    if _not_saved(form):
        return _builder(template, editing=key, edit_form=form)
    if form.validate_on_submit() and not _condition_unanswered(form, template.latest):
        try:
            services.update_field(
                current_user, _draft(template), key, form.section.data or 0, form.spec()
            )
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Question «%(label)s» saved.", label=form.label.data), "success")
            return redirect(url_for("forms.detail", template_id=template.id, _anchor=f"bf-{key}"))
    return _builder(template, status=422, editing=key, edit_form=form)


@forms_bp.route("/<int:template_id>/condition")
@district_admin
def condition_answers(template_id: int):
    """The answer picker of a condition, for the question chosen (HTMX swaps it in as
    the methodist picks the question; without scripts the form's own button redraws)."""
    template = _template(template_id)
    prefix = "edit" if request.args.get("prefix") == "edit" else ""
    editing = request.args.get("editing") or None
    form = _field_form(template.latest, editing=editing, formdata=request.args, prefix=prefix)
    response = make_response(
        render_template("inspections/_partials/condition_answers.html", form=form)
    )
    response.headers["Vary"] = "HX-Request"
    return response


@forms_bp.route("/<int:template_id>/fields/move", methods=["POST"])
@district_admin
def move_field(template_id: int):
    template = _template(template_id)
    key = request.form.get("key", "")
    if ConfirmForm().validate_on_submit():
        step = {"up": -1, "down": 1}.get(request.form.get("direction", ""), 0)
        try:
            services.move_field(current_user, _draft(template), key, step)
        except Refused as exc:
            flash(str(exc), "error")
    return redirect(url_for("forms.detail", template_id=template.id, _anchor=f"bf-{key}"))


@forms_bp.route("/<int:template_id>/fields/delete", methods=["POST"])
@district_admin
def delete_field(template_id: int):
    template = _template(template_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_field(current_user, _draft(template), request.form.get("key", ""))
        except Refused as exc:
            flash(str(exc), "error")
    return redirect(url_for("forms.detail", template_id=template.id, _anchor="builder"))


@forms_bp.route("/<int:template_id>/publish", methods=["POST"])
@district_admin
def publish(template_id: int):
    template = _template(template_id)
    if ConfirmForm().validate_on_submit():
        try:
            version = services.publish_version(current_user, _draft(template))
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(_("Version %(n)d published.", n=version.number), "success")
    return redirect(url_for("forms.detail", template_id=template.id))


# -- campaigns and dashboards -----------------------------------------------------------------


# A campaign as district staff see it (``Campaign.visible_to`` of a district user: their
# district's), with its version and template; built once, as every view of a campaign's
# pages reads it (a statement with loader options costs more to build than to run).
_DISTRICT_CAMPAIGN = (
    select(Campaign)
    .where(Campaign.district_id == bindparam("district"), Campaign.id == bindparam("campaign"))
    .options(joinedload(Campaign.version).joinedload(FormVersion.template))
)


def _campaign(campaign_id: int) -> Campaign:
    """One of the district's campaigns for its staff (every view calling this is theirs);
    another district's is 404."""
    campaign = db.session.scalars(
        _DISTRICT_CAMPAIGN, {"district": current_user.district_id, "campaign": campaign_id}
    ).first()
    if campaign is None:
        abort(404)
    return campaign


@campaigns_bp.route("/", endpoint="index")
@district_staff
def campaign_index():
    today = local_today()
    # This school year's campaigns (and any due later) unless another year is asked for:
    # the table must not widen with every year the district has run campaigns.
    year = request.args.get("year", type=int)
    result = services.matrix(
        current_user.district_id,
        today,
        page=paging.requested_page(),
        per_page=current_app.config["SCHOOLS_PAGE_SIZE"],
        school_year=year or services.school_year_of(today),
        later_too=year is None,
    )
    return render_template(
        "inspections/matrix.html",
        result=result,
        year_asked=year,
        heads=_matrix_heads(result.campaigns),
        body=_matrix_body(result),
    )


def _matrix_heads(campaigns: list[services.CampaignStats]) -> tuple[Markup, ...]:
    """The cells of the header's four rows, one per campaign in each: the campaign's
    link and due date, submitted / expected, on time, overdue (made here like the body's
    rows: a template loop's calls and filters per cell cost more than the cells)."""
    base = url_for("campaigns.index")
    due = _("due %(d)s")  # translated text, shown as it is (as the template's ``_``)
    titles, sent, on_time, overdue = [], [], [], []
    for s in campaigns:
        titles.append(
            f'<th><a href="{base}{s.id}">{escape(s.title)}</a><br>'
            f"<small>{due % {'d': s.due_date.strftime('%d.%m.%Y')}}</small></th>"
        )
        # As the template's ``round|int``: Python's rounding of the percentage.
        percent = int(round(s.completeness * 100, 0))
        sent.append(f"<td>{s.submitted} / {s.expected} ({percent}%)</td>")
        on_time.append(f"<td>{int(round(s.on_time_rate * 100, 0))}%</td>")
        overdue.append(f'<td class="{"overdue" if s.overdue else ""}">{s.overdue}</td>')
    return tuple(Markup("".join(cells)) for cells in (titles, sent, on_time, overdue))


def _matrix_body(result: services.Matrix) -> Markup:
    """The matrix's rows as ready HTML. A page holds up to 600 cells; built here with one
    format per cell they cost a fraction of a template loop's calls and escapes. What a
    cell says around its link depends only on its state and mark, so each such pair of
    strings is made once."""
    base = url_for("schools.index")
    empty = '<td class="muted">—</td>'
    around = {
        (state, changed): (
            f'<td class="cell cell-{state}"><a href="',
            f'">{escape(label)}</a>{" *" if changed else ""}</td>',
        )
        for state, label in state_labels().items()
        for changed in (False, True)
    }
    out = []
    for row in result.rows:
        href = f"{base}{row.school_id}/forms/"
        out.append(f"<tr><th>{escape(row.code)} {escape(row.name)}</th>")
        for cell in row.cells:
            if cell is None:
                out.append(empty)
            else:
                head, tail = around[cell[0], cell[2]]
                out.append(f"{head}{href}{cell[1]}{tail}")
        out.append("</tr>\n")
    return Markup("".join(out))


@campaigns_bp.route("/new", methods=["GET", "POST"], endpoint="create")
@district_admin
def campaign_create():
    form = CampaignForm()
    versions = db.session.execute(
        select(FormVersion.id, FormTemplate.title, FormVersion.number)
        .join(FormTemplate, FormTemplate.id == FormVersion.template_id)
        .where(
            FormVersion.district_id == current_user.district_id,
            FormVersion.status == VersionStatus.PUBLISHED.value,
        )
        .order_by(FormTemplate.title, FormVersion.number.desc())
    ).all()
    form.version.choices = [
        SelectChoice(v, f"{t} ({_('version %(n)s', n=n)})") for v, t, n in versions
    ]
    schools = db.session.execute(
        select(School.id, School.code, School.short_name, School.name)
        .where(School.district_id == current_user.district_id, School.active.is_(True))
        .order_by(School.code)
    ).all()
    at_risk = objectivity.latest_risk_ids(current_user.district_id)
    risk_mark = " — " + _("risk zone")
    form.schools.choices = [
        SelectChoice(s, f"{c} {sh or n}{risk_mark if s in at_risk else ''}")
        for s, c, sh, n in schools
    ]
    if request.method == "GET" and request.args.get("version", type=int):
        form.version.data = request.args.get("version", type=int)
    if form.validate_on_submit():
        version = scoped_or_404(
            select(FormVersion).where(FormVersion.district_id == current_user.district_id),
            form.version.data,
            FormVersion.id,
        )
        school_ids = form.schools.data or None
        if form.at_risk.data:
            # The risk list feeds campaigns: only its schools (of those ticked, if any).
            school_ids = sorted(at_risk & set(school_ids or at_risk))
        try:
            if form.at_risk.data and not school_ids:
                raise Refused(_("No school is in the risk zone."), "at_risk")
            campaign = services.launch_campaign(
                current_user,
                version,
                form.title.data,
                form.due_date.data,
                form.grace_days.data or 0,
                school_ids,
            )
        except Refused as exc:
            exc.attach(form)
        else:
            flash(_("Campaign launched: %(n)d schools.", n=len(campaign.targets)), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("inspections/campaign_form.html", form=form)


@campaigns_bp.route("/<int:campaign_id>", endpoint="detail")
@district_staff
def campaign_detail(campaign_id: int):
    campaign = _campaign(campaign_id)
    data = consolidation.page(
        campaign,
        local_today(),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["SCHOOLS_PAGE_SIZE"],
        section=request.args.get("section") or None,
        drafts=_drafts_asked(),
    )
    return render_template(
        "inspections/consolidated.html",
        data=data,
        heads=_column_heads(data.columns),
        body=_consolidated_body(data),
        totals=Markup("".join(f"<td>{escape(c.summary)}</td>" for c in data.columns)),
        tables=[(spec, _table_body(spec, rows)) for spec, rows in data.tables],
        # Its list of every school is only for those who may reopen.
        reopen_form=_reopen_form(campaign, formdata=None)
        if current_user.is_district_admin
        else None,
        numbers=services.numbers_of(campaign.schema),
    )


def _drafts_asked() -> bool:
    """The reviewer asked to see the answers of forms not sent yet (drafts)."""
    return request.args.get("drafts") == "1"


def _consolidated_body(data: consolidation.ConsolidatedPage) -> Markup:
    """The table's rows as ready HTML: up to 50 x 60 cells, built like the matrix's (a
    template loop's calls and escapes per cell would be most of the page's time)."""
    labels = {state: escape(label) for state, label in state_labels().items()}
    base = url_for("schools.index")
    risk = escape(_("risk zone"))
    badge = f' <span class="badge risk-badge">{risk}</span>'
    draft = escape(_("draft"))
    draft = f' <span class="badge draft-badge">{draft}</span>'
    not_sent = escape(_("not sent yet"))
    unsent = f'<td colspan="{len(data.columns)}" class="muted">{not_sent}</td>'
    out = []
    unsent_row = '<tr class="unsent">'
    cells = _Cells()
    for sid, school_id, code, name, state, shown, sent, at_risk in data.rows:
        out.append(
            f"{'<tr>' if sent else unsent_row}"
            f'<th><a href="{base}{school_id}/forms/{sid}">{escape(code)} {escape(name)}</a>'
            f"{badge if at_risk else ''}</th>"
            f'<td class="cell-{state}">{labels[state]}'
            f"{draft if not sent and data.drafts and state != 'draft' else ''}</td>"
        )
        if sent or data.drafts:
            out.extend(map(cells.__getitem__, shown))
        elif data.columns:
            out.append(unsent)
        out.append("</tr>\n")
    return Markup("".join(out))


def _column_heads(columns: list[services.Column]) -> Markup:
    """The questions' headers: number and short text, the whole text on hover."""
    return Markup(
        "".join(
            # A number ("2.3", ``services.numbers_of``) has nothing to escape.
            f'<th title="{c.number}. {escape(c.spec.get("label", ""))}">'
            f'<span class="qnum">{c.number}.</span> {escape(c.short)}</th>'
            for c in columns
        )
    )


class _Cells(dict):
    """Cells by the answer shown: a page's 3,000 answers are a few hundred texts."""

    def __missing__(self, shown: str | None) -> str:
        cell = self[shown] = f"<td>{html.escape(shown) if shown is not None else ''}</td>"
        return cell


def _table_body(spec: dict, rows: list[tuple[str, str, dict, bool]]) -> Markup:
    """The rows of a table question's section (three or so a school), as the template's
    loop wrote them."""
    if not rows:
        return Markup('<tr><td class="muted">%s</td></tr>') % _("No rows yet.")
    draft = Markup(' <span class="badge draft-badge">%s</span>') % _("draft")
    columns = [(c.get("key"), {}) for c in spec.get("columns", [])]
    unsent = ' class="unsent"'
    heads: dict[tuple[str, str, bool], str] = {}  # a school's rows begin alike
    out = []
    for code, name, row, sent in rows:
        head = heads.get((code, name, sent))
        if head is None:
            head = heads[(code, name, sent)] = (
                f"<tr{'' if sent else unsent}><td>{escape(code)} {escape(name)}"
                f"{'' if sent else draft}</td>"
            )
        out.append(head)
        for (key, seen), c in zip(columns, spec.get("columns", []), strict=True):
            value = row.get(key)
            if type(value) is str and value in seen:  # noqa: E721
                out.append(seen[value])
                continue
            cell = f"<td>{escape(services.display(c, value) or '')}</td>"
            if type(value) is str:  # noqa: E721
                seen[value] = cell
            out.append(cell)
        out.append("</tr>\n    ")
    return Markup("".join(out))


@campaigns_bp.route("/<int:campaign_id>/export.xlsx")
@district_staff
def export(campaign_id: int):
    campaign = _campaign(campaign_id)
    data = exports.consolidated_xlsx(
        services.consolidated(campaign, local_today(), drafts=_drafts_asked()), state_labels()
    )
    return send_file(
        data, mimetype=XLSX, as_attachment=True, download_name=f"campaign-{campaign.id}.xlsx"
    )


@campaigns_bp.route("/<int:campaign_id>/report.pdf")
@district_staff
def report_pdf(campaign_id: int):
    campaign = _campaign(campaign_id)
    return pdf_response(DistrictReportDocument(reports.campaign_report(campaign, local_today())))


@campaigns_bp.route("/<int:campaign_id>/reopen", methods=["POST"])
@district_admin
def reopen(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = _reopen_form(campaign)
    if form.validate_on_submit():
        target = scoped_or_404(
            select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id),
            form.school.data,
            CampaignTarget.school_id,
        )
        try:
            services.reopen(current_user, target, form.until.data)
        except Refused as exc:
            flash(str(exc), "error")
        else:
            flash(
                _("Reopened for the school until %(d)s.", d=form.until.data.strftime("%d.%m.%Y")),
                "success",
            )
    else:
        flash(_("Give the date until which the form is open."), "error")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


def _reopen_form(campaign: Campaign, **kwargs) -> ReopenForm:
    form = ReopenForm(**kwargs)
    form.school.choices = [
        SelectChoice(s, f"{c} {n}")
        for s, c, n in db.session.execute(
            select(School.id, School.code, School.short_name)
            .join(CampaignTarget, CampaignTarget.school_id == School.id)
            .where(CampaignTarget.campaign_id == campaign.id)
            .order_by(School.code)
        )
    ]
    return form


def state_labels() -> dict[str, str]:
    return {
        "not_started": _("not started"),
        "draft": _("draft"),
        "submitted": _("submitted"),
        "returned": _("returned"),
        "accepted": _("accepted"),
        "late": _("late"),
    }


# -- the school's forms -------------------------------------------------------------------------


@bp.route("/")
@logged_in
def tasks(school_id: int):
    school = scoped_or_404(School.visible_to(current_user), school_id, School.id)
    return render_template("inspections/tasks.html", school=school, **tasks_panel(school))


def tasks_panel(school: School) -> dict:
    """What the «Формы для заполнения» panel shows (on the school's home and its forms
    page): the forms with deadlines and the notifications. A visit by the school's own
    staff also leaves the "due in three days" reminder, once per form."""
    today = local_today()
    tasks = services.school_tasks(school.id, today)
    if current_user.is_school_user:
        services.remind_due_soon(school.id, school.district_id, tasks, today)
    return {
        "tasks": tasks,
        "notifications": services.notifications(school.id),
        "labels": state_labels(),
    }


@bp.route("/notifications/read", methods=["POST"])
@school_roles
def notifications_read(school_id: int):
    school = scoped_or_404(School.visible_to(current_user), school_id, School.id)
    if ConfirmForm().validate_on_submit():
        try:
            services.mark_read(current_user, school.id)
        except Refused as exc:
            flash(str(exc), "error")
    # Back to the page the button was on: the school's home or its forms.
    endpoint = "schools.detail" if request.form.get("back") == "home" else "inspections.tasks"
    return redirect(url_for(endpoint, school_id=school.id, _anchor="school-forms"))


def _submission(school_id: int, submission_id: int) -> Submission:
    """The submission of the school in the address, if the user may see it: anything
    else (another school's, another district's, a forged id) is 404."""
    scope = Submission.scope_of(current_user, school_id)
    submission = (
        db.session.scalar(VISIBLE_SUBMISSION, {"id": submission_id, **scope}) if scope else None
    )
    if submission is None:
        abort(404)
    return submission


def _fid(key: str) -> str:
    return key.replace(".", "--")


def _missing(submission: Submission) -> set[str]:
    return {f["key"] for f in form_schema.missing_required(submission.schema, submission.answers)}


def _context(
    submission: Submission,
    errors: dict | None = None,
    typed: dict | None = None,
    remarks: dict | None = None,
) -> dict:
    """What the form's page needs. ``errors`` ({key: message}) and ``typed`` ({key: value
    as posted}): answers a plain post could not save, shown again as typed; ``remarks``:
    a reviewer's remarks, as typed, when her return was refused."""
    today = local_today()
    locked = services.target_of(submission).is_locked(today)
    schema = submission.schema
    context = {
        "sub": submission,
        "campaign": submission.campaign,
        "schema": schema,
        "specs": submission.specs,
        "answers": submission.answers or {},
        "locked": locked,
        "errors": errors or {},
        "typed": typed or {},
        "remarks": remarks or {},
        "error_labels": services.labels_of(schema, list(errors or ())),
        "missing": _missing(submission),
        "comments": review.open_comments(submission),
        "can_edit": submission.can_edit(current_user) and not locked,
        "can_submit": review.can_submit(current_user, submission)
        and submission.is_editable
        and not locked,
        "can_review": review.can_review(current_user, submission)
        and submission.state is ReviewState.SUBMITTED,
        "is_visible": form_schema.is_visible,
        "fid": _fid,
        "display": services.display,
        # Questions (a table: any of its cells) a school's computer changed against
        # the district's change, until a reviewer chooses: «в конфликте».
        "conflicted": {
            key.split(".")[0]
            for key in conflicts.open_fields(
                "submission", submission.school_id, [submission.id]
            ).get(submission.id, ())
        },
        "resubmitted": None,
    }
    if context["can_review"]:
        # Sent again after a return: the reviewer is offered what changed since.
        latest = review.latest_version(submission)
        if latest is not None and latest.number > 1:
            context["resubmitted"] = latest.number
    return context


@bp.route("/<int:submission_id>")
@logged_in
def fill(school_id: int, submission_id: int):
    submission = _submission(school_id, submission_id)
    context = _context(submission)
    # Each form only for the reader who is shown it (a reviewer of a draft sees none).
    return render_template(
        "inspections/fill.html",
        confirm=ConfirmForm() if context["can_submit"] else None,
        return_form=ReturnForm(formdata=None) if context["can_review"] else None,
        **context,
    )


@bp.route("/<int:submission_id>.pdf")
@logged_in
def pdf(school_id: int, submission_id: int):
    submission = _submission(school_id, submission_id)
    return pdf_response(FilledFormDocument(reports.filled_form(submission)))


def _page(submission: Submission, anchor: str | None = None):
    return redirect(
        url_for(
            "inspections.fill",
            school_id=submission.school_id,
            submission_id=submission.id,
            _anchor=anchor,
        )
    )


def _raw(spec: dict, key: str):
    if spec.get("type") == "multichoice":
        return [v for v in request.form.getlist(key) if v != "__none__"]
    return request.form.get(key, "")


@bp.route("/<int:submission_id>/save", methods=["POST"])
@school_roles
@retry_when_busy
def save(school_id: int, submission_id: int):
    """Autosave of one answer: a tiny fragment back («сохранено», the new revision)."""
    submission = _submission(school_id, submission_id)
    key = request.form.get("_key", "")
    base = request.form.get("_base", type=int)
    revision = base if base is not None else request.form.get("revision", type=int)
    if revision is None:
        revision = submission.revision
    specs = submission.specs
    spec = specs.get(key.split(".")[0], {})
    column = spec.get("type") == "table"
    raw = _raw({} if column else spec, key)
    # A required question answered or emptied changes the list of those without an answer.
    required = bool(spec.get("required")) and not column
    was_empty = required and services.current_answer(submission, key) in EMPTY
    try:
        saved = services.save_answer(current_user, submission, key, raw, revision)
    except services.StaleField as exc:
        context = _context(submission)
        response = make_response(
            render_template(
                "inspections/_partials/conflict.html",
                key=key,
                exc=exc,
                mine=raw,
                spec=spec,
                **context,
            )
        )
        response.headers["HX-Retarget"] = f"#fw-{_fid(key.split('.')[0])}"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    except Refused as exc:
        if not htmx:
            flash(str(exc), "error")
            return _page(submission)
        return render_template(SAVED, key=key, error=str(exc), revision=None, fid=_fid)
    if not htmx:
        return _page(submission)
    context: dict = {"fid": _fid}
    if required and was_empty != (saved.value in EMPTY):
        # The list of required questions without an answer and this question's mark
        # follow the answer (sent only when they change: the list costs a check of
        # every answer, too much for each letter typed).
        context.update(schema=submission.schema, missing=_missing(submission))
    if not (saved.visibility_changed or saved.reopened):
        # The common answer, on every change typed: rendered straight by Jinja (it needs
        # nothing from Flask's template context).
        return current_app.jinja_env.get_template(SAVED).render(
            key=key,
            error=None,
            revision=saved.revision,
            at=saved.saved_at or submission.last_saved_at,
            **context,
        )
    if saved.visibility_changed:
        # Conditional questions appear or disappear: re-render them out of band.
        context = _context(submission)
        context["dependent"] = [f for f in specs.values() if f.get("show_if")]
    return render_template(
        SAVED,
        key=key,
        error=None,
        revision=saved.revision,
        at=saved.saved_at or submission.last_saved_at,
        reopened=saved.reopened,
        **context,
    )


@bp.route("/<int:submission_id>/save-all", methods=["POST"])
@school_roles
@retry_when_busy
def save_all(school_id: int, submission_id: int):
    """Without JavaScript: the «Сохранить» button posts every field at once. Saved, it
    redirects (a reload does not post again); a refused value is shown again as typed,
    beside its question and in a summary on top, the other answers being saved."""
    submission = _submission(school_id, submission_id)
    posted = _save_posted(submission)
    if posted is None:
        return _page(submission)
    if posted.errors:
        return _refused_answers(submission, posted)
    flash(_("Saved."), "success")
    return _page(submission)


def _refused_answers(submission: Submission, posted: services.Posted):
    return render_template(
        "inspections/fill.html",
        confirm=ConfirmForm(),
        return_form=ReturnForm(formdata=None),
        **_context(submission, posted.messages(), posted.typed()),
    ), 422


def _save_posted(submission: Submission) -> services.Posted | None:
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return None
    revision = request.form.get("revision", type=int)
    if revision is None:
        revision = submission.revision
    specs = submission.specs
    values = {}
    for name in request.form:
        if name in ("csrf_token", "revision", "add_row", "remove_row") or name.startswith("_"):
            continue  # the form's machinery and the row buttons, not answers
        spec = specs.get(name.split(".")[0])
        if spec is None:
            values[name] = request.form.get(name)
        else:
            values[name] = _raw(spec if spec["type"] != "table" else {}, name)
    for key in request.form.getlist("_multi"):
        if key not in values and key in specs:
            values[key] = []
    values.pop("_multi", None)
    try:
        return services.save_all(current_user, submission, values, revision)
    except Refused as exc:
        flash(str(exc), "error")
        return None


@bp.route("/<int:submission_id>/rows", methods=["POST"])
@school_roles
@retry_when_busy
def rows(school_id: int, submission_id: int):
    """Add (``add_row`` = table key) or remove (``remove_row`` = "table.row") a table row."""
    submission = _submission(school_id, submission_id)
    if not htmx:
        # Without scripts the row buttons post the whole form: what was typed is saved
        # first, and a refused answer stops the row change (it is shown as typed).
        posted = _save_posted(submission)
        if posted is None:
            return _page(submission)
        if posted.errors:
            flash(_("The row was not changed: correct the answers marked below first."), "error")
            return _refused_answers(submission, posted)
    add = request.form.get("add_row")
    remove = request.form.get("remove_row", "")
    table = add or remove.split(".")[0]
    try:
        if add:
            services.add_row(current_user, submission, add)
        elif remove.count(".") == 1:
            services.remove_row(current_user, submission, *remove.split("."))
        else:
            raise Refused(_("There is no such question in this form."))
    except Refused as exc:
        if not htmx:
            flash(str(exc), "error")
            return _page(submission)
        return render_template(SAVED, key=table, error=str(exc), revision=None, fid=_fid)
    if not htmx:
        return _page(submission, f"fw-{_fid(table)}")
    context = _context(submission)
    return render_template(
        "inspections/_partials/table_swap.html", f=context["specs"][table], **context
    )


@bp.route("/<int:submission_id>/submit", methods=["POST"])
@roles(Role.SCHOOL_HEAD)
def submit(school_id: int, submission_id: int):
    submission = _submission(school_id, submission_id)
    actions.submit(submission, services.submit)
    return _page(submission)


@bp.route("/<int:submission_id>/return", methods=["POST"])
@district_staff
def return_(school_id: int, submission_id: int):
    submission = _submission(school_id, submission_id)
    form = actions.return_for_revision(submission)
    if form is None:
        return _page(submission)
    # Refused (no reason given): the page again, with the reason and remarks as typed.
    return render_template(
        "inspections/fill.html",
        confirm=ConfirmForm(),
        return_form=form,
        **_context(submission, remarks=actions.typed_remarks()),
    ), 422


@bp.route("/<int:submission_id>/accept", methods=["POST"])
@district_staff
def accept(school_id: int, submission_id: int):
    submission = _submission(school_id, submission_id)
    actions.accept(submission)
    return _page(submission)


@bp.route("/<int:submission_id>/history")
@logged_in
def history(school_id: int, submission_id: int):
    """Two comparisons: of submitted versions (any two, or one with the answers as they
    are now: ``va``, ``vb``; ``vb=0`` is now) and of autosaves (``a``, ``b``; ``a=0`` is
    the empty form). Opened bare, it compares the last two versions (the last one with
    now when there is one), or else the last two saves."""
    submission = _submission(school_id, submission_id)
    saves = services.saves(submission)
    versions = review.versions(submission)
    args = request.args
    bare = not any(k in args for k in ("a", "b", "va", "vb"))
    version_changes = va = vb = None
    if "va" in args or "vb" in args or (bare and versions):
        by_number = {v.number: v for v in versions}
        va = args.get("va", type=int)
        vb = args.get("vb", type=int)
        if va is None and vb is None:
            va, vb = (
                (versions[-2].number, versions[-1].number)
                if len(versions) >= 2
                else (
                    versions[-1].number,
                    0,
                )
            )
        if va not in by_number or (vb != 0 and vb not in by_number):
            abort(404)
        if vb != 0 and va > vb:
            va, vb = vb, va
        version_changes = services.compare_versions(
            submission, by_number[va], by_number.get(vb) if vb else None
        )
    numbers = {c.number for c in saves}
    a = args.get("a", type=int)
    b = args.get("b", type=int)
    if a is None and bare and not versions and len(saves) >= 2:
        a, b = saves[-2].number, saves[-1].number
    changes = None
    if a is not None and b is not None:
        if (a not in numbers and a != 0) or b not in numbers:
            abort(404)
        a, b = min(a, b), max(a, b)
        changes = services.compare(submission, a, b)
    events = review.events(submission)
    keys = [c.field for c in saves] + [e.target_key for e in events if e.target_key]
    return render_template(
        "inspections/history.html",
        sub=submission,
        saves=saves,
        versions=versions,
        events=events,
        labels=services.labels_of(submission.schema, keys, submission.answers),
        a=a,
        b=b,
        changes=changes,
        va=va,
        vb=vb,
        version_changes=version_changes,
    )
