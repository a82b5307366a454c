"""An administrator imports a ВПР file and finds a school in the risk zone, with its chart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.objectivity.models import MarkScale
from tests.fixtures.factories import PASSWORD
from tests.objectivity.files import RESULT_HEADER, district_year, school_pupils, xlsx

pytestmark = pytest.mark.e2e


@pytest.fixture
def district(make):
    admin = make.user(Role.DISTRICT_ADMIN, login="analyst", full_name="Сергеева Анна")
    for code in ("s1", "s2", "s3", "s4"):
        make.school(admin.district, code=code, short_name=f"СОШ {code}")
    make.school(admin.district, code="top", short_name="Гимназия «Успех»")
    db.session.add(
        MarkScale(
            district_id=admin.district_id,
            year=2024,
            subject="Математика",
            grade=5,
            min3=6,
            min4=11,
            min5=16,
            max_score=20,
        )
    )
    db.session.commit()
    return admin


def test_import_then_risk_list_and_chart(page, district, tmp_path):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    rows = [RESULT_HEADER, *district_year(["s1", "s2", "s3", "s4"], 20)]
    scores = [16, 17, 16, 16, 17, 16, 20, 19, 20, 20, 19, 20]
    rows += school_pupils("top", scores, [5, 5, 5, 5, 5, 5, 3, 3, 3, 3, 3, 3], start=900)
    path = tmp_path / "vpr.xlsx"
    path.write_bytes(xlsx(rows, title="ВПР 2024. Математика, 5 класс"))

    page.goto("/login")
    page.fill("#login", "analyst")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Объективность").click()
    expect(page.locator("h1")).to_have_text("ОО с признаками необъективных результатов")
    page.get_by_role("link", name="Импорт результатов ВПР").first.click()
    page.set_input_files("#file", str(path))
    page.click("button:has-text('Проверить файл')")
    expect(page.locator("h1")).to_contain_text("vpr.xlsx")
    expect(page.locator("main")).to_contain_text("2024, Математика, 5 класс")
    page.click("button:has-text('Загрузить')")

    risk = page.locator("#risk-list")
    expect(risk).to_contain_text("Зона риска, 2024")
    expect(risk.locator("tbody tr")).to_have_count(1)
    expect(risk).to_contain_text("Гимназия «Успех»")
    expect(risk).to_contain_text("Средний балл ОО значимо выше среднего по муниципалитету")
    risk.get_by_role("link", name="Гимназия «Успех»").click()

    chart = page.locator("svg.chart").first
    expect(chart).to_be_visible()
    expect(chart.locator("line.boundary")).to_have_count(3)
    expect(chart).to_contain_text("«5» ≥ 16")
    expect(page.locator("svg.chart")).to_have_count(3)
    assert errors == []
