"""Each print downloads from the page that shows its data, under that page's rules."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from intranet.auth.roles import Role
from tests.fixtures.pdf import page_texts, pdf_text
from tests.fixtures.roadmaps import text_of


def _pdf(response) -> bytes:
    assert response.status_code == 200, text_of(response)[:500]
    assert response.mimetype == "application/pdf"
    return response.get_data()


def _filename(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return unquote(disposition.split("filename*=UTF-8''")[1])


def test_roadmap_print_follows_the_roadmap_page(published, login_as, client_of):
    url = published.url(".pdf")
    staff = login_as(published.staff)
    page = text_of(staff.get(published.url()))
    assert url in page and "Печать (PDF)" in page
    response = staff.get(url)
    assert "Провести анализ результатов ВПР" in pdf_text(_pdf(response))
    assert (
        _filename(response)
        == f"Дорожная_карта_СОШ_№_{published.school.short_name[6:]}_{published.school.code}.pdf"
    )
    # Another school's roadmap is not there at all; the district sees every school's.
    assert staff.get(published.url(".pdf", published.sibling_roadmap)).status_code == 404
    reviewer = client_of(published.reviewer)
    _pdf(reviewer.get(published.url(".pdf", published.sibling_roadmap)))


def test_anonymous_is_sent_to_login(published, client):
    response = client.get(published.url(".pdf"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_plan_report_and_all_roadmaps_for_the_district_only(published, login_as, client_of, make):
    reviewer = login_as(published.reviewer)
    page = text_of(reviewer.get(f"/plans/{published.plan.id}/execution"))
    report_url = f"/plans/{published.plan.id}/report.pdf"
    all_url = f"/plans/{published.plan.id}/roadmaps.pdf"
    assert report_url in page and all_url in page
    assert "Сводный отчёт о выполнении дорожных карт" in pdf_text(_pdf(reviewer.get(report_url)))
    response = reviewer.get(all_url)
    assert len(page_texts(_pdf(response))) == 2
    assert _filename(response).startswith("Дорожные_карты_")
    staff = client_of(published.staff)
    assert staff.get(report_url).status_code == 403
    assert staff.get(all_url).status_code == 403
    stranger = client_of(make.user(Role.DISTRICT_REVIEWER))
    assert stranger.get(report_url).status_code == 404
    assert stranger.get(all_url).status_code == 404


def test_all_roadmaps_of_a_draft_plan_say_nothing_to_print(published, plans, login_as):
    draft = plans.plan(published.admin, [{"number": "1", "text": "Мера"}])
    admin = login_as(published.admin)
    response = admin.get(f"/plans/{draft.id}/roadmaps.pdf")
    assert response.status_code == 302
    assert "Печатать нечего" in text_of(admin.get(response.headers["Location"]))


def test_campaign_report_and_a_filled_form(insp, login_as, client_of):
    reviewer = login_as(insp.reviewer)
    url = f"/campaigns/{insp.campaign.id}/report.pdf"
    assert url in text_of(reviewer.get(f"/campaigns/{insp.campaign.id}"))
    assert "Сводный отчёт по формам самообследования" in pdf_text(_pdf(reviewer.get(url)))
    staff = client_of(insp.staff)
    assert staff.get(url).status_code == 403
    form_url = insp.url(".pdf")
    assert form_url in text_of(staff.get(insp.url()))
    response = staff.get(form_url)
    assert "Положение размещено" in pdf_text(_pdf(response))
    assert _filename(response).startswith("Форма_Самообследование_")
    assert staff.get(insp.url(".pdf", insp.sibling_sub)).status_code == 404
    _pdf(reviewer.get(insp.url(".pdf", insp.sibling_sub)))


def test_vpr_report_from_the_risk_page(vpr, login_as, client_of, make):
    reviewer = login_as(vpr["reviewer"])
    page = text_of(reviewer.get("/objectivity/?year=2024"))
    assert 'value="2024|Математика|5"' in page
    url = "/objectivity/report.pdf?group=2024|Математика|5"
    response = reviewer.get(url)
    assert "Гимназия «Успех»" in pdf_text(_pdf(response))
    assert _filename(response) == "Справка_ВПР_2024_Математика_5_кл.pdf"
    school = client_of(make.user(Role.SCHOOL_HEAD, school=vpr["schools"]["top"]))
    assert school.get(url).status_code == 403


@pytest.mark.parametrize(
    "group", ["2024|Математика|6", "2023|Математика|5", "2024|Физика|5", "x", "2024|Математика|x"]
)
def test_vpr_report_of_no_results_is_404(vpr, login_as, group):
    reviewer = login_as(vpr["reviewer"])
    assert reviewer.get(f"/objectivity/report.pdf?group={group}").status_code == 404


def test_cli_prints_all_roadmaps_and_the_reports(app, published, insp, runner, tmp_path):
    out = tmp_path / "roadmaps.pdf"
    result = runner.invoke(
        args=["print", "roadmaps", "--plan", str(published.plan.id), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(page_texts(out.read_bytes())) == 2
    report = tmp_path / "report.pdf"
    result = runner.invoke(
        args=["print", "report", "--campaign", str(insp.campaign.id), "--out", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "Сводный отчёт по формам самообследования" in pdf_text(report.read_bytes())
    result = runner.invoke(
        args=["print", "report", "--plan", str(published.plan.id), "--out", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "Сводный отчёт о выполнении дорожных карт" in pdf_text(report.read_bytes())


@pytest.mark.parametrize(
    "args",
    [
        ["print", "roadmaps", "--plan", "999999"],
        ["print", "report", "--campaign", "999999"],
        ["print", "report", "--plan", "999999"],
        ["print", "report"],
    ],
)
def test_cli_nothing_to_print_exits_1_with_one_line(app, app_ctx, runner, tmp_path, args):
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=[*args, "--out", str(out)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_draft_plan_has_no_roadmaps(published, plans, runner, tmp_path):
    draft = plans.plan(published.admin, [{"number": "1", "text": "Мера"}])
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["print", "roadmaps", "--plan", str(draft.id), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"У плана {draft.id} нет дорожных карт школ: печатать нечего."
    assert not out.exists()
