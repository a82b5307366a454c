"""What the reports gather: the same figures as the pages, in a fixed number of queries."""

from __future__ import annotations

from datetime import date

from intranet.objectivity import services as objectivity
from intranet.reports import data
from intranet.roadmaps import services as roadmaps
from tests.fixtures.roadmaps import PERIOD
from tests.perf import count_queries


def test_plan_report_counts_progress_and_names_reasons(published):
    item = published.item("1.1")
    roadmaps.update_roadmap_item(published.staff, item, {"status": "done"}, None)
    report = data.plan_report(published.plan, date(2026, 1, 10))
    by_id = {line.school_id: line for line in report.lines}
    done, late = by_id[published.school.id], by_id[published.sibling.id]
    assert (done.items, done.done, done.overdue) == (2, 1, 0)
    assert done.completion == 0.5 and not done.reasons
    # The sibling is late with 1.1 (due 15.10.2025): that is its reason for attention.
    assert late.overdue == 1
    assert late.reasons == ["просрочено мероприятий: 1"]
    assert [line.school_id for line in report.attention] == [published.sibling.id]
    totals = report.totals
    assert (totals["schools"], totals["items"], totals["done"], totals["overdue"]) == (2, 4, 1, 1)


def test_plan_report_queries_do_not_grow_with_schools(app, published, make, plans):
    few = data.plan_report
    count_few = count_queries(app, lambda: few(published.plan, date(2026, 1, 10)))
    for _ in range(6):
        make.school(published.district)
    other = plans.plan(
        published.admin, [{"number": "1", "text": "Мера", "deadline_text": "до 15.10.2025"}]
    )
    plans.publish(published.admin, other)
    count_many = count_queries(app, lambda: few(other, date(2026, 1, 10)))
    assert count_few == count_many <= 5


def test_plan_report_flags_schools_at_risk(published, make):
    from intranet.extensions import db
    from intranet.objectivity.models import SchoolMarker

    db.session.add(
        SchoolMarker(
            district_id=published.district.id,
            school_id=published.school.id,
            year=2025,
            subject="Математика",
            grade=5,
            code="high_mean",
            federal=True,
            flagged=True,
            reason="высокий средний балл",
        )
    )
    db.session.commit()
    report = data.plan_report(published.plan, PERIOD[0])
    line = next(x for x in report.lines if x.school_id == published.school.id)
    assert line.risk.count == 1 and report.risk_year == 2025
    assert "Математика, 5 кл. (1)" in line.reasons[0]


def test_campaign_report_answered_share_and_lateness(insp):
    from intranet.inspections import services

    services.save_answer(insp.staff, insp.sub, "posted", "no", insp.sub.revision)
    late_day = insp.campaign.due_date.replace(year=insp.campaign.due_date.year + 1)
    report = data.campaign_report(insp.campaign, late_day)
    by_id = {line.school_id: line for line in report.lines}
    # «posted» = no hides «link»: six questions shown, one answered.
    assert (by_id[insp.school.id].items, by_id[insp.school.id].done) == (6, 1)
    assert by_id[insp.sibling.id].done == 0
    assert all(line.state == "late" and line.overdue == 1 for line in report.lines)
    assert len(report.attention) == 2


def test_vpr_report_matches_the_school_page(vpr):
    district = vpr["district"]
    report = data.vpr_report(district, 2024, "Математика", 5)
    top = next(s for s in report.schools if s.code == "top")
    page = objectivity.school_analytics(vpr["schools"]["top"], 2024)[0]
    assert top.participants == page.participants
    assert top.shares == page.school_shares
    assert report.shares == page.district_shares
    assert top.mean == page.mean
    assert {m.code for m in top.flagged} == {m.code for m in page.markers if m.flagged}
    assert report.risk[0].code == "top"
    assert sum(report.scores.values()) == report.participants
    assert sum(report.matrix.values()) == report.participants
    assert data.vpr_groups(district.id, 2024) == [("Математика", 5)]


def test_vpr_report_queries_are_fixed(app, vpr):
    n = count_queries(app, lambda: data.vpr_report(vpr["district"], 2024, "Математика", 5))
    assert n <= 7


def test_plan_report_counts_the_findings_of_issued_acts(control):
    from intranet.acts import services as acts

    draft = control.draft()
    items = [dict(item) for item in draft.items]
    items[0]["finding"] = "fails"
    act = control.issued(items=items)
    report = data.plan_report(control.roadmap.plan, date(2026, 1, 10))
    line = next(x for x in report.lines if x.school_id == control.school.id)
    fails = sum(1 for item in act.items if item["finding"] == "fails")
    complies = sum(1 for item in act.items if item["finding"] == "complies")
    assert fails >= 1
    assert line.acts.numbers == [act.number]
    assert (line.acts.fails, line.acts.complies) == (fails, complies)
    assert f"акты {act.number}: не соответствует — {fails}" in line.reasons
    # A correction replaces the act it names: the district reads the correction only.
    correction = acts.correct(control.reviewer, act)
    clean = [{**item, "finding": "complies"} for item in draft.items]
    correction = acts.save_draft(
        control.reviewer, correction, {**_requisites(), "items": clean}, correction.revision
    )
    fixed = acts.issue(control.reviewer, correction, check_base_url="http://intranet.local")
    line = next(
        x
        for x in data.plan_report(control.roadmap.plan, date(2026, 1, 10)).lines
        if x.school_id == control.school.id
    )
    assert line.acts.numbers == [fixed.number] and line.acts.fails == 0
    assert report.totals["acts"] == 1


def _requisites():
    from tests.acts.conftest import REQUISITES

    return REQUISITES


def test_campaign_report_queries_do_not_grow_with_schools(app, insp, make):
    from tests.inspections.conftest import launch

    today = insp.campaign.due_date
    data.campaign_report(insp.campaign, today)
    few = count_queries(app, lambda: data.campaign_report(insp.campaign, today))
    for _ in range(8):
        make.school(insp.district)
    bigger = launch(insp.admin, insp.template)
    data.campaign_report(bigger, today)  # the campaign's schema is read once, then kept
    many = count_queries(app, lambda: data.campaign_report(bigger, today))
    assert len(data.campaign_report(bigger, today).lines) == 10
    assert few == many <= 5
