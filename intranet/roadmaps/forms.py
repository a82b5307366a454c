from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from intranet.forms import Form, squash, trim
from intranet.i18n import lazy_gettext as _l
from intranet.roadmaps.models import ITEM_STATUS_LABELS

DEADLINE_KINDS = [
    SelectChoice("", _l("as read from the text")),
    SelectChoice("date", _l("due date")),
    SelectChoice("window", _l("period")),
    SelectChoice("continuous", _l("throughout the plan")),
    SelectChoice("recurring", _l("recurring")),
    SelectChoice("event", _l("tied to an event")),
    SelectChoice("unknown", _l("not recognised")),
]


class PlanForm(Form):
    title = TextAreaField(
        _l("Title"), validators=[DataRequired(), Length(max=2000)], filters=[squash]
    )
    order_number = StringField(
        _l("Order number"), validators=[Optional(), Length(max=40)], filters=[trim]
    )
    order_date = DateField(_l("Order date"), validators=[Optional()])
    period_start = DateField(_l("Period from"), validators=[DataRequired()])
    period_end = DateField(_l("Period to"), validators=[DataRequired()])
    submit_by = DateField(
        _l("Schools submit their roadmaps by"),
        validators=[Optional()],
    )


class PlanImportForm(Form):
    file = FileField(
        _l("Order (.docx) or plan (.xlsx, .xls, .ods, .csv)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(
                ["docx", "xlsx", "xls", "ods", "csv"],
                message=_l("Only .docx, .xlsx, .xls, .ods and .csv files are accepted."),
            ),
        ],
    )


class _ItemFields(Form):
    number = StringField(_l("No."), validators=[Optional(), Length(max=20)], filters=[trim])
    text = TextAreaField(
        _l("Measure"), validators=[DataRequired(), Length(max=5000)], filters=[trim]
    )
    deadline_text = StringField(
        _l("Deadline as written"), validators=[Optional(), Length(max=500)], filters=[trim]
    )
    deadline_kind = SelectField(_l("Deadline is"), choices=DEADLINE_KINDS, validators=[Optional()])
    deadline_start = DateField(_l("from"), validators=[Optional()])
    deadline_end = DateField(_l("to"), validators=[Optional()])
    responsible = TextAreaField(
        _l("Responsible"), validators=[Optional(), Length(max=2000)], filters=[trim]
    )
    result = TextAreaField(
        _l("Expected result"), validators=[Optional(), Length(max=5000)], filters=[trim]
    )
    revision = IntegerField(widget=HiddenInput(), validators=[Optional()])

    # The fields every item has (``roadmaps/_partials/item_fields.html`` shows them).
    COMMON = (
        "number",
        "text",
        "deadline_text",
        "deadline_kind",
        "deadline_start",
        "deadline_end",
        "responsible",
        "result",
    )

    def values(self, *extra: str) -> dict:
        """What the services take: the common fields, and ``extra`` of this kind."""
        return {k: self[k].data for k in (*self.COMMON, *extra) if k in self}

    def show_item(self, item) -> None:
        """On a GET, show a person's correction of the deadline, so saving keeps it."""
        deadline = item.parsed_deadline if item.deadline_corrected else None
        if deadline is not None:
            self.deadline_kind.data = deadline.kind
            self.deadline_start.data = deadline.start
            self.deadline_end.data = deadline.end

    def set_revision(self, revision: int) -> None:
        """After a conflict the page must carry the revision it now shows, so that saving
        again overwrites on purpose (WTForms renders raw_data before data)."""
        self.revision.data = revision
        self.revision.raw_data = [str(revision)]


class PlanItemForm(_ItemFields):
    section_id = SelectField(_l("Section"), coerce=int, validators=[Optional()])
    schools_report = BooleanField(_l("Schools report on it"), default=True)


class SectionForm(Form):
    title = StringField(
        _l("Section title"), validators=[DataRequired(), Length(max=1000)], filters=[squash]
    )


class OwnItemForm(_ItemFields):
    """A school's own measure, added at the foot of its roadmap."""


class RoadmapItemForm(_ItemFields):
    status = SelectField(
        _l("Status"), choices=[SelectChoice(k.value, v) for k, v in ITEM_STATUS_LABELS.items()]
    )
    done_on = DateField(_l("Date done"), validators=[Optional()])
    progress_note = TextAreaField(
        _l("What was done"), validators=[Optional(), Length(max=5000)], filters=[trim]
    )
    school_text = TextAreaField(
        _l("School's wording"),
        description=_l("The district's wording stays as it is; the reviewer sees both."),
        validators=[Optional(), Length(max=5000)],
        filters=[trim],
    )

    def for_item(self, item) -> RoadmapItemForm:
        """A district measure's number and words are the district's: not offered; its
        own measure has no second wording."""
        if item.is_own:
            del self.school_text
        else:
            del self.number
            del self.text
        return self


class MarkDoneForm(Form):
    """«Отметить выполнение»: the short report on one item, without its definition."""

    done_on = DateField(_l("Date done"), validators=[Optional()])
    progress_note = TextAreaField(
        _l("What was done"), validators=[Optional(), Length(max=5000)], filters=[trim]
    )
    file = FileField(_l("Evidence: a file"))
    url = StringField(_l("or a link"), validators=[Optional(), Length(max=1000)], filters=[trim])
    revision = IntegerField(widget=HiddenInput(), validators=[Optional()])


class EvidenceForm(Form):
    file = FileField(_l("File (PDF, DOCX, XLSX, image; up to 10 MB)"))
    url = StringField(_l("or a link"), validators=[Optional(), Length(max=1000)], filters=[trim])
