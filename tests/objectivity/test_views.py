"""The pages: upload, preview, confirm; the risk list; a school's charts; scales, rules; scoping."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.objectivity import charts, importer
from intranet.objectivity.models import MarkScale, ObjectivityRule, VprResult
from tests.objectivity.conftest import TITLE
from tests.objectivity.files import RESULT_HEADER, pupil, xlsx
from tests.perf import count_queries


def _upload(client, data: bytes, name: str, **fields):
    return client.post(
        "/objectivity/import",
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )


def _results() -> int:
    return db.session.scalar(select(func.count()).select_from(VprResult))


def _seed(vpr):
    parsed = importer.parse(vpr["district"].id, xlsx(vpr["rows"], title=TITLE), "r.xlsx")
    importer.apply(vpr["admin"], vpr["district"].id, parsed, "r.xlsx")


def test_upload_preview_and_import(vpr, login_as):
    client = login_as(vpr["admin"])
    r = _upload(client, xlsx(vpr["rows"], title=TITLE), "results.xlsx")
    assert r.status_code == 302
    preview = r.headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert "Вид файла: индивидуальных результатов." in page
    assert "2024, Математика, 5 класс" in page
    assert _results() == 0
    r = client.post(preview, data={})
    assert r.status_code == 302 and r.headers["Location"].endswith("/objectivity/")
    assert _results() == len(vpr["rows"]) - 1
    page = client.get("/objectivity/").get_data(as_text=True)
    assert "Зона риска, 2024" in page and "Гимназия «Успех»" in page
    assert "Значимо высокий средний балл" in page
    assert "Средний балл ОО значимо выше среднего по муниципалитету" in page


def test_form_picks_year_subject_grade(vpr, login_as):
    client = login_as(vpr["admin"])
    r = _upload(client, xlsx(vpr["rows"]), "results.xlsx")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "выберите их в форме загрузки" in page
    r = _upload(
        client, xlsx(vpr["rows"]), "results.xlsx", year="2024", subject="Математика", grade="5"
    )
    assert client.post(r.headers["Location"], data={}).status_code == 302
    assert _results() == len(vpr["rows"]) - 1


def test_bad_rows_listed_and_clean_rows_on_request(vpr, login_as):
    client = login_as(vpr["admin"])
    rows = [
        RESULT_HEADER,
        pupil("s1", 901, 30, 5, 5),
        pupil("zzz", 902, 10, 3, 3),
        *vpr["rows"][1:11],
    ]
    r = _upload(client, xlsx(rows, title=TITLE), "bad.xlsx")
    preview = r.headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert "Первичный балл 30 больше максимума 20 по шкале." in page
    assert "Неизвестный логин ОО «zzz»: такой школы в районе нет." in page
    assert "Импортировать только верные строки (10)" in page
    client.post(preview, data={})
    assert _results() == 0
    r = client.post(preview, data={"clean_only": "1"})
    assert r.status_code == 302 and _results() == 10


def test_unknown_shape_page(vpr, login_as):
    client = login_as(vpr["admin"])
    r = _upload(client, "Фамилия;Имя\nИванов;Иван\n".encode("cp1251"), "x.csv")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Формат файла не распознан" in page and "Импортировать" not in page


def test_school_page_with_charts(vpr, login_as):
    _seed(vpr)
    top = vpr["schools"]["top"]
    client = login_as(vpr["reviewer"])
    page = client.get(f"/objectivity/schools/{top.id}").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert "«3» ≥ 6" in page and "«4» ≥ 11" in page and "«5» ≥ 16" in page
    assert "Первичный балл" in page and "Отметка по журналу" in page and "Район" in page
    assert 'style="' not in page and "<script>" not in page
    assert "Значимо высокий средний балл" in page and "признак" in page


def test_school_user_sees_own_school_only(vpr, make, login_as):
    _seed(vpr)
    own, other = vpr["schools"]["top"], vpr["schools"]["s1"]
    staff = make.user(Role.SCHOOL_STAFF, school=own)
    client = login_as(staff)
    assert (
        client.get("/objectivity/").headers["Location"].endswith(f"/objectivity/schools/{own.id}")
    )
    assert client.get(f"/objectivity/schools/{own.id}").status_code == 200
    assert client.get(f"/objectivity/schools/{other.id}").status_code == 404
    assert client.get("/objectivity/import").status_code == 403


def test_other_district_answers_404(vpr, make, login_as):
    _seed(vpr)
    foreign = make.user(Role.DISTRICT_ADMIN, district=make.district())
    client = login_as(foreign)
    assert client.get(f"/objectivity/schools/{vpr['schools']['top'].id}").status_code == 404
    scale = db.session.scalar(select(MarkScale))
    assert client.get(f"/objectivity/scales/{scale.id}").status_code == 404
    rule = db.session.scalar(select(ObjectivityRule))
    assert client.get(f"/objectivity/rules/{rule.id}").status_code == 404
    assert "Гимназия" not in client.get("/objectivity/").get_data(as_text=True)


def test_reviewer_reads_but_does_not_import_or_edit(vpr, login_as):
    client = login_as(vpr["reviewer"])
    assert client.get("/objectivity/import").status_code == 403
    assert client.get("/objectivity/scales").status_code == 403
    assert client.get("/objectivity/rules").status_code == 200


def test_scales_and_rules_are_edited_by_the_admin(vpr, login_as):
    client = login_as(vpr["admin"])
    fields = {
        "year": "2024",
        "subject": "Русский язык",
        "grade": "5",
        "min3": "14",
        "min4": "24",
        "min5": "33",
        "max_score": "45",
    }
    assert client.post("/objectivity/scales", data=fields).status_code == 302
    page = client.post("/objectivity/scales", data=fields | {"min4": "10"}).get_data(as_text=True)
    assert "Границы должны возрастать" in page
    scale = db.session.scalar(select(MarkScale).where(MarkScale.subject == "Русский язык"))
    r = client.post(f"/objectivity/scales/{scale.id}", data=fields | {"max_score": "46"})
    assert r.status_code == 302
    db.session.refresh(scale)
    assert scale.max_score == 46
    page = client.get("/objectivity/rules").get_data(as_text=True)
    assert "Правила района (не федеральная методика)" in page and "Доля отметок «5»" in page
    rule = db.session.scalar(select(ObjectivityRule).where(ObjectivityRule.code == "share5"))
    r = client.post(
        f"/objectivity/rules/{rule.id}",
        data={
            "title": rule.title,
            "kind": rule.kind,
            "threshold": "0.7",
            "min_participants": "10",
            "subject": "",
            "grade": "",
            "source": "Приказ № 1",
            "active": "y",
        },
    )
    assert r.status_code == 302
    db.session.refresh(rule)
    assert (rule.threshold, rule.version, rule.source) == (0.7, 2, "Приказ № 1")
    r = client.post("/objectivity/settings", data={"min_participants": "12"})
    assert r.status_code == 302


def test_risk_badge_on_the_school_list_costs_one_query(vpr, login_as):
    client = login_as(vpr["reviewer"])
    from flask import current_app

    before = count_queries(current_app, lambda: client.get("/schools/"))
    _seed(vpr)
    page = client.get("/schools/").get_data(as_text=True)
    assert page.count("risk-badge") == 1
    assert count_queries(current_app, lambda: client.get("/schools/")) == before
    top = vpr["schools"]["top"]
    assert "risk-badge" in client.get(f"/schools/{top.id}").get_data(as_text=True)


def test_charts_are_small_and_carry_boundaries_and_labels(app_ctx):
    scale = MarkScale(
        year=2024, subject="Математика", grade=5, min3=6, min4=11, min5=16, max_score=20
    )
    svg = str(charts.score_distribution({5: 3, 6: 10, 16: 12, 20: 1}, scale))
    assert len(svg) < 8000
    assert len(re.findall(r'class="boundary"', svg)) == 3
    assert "«5» ≥ 16" in svg and 'class="bar m5"' in svg and 'class="bar m2"' in svg
    matrix = str(charts.marks_matrix({(5, 3): 4, (4, 4): 10}))
    assert matrix.count("<rect") == 16 and ">10<" in matrix
    compare = str(
        charts.school_vs_district(
            {2: 0.0, 3: 0.1, 4: 0.3, 5: 0.6}, {2: 0.1, 3: 0.3, 4: 0.4, 5: 0.2}
        )
    )
    assert "60 %" in compare and "20 %" in compare
    # Text from data is escaped, never markup.
    assert "<b>" not in str(charts.score_distribution({}, None, 10))


def test_a_new_district_has_the_default_rules_and_the_rules_page_only_reads(app, make, login_as):
    district = make.district()
    codes = db.session.scalars(
        select(ObjectivityRule.code)
        .where(ObjectivityRule.district_id == district.id)
        .order_by(ObjectivityRule.code)
    ).all()
    assert codes == ["big_gap", "lowered", "raised", "share2", "share5"]
    client = login_as(make.user(Role.DISTRICT_REVIEWER, district=district))
    writes = []

    def count_writes(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", count_writes)
    try:
        page = client.get("/objectivity/rules").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_writes)
    assert "Доля отметок «5»" in page and writes == []


def test_the_marks_chart_says_what_its_cells_above_the_diagonal_are(vpr, login_as):
    _seed(vpr)
    client = login_as(vpr["reviewer"])
    page = client.get(f"/objectivity/schools/{vpr['schools']['top'].id}").get_data(as_text=True)
    assert (
        "Выше диагонали — ученики, чья отметка за ВПР выше отметки по журналу; "
        "ниже — те, чья отметка за ВПР ниже."
    ) in page
    assert "понизила отметку" not in page
    # And the drawing agrees: ВПР «5» over a journal «3» sits above the diagonal cell of
    # its column (journal «3», ВПР «3»), ВПР «2» over a journal «3» below it.
    svg = str(charts.marks_matrix({(5, 3): 4, (3, 3): 1, (2, 3): 2}))

    def top_of(vpr_mark: int, journal: int) -> int:
        found = re.search(
            rf'y="(\d+)" width="\d+" height="\d+"><title>ВПР «{vpr_mark}», журнал «{journal}»',
            svg,
        )
        return int(found.group(1))

    assert top_of(5, 3) < top_of(3, 3) < top_of(2, 3)


def test_a_rule_reason_reads_as_a_sentence_beside_the_rule_title(vpr, login_as):
    _seed(vpr)
    client = login_as(vpr["reviewer"])
    page = client.get(f"/objectivity/schools/{vpr['schools']['top'].id}").get_data(as_text=True)
    assert "<td>Доля повысивших отметку 0,55 при пороге 0,30</td>" in page
    assert "порога" not in page
    risk = " ".join(
        re.sub("<[^>]+>", "", client.get("/objectivity/").get_data(as_text=True)).split()
    )
    # The rule's name, then the sentence; the name is not said twice.
    assert (
        "Доля повысивших отметку по журналу правило района: доля повысивших отметку 0,55 "
        "при пороге 0,30"
    ) in risk
    assert "по журналу: Доля повысивших" not in risk
