"""The risk list and a school's analytics read the district's summaries instead of every
pupil's row: for the same data they show what the rows themselves give."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from sqlalchemy import func, select, union

from intranet.extensions import db
from intranet.objectivity import importer, services
from intranet.objectivity.models import (
    MarkScale,
    SchoolMarker,
    VprComparison,
    VprMarkStat,
    VprResult,
)
from intranet.reports import data as reports
from tests.objectivity.files import RESULT_HEADER, district_year, xlsx
from tests.perf import count_queries


def years_from_rows(district_id: int) -> list[int]:
    """The years of the stored results, read from the rows themselves."""
    stmt = union(
        *(
            select(m.year).distinct().where(m.district_id == district_id)
            for m in (VprResult, VprMarkStat, VprComparison)
        )
    )
    return sorted({y for (y,) in db.session.execute(stmt)}, reverse=True)


def district_shares_from_rows(district_id: int, year: int) -> dict[tuple[str, int], dict]:
    """The district's shares of marks per subject and grade from the rows: its pupils'
    marks where it has them, else its schools' statistics."""
    counts: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for subject, grade, mark, n in db.session.execute(
        select(VprResult.subject, VprResult.grade, VprResult.mark, func.count(VprResult.id))
        .where(
            VprResult.district_id == district_id,
            VprResult.year == year,
            VprResult.mark.is_not(None),
        )
        .group_by(VprResult.subject, VprResult.grade, VprResult.mark)
    ):
        counts[(subject, grade)][mark] = float(n)
    stats: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for s in db.session.scalars(
        select(VprMarkStat).where(VprMarkStat.district_id == district_id, VprMarkStat.year == year)
    ):
        for mark in (2, 3, 4, 5):
            share = getattr(s, f"share{mark}")
            stats[(s.subject, s.grade)][mark] = (
                stats[(s.subject, s.grade)].get(mark, 0.0) + s.participants * share / 100
            )
    for key, value in stats.items():
        counts.setdefault(key, value)
    out = {}
    for key, c in counts.items():
        total = sum(c.values())
        if total:
            out[key] = {m: c.get(m, 0.0) / total for m in (2, 3, 4, 5)}
    return out


def _import(vpr, rows, title):
    district_id = vpr["district"].id
    parsed = importer.parse(district_id, xlsx(rows, title=title), "f.xlsx")
    assert not parsed.errors and not parsed.problems, (parsed.errors, parsed.problems[:3])
    importer.apply(vpr["admin"], district_id, parsed, "f.xlsx")


@pytest.fixture
def years_of_data(vpr):
    """Three years: pupils' rows of mathematics (2024, and 2023 a grade lower for the
    cohort marker), statistics only for Russian (2023), a comparison only (2022); and a
    re-import that replaces one school's rows of 2024."""
    district_id = vpr["district"].id
    for year, grade in ((2023, 4), (2025, 6)):
        db.session.add(
            MarkScale(
                district_id=district_id,
                year=year,
                subject="Математика",
                grade=grade,
                min3=6,
                min4=11,
                min5=16,
                max_score=20,
            )
        )
    db.session.commit()
    _import(vpr, vpr["rows"], "ВПР 2024. Математика, 5 класс")
    logins = ["s1", "s2", "s3", "s4", "s5", "top"]
    _import(
        vpr, [RESULT_HEADER, *district_year(logins, 18, seed=7)], "ВПР 2023. Математика, 4 класс"
    )
    _import(
        vpr,
        [
            ["Логин ОО", "Кол-во участников", "2", "3", "4", "5"],
            ["s1", "25", "8", "40", "40", "12"],
            ["s2", "31", "3,2", "41,9", "38,7", "16,2"],
            ["top", "20", "0", "0", "10", "90"],
        ],
        "ВПР 2023. Русский язык, 5 класс",
    )
    _import(
        vpr,
        [
            [
                "Логин ОО",
                "Кол-во участников",
                "Понизили (Отм. < Отм. по журналу) %",
                "Подтвердили (Отм. = Отм. по журналу) %",
                "Повысили (Отм. > Отм. по журналу) %",
            ],
            ["s3", "22", "10", "80", "10"],
        ],
        "ВПР 2022. Биология, 6 класс",
    )
    # s1 sends its 2024 file again, with other pupils: the summaries follow.
    _import(
        vpr, [RESULT_HEADER, *district_year(["s1"], 30, seed=3)], "ВПР 2024. Математика, 5 класс"
    )
    return vpr


def test_years_and_district_shares_are_what_the_rows_give(years_of_data, login_as):
    vpr = years_of_data
    district_id = vpr["district"].id
    assert services.data_years(district_id) == years_from_rows(district_id) == [2024, 2023, 2022]
    # The risk page reads the years and each year's groups in one statement.
    groups = services.summary_groups(district_id)
    assert list(groups) == [2024, 2023, 2022]
    assert groups == {y: reports.vpr_groups(district_id, y) for y in (2024, 2023, 2022)}
    # A school's years are looked for among the district's: the same as its rows give.
    for school in vpr["schools"].values():
        from_rows = union(
            *(select(m.year).where(m.school_id == school.id) for m in (VprResult, VprMarkStat))
        )
        expected = sorted({y for (y,) in db.session.execute(from_rows)}, reverse=True)
        assert services.school_years(school.id, district_id) == expected
        # The page reads its years and the district's figures in one statement: the same.
        for asked in (None, *expected, 1999):
            years, year, groups = services.school_page(school, asked)
            assert years == expected
            assert year == (asked if asked in expected else expected[0] if expected else None)
            assert groups == (services.school_analytics(school, year) if year else [])
    for year in (2022, 2023, 2024):
        expected = district_shares_from_rows(district_id, year)
        for school in vpr["schools"].values():
            for group in services.school_analytics(school, year):
                want = expected.get((group.subject, group.grade))
                if want is None:
                    assert group.district_shares is None
                else:
                    assert group.district_shares == pytest.approx(want, abs=1e-12)
    # The statistics-only group takes the district from the statistics.
    shares_2023 = district_shares_from_rows(district_id, 2023)
    assert shares_2023[("Русский язык", 5)][5] == pytest.approx(
        (25 * 12 + 31 * 16.2 + 20 * 90) / 100 / (25 + 31 + 20)
    )


def test_the_risk_list_is_what_the_markers_give_for_every_year(years_of_data, login_as):
    vpr = years_of_data
    district_id = vpr["district"].id
    code_of = {s.id: s.code for s in vpr["schools"].values()}
    client = login_as(vpr["reviewer"])
    seen_flagged = False
    for year in years_from_rows(district_id):
        html = client.get(f"/objectivity/?year={year}").get_data(as_text=True)
        assert re.findall(r'<option value="(\d+)"', html) == ["2024", "2023", "2022"]
        counts: dict[int, int] = defaultdict(int)
        for school_id in db.session.scalars(
            select(SchoolMarker.school_id).where(
                SchoolMarker.district_id == district_id,
                SchoolMarker.year == year,
                SchoolMarker.flagged.is_(True),
            )
        ):
            counts[school_id] += 1
        expected = sorted(counts, key=lambda sid: (-counts[sid], code_of[sid]))
        shown = [int(i) for i in re.findall(rf"/objectivity/schools/(\d+)\?year={year}", html)]
        assert shown == expected
        seen_flagged = seen_flagged or bool(expected)
    assert seen_flagged  # the data does flag someone


def test_the_risk_list_does_not_read_pupils_rows(years_of_data, login_as, app):
    """Its statements never touch ``vpr_results``: years of pupils cost it nothing."""
    from sqlalchemy import event

    from intranet.extensions import db as database

    client = login_as(years_of_data["reviewer"])
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = database.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert client.get("/objectivity/").status_code == 200
        school = years_of_data["schools"]["top"]
        assert client.get(f"/objectivity/schools/{school.id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    risk = [s for s in statements if "vpr_results" in s]
    # Only the school's own rows of the year shown (its charts), never the district's.
    assert all("vpr_results.school_id = " in s for s in risk), risk
    assert count_queries(app, lambda: client.get("/objectivity/")) <= 12
