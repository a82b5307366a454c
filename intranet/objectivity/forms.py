from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FloatField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from intranet.forms import Form
from intranet.i18n import lazy_gettext as _l
from intranet.objectivity.importer import GRADES, SUBJECTS
from intranet.objectivity.services import RULE_KINDS


def _subject_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(s, s) for s in SUBJECTS]


def _grade_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(str(g), str(g)) for g in GRADES]


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


class UploadForm(Form):
    file = FileField(
        _l("File (.xlsx, .xls, .ods or .csv)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(
                ["xlsx", "xls", "ods", "csv"],
                message=_l("Only .xlsx, .xls, .ods and .csv files are accepted."),
            ),
        ],
    )
    year = IntegerField(
        _l("Year"),
        validators=[Optional(), NumberRange(2000, 2100)],
        description=_l("Only when the file does not say; the same for subject and grade."),
    )
    subject = SelectField(_l("Subject"), validators=[Optional()])
    grade = SelectField(_l("Grade"), coerce=_int_or_none, validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subject.choices = _subject_choices(str(_l("from the file")))
        self.grade.choices = _grade_choices(str(_l("from the file")))


class ScaleForm(Form):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    subject = SelectField(_l("Subject"), validators=[DataRequired()])
    grade = SelectField(_l("Grade"), coerce=_int_or_none, validators=[DataRequired()])
    min3 = IntegerField(
        _l("Lowest score for «3»"), validators=[InputRequired(), NumberRange(1, 500)]
    )
    min4 = IntegerField(
        _l("Lowest score for «4»"), validators=[InputRequired(), NumberRange(1, 500)]
    )
    min5 = IntegerField(
        _l("Lowest score for «5»"), validators=[InputRequired(), NumberRange(1, 500)]
    )
    max_score = IntegerField(_l("Maximum score"), validators=[InputRequired(), NumberRange(1, 500)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subject.choices = _subject_choices("—")
        self.grade.choices = _grade_choices("—")


class RuleForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9_]+$", message=_l("Latin letters, digits and _ only.")),
        ],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("What it measures"), validators=[DataRequired()])
    threshold = FloatField(
        _l("Threshold"),
        validators=[InputRequired(), NumberRange(0, 1)],
        description=_l("A share from 0 to 1: 0.3 is 30 %."),
    )
    min_participants = IntegerField(
        _l("Minimum participants"), validators=[InputRequired(), NumberRange(2, 1000)]
    )
    subject = SelectField(_l("Subject"), validators=[Optional()])
    grade = SelectField(_l("Grade"), coerce=_int_or_none, validators=[Optional()])
    source = StringField(
        _l("Source"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Who set the rule: an order, a regional method. Never the federal method."),
    )
    active = BooleanField(_l("Active"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k, str(label)) for k, (label, _d) in RULE_KINDS.items()]
        self.subject.choices = _subject_choices(str(_l("every subject")))
        self.grade.choices = _grade_choices(str(_l("every grade")))


class SettingsForm(Form):
    min_participants = IntegerField(
        _l("Minimum participants for the federal markers"),
        validators=[InputRequired(), NumberRange(2, 1000)],
    )
