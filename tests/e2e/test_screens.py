"""What is on screen, in Chromium, on the demo district (14 schools, the published plan of
order № 216, a ВСОКО campaign): the menu fits one line at 1280 px for every role; at
390 px (a head of school on a phone) no page scrolls sideways and the menu folds; a
roadmap prints without the menu and its table fits the page; a school marks an item done
in the short form with JavaScript and without; the reviewer reads the school's wording
beside the district's. Screenshots of each page at both widths go to /tmp/screens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intranet import demo
from intranet.auth.models import User
from intranet.extensions import db
from intranet.inspections.models import Submission
from intranet.review import services as review
from intranet.roadmaps import services as roadmaps
from intranet.roadmaps.models import SchoolRoadmap
from tests.e2e.test_roadmap_cycle import watch
from tests.fixtures.pdf import page_texts, read_pdf

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/screens")
ROLES = ("admin", "metodist", "director1", "secretary1")
# What only the menu and the page's chrome say: never on paper.
CHROME = ("Выйти", "Кампании", "Акты проверок", "Объективность", "Ещё", "Отметить выполнение")


@pytest.fixture
def district(app_ctx):
    passwords = {login: password for login, _role, password in demo.fill()}
    school = db.session.scalar(select(User).where(User.login == "director1")).school
    roadmap = db.session.scalar(select(SchoolRoadmap).where(SchoolRoadmap.school_id == school.id))
    sub = db.session.scalar(select(Submission).where(Submission.school_id == school.id))
    # Two links to one site on the first item: told apart on the page.
    staff = db.session.scalar(select(User).where(User.login == "secretary1"))
    first = roadmap.items[0]
    for url in (
        "https://sch0101.edu.ru/sveden/document/2024/analiz-vpr.pdf",
        "https://sch0101.edu.ru/sveden/document/2025/analiz-vpr.pdf",
    ):
        roadmaps.add_evidence_link(staff, first, url)
    return {
        "passwords": passwords,
        "school_id": school.id,
        "roadmap": f"/schools/{school.id}/roadmaps/{roadmap.id}",
        "form": f"/schools/{school.id}/forms/{sub.id}",
        "items": {i.number: i.id for i in roadmap.items},
    }


def log_in(page: Page, district, login: str) -> None:
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", district["passwords"][login])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def one_line(page: Page) -> list[float]:
    """The vertical middles of everything in the top bar that a person sees."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              '.top .brand, .top .menu > a, .top .menu > details > summary, .top .who > *')]
            .filter(e => e.offsetParent !== null)
            .map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; })"""
    )


def test_the_menu_is_one_line_at_1280_for_every_role(page: Page, district):
    page.set_viewport_size({"width": 1280, "height": 800})
    for login in ROLES:
        log_in(page, district, login)
        middles = one_line(page)
        assert len(middles) >= 5, login
        assert max(middles) - min(middles) < 4, (login, middles)
        height = page.locator("header.top").bounding_box()["height"]
        assert height < 50, (login, height)
        page.click("button:has-text('Выйти')")
        page.wait_for_url("**/login")


def test_the_more_menu_opens_without_javascript(page_nojs: Page, district):
    page = page_nojs
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, district, "admin")
    more = page.locator(".menu details.more")
    expect(more.get_by_role("link", name="Журнал действий")).to_be_hidden()
    more.locator("summary").click()
    more.get_by_role("link", name="Журнал действий").click()
    page.wait_for_url("**/audit/**")


def test_the_more_menu_closes_on_a_click_elsewhere(page: Page, district):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, district, "admin")
    more = page.locator(".menu details.more")
    more.locator("summary").click()
    expect(more.get_by_role("link", name="Пользователи")).to_be_visible()
    page.locator("h1").click()
    expect(more.get_by_role("link", name="Пользователи")).to_be_hidden()


def _fits(page: Page) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


@pytest.mark.parametrize(
    "login,pages",
    [
        ("admin", ("/", "/schools/", "{roadmap}", "{roadmap}/history", "{form}")),
        ("director1", ("/", "{roadmap}", "{form}")),
    ],
)
def test_pages_fit_a_phone_and_the_menu_folds(page: Page, district, login, pages):
    seen = watch(page)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, district, login)
    for path in pages:
        page.goto(path.format(**district))
        width, viewport = _fits(page)
        assert width <= viewport, (path, width, viewport)
        # The menu is folded under «Меню» and opens on a tap.
        menu = page.get_by_role("navigation", name="Главное меню")
        expect(menu).to_be_hidden()
    page.locator(".menu-button").click()
    expect(page.get_by_role("navigation", name="Главное меню")).to_be_visible()
    assert _fits(page)[0] <= 390
    assert seen["errors"] == []


def test_screenshots_at_1280_and_390(page: Page, district):
    """Taken for a person to look at (see the report); each page also must not scroll
    sideways at 390."""
    pages = {
        "admin": {
            "home": "/",
            "schools": "/schools/",
            "roadmap-reviewer": "{roadmap}",
            "history": "{roadmap}/history",
            "form-reviewer": "{form}",
        },
        "secretary1": {"roadmap-school": "{roadmap}", "form-school": "{form}", "school-home": "/"},
    }
    for login, named in pages.items():
        log_in(page, district, login)
        for name, path in named.items():
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(path.format(**district))
                shot(page, f"{name}-{width}")
                if width == 390:
                    assert _fits(page)[0] <= 390, name
        page.click("button:has-text('Выйти')") if page.locator(
            "button:has-text('Выйти')"
        ).is_visible() else page.goto("/login")
        page.context.clear_cookies()


def _text_right_edges(data: bytes) -> list[tuple[float, float]]:
    """(rightmost x of text, page width) for each page, read with pypdf."""
    out = []
    for pdf_page in read_pdf(data).pages:
        xs: list[float] = []

        def visit(text, cm, tm, _font, size, xs=xs):
            if text.strip():
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                xs.append(x + len(text) * size * 0.3)

        pdf_page.extract_text(visitor_text=visit)
        out.append((max(xs, default=0), float(pdf_page.mediabox.width)))
    return out


def test_a_roadmap_prints_without_the_menu_and_fits_the_page(page: Page, district):
    log_in(page, district, "metodist")
    # Laid out as on paper: A4 landscape less the 10 mm margins is 277 mm, 1047 px.
    page.set_viewport_size({"width": 1047, "height": 740})
    page.goto(district["roadmap"])
    page.emulate_media(media="print")
    table = page.locator("table.roadmap-items").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= 1047
    assert _fits(page)[0] <= 1047
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "roadmap-print.pdf").write_bytes(pdf)
    pages = page_texts(pdf)
    text = " ".join(pages)
    for word in CHROME:
        assert word not in text, word
    assert "Дорожная карта" in text and "Мероприятие" in text
    # Long tables break between rows and repeat their header on every page.
    assert len(pages) >= 2
    for page_text in pages:
        assert page_text.count("Мероприятие") >= 1 and "Выполнение" in page_text
    for right, width in _text_right_edges(pdf):
        assert right <= width - 20, (right, width)  # within the right margin
    # The last item is on paper too: nothing cut at the bottom or the side.
    last = page.locator("table.roadmap-items tbody tr[id]").last
    assert " ".join(last.locator("td").nth(1).inner_text().split()[:3]) in text


def _mark_done_row(page: Page, district, number: str):
    row = page.locator(f"#item-{district['items'][number]}")
    row.locator("details.mark-done summary").click()
    return row


def test_a_school_marks_an_item_done_with_javascript(page: Page, district, tmp_path):
    seen = watch(page)
    log_in(page, district, "secretary1")
    page.goto(district["roadmap"])
    row = _mark_done_row(page, district, "1.3")
    row.locator("textarea[name=progress_note]").fill("Проведены консультации для учителей")
    evidence = tmp_path / "Протокол.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% protocol\n%%EOF\n")
    row.locator(".mark-done input[name=file]").set_input_files(str(evidence))
    navigations = len(seen["navigations"])
    row.get_by_role("button", name="Отметить выполнение").click()
    row = page.locator(f"#item-{district['items']['1.3']}")
    expect(row).to_contain_text("выполнено")
    expect(row).to_contain_text("Проведены консультации для учителей")
    expect(row.get_by_role("link", name="Протокол.pdf")).to_be_visible()
    assert len(seen["navigations"]) == navigations  # the row was swapped, no page load
    assert seen["errors"] == []


def test_a_school_marks_an_item_done_without_javascript(page_nojs: Page, district):
    page = page_nojs
    log_in(page, district, "secretary1")
    page.goto(district["roadmap"])
    row = _mark_done_row(page, district, "1.4")
    row.get_by_role("button", name="Отметить выполнение").click()
    # Nothing said: the reason beside the field, the form still open, nothing saved.
    expect(page.locator("main")).to_contain_text("Напишите, что сделано.")
    row = page.locator(f"#item-{district['items']['1.4']}")
    row.locator("textarea[name=progress_note]").fill("Проведено совещание")
    row.locator(".mark-done input[name=url]").fill("https://sch0101.edu.ru/news/sovesh")
    row.get_by_role("button", name="Отметить выполнение").click()
    page.wait_for_url(re.compile(r"/roadmaps/\d+(#item-\d+)?$"))
    expect(page.locator("#messages")).to_contain_text("отмечено выполненным")
    row = page.locator(f"#item-{district['items']['1.4']}")
    expect(row).to_contain_text("Проведено совещание")
    expect(row.get_by_role("link", name="sch0101.edu.ru/news/sovesh")).to_be_visible()


def test_the_reviewer_sees_the_schools_wording_beside_the_districts(page: Page, district):
    log_in(page, district, "secretary1")
    page.goto(district["roadmap"])
    item_id = district["items"]["1.1"]
    page.locator(f"#item-{item_id}").get_by_role("link", name="Изменить").click()
    page.fill(f"#item-{item_id} textarea[name=school_text]", "Анализ ВПР 2025 по параллелям 4–8")
    page.locator(f"#item-{item_id}").get_by_role("button", name="Сохранить").click()
    expect(page.locator(f"#item-{item_id} .school-wording")).to_contain_text("по параллелям 4–8")
    head = db.session.scalar(select(User).where(User.login == "director1"))
    roadmap = db.session.scalar(
        select(SchoolRoadmap).where(SchoolRoadmap.school_id == district["school_id"])
    )
    db.session.expire_all()
    review.submit(head, roadmap)

    page.context.clear_cookies()
    log_in(page, district, "metodist")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(district["roadmap"])
    row = page.locator(f"#item-{item_id}")
    district_words = row.locator(".district-wording")
    school_words = row.locator(".school-wording")
    expect(district_words).to_contain_text("Формулировка управления образования")
    expect(school_words).to_contain_text("Формулировка школы Анализ ВПР 2025 по параллелям 4–8")
    # Beside each other: one row, two columns.
    a, b = district_words.bounding_box(), school_words.bounding_box()
    assert abs(a["y"] - b["y"]) < 2 and b["x"] > a["x"] + a["width"] - 1
    # The links of the first item are told apart by the end of their address.
    links = [t.strip() for t in row.locator(".evidence a").all_inner_texts()]
    assert links == [
        "sch0101.edu.ru/…/2024/analiz-vpr.pdf",
        "sch0101.edu.ru/…/2025/analiz-vpr.pdf",
    ]
    shot(page, "roadmap-reviewer-wording-1280")


_LINKS = """() => [...document.querySelectorAll('main a, nav a')]
    .map(a => a.getAttribute('href'))
    .filter(h => h && h.startsWith('/') && !/\\.(pdf|xlsx|zip)|evidence|download|enrol|export/.test(h))"""


@pytest.mark.parametrize("login", ["admin", "director1"])
def test_every_page_in_reach_fits_a_phone_and_prints_without_the_menu(page: Page, district, login):
    """The pages of the menu and the pages they link to (up to 50): none scrolls sideways
    at 390 px, and on paper (A4 landscape, 1047 px) none is wider than the page or shows
    the menu."""
    log_in(page, district, login)
    todo, seen, wrong = ["/", district["roadmap"], district["form"]], set(), []
    while todo and len(seen) < 50:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(path)
        if _fits(page)[0] > 390:
            wrong.append((path, "390", _fits(page)[0]))
        todo += [h for h in page.evaluate(_LINKS) if h not in seen]
        page.set_viewport_size({"width": 1047, "height": 740})
        page.emulate_media(media="print")
        if _fits(page)[0] > 1047 or page.locator("header.top").is_visible():
            wrong.append((path, "print", _fits(page)[0]))
    assert len(seen) >= 20
    assert wrong == []
