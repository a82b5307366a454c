"""Stored markers, "not computable", years in a row, the risk list and rule changes."""

from __future__ import annotations

from sqlalchemy import select

from intranet.extensions import db
from intranet.objectivity import importer, services
from intranet.objectivity.models import MarkScale, ObjectivityRule, SchoolMarker
from tests.objectivity.conftest import TITLE
from tests.objectivity.files import RESULT_HEADER, xlsx


def _load(vpr, rows=None, title=TITLE):
    data = xlsx(rows or vpr["rows"], title=title)
    parsed = importer.parse(vpr["district"].id, data, "r.xlsx")
    assert not parsed.errors and not parsed.problems, (parsed.errors, parsed.problems[:3])
    return importer.apply(vpr["admin"], vpr["district"].id, parsed, "r.xlsx")


def _markers(school, year=2024) -> dict[str, SchoolMarker]:
    return {
        m.code: m
        for m in db.session.scalars(
            select(SchoolMarker).where(
                SchoolMarker.school_id == school.id, SchoolMarker.year == year
            )
        )
    }


def _only_federal(vpr):
    for rule in services.rules(vpr["district"].id):
        rule.active = False
    db.session.commit()


def test_federal_markers_of_a_school_with_pulled_up_scores(vpr):
    _only_federal(vpr)
    _load(vpr)
    top = _markers(vpr["schools"]["top"])
    assert top["high_mean"].flagged is True and top["high_mean"].federal
    assert top["high_mean"].reason.startswith(
        "Средний балл ОО значимо выше среднего по муниципалитету"
    )
    assert top["journal_mismatch"].flagged is True
    assert "коэффициент Спирмена" in top["journal_mismatch"].reason
    ordinary = _markers(vpr["schools"]["s1"])
    assert ordinary["high_mean"].flagged is False


def test_below_the_minimum_participants_is_not_computable_not_flagged(vpr):
    _load(vpr)
    tiny = _markers(vpr["schools"]["tiny"])
    assert {m.flagged for m in tiny.values()} == {None}
    assert tiny["high_mean"].reason == "Не рассчитывается: участников 5, требуется не менее 10"
    assert vpr["schools"]["tiny"].id not in services.schools_at_risk(vpr["district"].id, 2024)
    # The minimum is a district setting; lowered to 5, the school is computed.
    services.set_min_participants(vpr["admin"], vpr["district"].id, 5)
    assert _markers(vpr["schools"]["tiny"])["high_mean"].flagged is not None


def test_risk_list_with_readable_reasons(vpr):
    _only_federal(vpr)
    _load(vpr)
    district_id = vpr["district"].id
    top = vpr["schools"]["top"]
    assert services.schools_at_risk(district_id, 2024) == [top.id]
    [row] = services.risk_list(district_id, 2024)
    assert (row.school_id, row.code, row.name, row.count, row.years_in_row) == (
        top.id,
        "top",
        "Гимназия «Успех»",
        2,
        1,
    )
    titles = [services.marker_title(m) for m in row.markers]
    assert titles == ["Значимо высокий средний балл", "Отметки по журналу не согласуются с ВПР"]
    assert all(m.subject == "Математика" and m.grade == 5 for m in row.markers)


def test_years_in_a_row_from_stored_markers(vpr):
    _only_federal(vpr)
    for year in (2021, 2022, 2023):
        db.session.add(
            MarkScale(
                district_id=vpr["district"].id,
                year=year,
                subject="Математика",
                grade=5,
                min3=6,
                min4=11,
                min5=16,
                max_score=20,
            )
        )
    db.session.commit()
    # Flagged in 2021, not in 2022 (the top school's rows left out), then 2023 and 2024.
    plain = [RESULT_HEADER, *[r for r in vpr["rows"][1:] if r[0] != "top"]]
    _load(vpr, title="ВПР 2021. Математика, 5 класс")
    _load(vpr, plain, title="ВПР 2022. Математика, 5 класс")
    _load(vpr, title="ВПР 2023. Математика, 5 класс")
    _load(vpr, title=TITLE)
    district_id = vpr["district"].id
    assert services.risk_list(district_id, 2024)[0].years_in_row == 2
    assert services.risk_list(district_id, 2021)[0].years_in_row == 1
    assert services.risk_list(district_id, 2022) == []
    history = services.risk_history(district_id)
    assert history.years == [2024, 2023, 2021]
    assert history.rows[0][3] == {2021: 2, 2023: 2, 2024: 2}
    assert services.years_in_row({2020, 2022, 2023, 2024}, 2024) == 3


def test_local_rules_carry_source_version_and_recompute_on_change(vpr):
    _load(vpr)
    district_id = vpr["district"].id
    raised = db.session.scalar(select(ObjectivityRule).where(ObjectivityRule.code == "raised"))
    top = _markers(vpr["schools"]["top"])
    # 11 of 20 pupils of the top school have a «5» on ВПР over a «3»/«4» in the journal.
    assert top["raised"].flagged is True and top["raised"].federal is False
    assert top["raised"].source == services.LOCAL_SOURCE and top["raised"].rule_version == 1
    assert top["raised"].reason == "доля повысивших отметку 0,55 при пороге 0,30"
    assert top["big_gap"].flagged is True  # «5» over «3»: two marks apart
    data = {k: getattr(raised, k) for k in services.RULE_FIELDS} | {"threshold": 0.6}
    services.save_rule(vpr["admin"], district_id, raised, data)
    assert raised.version == 2
    top = _markers(vpr["schools"]["top"])
    assert top["raised"].flagged is False and top["raised"].rule_version == 2
    # A rule may be limited to a subject: then other subjects get no such marker.
    data = data | {"subject": "Русский язык"}
    services.save_rule(vpr["admin"], district_id, raised, data)
    assert "raised" not in _markers(vpr["schools"]["top"])


def test_share_of_two_below_threshold(vpr):
    _load(vpr)
    # The top school has no «2» at all: the local rule flags it, the wording says "below".
    share2 = _markers(vpr["schools"]["top"])["share2"]
    assert share2.flagged is True
    assert share2.reason == "доля отметок «2» 0,00 при пороге 0,01"


def test_cohort_ratio_across_two_years(vpr, make):
    """Grade 4 in 2023 and the same schools in grade 5 in 2024: a school whose results
    fell far more than the others' gets the federal cohort marker."""
    _only_federal(vpr)
    db.session.add(
        MarkScale(
            district_id=vpr["district"].id,
            year=2023,
            subject="Математика",
            grade=4,
            min3=6,
            min4=11,
            min5=16,
            max_score=20,
        )
    )
    db.session.commit()
    rows = [RESULT_HEADER]
    for r in vpr["rows"][1:]:
        r = list(r)
        if r[0] == "s3" and r[8]:  # s3 had everyone near the maximum the year before
            r[8], r[9] = "20", "5"
        rows.append(r)
    _load(vpr, rows, title="ВПР 2023. Математика, 4 класс")
    plain = [RESULT_HEADER, *[r for r in vpr["rows"][1:] if r[0] != "top"]]
    _load(vpr, plain, title=TITLE)
    s3 = _markers(vpr["schools"]["s3"])["cohort_ratio"]
    assert s3.flagged is True and s3.reason.startswith("Результаты когорты резко снизились")
    assert _markers(vpr["schools"]["s1"])["cohort_ratio"].flagged is False


def test_markers_of_another_district_are_untouched(vpr, make):
    _load(vpr)
    other = make.district()
    assert services.schools_at_risk(other.id, 2024) == []
    assert services.risk_list(other.id, 2024) == []
