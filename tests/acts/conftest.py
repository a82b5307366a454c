"""A school with an accepted self-inspection form and an accepted roadmap, and the people
who compose and read control acts; built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.acts import services as acts
from intranet.acts.models import ControlAct
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import services as forms
from intranet.inspections.models import Submission
from intranet.review import services as review
from intranet.roadmaps import services as roadmaps

SCHEMA = {
    "sections": [
        {
            "key": "a",
            "title": "ВСОКО",
            "fields": [
                {"key": "vsoko", "type": "yesno", "label": "Положение о ВСОКО утверждено"},
                {"key": "posted", "type": "yesno", "label": "Положение размещено на сайте"},
                {"key": "observers", "type": "integer", "label": "Общественных наблюдателей"},
            ],
        }
    ]
}

REQUISITES = {
    "order_number": "45-о",
    "order_date": date(2026, 3, 1),
    "period_start": date(2026, 3, 2),
    "period_end": date(2026, 3, 6),
    "control_form": "documentary",
    "subject": "Организация ВСОКО и объективность ВПР",
    "place": "г. Энск",
    "commission": [
        {"name": "Орлова Анна Петровна", "post": "начальник отдела общего образования"},
        {"name": "Кузнецов Илья Сергеевич", "post": "методист ИМЦ"},
    ],
    "conclusions": "Деятельность организации в целом соответствует требованиям.",
    "recommendations": [
        {
            "text": "Разместить положение о ВСОКО на официальном сайте",
            "deadline": date(2026, 6, 1),
            "responsible": "Директор Белова",
        }
    ],
    "head_name": "Белова Мария Ивановна",
}


@dataclass
class ControlWorld:
    district: object
    school: object
    sibling: object
    admin: object
    reviewer: object
    head: object
    staff: object
    sibling_head: object
    roadmap: object
    submission: object

    def url(self, tail: str = "", school=None) -> str:
        return f"/schools/{(school or self.school).id}/acts{tail}"

    def act_url(self, act: ControlAct, tail: str = "") -> str:
        return f"/schools/{act.school_id}/acts/{act.id}{tail}"

    def draft(self, **changes) -> ControlAct:
        """A prefilled draft with every requisite filled in (``changes`` override)."""
        act = acts.create_draft(self.reviewer, self.school)
        data = {**REQUISITES, "items": act.items, **changes}
        return acts.save_draft(self.reviewer, act, data, act.revision)

    def issued(self, **changes) -> ControlAct:
        return acts.issue(
            self.reviewer, self.draft(**changes), check_base_url="http://intranet.local"
        )


@pytest.fixture
def control(make, plans, published) -> ControlWorld:
    w = published
    w.school.head_name = "Белова Мария Ивановна"
    db.session.commit()
    reviewer, head = w.reviewer, w.head
    # the self-inspection form: answered, submitted, accepted
    template = forms.create_template(w.admin, w.district.id, "Самообследование ВСОКО", "", SCHEMA)
    forms.publish_version(w.admin, template.latest)
    campaign = forms.launch_campaign(
        w.admin, template.latest, "Самообследование 2026", date.today() + timedelta(days=10)
    )
    sub = db.session.scalar(
        select(Submission).where(
            Submission.campaign_id == campaign.id, Submission.school_id == w.school.id
        )
    )
    forms.save_answer(head, sub, "vsoko", "yes", sub.revision)
    forms.save_answer(head, sub, "posted", "no", sub.revision)
    forms.save_answer(head, sub, "observers", "3", sub.revision)
    forms.submit(head, sub)
    review.accept(reviewer, sub)
    # the roadmap: one measure done, submitted, accepted
    item = w.item("1.2")
    roadmaps.update_roadmap_item(head, item, {"status": "done"}, item.revision)
    review.submit(head, w.roadmap)
    review.accept(reviewer, w.roadmap)
    return ControlWorld(
        district=w.district,
        school=w.school,
        sibling=w.sibling,
        admin=w.admin,
        reviewer=reviewer,
        head=head,
        staff=w.staff,
        sibling_head=make.user(Role.SCHOOL_HEAD, school=w.sibling),
        roadmap=w.roadmap,
        submission=sub,
    )
