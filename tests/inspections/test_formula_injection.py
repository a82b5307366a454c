"""A school's answer that looks like a formula stays text in the district's campaign
workbook (issue 12, item 4)."""

from __future__ import annotations

from intranet.extensions import db
from intranet.inspections import services
from tests.fixtures.xlsx import PAYLOAD, formulas, texts

OTHERS = ["+1+1", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"]


def test_campaign_workbook_holds_answers_as_text_never_formulas(client, insp, login_as):
    insp.school.name = insp.school.short_name = "=1+2 школа"
    db.session.commit()
    services.save_answer(insp.staff, insp.sub, "posted", "yes", 0)
    services.save_answer(insp.staff, insp.sub, "link", "https://school.ru/vsoko.pdf", 1)
    services.save_answer(insp.staff, insp.sub, "note", PAYLOAD, 2)
    revision = 3
    for value in OTHERS:
        row = services.add_row(insp.staff, insp.sub, "classes")
        services.save_answer(insp.staff, insp.sub, f"classes.{row}.grade", value, revision + 1)
        revision += 2
    login_as(insp.reviewer)
    # A draft: its answers are in the workbook when the reviewer asks for drafts.
    response = client.get(f"/campaigns/{insp.campaign.id}/export.xlsx?drafts=1")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # item 12: no copy left on disk
    data = response.get_data()
    assert formulas(data) == []
    # Kept as the school typed them (tabs and CR are as typed too), only never live.
    written = texts(data)
    assert PAYLOAD in written and "=1+2 школа" in written
    assert {"+1+1", "-2+3", "@SUM(1)"} <= written
