"""Plan import: the five seed orders in .docx (and .xlsx/.csv), odd table shapes, bad input."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from intranet.deadlines import parse_deadline
from intranet.roadmaps.plan_import import (
    MSG_BOMB,
    MSG_CORRUPT,
    MSG_NO_ITEMS,
    MSG_NO_PLAN,
    MSG_TOO_MANY_ROWS,
    ParsedPlan,
    PlanImportError,
    parse_plan,
    submit_by_from_text,
)
from tests.roadmaps import plan_fixtures as fx


def item(plan: ParsedPlan, number: str):
    found = [i for i in plan.items if i.number == number]
    assert len(found) == 1, f"item {number!r}: {[i.number for i in plan.items]}"
    return found[0]


@pytest.fixture
def russian(app):
    """The app's context: messages are translated through its catalogue when shown."""
    with app.app_context():
        yield


def assert_russian_error(excinfo, *fragments: str) -> None:
    message = str(excinfo.value)
    assert re.search("[А-Яа-яЁё]{4,}", message), message
    assert str(excinfo.value.message) == message
    for fragment in fragments:
        assert fragment in message


# ==================================================================== seed 000


@pytest.fixture(scope="module")
def plan_000() -> ParsedPlan:
    return parse_plan(fx.seed_000_docx(), "Приказ 216.docx")


def test_000_order_and_period(plan_000):
    assert plan_000.order_number == "216"
    assert plan_000.order_date == date(2023, 8, 31)
    assert plan_000.period == (date(2023, 9, 1), date(2024, 8, 31))
    assert plan_000.title == (
        "ПЛАН МЕРОПРИЯТИЙ («ДОРОЖНАЯ КАРТА») по повышению объективности оценочных процедур "
        "в общеобразовательных учреждениях Артемовского городского округа на 2023-2024 "
        "учебный год"
    )


def test_000_merged_sections_and_items(plan_000):
    assert plan_000.sections == fx.SEED_000_SECTIONS
    assert len(plan_000.items) == 20
    assert [i.number for i in plan_000.items[:3]] == ["1.1", "1.2", "1.3"]
    assert plan_000.items[-1].number == "2.6"
    first = item(plan_000, "1.1")
    assert first.section == fx.SEED_000_SECTIONS[0]
    assert first.text == (
        "Осуществление анализа объективности проведения оценочных процедур в Артемовском "
        "городском округе (выявление необъективных результатов)"
    )
    assert first.deadline_text == "сентябрь 2023"
    assert first.responsible == "Управление образования\nМБУО Центр образования"
    assert first.result == ""
    assert first.deadline.kind == "window"
    assert (first.deadline.start, first.deadline.end) == (date(2023, 9, 1), date(2023, 9, 30))
    assert item(plan_000, "1.10").responsible == "Руководители ОО"
    assert item(plan_000, "1.11").deadline_text == "апрель - май 2024"
    assert item(plan_000, "1.14").section == fx.SEED_000_SECTIONS[0]
    last = item(plan_000, "2.6")
    assert last.section == fx.SEED_000_SECTIONS[1]
    assert last.deadline_text == "1 квартал 2024"
    assert last.text.startswith("Проведение: городской акции для родителей «Пишем вместе ВПР.")
    assert last.responsible == "МБУО Центр образования\nРуководители ОО"


# ==================================================================== seed 001


def check_001(plan: ParsedPlan) -> None:
    assert plan.order_number == "44"
    assert plan.order_date == date(2021, 2, 16)
    assert plan.period == (date(2021, 1, 1), date(2021, 12, 31))
    assert plan.title == (
        "План мероприятий, направленных на обеспечение объективности проведения оценочных "
        "процедур в общеобразовательных учреждениях Степновского муниципального округа на "
        "2021 год"
    )
    assert plan.sections == []
    # The "1 | 2 | 3 | 4" row and the empty rows are skipped.
    assert [i.number for i in plan.items] == [str(n) for n in range(1, 17)]
    assert all(i.section is None for i in plan.items)
    first = item(plan, "1")
    assert first.deadline_text == "В течение периода"
    assert first.responsible == "Управление образования"
    assert first.deadline.kind == "continuous"
    assert item(plan, "5").responsible == "Управление образования,\nМУ АХЦСО"
    # A list continued on a row without a number stays one item, one line per entry.
    assert item(plan, "11").text == (
        "Организация работы с родителями (законными представителями) по вопросам подготовки "
        "и участия обучающихся в оценочных процедурах:\n"
        "- индивидуальные консультации по тематическим вопросам;\n"
        "- проведение родительских собраний на базе ОО с участием представителей управления "
        "образования;\n"
        "· участие в районном родительском университете;\n"
        "· проведение районного родительского собрания"
    )
    assert item(plan, "11").deadline_text == "По запросу"
    # A hard line break that is only wrapping is joined with a space.
    assert item(plan, "16").text == (
        "Информационная работа по вопросам организации и проведения оценочных процедур - "
        "размещение информации в СМИ, и на официальных сайтах Управления образования и "
        "общеобразовательных учреждений."
    )
    assert item(plan, "15").deadline_text == "Сентябрь- декабрь"


def test_001_docx():
    check_001(parse_plan(fx.seed_001_docx(), "prikaz.docx"))


def test_001_csv_cp1251_semicolon():
    data = fx.seed_001_csv(encoding="cp1251", delimiter=";")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    check_001(parse_plan(data, "plan.csv"))


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", "\t")])
def test_001_csv_other_dialects(encoding, delimiter):
    check_001(parse_plan(fx.seed_001_csv(encoding, delimiter), "PLAN.CSV"))


# ==================================================================== seed 002


@pytest.fixture(scope="module")
def plan_002() -> ParsedPlan:
    return parse_plan(fx.seed_002_docx(), "244-1.docx")


def test_002_order_and_period(plan_002):
    assert plan_002.order_number == "244/1"
    assert plan_002.order_date == date(2022, 7, 1)
    assert plan_002.period == (date(2022, 9, 1), date(2023, 8, 31))
    assert plan_002.title == (
        "Дорожная карта по формированию объективной внутренней системы оценки качества "
        "образования в каждой общеобразовательной организации Промышленновского "
        "муниципального округа в 2022-2023 учебном году и на ближайшую перспективу"
    )


def test_002_items(plan_002):
    assert plan_002.sections == []
    assert [i.number for i in plan_002.items] == [str(n) for n in range(1, 13)]
    first = item(plan_002, "1")
    assert first.deadline_text == "Август 2022г."
    assert first.responsible == fx._SKOR
    assert item(plan_002, "3").deadline_text == "Октябрь 2022г."
    fifth = item(plan_002, "5")
    assert fifth.deadline_text == "В течение учебного года"
    assert fifth.responsible == f"{fx._SKOR}\n{fx._ZAV}"
    assert item(plan_002, "6").text == (
        "Мониторинг сайтов общеобразовательных организаций на предмет размещения и качества "
        "составления Положения о ВСОКО"
    )
    assert item(plan_002, "9").responsible == f"{fx._SKOR}\n{fx._ZAV_SPEC}"
    eleventh = item(plan_002, "11")
    assert eleventh.text == (
        "Сопоставление результатов ВПР-2023 с текущими отметками обучающихся по журналу с "
        "учетом объективности проведения процедуры"
    )
    assert eleventh.deadline_text == "Сентябрь 2023"
    assert eleventh.deadline.start == date(2023, 9, 1)


# ==================================================================== seed 003


def check_003(plan: ParsedPlan) -> None:
    assert plan.order_number == "8"
    assert plan.order_date == date(2023, 1, 10)
    assert plan.period == (date(2023, 1, 1), date(2023, 12, 31))
    assert plan.title is not None
    assert plan.title.startswith("ПЛАН МЕРОПРИЯТИЙ, направленных на обеспечение объективности")
    assert plan.title.endswith("реализующих основные общеобразовательные программы на 2023 год")
    assert plan.sections == []
    assert [i.number for i in plan.items] == [str(n) for n in range(1, 19)]
    first = item(plan, "1")
    assert first.deadline_text == "январь 2023 года"
    assert first.result == "Аналитический отчет по результатам проведения ВПР"
    assert first.responsible == "ЦУОКО ИМЦ"
    third = item(plan, "3")
    assert (third.result, third.responsible) == ("ИОМ", "УМО ИМЦ")
    # Rows split across pages are joined back to their item.
    assert item(plan, "4").text.endswith(
        "согласно перечню образовательных организаций, демонстрирующих признаки "
        "необъективного проведения оценочных процедур, на 2023 год"
    )
    assert item(plan, "9").text == (
        "Проведение методических мероприятий для педагогических работников по разбору "
        "типичных ошибок и критериям оценивания ВПР, а также по организации проверки заданий "
        "с развернутым ответом РМ с целью формирования позитивного отношения к объективности "
        "результатов оценочных процедур"
    )
    assert item(plan, "9").responsible == "УМО ИМЦ"
    assert item(plan, "15").text.endswith(
        "(РМ, ВПР, НИКО, МСИ, оценка по модели PISA, ОПиМК), структуре и содержанию КИМ, "
        "системе оценивания"
    )
    assert item(plan, "8").deadline_text == "январь 2023 года – декабрь 2023 года"
    assert item(plan, "18").deadline.kind == "continuous"


def test_003_docx_split_table_repeated_header():
    check_003(parse_plan(fx.seed_003_docx(), "prikaz_8.docx"))


def test_003_xlsx():
    check_003(parse_plan(fx.seed_003_xlsx(), "plan.xlsx"))


# ==================================================================== seed 004


def check_004(plan: ParsedPlan) -> None:
    assert plan.order_number == "765"
    assert plan.order_date == date(2019, 8, 28)
    assert plan.period == (date(2019, 9, 1), date(2020, 8, 31))
    assert plan.title == (
        "Плана мероприятий «дорожная карта» по подготовке, проведению и обеспечению "
        "объективности проведения Всероссийских проверочных работ в 2019-2020 учебном году в "
        "общеобразовательных организациях Балтийского городского округа"
    )
    assert plan.sections == fx.SEED_004_SECTIONS
    numbers = ["1.1", "1.2", "1.3", "1.4"]
    numbers += ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.9", "2.10"]
    numbers += ["3.1", "3.2", "3.3", "3.4", "3.5"]
    assert [i.number for i in plan.items] == numbers
    assert [i.section for i in plan.items].count(fx.SEED_004_SECTIONS[1]) == 9
    first = item(plan, "1.1")
    assert first.section == fx.SEED_004_SECTIONS[0]
    assert first.text.startswith(
        "Инструктивно — методическое обеспечение проведения оценочной процедуры в форме ВПР: "
        "Концептуальное описание оценочной процедуры:\n- цели, задачи ВПР, группы участников;\n"
    )
    assert first.deadline_text == "Сентябрь 2019г. - август 2020"
    assert first.responsible == (
        "Методический кабинет Управления образования,\nобщеобразовательные организации БГО"
    )
    assert first.result.startswith("Готовность участников образовательных отношений")
    # Soft hyphen and ** are stray markup, removed.
    assert item(plan, "1.2").text == "Организационно - технологическое обеспечение процедуры ВПР"
    assert item(plan, "3.1").deadline_text == "Постоянно"
    assert item(plan, "2.1").result == ""
    assert item(plan, "2.3").result.endswith(
        "- система регулярных независимых процедурах объективность которых обеспечивается "
        "руководством ОУ; приняты ОУ прозрачные критерии внутришкольного и итогового оценивания"
    )
    assert item(plan, "2.3").text.endswith("(по акту мониторинга)")
    split = item(plan, "2.9")
    assert split.text.startswith("Контроль наличия аналитических материалов и планируемых мер")
    assert split.text.endswith("протоколы МО образовательных организаций и др.)")
    assert split.deadline_text == "В соответствии с планом работы УО"
    assert split.responsible == (
        "Методический кабинет Управления образования,\nобщеобразовательные организации БГО"
    )
    assert split.result == (
        "Актуализация проблем, выявленных ходе анализа, основных управленческих решений"
    )
    third = item(plan, "3.3")
    assert third.section == fx.SEED_004_SECTIONS[2]
    assert (third.text, third.deadline_text, third.responsible, third.result) == (
        "Подготовка информации в СМИ о проведении ВПР",
        "В течение года",
        "Управление образования",
        "Информирование общественности о процедурах оценки качества образования",
    )


def test_004_docx():
    check_004(parse_plan(fx.seed_004_docx(), "765.docx"))


def test_004_xlsx_merged_section_cells():
    check_004(parse_plan(fx.seed_004_xlsx(), "765.xlsx"))


# ================================================================== the dict form


def test_as_dict_shape_and_json(plan_000):
    data = plan_000.as_dict()
    assert list(data) == [
        "title",
        "order_number",
        "order_date",
        "period",
        "submit_by",
        "sections",
        "items",
    ]
    assert data["order_number"] == "216"
    assert data["submit_by"] == "2023-09-15"
    assert data["order_date"] == "2023-08-31"
    assert data["period"] == ["2023-09-01", "2024-08-31"]
    assert data["sections"] == fx.SEED_000_SECTIONS
    first = data["items"][0]
    assert list(first) == [
        "section",
        "number",
        "text",
        "deadline_text",
        "deadline",
        "responsible",
        "result",
    ]
    assert first["number"] == "1.1"
    assert first["deadline"] == parse_deadline("сентябрь 2023", plan_000.period).as_dict()
    assert set(first["deadline"]) == {"kind", "start", "end", "windows", "needs_review", "text"}
    assert all(not i["number"].endswith(".") for i in data["items"])
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_as_dict_nulls():
    data = fx.build_docx([("1", "Мероприятие", "постоянно", "Школа")])
    plan = parse_plan(data, "p.docx").as_dict()
    assert plan["order_number"] is None
    assert plan["order_date"] is None
    assert plan["period"] is None
    assert plan["title"] is None
    assert plan["items"][0]["section"] is None


# ==================================================================== table shapes


def test_explicit_period_wins(plan_000):
    plan = parse_plan(fx.seed_000_docx(), "a.docx", period=(date(2024, 8, 31), date(2023, 9, 1)))
    assert plan.period == (date(2023, 9, 1), date(2024, 8, 31))
    plan = parse_plan(fx.seed_000_docx(), "a.docx", period=(date(2024, 1, 1), date(2024, 12, 31)))
    assert plan.period == (date(2024, 1, 1), date(2024, 12, 31))
    assert item(plan, "1.11").deadline.start == date(2024, 4, 1)


def test_period_from_order_date_when_text_has_none():
    before = ["ПРИКАЗ", "15.10.2023", "№ 12", "", "План мероприятий по объективности"]
    plan = parse_plan(fx.build_docx([("1", "Семинар", "ноябрь", "ИМЦ")], before=before), "p.docx")
    assert plan.order_date == date(2023, 10, 15)
    assert plan.period == (date(2023, 9, 1), date(2024, 8, 31))
    assert plan.items[0].deadline.start == date(2023, 11, 1)


def test_no_period_no_date_uses_current_year_for_deadlines():
    plan = parse_plan(fx.build_docx([("1", "Семинар", "ноябрь", "ИМЦ")]), "p.docx")
    assert plan.period is None
    assert plan.items[0].deadline.start == date(date.today().year, 11, 1)


@pytest.mark.parametrize(
    ("line", "period"),
    [
        ("План на 2023 - 2024 учебный год", (date(2023, 9, 1), date(2024, 8, 31))),
        ("План мероприятий на 2022/2023 уч. год", (date(2022, 9, 1), date(2023, 8, 31))),
        ("План мероприятий на 2021 год", (date(2021, 1, 1), date(2021, 12, 31))),
        ("Дорожная карта на 2023–2025 годы", (date(2023, 1, 1), date(2025, 12, 31))),
    ],
)
def test_period_phrases(line, period):
    plan = parse_plan(fx.build_docx([("1", "Семинар", "постоянно", "ИМЦ")], before=[line]), "p")
    assert plan.period == period
    assert plan.title == line


@pytest.mark.parametrize(
    ("stamp", "number", "when"),
    [
        ("Приложение к приказу от 31.08.2023 № 216", "216", date(2023, 8, 31)),
        ("Приложение к приказу № 17-о от 02.09.2024", "17-о", date(2024, 9, 2)),
        ("УТВЕРЖДЕН приказом от «05» сентября 2022 г. № 301.", "301", date(2022, 9, 5)),
    ],
)
def test_order_stamps(stamp, number, when):
    data = fx.build_docx([("1", "Семинар", "постоянно", "ИМЦ")], before=[stamp, "", "План"])
    plan = parse_plan(data, "p.docx")
    assert (plan.order_number, plan.order_date) == (number, when)


def test_title_falls_back_to_approval_line():
    before = [
        "ПРИКАЗ",
        "01.02.2024 № 5",
        "Об утверждении плана мероприятий по объективности ВПР на 2024 год",
        "ПРИКАЗЫВАЮ:",
        "1. Утвердить следующий план:",
    ]
    plan = parse_plan(fx.build_docx([("1", "Семинар", "март", "ИМЦ")], before=before), "p.docx")
    assert plan.title == "Об утверждении плана мероприятий по объективности ВПР на 2024 год"
    assert plan.period == (date(2024, 1, 1), date(2024, 12, 31))
    assert (plan.order_number, plan.order_date) == ("5", date(2024, 2, 1))


def test_columns_found_by_words_in_any_order():
    header = ("Исполнители", "Ожидаемый результат", "Сроки реализации", "Мероприятие", "№ п/п")
    rows = [("УО", "Отчёт", "май 2024", "Анализ ВПР", "1.")]
    plan = parse_plan(fx.build_docx(rows, header), "p.docx")
    got = plan.items[0]
    assert (got.number, got.text, got.deadline_text, got.responsible, got.result) == (
        "1",
        "Анализ ВПР",
        "май 2024",
        "УО",
        "Отчёт",
    )


def test_numbered_section_rows_and_roman_sections():
    rows = [
        ("1.", "Организационные меры", "", ""),
        ("1.1.", "Совещание", "сентябрь", "УО"),
        ("1.2.", "Семинар", "октябрь", "ИМЦ"),
        ("II", "Работа с родителями", "", ""),
        ("2.1", "Собрание", "ноябрь", "ОО"),
    ]
    plan = parse_plan(fx.build_docx(rows), "p.docx")
    assert plan.sections == ["1. Организационные меры", "II. Работа с родителями"]
    assert [(i.number, i.section) for i in plan.items] == [
        ("1.1", "1. Организационные меры"),
        ("1.2", "1. Организационные меры"),
        ("2.1", "II. Работа с родителями"),
    ]


def test_title_only_in_text_column_starts_a_section():
    rows = [
        ("", "Раздел 1. Подготовка", "", ""),
        ("1", "Совещание", "сентябрь", "УО"),
        fx.Section("Раздел 2. Проведение", style="first"),
        ("2", "ВПР", "апрель", "ОО"),
    ]
    plan = parse_plan(fx.build_docx(rows), "p.docx")
    assert plan.sections == ["Раздел 1. Подготовка", "Раздел 2. Проведение"]
    assert [i.section for i in plan.items] == plan.sections


def test_vertical_and_horizontal_merges():
    data = fx.build_docx(
        [
            ("1", "Совещание", "в течение года", "УО"),
            ("2", "Семинар", "", "ИМЦ"),
            ("3", "Собрание", "", "ОО"),
        ],
        ("№", "Мероприятие", "Срок", "Ответственные"),
    )
    doc = Document(io.BytesIO(data))
    table = doc.tables[0]
    table.cell(1, 2).merge(table.cell(3, 2))  # one "Срок" cell for all three items
    out = io.BytesIO()
    doc.save(out)
    plan = parse_plan(out.getvalue(), "p.docx")
    assert [i.deadline_text for i in plan.items] == ["в течение года"] * 3
    assert [i.text for i in plan.items] == ["Совещание", "Семинар", "Собрание"]


def test_no_number_column_is_numbered_in_order():
    header = ("Мероприятие", "Сроки", "Ответственные")
    rows = [("Совещание", "май", "УО"), ("Семинар", "июнь", "ИМЦ")]
    plan = parse_plan(fx.build_docx(rows, header), "p.docx")
    assert [(i.number, i.text) for i in plan.items] == [("1", "Совещание"), ("2", "Семинар")]


def test_stray_markup_in_csv_cells():
    rows = [
        (
            "1.1.",
            '<p align="center"><b>Анализ</b> результатов</p><p>ВПР **2024**</p>',
            "[bookmark: _GoBack]апрель\u00a0 2024",
            "Управление\u200b образования",
        )
    ]
    plan = parse_plan(fx.build_csv(rows), "p.csv")
    got = plan.items[0]
    assert (got.number, got.text, got.deadline_text, got.responsible) == (
        "1.1",
        "Анализ результатов ВПР 2024",
        "апрель 2024",
        "Управление образования",
    )


def test_content_decides_over_extension():
    plan = parse_plan(fx.seed_002_docx(), "план.XLSX")
    assert plan.order_number == "244/1"
    plan = parse_plan(fx.seed_003_xlsx(), "plan.csv")
    assert len(plan.items) == 18


def test_later_unrelated_table_is_not_part_of_the_plan():
    data = fx.build_docx(
        [("1", "Совещание", "май", "УО")],
        after=["Лист ознакомления", ""],
    )
    doc = Document(io.BytesIO(data))
    extra = doc.add_table(rows=1, cols=2)
    extra.cell(0, 0).text = "Иванов И.И."
    extra.cell(0, 1).text = "подпись"
    out = io.BytesIO()
    doc.save(out)
    plan = parse_plan(out.getvalue(), "p.docx")
    assert [i.text for i in plan.items] == ["Совещание"]


def test_references_in_the_order_body_are_not_the_order_number():
    # 002 without its appendix stamp: the body cites "приказом ... от 15.06.2022 № 216/1".
    stamp_at = fx.SEED_002_BEFORE.index("\tПриложение № 1")
    before = fx.SEED_002_BEFORE[:stamp_at] + fx.SEED_002_BEFORE[stamp_at + 6 :]
    plan = parse_plan(fx.build_docx(fx.SEED_002_ROWS, fx.SEED_002_HEADER, before=before), "p")
    assert (plan.order_number, plan.order_date) == ("244/1", date(2022, 7, 1))


def test_item_worded_like_a_header_is_kept():
    rows = [
        ("1", "Мероприятия ко Дню знаний", "в установленные сроки", "Ответственные педагоги"),
        ("2", "Семинар", "май", "ИМЦ"),
    ]
    plan = parse_plan(fx.build_docx(rows), "p.docx")
    assert [i.number for i in plan.items] == ["1", "2"]


def test_bold_items_continued_on_next_row_are_not_sections():
    data = fx.build_docx(
        [("1", "Совещание руководителей", "май", "УО"), ("", "по итогам ВПР", "", "")]
    )
    doc = Document(io.BytesIO(data))
    for row in doc.tables[0].rows[1:]:
        for run in row.cells[1].paragraphs[0].runs:
            run.bold = True
    out = io.BytesIO()
    doc.save(out)
    plan = parse_plan(out.getvalue(), "p.docx")
    assert plan.sections == []
    assert [i.text for i in plan.items] == ["Совещание руководителей по итогам ВПР"]


def test_xlsx_plan_on_second_sheet():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(fx.seed_003_xlsx()))
    notes = wb.create_sheet("Пояснения", 0)
    notes.append(["Заполните план на листе «План»"])
    out = io.BytesIO()
    wb.save(out)
    check_003(parse_plan(out.getvalue(), "plan.xlsx"))


# ====================================================================== bad input


def docx_of_paragraphs(*texts: str) -> bytes:
    doc = Document()
    for text in texts:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_docx_without_table(russian):
    data = docx_of_paragraphs("ПРИКАЗ", "31.08.2023 № 216", "Об утверждении плана")
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(data, "prikaz.docx")
    assert str(excinfo.value) == MSG_NO_PLAN
    assert_russian_error(excinfo, "«№»", "«Мероприятие»", "«Срок»", "«Ответственные»")


def test_docx_with_unrelated_table():
    doc = Document()
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "ФИО"
    table.cell(0, 1).text = "Подпись"
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(out.getvalue(), "list.docx")
    assert str(excinfo.value) == MSG_NO_PLAN


def test_header_without_items(russian):
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(fx.build_docx([fx.BLANK, fx.NUMBERING]), "p.docx")
    assert str(excinfo.value) == MSG_NO_ITEMS
    assert_russian_error(excinfo)


def test_csv_that_is_not_a_plan():
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan("Фамилия;Имя\nИванов;Иван\n".encode("cp1251"), "people.csv")
    assert str(excinfo.value) == MSG_NO_PLAN


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "prikaz.pdf"),
        (b"%PDF-1.4\n", "prikaz.docx"),
        ("№;Мероприятие;Сроки;Ответственные\n".encode(), "plan.txt"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "scan.png"),
        (b"hello", "noext"),
    ],
)
def test_wrong_type(data, filename, russian):
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(data, filename)
    assert_russian_error(excinfo, ".docx", ".xlsx", ".csv")


def test_old_word_format(russian):
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "prikaz.doc")
    assert_russian_error(excinfo, ".docx")


@pytest.mark.parametrize("filename", ["prikaz.docx", "plan.xlsx"])
def test_corrupt_zip(filename, russian):
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(b"PK\x03\x04" + b"\x14\x00garbage" * 50, filename)
    assert str(excinfo.value) == MSG_CORRUPT
    assert_russian_error(excinfo, ".docx")


def test_truncated_docx():
    data = fx.seed_000_docx()
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(data[: len(data) // 2], "prikaz.docx")
    assert str(excinfo.value) == MSG_CORRUPT


def test_docx_with_broken_xml():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document><w:body><w:p>")
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(out.getvalue(), "prikaz.docx")
    assert str(excinfo.value) == MSG_CORRUPT


def test_xlsx_with_broken_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "not xml at all")
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(out.getvalue(), "plan.xlsx")
    assert str(excinfo.value) == MSG_CORRUPT


def test_zip_bomb_by_size(russian):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"\x00" * (60 * 1024 * 1024))
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(out.getvalue(), "bomb.docx")
    assert str(excinfo.value) == MSG_BOMB
    assert_russian_error(excinfo)


def test_zip_bomb_by_ratio():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b" " * (5 * 1024 * 1024))
    assert len(out.getvalue()) * 100 < 5 * 1024 * 1024
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(out.getvalue(), "bomb.xlsx")
    assert str(excinfo.value) == MSG_BOMB


def test_zip_with_too_many_entries():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for k in range(1100):
            zf.writestr(f"word/media/{k}.txt", "x")
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(out.getvalue(), "many.docx")
    assert str(excinfo.value) == MSG_BOMB


@pytest.mark.parametrize("data", [b"", b"   \r\n", None])
def test_empty_file(data, russian):
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(data, "plan.docx")
    assert_russian_error(excinfo, "пуст")


def test_csv_with_binary_content(russian):
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(b"\x00\x01\x02binary", "plan.csv")
    assert_russian_error(excinfo, ".csv")


# ==================================================================== performance


def test_200_item_docx_parses_fast():
    data = fx.build_docx(fx.make_rows(200), before=["План мероприятий на 2023-2024 учебный год"])
    parse_plan(data, "warmup.docx")
    started = time.perf_counter()
    plan = parse_plan(data, "big.docx")
    elapsed = time.perf_counter() - started
    assert len(plan.items) == 200
    assert len(plan.sections) == 10
    assert elapsed < 0.5, f"200 items took {elapsed:.3f}s"


def _as_rows(data: bytes) -> list[list]:
    from intranet import tabular

    sheet = tabular.open_workbook(data, "plan.xlsx", 5000).sheet(0)
    return [list(row) for row in sheet.rows]


def test_003_in_libreoffice_and_old_excel_files():
    from tests import sheetfiles

    rows = _as_rows(fx.seed_003_xlsx())
    check_003(parse_plan(sheetfiles.ods(rows), "plan.ods"))
    check_003(parse_plan(sheetfiles.xls(rows), "plan.xls"))


def test_004_xls_merged_section_cells():
    from tests import sheetfiles

    rows = _as_rows(fx.seed_004_xlsx())
    at = next(i for i, r in enumerate(rows) if str(r[0]).startswith("1. Обеспечение"))
    check_004(parse_plan(sheetfiles.xls(rows, merged=[(at, at, 0, 4)]), "765.xls"))


def test_plan_on_the_first_sheet_skips_the_data_sheets_behind_it():
    """A big data sheet after the plan is never read: not even its size is held against
    the plan, and a workbook whose only sheet is too long is refused by that size."""
    from openpyxl import load_workbook

    from tests import sheetfiles

    wb = load_workbook(io.BytesIO(fx.seed_003_xlsx()))
    data_sheet = wb.create_sheet("Данные")
    for n in range(6000):
        data_sheet.append([n, "строка данных"])
    out = io.BytesIO()
    wb.save(out)
    check_003(parse_plan(out.getvalue(), "plan.xlsx"))
    huge = sheetfiles.xlsx_by_hand('<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:F9000")
    with pytest.raises(PlanImportError) as excinfo:
        parse_plan(huge, "plan.xlsx")
    assert str(excinfo.value) == str(MSG_TOO_MANY_ROWS)


@pytest.mark.parametrize("name", ["000", "003", "004"])
def test_a_parsed_plan_reads_back_from_its_dict(name):
    """What the preview keeps of an upload gives the same plan, and with another period
    the same deadlines as reading the file again with it."""
    data = getattr(fx, f"seed_{name}_docx")()
    plan = parse_plan(data, "prikaz.docx")
    assert ParsedPlan.from_dict(json.loads(json.dumps(plan.as_dict()))) == plan
    period = (date(2030, 1, 1), date(2030, 12, 31))
    assert ParsedPlan.from_dict(plan.as_dict(), period) == parse_plan(data, "prikaz.docx", period)


# ============================================================ the schools' deadline

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        # «2. Руководителям ... до 15 сентября 2023 года: ... 2.2. Разработать планы»
        ("000", date(2023, 9, 15)),
        ("001", None),
        ("002", None),
        ("003", None),
        # «3. Руководителям ...: 3.2. Разработать план ... в срок до 01 марта 2020 года.»
        ("004", date(2020, 3, 1)),
    ],
)
def test_the_schools_deadline_is_read_from_the_order_text(seed, expected):
    found = sorted(SEEDS.glob(f"{seed}_*.txt"))
    if not found:
        pytest.skip("the seed texts are not on this machine")
    assert submit_by_from_text(found[0].read_text(encoding="utf-8")) == expected


def test_a_date_for_someone_else_is_not_the_schools_deadline():
    text = (
        "2. Руководителям общеобразовательных организаций:\n"
        "2.1. Проанализировать результаты ВПР.\n"
        "3. МБУО Центр образования:\n"
        "3.1. Рассмотреть План («дорожная карта») до 01 октября 2023 года.\n"
    )
    assert submit_by_from_text(text) is None


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (fx.seed_000_docx, date(2023, 9, 15)),
        (fx.seed_001_docx, None),
        (fx.seed_002_docx, None),
        (fx.seed_004_docx, date(2020, 3, 1)),
    ],
)
def test_parsed_orders_carry_the_schools_deadline(build, expected):
    plan = parse_plan(build(), "order.docx")
    assert plan.submit_by == expected
    assert plan.as_dict()["submit_by"] == (expected.isoformat() if expected else None)
