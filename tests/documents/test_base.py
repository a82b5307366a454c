"""The document base: fonts, escaping, long cells and tables, page numbering, downloads."""

from __future__ import annotations

from datetime import date

import pytest
from reportlab.pdfbase import pdfmetrics

from intranet.documents import Document, EmptyDocument, Part, pdf_response
from intranet.documents import fonts as fonts_module
from intranet.documents.http import content_disposition
from tests.fixtures.pdf import (
    assert_fonts_embedded_subset,
    assert_not_blank,
    page_texts,
    pdf_text,
    read_pdf,
)

NASTY = '<b>"Ромашка" & Co</b>'


class Sample(Document):
    title = "Справка о проверке"
    district_name = "Управление образования администрации города"
    document_date = date(2026, 3, 12)
    number = "12-2026"

    def __init__(self, rows=3, long_cell="", name=NASTY):
        super().__init__()
        self.rows, self.long_cell, self.name = rows, long_cell, name

    def story(self):
        rows = [
            [str(i + 1), f"Мероприятие номер {i + 1}", "сентябрь 2026"] for i in range(self.rows)
        ]
        if self.long_cell:
            rows[1][1] = self.long_cell
        return [
            self.p(f"Школа: {self.name}", "Body"),
            self.table(["№", "Мероприятие", "Сроки"], rows, [0.08, 0.72, 0.2]),
        ]

    def footer_line(self):
        return "Справка № 12-2026 · хэш 0a1b2c3d"


def test_russian_text_and_user_markup_print_literally(app_ctx, tmp_path):
    data = Sample().render()
    text = pdf_text(data)
    assert "Справка о проверке" in text
    assert "Управление образования администрации города" in text
    assert f"Школа: {NASTY}" in text
    assert "№ 12-2026" in text and "12.03.2026" in text
    names = assert_fonts_embedded_subset(data)
    assert any("PTSerif" in n for n in names)
    assert_not_blank(data, tmp_path)


def test_every_page_is_numbered_of_the_total_and_carries_the_footer_line(app_ctx):
    data = Sample(rows=500).render()
    pages = page_texts(data)
    assert len(pages) > 10
    for number, text in enumerate(pages, start=1):
        assert f"Страница {number} из {len(pages)}" in text
        assert "Справка № 12-2026 · хэш 0a1b2c3d" in text
        # the header row is repeated on every page of the table
        assert "№ Мероприятие Сроки" in text
    assert "Мероприятие номер 500" in pages[-1]


def test_a_cell_longer_than_a_page_is_split_not_lost(app_ctx):
    long_text = ("Длинное описание мероприятия с подробностями. " * 70)[:3000]
    data = Sample(rows=5, long_cell=long_text).render()
    pages = page_texts(data)
    assert len(pages) >= 2
    joined = " ".join(pages)
    assert joined.count("Длинное описание мероприятия") == long_text.count("Длинное описание")
    assert "Мероприятие номер 5" in pages[-1]


def test_parts_start_on_a_new_page_and_number_their_own_pages(app_ctx):
    class Bulk(Sample):
        def parts(self):
            for k in range(3):
                yield Part(story=self.story, footer=f"Часть {k + 1}", title=f"Школа № {k + 1}")

    data = Bulk(rows=60).render()
    pages = page_texts(data)
    per_part = len(pages) // 3
    assert per_part >= 2 and len(pages) == per_part * 3
    for k in range(3):
        first = pages[k * per_part]
        assert f"Школа № {k + 1}" in first
        assert f"Страница 1 из {per_part}" in first
        assert f"Часть {k + 1}" in pages[(k + 1) * per_part - 1]


def test_a_document_with_no_parts_is_refused(app_ctx):
    class Empty(Sample):
        def parts(self):
            return []

    with pytest.raises(EmptyDocument):
        Empty().render()


def test_missing_font_fails_loudly(app_ctx, monkeypatch):
    monkeypatch.setattr(fonts_module, "_registered", False)
    monkeypatch.setitem(fonts_module._FAMILIES, "PTSerif", ("No Such Family", "fontpkg-none"))
    with pytest.raises(fonts_module.FontsUnavailable, match="fontpkg-none"):
        fonts_module.register_fonts()


def test_fonts_are_registered_with_bold_and_italic(app_ctx):
    fonts_module.register_fonts()
    assert pdfmetrics.getFont("PTSerif-Bold").face.name
    from reportlab.lib.fonts import tt2ps

    assert tt2ps("PTSerif", 1, 0) == "PTSerif-Bold"
    assert tt2ps("PTSans", 1, 1) == "PTSans-BoldItalic"


def test_download_names_the_file_for_people_and_for_old_clients(app_ctx):
    header = content_disposition("Акт_12-2026_Школа_5.pdf")
    assert header.startswith('attachment; filename="Akt_12-2026_Shkola_5.pdf"')
    assert "filename*=UTF-8''%D0%90%D0%BA%D1%82_12-2026_" in header
    response = pdf_response(b"%PDF-1.4 x", "Акт_1.pdf", inline=True)
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.mimetype == "application/pdf"


def test_landscape_geometry(app_ctx):
    class Wide(Sample):
        landscape = True

    reader = read_pdf(Wide().render())
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
