"""The act on paper, read back with pypdf and rendered with pdftoppm."""

from __future__ import annotations

import re
from urllib.parse import unquote

from intranet.acts import services as acts
from intranet.acts.documents import ControlActDocument
from intranet.acts.models import content_hash
from tests.acts.conftest import REQUISITES
from tests.fixtures.pdf import (
    assert_fonts_embedded_subset,
    assert_not_blank,
    page_texts,
    pdf_text,
    read_pdf,
)
from tests.fixtures.roadmaps import text_of

NASTY = '<b>"Ромашка" & Co</b>'


def test_issued_act_downloads_as_a_filed_document(control, login_as, tmp_path):
    act = control.issued()
    c = login_as(control.reviewer)
    response = c.get(control.act_url(act, ".pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    filename = unquote(disposition.split("filename*=UTF-8''")[1])
    assert filename == f"Акт_{act.number}_{control.school.short_name.replace(' ', '_')}.pdf"
    data = response.data
    text = pdf_text(data)
    for expected in (
        "АКТ",
        "документарной проверки",
        control.school.name,
        f"№ {act.number}",
        "Основание: приказ управления образования от 01.03.2026 № 45-о",
        "Период проведения проверки: с 02.03.2026 по 06.03.2026",
        "Орлова Анна Петровна",
        "Положение размещено на сайте",
        "не соответствует",
        "Разместить положение о ВСОКО на официальном сайте",
        "С актом ознакомлен(а), экземпляр акта получил(а)",
        "Белова Мария Ивановна",
        "Отметка об отказе от подписи",
    ):
        assert expected in text, expected
    names = assert_fonts_embedded_subset(data)
    assert any("PTSerif" in n for n in names)
    pages = page_texts(data)
    assert len(read_pdf(data).pages) == len(pages)
    stored = acts.content_of(act)
    assert content_hash(stored) == act.content_hash
    for number, page in enumerate(pages, start=1):
        assert f"Страница {number} из {len(pages)}" in page
        assert f"Акт № {act.number} от" in page
        # the footer names what the act was made from and its hash, on every page
        assert "форма «Самообследование 2026», версия 1" in page
        assert f"хэш {act.content_hash[:10]}" in page
    last = pages[-1]
    address = re.sub(r"\s+", "", last.split("Проверить акт по базе данных:")[1])
    assert f"/acts/{act.uuid}/check?h={act.content_hash}" in address
    assert_not_blank(data, tmp_path, page=1)
    assert_not_blank(data, tmp_path, page=len(pages))


def test_the_qr_code_encodes_the_check_address(control):
    from reportlab.graphics.barcode.qr import QrCode

    act = control.issued()
    captured = []
    original = QrCode.__init__

    def spy(self, value=None, **kw):
        captured.append(value)
        original(self, value, **kw)

    QrCode.__init__ = spy
    try:
        ControlActDocument([act]).render()
    finally:
        QrCode.__init__ = original
    assert captured == [f"http://intranet.local/acts/{act.uuid}/check?h={act.content_hash}"]


def test_a_draft_previews_as_a_draft(control, login_as):
    draft = control.draft()
    c = login_as(control.reviewer)
    response = c.get(control.act_url(draft, ".pdf"))
    assert response.headers["Content-Disposition"].startswith("inline;")
    text = pdf_text(response.data)
    assert "ПРОЕКТ" in text and "(проект, без номера)" in text
    assert "Проверить акт по базе данных" not in text  # no check address before issue


def test_user_text_prints_literally_and_long_text_wraps(control, tmp_path):
    long_note = "Замечание комиссии по локальным актам организации. " * 60  # ~3,000 characters
    items = [
        {"topic": f"Вопрос {n}: {NASTY}", "finding": "partly", "note": long_note}
        for n in range(1, 4)
    ]
    act = control.issued(items=items, conclusions=f"Выводы о {NASTY}")
    data = ControlActDocument([act]).render()
    text = pdf_text(data)
    assert f"Вопрос 1: {NASTY}" in text and f"Выводы о {NASTY}" in text
    # nothing lost where a cell breaks across pages (a word is never split; a sentence may be)
    assert text.count("Замечание") == 180 and text.count("организации.") >= 180
    pages = page_texts(data)
    assert len(pages) >= 3
    assert all(f"из {len(pages)}" in p for p in pages)


def test_all_acts_of_a_year_in_one_pdf_each_on_new_pages(control):
    first = control.issued()
    second = control.issued(conclusions="Вторая проверка")
    data = ControlActDocument(acts.issued_acts(first.year, control.district.id)).render()
    pages = page_texts(data)
    starts = [n for n, p in enumerate(pages) if "Страница 1 из" in p]
    assert len(starts) == 2
    assert f"№ {first.number}" in pages[starts[0]]
    assert f"№ {second.number}" in pages[starts[1]]
    assert all(f"хэш {second.content_hash[:10]}" in p for p in pages[starts[1] :])


def test_the_act_page_offers_the_pdf_that_shows_the_same_data(control, login_as):
    act = control.issued()
    c = login_as(control.head)
    page = text_of(c.get(control.act_url(act)))
    assert control.act_url(act, ".pdf") in page
    assert REQUISITES["conclusions"] in page
    assert REQUISITES["conclusions"] in pdf_text(c.get(control.act_url(act, ".pdf")).data)
