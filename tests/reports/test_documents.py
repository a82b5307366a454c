"""The printed reports: read back with pypdf, rendered with pdftoppm, laid out right."""

from __future__ import annotations

from datetime import date

from intranet.extensions import db
from intranet.reports import data
from intranet.reports.documents import (
    DistrictReportDocument,
    FilledFormDocument,
    RoadmapDocument,
    VprReportDocument,
)
from intranet.roadmaps import services as roadmaps
from tests.fixtures.pdf import assert_fonts_embedded_subset, assert_not_blank, page_texts, pdf_text

LITERAL = '<b>"Ромашка" & Co</b>'


def test_plan_report_pdf(published, tmp_path):
    roadmaps.update_roadmap_item(published.staff, published.item("1.1"), {"status": "done"}, None)
    published.sibling.short_name = LITERAL
    db.session.commit()
    doc = DistrictReportDocument(data.plan_report(published.plan, date(2026, 1, 10)))
    pdf = doc.render()
    text = pdf_text(pdf)
    assert published.district.name in text
    assert "Сводный отчёт о выполнении дорожных карт" in text
    assert published.school.short_name in text
    # User text prints as typed, markup and all.
    assert LITERAL in text
    assert "Школы, требующие внимания" in text and "просрочено мероприятий: 1" in text
    assert "Итого: школ 2" in text
    assert_fonts_embedded_subset(pdf)
    pages = page_texts(pdf)
    assert all(f"Страница {n} из {len(pages)}" in p for n, p in enumerate(pages, start=1))
    assert_not_blank(pdf, tmp_path)
    assert doc.filename().startswith("Сводный_отчёт_план_") and doc.filename().endswith(".pdf")


def test_plan_report_of_many_schools_repeats_its_header(published, make, plans):
    for _ in range(70):
        make.school(published.district)
    plan = plans.plan(published.admin, [{"number": "1", "text": "Мера", "deadline_text": "май"}])
    plans.publish(published.admin, plan)
    pdf = DistrictReportDocument(data.plan_report(plan, date(2026, 1, 10))).render()
    pages = page_texts(pdf)
    # The table of 72 schools runs over pages: its header is on each, its totals last.
    with_header = [n for n, p in enumerate(pages) if "Акты контроля (выводы)" in p]
    last = next(n for n, p in enumerate(pages) if "Итого: школ 72" in p)
    assert last > 0 and with_header == list(range(last + 1))


def test_campaign_report_pdf(insp, tmp_path):
    late = insp.campaign.due_date.replace(year=insp.campaign.due_date.year + 1)
    pdf = DistrictReportDocument(data.campaign_report(insp.campaign, late)).render()
    text = pdf_text(pdf)
    assert "Сводный отчёт по формам самообследования" in text
    assert "форма не представлена к сроку" in text
    assert_fonts_embedded_subset(pdf)
    assert_not_blank(pdf, tmp_path)


def test_vpr_report_pdf(vpr, tmp_path):
    doc = VprReportDocument(data.vpr_report(vpr["district"], 2024, "Математика", 5))
    pdf = doc.render()
    text = pdf_text(pdf)
    assert "Аналитическая справка по результатам ВПР" in text
    assert "2024 год, Математика, 5 класс" in text
    assert "Гимназия «Успех»" in text and "Школы с признаками в сравнении с районом" in text
    assert "Средний балл ОО значимо выше" in text  # a marker's reason, as stored
    assert_fonts_embedded_subset(pdf)
    for page in range(1, len(page_texts(pdf)) + 1):
        assert_not_blank(pdf, tmp_path, page)
    # The charts are vector drawings: no picture of a screen anywhere in the file.
    assert b"/Subtype /Image" not in pdf
    assert doc.filename() == "Справка_ВПР_2024_Математика_5_кл.pdf"


def test_roadmap_pdf_wraps_long_cells_and_repeats_headers(published, tmp_path):
    long_text = ("Провести анализ результатов ВПР по каждому классу и предмету. " * 50)[:3000]
    roadmaps.update_roadmap_item(published.staff, published.item("1.1"), {"status": "done"}, None)
    # A district measure keeps the district's words: the long one is the school's own.
    roadmaps.add_own_item(published.staff, published.roadmap, {"text": long_text})
    for n in range(60):
        roadmaps.add_own_item(
            published.staff,
            published.roadmap,
            {"text": f"Собственное мероприятие {n + 1} {LITERAL}", "responsible": "Завуч"},
        )
    db.session.refresh(published.roadmap)
    doc = RoadmapDocument.single(published.roadmap)
    pdf = doc.render()
    pages = page_texts(pdf)
    assert len(pages) >= 3
    assert "УТВЕРЖДАЮ" in pages[0] and "Руководитель СОШ" in pages[0]
    for page in pages:
        assert "Мероприятие" in page and "Ответственные" in page
    text = pdf_text(pdf)
    # Every word of the 3,000-character measure is there: wrapped (over two pages, the
    # row split inside), never cut.
    assert text.count("каждому") == long_text.count("каждому") == 48
    assert text.count("Провести анализ результатов ВПР") == 48 + 1  # and item 1.1
    assert f"Собственное мероприятие 60 {LITERAL}" in text
    assert_fonts_embedded_subset(pdf)
    assert_not_blank(pdf, tmp_path)
    assert (
        doc.filename()
        == f"Дорожная_карта_{published.school.short_name.replace(' ', '_')}_{published.school.code}.pdf"
    )


def test_many_roadmaps_one_school_per_page(published, tmp_path):
    doc = RoadmapDocument.for_plan(published.plan)
    out = tmp_path / "all.pdf"
    pages = doc.write(str(out))
    texts = page_texts(out.read_bytes())
    assert pages == len(texts) == 2
    codes = sorted([published.school.code, published.sibling.code])
    # Each school starts a page of its own, numbered within its own roadmap.
    for code, text in zip(codes, texts, strict=True):
        assert f"Дорожная карта {code}" in text
        assert "Страница 1 из 1" in text


def test_filled_form_pdf(insp, tmp_path):
    from intranet.inspections import services

    services.save_answer(insp.staff, insp.sub, "posted", "yes", insp.sub.revision)
    services.save_answer(insp.staff, insp.sub, "note", LITERAL, insp.sub.revision)
    row = services.add_row(insp.staff, insp.sub, "classes")
    services.save_answer(insp.staff, insp.sub, f"classes.{row}.grade", "5А", insp.sub.revision)
    insp.school.address = "г. Энск, ул. Школьная, 1"
    insp.school.head_name = "Иванов Пётр Петрович"
    db.session.commit()
    doc = FilledFormDocument(data.filled_form(insp.sub))
    pdf = doc.render()
    text = pdf_text(pdf)
    for expected in (
        "г. Энск, ул. Школьная, 1",
        "Иванов Пётр Петрович",
        "Положение размещено да",
        LITERAL,
        "Класс Участников",
        "5А",
        "Руководитель ОО",
        "(подпись)",
    ):
        assert expected in text, expected
    assert_fonts_embedded_subset(pdf)
    assert_not_blank(pdf, tmp_path)


def test_filled_form_leaves_hidden_answers_out(insp):
    from intranet.inspections import services

    services.save_answer(insp.staff, insp.sub, "posted", "yes", insp.sub.revision)
    services.save_answer(
        insp.staff, insp.sub, "link", "https://school.ru/vsoko.pdf", insp.sub.revision
    )
    services.save_answer(insp.staff, insp.sub, "posted", "no", insp.sub.revision)
    text = pdf_text(FilledFormDocument(data.filled_form(insp.sub)).render())
    assert "Положение размещено нет" in text
    assert "school.ru/vsoko" not in text and "Ссылка" not in text
