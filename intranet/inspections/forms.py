from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.forms import Form, trim
from intranet.i18n import lazy_gettext as _l
from intranet.inspections.schema import COLUMN_TYPES, FIELD_TYPES, KEY_RE


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


class FieldForm(Form):
    section = SelectField(_l("Section"), coerce=int, validators=[Optional()])
    key = StringField(
        _l("Key"),
        validators=[
            DataRequired(),
            Regexp(KEY_RE, message=_l("Latin lower-case letters, digits and _.")),
        ],
        filters=[trim],
        description=_l("Stable between versions, e.g. vsoko_posted"),
    )
    type = SelectField(_l("Type"), choices=[SelectChoice(k, v) for k, v in FIELD_TYPES.items()])
    label = StringField(
        _l("Question"), validators=[DataRequired(), Length(max=1000)], filters=[trim]
    )
    help = StringField(_l("Help text"), validators=[Optional(), Length(max=1000)], filters=[trim])
    required = BooleanField(_l("Required"))
    options = TextAreaField(_l("Options (one per line)"), validators=[Optional(), Length(max=5000)])
    min = DecimalField(_l("Minimum"), validators=[Optional()])
    max = DecimalField(_l("Maximum"), validators=[Optional()])
    show_if_field = StringField(
        _l("Show only when the field with key"), validators=[Optional()], filters=[trim]
    )
    show_if_equals = StringField(_l("has the answer"), validators=[Optional()], filters=[trim])
    columns = TextAreaField(
        _l("Table columns: key | label | type | options separated by ;"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Types: %(types)s", types=", ".join(COLUMN_TYPES)),
    )

    @staticmethod
    def data_of(spec: dict, section: int) -> dict:
        """A stored question as this form's data: ``spec()`` read backwards."""
        cond = spec.get("show_if") or {}
        columns = []
        for c in spec.get("columns") or []:
            line = f"{c['key']} | {c.get('label', '')} | {c.get('type', 'text')}"
            if c.get("options"):
                line += " | " + "; ".join(c["options"])
            columns.append(line)
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
            "columns": "\n".join(columns),
        }

    def spec(self) -> dict:
        """The field as the schema stores it."""
        spec: dict = {"key": self.key.data, "type": self.type.data, "label": self.label.data}
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
                "equals": self.show_if_equals.data or "yes",
            }
        if self.type.data == "table":
            columns = []
            for line in _lines(self.columns.data):
                parts = [p.strip() for p in line.split("|")]
                parts += [""] * (4 - len(parts))
                column = {
                    "key": parts[0],
                    "label": parts[1] or parts[0],
                    "type": parts[2] or "text",
                }
                if parts[3]:
                    column["options"] = [o.strip() for o in parts[3].split(";") if o.strip()]
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
