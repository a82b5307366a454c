"""The consolidated table is paged by schools and can be narrowed to a section; its totals,
computed by the database over every school, are the ones the full table gives."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.inspections import consolidation, services
from intranet.inspections.models import Submission
from tests.fixtures.roadmaps import text_of

SCHEMA = {
    "sections": [
        {
            "key": "docs",
            "title": "Документы",
            "fields": [
                {"key": "posted", "type": "yesno", "label": "Положение размещено"},
                {"key": "count", "type": "integer", "label": "Наблюдателей"},
                {"key": "share", "type": "decimal", "label": "Доля"},
                {
                    "key": "level",
                    "type": "choice",
                    "label": "Уровень",
                    "options": ["полностью", "частично", "нет"],
                },
            ],
        },
        {
            "key": "more",
            "title": "Процедуры",
            "fields": [
                {
                    "key": "kinds",
                    "type": "multichoice",
                    "label": "Процедуры",
                    "options": ["ВПР", "ОГЭ", "ЕГЭ"],
                },
                {"key": "note", "type": "textarea", "label": "Замечания"},
                {"key": "site", "type": "url", "label": "Ссылка"},
                {"key": "when", "type": "date", "label": "Дата"},
                {
                    "key": "classes",
                    "type": "table",
                    "label": "Классы",
                    "columns": [
                        {"key": "grade", "label": "Класс", "type": "text"},
                        {"key": "pupils", "label": "Участников", "type": "integer"},
                    ],
                },
            ],
        },
    ]
}

# What schools answered, as the form stores it (empty, missing and odd spellings too).
ANSWERS = [
    {"posted": "yes", "count": "12", "share": "10,5", "level": "полностью", "kinds": ["ВПР"]},
    {"posted": "no", "count": " 7 ", "share": "0,25", "level": "нет", "kinds": ["ВПР", "ОГЭ"]},
    {"posted": "yes", "count": "-3", "share": "100", "kinds": [], "note": "Есть замечания"},
    {"posted": "", "count": "", "share": "1 000,5", "level": "частично", "site": "https://a.ru/x"},
    {"kinds": ["ЕГЭ", "ВПР"], "when": "2025-10-01", "note": ""},
    {"posted": "yes", "count": "+5", "share": "3,125", "level": "полностью", "kinds": "ОГЭ"},
    {
        "posted": "yes",
        "count": "40",
        "share": "33,3",
        "classes": [{"id": "r1", "grade": "5а", "pupils": "25"}],
    },
]


# A school that has not sent its form: its answers would change every total.
DRAFT = {
    "posted": "yes",
    "count": "1000",
    "share": "99",
    "level": "нет",
    "kinds": ["ЕГЭ"],
    "note": "Черновик школы",
    "classes": [{"id": "r9", "grade": "9в", "pupils": "30"}],
}
NBSP = "\u00a0"
# The totals of ANSWERS, worked out by hand: «да» of those who answered yes or no, the
# mean and the median of numbers (never a sum: a sum of shares means nothing).
TOTALS = {
    "posted": f"да: 4 из 5 ответивших (80{NBSP}%)",
    "count": "среднее 12,2, медиана 7 (ответили: 5)",
    "share": "среднее 191,28, медиана 21,9 (ответили: 6)",
    "level": "полностью: 2; частично: 1; нет: 1",
    "kinds": "ВПР: 3; ОГЭ: 2; ЕГЭ: 1",
    "note": "ответили: 1 из 7",
}


@pytest.fixture
def campaign(make):
    """Seven schools that sent ANSWERS (submitted or accepted) and an eighth, k7, whose
    DRAFT is not sent."""
    district = make.district()
    schools = [make.school(district, code=f"k{n}") for n in range(len(ANSWERS) + 1)]
    admin = make.user(Role.DISTRICT_ADMIN, district=district)
    reviewer = make.user(Role.DISTRICT_REVIEWER, district=district)
    template = services.create_template(admin, district.id, "Самообследование", "", SCHEMA)
    services.publish_version(admin, template.latest)
    campaign = services.launch_campaign(
        admin, template.latest, "Самообследование", date.today() + timedelta(days=10)
    )
    for n, (school, answers) in enumerate(zip(schools, [*ANSWERS, DRAFT], strict=True)):
        sent = n < len(ANSWERS)
        db.session.execute(
            update(Submission)
            .where(Submission.campaign_id == campaign.id, Submission.school_id == school.id)
            .values(
                answers=answers,
                revision=1,
                status=("accepted" if n % 2 else "submitted") if sent else "draft",
                first_submitted_at=services.utcnow() if sent else None,
            )
        )
    db.session.commit()
    db.session.expire_all()
    return campaign, reviewer, schools


def test_totals_from_the_database_are_those_of_the_whole_table(campaign):
    campaign, _reviewer, _schools = campaign
    whole = services.consolidated(campaign, date.today())  # reads every answer
    paged = consolidation.page(campaign, date.today(), per_page=3)
    assert [c.spec["key"] for c in paged.columns] == [c.spec["key"] for c in whole.columns]
    assert [c.summary for c in paged.columns] == [c.summary for c in whole.columns]
    by_key = {c.spec["key"]: c.summary for c in paged.columns}
    assert {k: by_key[k] for k in TOTALS} == TOTALS
    assert whole.counted == paged.counted == 7 and paged.total == 8
    # Asked for, the draft is counted too, the same way by both.
    whole = services.consolidated(campaign, date.today(), drafts=True)
    paged = consolidation.page(campaign, date.today(), per_page=3, drafts=True)
    assert [c.summary for c in paged.columns] == [c.summary for c in whole.columns]
    by_key = {c.spec["key"]: c.summary for c in paged.columns}
    assert by_key["posted"] == f"да: 5 из 6 ответивших (83{NBSP}%)"
    assert by_key["count"] == "среднее 176,83, медиана 9,5 (ответили: 6)"


def test_answers_of_a_form_not_sent_are_not_shown_unless_asked(campaign, login_as):
    campaign, reviewer, schools = campaign
    client = login_as(reviewer)
    html = text_of(client.get(f"/campaigns/{campaign.id}"))
    assert "Черновик школы" not in html and "9в" not in html and f"<td>1{NBSP}000</td>" not in html
    row = re.search(r"<tr class=\"unsent\">.*?</tr>", html, re.S).group(0)
    assert "k7" in row and "ещё не отправлена" in row
    assert "Итого по отправившим форму: 7 из 8 школ" in html and TOTALS["posted"] in html
    html = text_of(client.get(f"/campaigns/{campaign.id}?drafts=1"))
    row = re.search(r"<tr class=\"unsent\">.*?</tr>", html, re.S).group(0)
    assert "Черновик школы" in row and f"<td>1{NBSP}000</td>" in row and "черновик" in row
    assert "9в" in html and "Итого по всем школам (8), включая черновики" in html
    assert f"да: 5 из 6 ответивших (83{NBSP}%)" in html
    # The pages, the sections and the export keep the choice.
    assert f"/campaigns/{campaign.id}/export.xlsx?drafts=1" in html


def test_numbers_and_dates_read_the_russian_way(campaign, login_as):
    campaign, reviewer, _schools = campaign
    html = text_of(login_as(reviewer).get(f"/campaigns/{campaign.id}"))
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert "1" + NBSP + "000,5" in cells and "10,5" in cells and "3,125" in cells
    assert "01.10.2025" in cells and "2025-10-01" not in html
    assert "+5" not in cells and "5" in cells  # a number as a number, not as typed


def test_headers_show_the_whole_question_and_tell_alike_ones_apart():
    alike = [
        "Положение о формах, периодичности и порядке текущего контроля успеваемости "
        "и промежуточной аттестации утверждено (обновлено)",
        "Положение о формах, периодичности и порядке текущего контроля размещено на сайте ОО",
        "Доля учителей, прошедших обучение",
    ]
    shorts = services.headers(alike)
    assert shorts[2] == alike[2]
    assert len(set(shorts)) == 3 and all(len(s) <= 60 for s in shorts)
    assert shorts[1] == "Положение о формах … размещено на сайте ОО"
    assert shorts[0].startswith("Положение о формах … успеваемости")


def test_header_holds_the_question_on_hover(campaign, login_as):
    campaign, reviewer, _schools = campaign
    html = text_of(login_as(reviewer).get(f"/campaigns/{campaign.id}"))
    assert '<th title="1.2. Наблюдателей"><span class="qnum">1.2.</span> Наблюдателей</th>' in html
    assert 'title="count"' not in html


def test_pages_of_schools_cover_every_school_once(campaign, client, login_as, app):
    campaign, reviewer, schools = campaign
    app.config["SCHOOLS_PAGE_SIZE"] = 3
    try:
        client = login_as(reviewer)
        seen = []
        first = text_of(client.get(f"/campaigns/{campaign.id}"))
        assert "Страница 1 из 3" in first
        for n in (1, 2, 3):
            html = text_of(client.get(f"/campaigns/{campaign.id}?page={n}"))
            codes = re.findall(r'/forms/\d+">(k\d) ', html)
            assert len(codes) == (3 if n < 3 else 2)
            seen += codes
            assert "Итого по отправившим форму: 7 из 8 школ" in html and TOTALS["posted"] in html
        assert seen == [s.code for s in schools]
    finally:
        app.config["SCHOOLS_PAGE_SIZE"] = 50


def test_a_section_narrows_the_columns_and_their_totals(campaign, login_as):
    campaign, reviewer, _schools = campaign
    client = login_as(reviewer)
    html = text_of(client.get(f"/campaigns/{campaign.id}?section=more"))
    assert "Процедуры" in html and TOTALS["kinds"] in html
    assert "Наблюдателей" not in html and TOTALS["posted"] not in html
    assert "5а" in html  # the section's table
    whole = text_of(client.get(f"/campaigns/{campaign.id}"))
    assert "Наблюдателей" in whole and TOTALS["kinds"] in whole
    # An unknown section shows the whole form rather than nothing.
    assert "Наблюдателей" in text_of(client.get(f"/campaigns/{campaign.id}?section=zzz"))


def test_page_reads_three_statements_whatever_the_schools(campaign, login_as, app):
    from tests.perf import count_queries

    campaign, reviewer, _schools = campaign
    client = login_as(reviewer)
    url = f"/campaigns/{campaign.id}"
    before = count_queries(app, lambda: client.get(url))
    district_id = campaign.district_id
    for n in range(5):
        school = db.session.scalar(
            select(Submission.school_id).where(Submission.campaign_id == campaign.id)
        )
        assert school and district_id
        db.session.add(
            Submission(
                campaign_id=campaign.id,
                district_id=district_id,
                school_id=_extra_school(campaign, n),
                answers={"posted": "yes"},
                field_revisions={},
            )
        )
    db.session.commit()
    assert count_queries(app, lambda: client.get(url)) == before


def _extra_school(campaign, n: int) -> int:
    from intranet.schools.models import School

    school = School(district_id=campaign.district_id, code=f"x{n}", name=f"Школа {n}", active=True)
    db.session.add(school)
    db.session.flush()
    return school.id


def test_totals_follow_a_form_sent_at_once(campaign, login_as, make):
    campaign, reviewer, schools = campaign
    client = login_as(reviewer)
    assert TOTALS["posted"] in text_of(client.get(f"/campaigns/{campaign.id}"))
    sub = db.session.scalar(
        select(Submission).where(
            Submission.campaign_id == campaign.id, Submission.school_id == schools[7].id
        )
    )
    staff = make.user(Role.SCHOOL_STAFF, school=schools[7])
    head = make.user(Role.SCHOOL_HEAD, school=schools[7])
    services.save_answer(staff, sub, "posted", "no", sub.revision)
    # Saved, not sent: nothing changes for the district.
    assert TOTALS["posted"] in text_of(client.get(f"/campaigns/{campaign.id}"))
    services.submit(head, sub)
    html = text_of(client.get(f"/campaigns/{campaign.id}"))
    assert f"да: 4 из 6 ответивших (67{NBSP}%)" in html
    assert "Итого по отправившим форму: 8 из 8 школ" in html
    whole = services.consolidated(campaign, date.today())
    assert whole.columns[0].summary == f"да: 4 из 6 ответивших (67{NBSP}%)"


def test_the_workbook_is_sized_frozen_filtered_and_lists_the_questions(campaign, login_as):
    campaign, reviewer, _schools = campaign
    client = login_as(reviewer)
    r = client.get(f"/campaigns/{campaign.id}/export.xlsx")
    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames == ["Ответы", "1. Классы", "Вопросы"]
    ws = wb["Ответы"]
    assert ws.freeze_panes == "D3" and ws.auto_filter.ref == "A2:K10"
    assert ws.column_dimensions["B"].width == 40 and ws.column_dimensions["D"].width == 12
    header = [c.value for c in ws[2]]
    assert header[:4] == ["Код", "Организация", "Состояние", "1.1. Положение размещено"]
    assert all(c.font.bold for c in ws[2])
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3, max_row=10)}
    # Numbers and dates as such, shown the Russian way by Excel; drafts left out.
    share = rows["k3"][5]
    assert share.value == 1000.5 and share.number_format == "#,##0.0##"
    when = rows["k4"][10]
    assert when.value.date() == date(2025, 10, 1) and when.number_format == "DD.MM.YYYY"
    assert [c.value for c in rows["k7"][3:]] == [None] * 8
    totals = [c.value for c in ws[11]]
    assert totals[0] == "Итого по отправившим форму: 7 из 8 школ"
    assert totals[3:9] == [
        TOTALS[k] for k in ("posted", "count", "share", "level", "kinds", "note")
    ]
    questions = [[c.value for c in row] for row in wb["Вопросы"].iter_rows()]
    assert questions[0] == ["№", "Раздел", "Вопрос", "Тип ответа"]
    assert questions[1] == ["1.1", "Документы", "Положение размещено", "да / нет"]
    assert questions[4] == [
        "1.4",
        "Документы",
        "Уровень",
        "один из списка: полностью; частично; нет",
    ]
    assert questions[-1][0] == "2.5" and questions[-1][3].startswith("таблица: Класс (короткий")
    assert wb["Вопросы"].freeze_panes == "A2" and wb["Вопросы"].auto_filter.ref == "A1:D10"
    assert "9в" not in {c.value for row in wb["1. Классы"].iter_rows() for c in row}
    # With drafts: the draft school's answers, marked.
    wb = load_workbook(
        io.BytesIO(client.get(f"/campaigns/{campaign.id}/export.xlsx?drafts=1").get_data())
    )
    rows = {r[0].value: r for r in wb["Ответы"].iter_rows(min_row=3, max_row=10)}
    assert rows["k7"][2].value == "черновик" and rows["k7"][4].value == 1000
    assert ["k7", rows["k7"][1].value, "9в", 30, "черновик"] == [
        c.value for c in list(wb["1. Классы"].iter_rows())[-1]
    ]


def test_answers_that_are_not_text_are_shown_as_they_read(campaign):
    """Numbers, true and none as stored answers (equal as keys: 1, 1.0, True) are each
    worded as ``services.display`` words them, beside text that reads alike."""
    campaign, _reviewer, schools = campaign
    odd = [
        {"posted": True, "count": 1, "share": 1.0, "level": 1, "note": "1", "kinds": None},
        {"posted": "yes", "count": 1.0, "share": 1, "level": True, "note": 1.0, "site": 1},
    ]
    for school, answers in zip(schools, odd, strict=False):
        db.session.execute(
            update(Submission)
            .where(Submission.campaign_id == campaign.id, Submission.school_id == school.id)
            .values(answers=answers)
        )
    db.session.commit()
    paged = consolidation.page(campaign, date.today(), per_page=8)
    specs = [c.spec for c in paged.columns]
    for answers, row in zip(odd, paged.rows, strict=False):
        assert row[5] == [services.display(s, answers.get(s["key"])) for s in specs]
    assert paged.rows[0][5][:4] == ["True", "1", "1", "1"]
