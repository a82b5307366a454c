"""School names and plan texts that look like formulas stay text in the execution
workbook (issue 12, item 4)."""

from __future__ import annotations

from intranet.auth.roles import Role
from intranet.extensions import db
from tests.fixtures.roadmaps import PAST
from tests.fixtures.xlsx import PAYLOAD, formulas, texts


def test_execution_workbook_holds_names_and_texts_as_text(client, make, plans, login_as):
    district = make.district()
    make.school(district, name="=1+2 школа", short_name="=1+2 школа")
    make.school(district, name="@школа", short_name="-школа")
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    items = [
        {"number": "1", "text": PAYLOAD, "deadline_text": PAST},
        {"number": "2", "text": "+Провести анализ", "deadline_text": PAST},
    ]
    plan = plans.plan(admin, items, title="=План мероприятий")
    plans.publish(admin, plan)
    db.session.commit()
    login_as(admin)
    response = client.get(f"/plans/{plan.id}/execution.xlsx")
    assert response.status_code == 200
    data = response.get_data()
    assert formulas(data) == []
    assert {PAYLOAD, "+Провести анализ", "=План мероприятий"} <= texts(data)
    assert "=1+2 школа" in texts(data)
