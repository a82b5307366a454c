"""Import of ФИС ОКО exports: each shape, every kind of bad input, clean rows, re-import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from intranet.audit.models import AuditEntry
from intranet.errors import Refused
from intranet.extensions import db
from intranet.objectivity import importer
from intranet.objectivity.models import (
    SchoolMarker,
    VprComparison,
    VprImport,
    VprMarkStat,
    VprResult,
)
from tests.objectivity.conftest import TITLE
from tests.objectivity.files import RESULT_HEADER, csv_bytes, pupil, xlsx


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _import(vpr, data: bytes, name: str, defaults=None, clean_only=False):
    parsed = importer.parse(vpr["district"].id, data, name, defaults)
    assert not parsed.errors, parsed.errors
    return parsed, importer.apply(
        vpr["admin"], vpr["district"].id, parsed, name, clean_only=clean_only
    )


def test_results_xlsx_with_title_line(vpr):
    parsed, batch = _import(vpr, xlsx(vpr["rows"], title=TITLE), "results.xlsx")
    assert parsed.kind == "results"
    assert parsed.groups == [(2024, "Математика", 5)]
    assert batch.rows == len(vpr["rows"]) - 1 == _count(VprResult)
    absent = db.session.scalar(select(VprResult).where(VprResult.absent.is_(True)))
    assert absent.primary_score is None and absent.mark is None
    first = db.session.scalar(select(VprResult).where(VprResult.participant == "00001"))
    assert first.tasks.startswith("1 1 0 X") and first.class_name == "5А" and first.variant == "2"
    # The import is audited once, whatever the number of rows.
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "vpr_import")).all()
    assert len(entries) == 1 and entries[0].after["rows"] == batch.rows
    assert _count(SchoolMarker) > 0


def test_results_csv_cp1251_semicolons_with_form_defaults(vpr):
    data = csv_bytes(vpr["rows"])
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = importer.parse(vpr["district"].id, data, "results.csv")
    assert parsed.errors == [
        "В файле не указаны год, предмет или класс (ни в столбце, ни в строке заголовка); "
        "выберите их в форме загрузки."
    ]
    defaults = {"year": 2024, "subject": "Математика", "grade": 5}
    parsed, batch = _import(vpr, data, "results.csv", defaults)
    assert parsed.groups == [(2024, "Математика", 5)] and batch.rows == _count(VprResult)


def test_results_with_year_subject_grade_columns(vpr):
    header = ["Год", "Предмет", "Параллель", *RESULT_HEADER]
    rows = [["2023", "математика", "5 класс", *r] for r in vpr["rows"][1:11]]
    rows += [["2024", "Русский язык", "5", *r] for r in vpr["rows"][1:11]]
    parsed, _ = _import(vpr, xlsx([header, *rows]), "two.xlsx")
    assert parsed.groups == [(2023, "Математика", 5), (2024, "Русский язык", 5)]


def test_statistics_of_marks(vpr):
    rows = [
        ["Логин ОО", "Кол-во участников", "2", "3", "4", "5"],
        ["Вся выборка", "", "", "", "", ""],
        ["s1", "25", "8", "40", "40", "12"],
        ["top", "20", "0", "0", "10", "90"],
    ]
    parsed, batch = _import(vpr, xlsx(rows, title=TITLE), "stats.xlsx")
    assert parsed.kind == "stats" and batch.rows == 2
    top = db.session.scalar(
        select(VprMarkStat).where(VprMarkStat.school_id == vpr["schools"]["top"].id)
    )
    assert (top.participants, top.share5) == (20, 90.0)
    # The local "share of «5»" rule reads the statistics when there are no pupils' rows.
    marker = db.session.scalar(
        select(SchoolMarker).where(
            SchoolMarker.school_id == vpr["schools"]["top"].id, SchoolMarker.code == "share5"
        )
    )
    assert marker.flagged is True and marker.reason == "доля отметок «5» 0,90 при пороге 0,50"


def test_comparison_with_journal(vpr):
    rows = [
        [
            "Логин ОО",
            "Кол-во участников",
            "Понизили (Отм. < Отм. по журналу) %",
            "Подтвердили (Отм. = Отм. по журналу) %",
            "Повысили (Отм. > Отм. по журналу) %",
        ],
        ["s2", "30", "60,5", "35,5", "4"],
        ["s3", "30", "10", "80", "10"],
    ]
    parsed, batch = _import(vpr, csv_bytes(rows, title=TITLE), "compare.csv")
    assert parsed.kind == "comparison" and batch.rows == 2
    s2 = db.session.scalar(
        select(VprComparison).where(VprComparison.school_id == vpr["schools"]["s2"].id)
    )
    assert s2.lowered == 60.5
    marker = db.session.scalar(
        select(SchoolMarker).where(
            SchoolMarker.school_id == vpr["schools"]["s2"].id, SchoolMarker.code == "lowered"
        )
    )
    assert marker.flagged is True


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["Фамилия", "Имя"], ["Иванов", "Иван"]],
            "Формат файла не распознан",
        ),
        (
            [["Логин ОО", "Код участника", "Отметка"], ["s1", "1", "4"]],
            "Для индивидуальных результатов не хватает столбцов: Первичный балл.",
        ),
    ],
    ids=["unknown-shape", "missing-column"],
)
def test_file_level_errors_write_nothing(vpr, rows, message):
    parsed = importer.parse(vpr["district"].id, xlsx(rows, title=TITLE), "bad.xlsx")
    assert parsed.errors and message in parsed.errors[0]
    with pytest.raises(Refused):
        importer.apply(vpr["admin"], vpr["district"].id, parsed, "bad.xlsx", clean_only=True)
    assert _count(VprResult) == _count(VprImport) == 0


def test_not_a_table(vpr):
    parsed = importer.parse(vpr["district"].id, b"%PDF-1.4", "results.xlsx")
    assert parsed.errors == [
        "Файл повреждён или не является электронной таблицей (.xlsx, .xls или .ods)."
    ]


BAD_ROWS = [
    (pupil("s1", 901, 25, 5, 5), "Первичный балл 25 больше максимума 20 по шкале."),
    (pupil("s1", 902, 10, 6, 4), "Отметка «6» вне шкалы 2–5."),
    (pupil("s1", 903, 10, 3, 1), "Отметка по журналу «1» вне шкалы 2–5."),
    (pupil("nope", 904, 10, 3, 3), "Неизвестный логин ОО «nope»: такой школы в районе нет."),
    (
        pupil("s1", 905, 10, 3, 3)[:8] + ["десять", "3", "3", ""],
        "Первичный балл «десять» не целое число баллов.",
    ),
]


def test_every_bad_row_is_reported_and_nothing_written(vpr):
    rows = [RESULT_HEADER, *[r for r, _ in BAD_ROWS], *vpr["rows"][1:21]]
    parsed = importer.parse(vpr["district"].id, xlsx(rows, title=TITLE), "bad.xlsx")
    assert not parsed.errors
    assert [(p.line, p.errors) for p in parsed.problems] == [
        (3 + i, [message]) for i, (_, message) in enumerate(BAD_ROWS)
    ]
    assert len(parsed.rows) == 20 and not parsed.valid and parsed.clean_only_possible
    with pytest.raises(Refused, match="В файле есть ошибки; ничего не загружено."):
        importer.apply(vpr["admin"], vpr["district"].id, parsed, "bad.xlsx")
    assert _count(VprResult) == _count(VprImport) == 0
    # The user chooses to import the clean rows only.
    batch = importer.apply(vpr["admin"], vpr["district"].id, parsed, "bad.xlsx", clean_only=True)
    assert (batch.rows, batch.skipped) == (20, 5) and _count(VprResult) == 20


def test_statistics_bad_rows(vpr):
    rows = [
        ["Логин ОО", "Кол-во участников", "2", "3", "4", "5"],
        ["s1", "двадцать", "10", "40", "40", "10"],
        ["s2", "20", "10", "40", "40", "40"],
        ["s3", "20", "10", "140", "0", "0"],
        ["s1", "20", "10", "40", "40", "10"],
        ["s1", "20", "10", "40", "40", "10"],
    ]
    parsed = importer.parse(vpr["district"].id, xlsx(rows, title=TITLE), "stats.xlsx")
    assert [p.errors for p in parsed.problems] == [
        ["Число участников «двадцать» не число."],
        ["Сумма долей равна 130,0, а не 100."],
        ["3 «140» не доля от 0 до 100."],
        ["Школа повторяет строку 6."],
    ]


def test_reimport_replaces_the_batch(vpr):
    data = xlsx(vpr["rows"], title=TITLE)
    _import(vpr, data, "results.xlsx")
    before = (_count(VprResult), _count(SchoolMarker))
    _import(vpr, data, "results.xlsx")
    assert (_count(VprResult), _count(SchoolMarker)) == before
    # Another file with only one school's rows replaces that school's rows only.
    top_rows = [RESULT_HEADER, *[r for r in vpr["rows"][1:] if r[0] == "top"][:12]]
    _import(vpr, xlsx(top_rows, title=TITLE), "top.xlsx")
    top_id = vpr["schools"]["top"].id
    assert (
        db.session.scalar(
            select(func.count()).select_from(VprResult).where(VprResult.school_id == top_id)
        )
        == 12
    )
    assert _count(VprResult) == before[0] - 8


@pytest.mark.parametrize("ext", ["ods", "xls"])
def test_results_in_libreoffice_and_old_excel_files(vpr, ext):
    from tests import sheetfiles

    data = getattr(sheetfiles, ext)([[TITLE], *vpr["rows"]])
    parsed, batch = _import(vpr, data, f"results.{ext}")
    assert parsed.kind == "results" and parsed.groups == [(2024, "Математика", 5)]
    assert batch.rows == len(vpr["rows"]) - 1 == _count(VprResult)
    first = db.session.scalar(select(VprResult).where(VprResult.participant == "00001"))
    assert first.tasks.startswith("1 1 0 X") and first.class_name == "5А"


def test_a_file_over_the_row_limit_is_refused_by_its_declared_size(vpr):
    from tests import sheetfiles

    data = sheetfiles.xlsx_by_hand(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Логин ОО</t></is></c></row>',
        dimension="A1:T2000000",
    )
    parsed = importer.parse(vpr["district"].id, data, "huge.xlsx")
    assert parsed.errors == [f"В файле больше {importer.MAX_ROWS + importer.HEAD_LINES} строк."]
    assert not parsed.rows


def test_an_import_failing_part_way_leaves_the_results_as_they_were(vpr, monkeypatch):
    """Rows go in batches of short transactions; until the last one, nobody sees them,
    and a failure on the way (here: a school removed between preview and confirmation)
    takes every written batch away again."""
    from intranet.objectivity import services
    from intranet.objectivity.models import VprImport, visible

    _import(vpr, xlsx(vpr["rows"], title=TITLE), "first.xlsx")
    before = sorted(db.session.execute(select(VprResult.participant, VprResult.mark)).all())
    markers = _count(SchoolMarker)
    parsed = importer.parse(vpr["district"].id, xlsx(vpr["rows"], title=TITLE), "again.xlsx")
    assert parsed.valid
    last = list(parsed.rows[-1])
    last[0] = 10**6  # no such school any more
    parsed.rows[-1] = tuple(last)
    monkeypatch.setattr(importer, "BATCH_ROWS", 5)
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        importer.apply(vpr["admin"], vpr["district"].id, parsed, "second.xlsx")
    db.session.rollback()
    assert sorted(db.session.execute(select(VprResult.participant, VprResult.mark)).all()) == before
    assert _count(VprImport) == 1 and _count(SchoolMarker) == markers
    # While an import is still being written, its rows are in no result.
    db.session.execute(update(VprImport).values(complete=False))
    assert db.session.scalar(select(func.count()).where(visible(VprResult))) == 0
    # (The pages read the summaries made when an import completes; what they are made
    # from leaves unfinished imports out too.)
    assert services._stored_years(vpr["district"].id) == set()
    db.session.rollback()
