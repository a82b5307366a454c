from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as BaseForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.forms import Form, trim
from intranet.i18n import lazy_gettext as _l
from intranet.inspections.schema import COLUMN_TYPES, FIELD_TYPES, KEY_RE, answers_of


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class TemplateForm(Form):
    title = StringField(
        _l("Form title"), validators=[DataRequired(), Length(max=500)], filters=[trim]
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)], filters=[trim]
    )


class SectionForm(Form):
    title = StringField(
        _l("Section title"), validators=[DataRequired(), Length(max=500)], filters=[trim]
    )


class ColumnForm(BaseForm):
    """One column of a table question: its name, its type from a list, its options."""

    class Meta:
        locales = ["ru_RU", "ru"]
        cache_translations = True

    key = HiddenField(filters=[trim])
    label = StringField(_l("Column"), validators=[Optional(), Length(max=500)], filters=[trim])
    type = SelectField(
        _l("Column type"),
        choices=[SelectChoice(k, FIELD_TYPES[k]) for k in COLUMN_TYPES],
        default="text",
    )
    options = StringField(
        _l("Options, separated by ;"), validators=[Optional(), Length(max=2000)], filters=[trim]
    )


class FieldForm(Form):
    """A question of the builder. Its key is made from its text unless one is typed;
    the condition is a question chosen from the earlier ones and one of its answers
    (their lists are filled by the view: ``set_condition_choices``)."""

    section = SelectField(_l("Section"), coerce=int, validators=[Optional()])
    key = StringField(
        _l("Key"),
        validators=[
            Optional(),
            Regexp(KEY_RE, message=_l("Latin lower-case letters, digits and _.")),
        ],
        filters=[trim],
        description=_l(
            "Made from the question's text when left empty; it names the column in exports."
        ),
    )
    type = SelectField(
        _l("Type of answer"), choices=[SelectChoice(k, v) for k, v in FIELD_TYPES.items()]
    )
    label = StringField(
        _l("Question"), validators=[DataRequired(), Length(max=1000)], filters=[trim]
    )
    help = StringField(_l("Help text"), validators=[Optional(), Length(max=1000)], filters=[trim])
    required = BooleanField(_l("Required"))
    options = TextAreaField(
        _l("Options (one per line)"),
        validators=[Optional(), Length(max=5000)],
        description=_l("For «one of a list» and «several of a list»."),
    )
    # Shown as stored: 0, not 0.00.
    min = DecimalField(_l("Minimum"), places=None, validators=[Optional()])
    max = DecimalField(_l("Maximum"), places=None, validators=[Optional()])
    show_if_field = SelectField(
        _l("Show the question"), validators=[Optional()], validate_choice=False
    )
    show_if_equals = SelectField(
        _l("when the answer is"), validators=[Optional()], validate_choice=False
    )
    columns = FieldList(FormField(ColumnForm), min_entries=0, max_entries=40)

    def set_condition_choices(self, earlier: list[tuple[str, str]], specs: dict[str, dict]):
        """``earlier``: (key, how it is named) of the questions this one may depend on;
        the answers offered are those of the question chosen now."""
        self.show_if_field.choices = [SelectChoice("", _l("always"))] + [
            SelectChoice(k, name) for k, name in earlier
        ]
        chosen = specs.get(self.show_if_field.data or "")
        answers = answers_of(chosen) if chosen else []
        self.show_if_equals.choices = [SelectChoice(v, shown) for v, shown in answers] or [
            SelectChoice("", "—")
        ]

    def blank_columns(self, n: int) -> None:
        """Empty column rows to fill (a table is given its columns in place)."""
        for _n in range(n):
            if len(self.columns.entries) >= self.columns.max_entries:
                break
            self.columns.append_entry()

    @staticmethod
    def data_of(spec: dict, section: int) -> dict:
        """A stored question as this form's data: ``spec()`` read backwards."""
        cond = spec.get("show_if") or {}
        return {
            "section": section,
            "key": spec["key"],
            "type": spec["type"],
            "label": spec.get("label", ""),
            "help": spec.get("help", ""),
            "required": bool(spec.get("required")),
            "options": "\n".join(spec.get("options") or []),
            "min": spec.get("min"),
            "max": spec.get("max"),
            "show_if_field": cond.get("field", ""),
            "show_if_equals": cond.get("equals", ""),
            "columns": [
                {
                    "key": c.get("key", ""),
                    "label": c.get("label", ""),
                    "type": c.get("type", "text"),
                    "options": "; ".join(c.get("options") or []),
                }
                for c in spec.get("columns") or []
            ],
        }

    def spec(self) -> dict:
        """The question as the schema stores it; a key left empty (the question's, a new
        column's) is made by the service from the text."""
        spec: dict = {"key": self.key.data or "", "type": self.type.data, "label": self.label.data}
        if self.help.data:
            spec["help"] = self.help.data
        if self.required.data:
            spec["required"] = True
        if self.type.data in ("choice", "multichoice"):
            spec["options"] = _lines(self.options.data)
        if self.type.data in ("integer", "decimal"):
            for bound in ("min", "max"):
                value = self[bound].data
                if value is not None:
                    spec[bound] = int(value) if self.type.data == "integer" else float(value)
        if self.show_if_field.data:
            spec["show_if"] = {
                "field": self.show_if_field.data,
                "equals": self.show_if_equals.data or "",
            }
        if self.type.data == "table":
            columns = []
            for entry in self.columns.entries:
                row = entry.form
                if not row.label.data:
                    continue  # an empty row of the form, not a column
                column = {"key": row.key.data or "", "label": row.label.data, "type": row.type.data}
                options = [o.strip() for o in (row.options.data or "").split(";") if o.strip()]
                if options and row.type.data == "choice":
                    column["options"] = options
                columns.append(column)
            spec["columns"] = columns
        return spec


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(Form):
    version = SelectField(_l("Form"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Campaign title"), validators=[Optional(), Length(max=500)])
    due_date = DateField(_l("Due date"), validators=[DataRequired()])
    grace_days = IntegerField(
        _l("Grace period, days (then the form locks)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=365)],
    )
    schools = MultiCheckboxField(
        _l("Schools (none ticked: all active schools)"), coerce=int, validators=[Optional()]
    )
    at_risk = BooleanField(
        _l("Only the schools in the risk zone (the latest year of ВПР results)"), default=False
    )


class ReopenForm(Form):
    school = SelectField(_l("School"), coerce=int, validators=[DataRequired()])
    until = DateField(_l("Reopen until"), validators=[DataRequired()])
