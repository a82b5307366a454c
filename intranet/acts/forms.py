from __future__ import annotations

import wtforms
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from intranet.acts.models import CONTROL_FORM_LABELS, FINDING_LABELS
from intranet.forms import Form, squash, trim
from intranet.i18n import lazy_gettext as _l

# Blank rows offered under each list, so more can be typed without JavaScript.
SPARE_ROWS = 2


class _Row(wtforms.Form):
    """A row of a list inside the act's form (the outer form carries the CSRF token)."""

    class Meta:
        locales = ["ru_RU", "ru"]
        cache_translations = True


class MemberForm(_Row):
    name = StringField(
        _l("Person's full name"), validators=[Optional(), Length(max=200)], filters=[squash]
    )
    post = StringField(_l("Post"), validators=[Optional(), Length(max=300)], filters=[squash])


class ItemForm(_Row):
    topic = TextAreaField(
        _l("Item checked"), validators=[Optional(), Length(max=3000)], filters=[trim]
    )
    finding = SelectField(
        _l("Finding"),
        choices=[SelectChoice("", "—")]
        + [SelectChoice(k.value, v) for k, v in FINDING_LABELS.items()],
        validators=[Optional()],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)], filters=[trim])
    source = StringField(validators=[Optional(), Length(max=500)], widget=HiddenInput())


class RecommendationForm(_Row):
    text = TextAreaField(
        _l("Recommendation"), validators=[Optional(), Length(max=3000)], filters=[trim]
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    responsible = StringField(
        _l("Responsible"), validators=[Optional(), Length(max=300)], filters=[squash]
    )


class ActForm(Form):
    order_number = StringField(
        _l("Order number"), validators=[Optional(), Length(max=60)], filters=[trim]
    )
    order_date = DateField(_l("Order date"), validators=[Optional()])
    period_start = DateField(_l("Control from"), validators=[Optional()])
    period_end = DateField(_l("Control to"), validators=[Optional()])
    control_form = SelectField(
        _l("Form of control"),
        choices=[SelectChoice(k.value, v) for k, v in CONTROL_FORM_LABELS.items()],
    )
    subject = TextAreaField(
        _l("Subject of control"), validators=[Optional(), Length(max=2000)], filters=[trim]
    )
    place = StringField(
        _l("Place of drawing up"), validators=[Optional(), Length(max=200)], filters=[squash]
    )
    commission = FieldList(FormField(MemberForm), min_entries=1)
    items = FieldList(FormField(ItemForm))
    conclusions = TextAreaField(
        _l("Conclusions"), validators=[Optional(), Length(max=20000)], filters=[trim]
    )
    recommendations = FieldList(FormField(RecommendationForm))
    head_name = StringField(
        _l("Head of the school (acquainted with the act)"),
        validators=[Optional(), Length(max=200)],
        filters=[squash],
    )
    revision = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def add_spare_rows(self) -> None:
        for name in ("commission", "items", "recommendations"):
            for _n in range(SPARE_ROWS):
                self[name].append_entry()

    def values(self) -> dict:
        data = {k: self[k].data for k in (
            "order_number", "order_date", "period_start", "period_end", "control_form",
            "subject", "place", "conclusions", "head_name",
        )}  # fmt: skip
        data["commission"] = list(self.commission.data)
        data["items"] = list(self["items"].data)
        data["recommendations"] = list(self.recommendations.data)
        return data
