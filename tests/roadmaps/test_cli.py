"""`intranet plan parse FILE` prints the plan as JSON, for .docx, .xlsx and .csv."""

from __future__ import annotations

import json

import pytest

from tests.roadmaps import plan_fixtures as fx


@pytest.mark.parametrize(
    ("name", "build", "order_number", "items", "first"),
    [
        ("order.docx", fx.seed_000_docx, "216", None, ("1.1", "сентябрь 2023")),
        ("plan.xlsx", fx.seed_004_xlsx, None, None, None),
        ("plan.csv", fx.seed_001_csv, None, 16, ("1", None)),
    ],
    ids=["docx", "xlsx", "csv"],
)
def test_parse_prints_the_plan_as_json(runner, tmp_path, name, build, order_number, items, first):
    path = tmp_path / name
    path.write_bytes(build())
    result = runner.invoke(args=["plan", "parse", str(path)])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert set(plan) == {
        "title",
        "order_number",
        "order_date",
        "period",
        "submit_by",
        "sections",
        "items",
    }
    assert plan["items"], "no items parsed"
    item = plan["items"][0]
    assert set(item) == {
        "section",
        "number",
        "text",
        "deadline_text",
        "deadline",
        "responsible",
        "result",
    }
    assert set(item["deadline"]) == {"kind", "start", "end", "windows", "needs_review", "text"}
    assert all(not i["number"].endswith(".") for i in plan["items"])
    if order_number:
        assert plan["order_number"] == order_number
        assert plan["order_date"] == "2023-08-31"
        assert plan["period"] == ["2023-09-01", "2024-08-31"]
        assert item["section"] == plan["sections"][0]
    if items:
        assert len(plan["items"]) == items
    if first:
        assert item["number"] == first[0]
        if first[1]:
            assert item["deadline_text"] == first[1]
            assert item["deadline"]["kind"] == "window"
            assert item["deadline"]["start"] == "2023-09-01"
            assert item["deadline"]["end"] == "2023-09-30"


def test_period_option_places_months_without_a_year(runner, tmp_path):
    rows = [("1.", "Мероприятие", "октябрь", "УО")]
    path = tmp_path / "plan.docx"
    path.write_bytes(fx.build_docx(rows))
    result = runner.invoke(args=["plan", "parse", str(path), "--period", "2030-09-01:2031-08-31"])
    plan = json.loads(result.stdout)
    assert plan["period"] == ["2030-09-01", "2031-08-31"]
    assert plan["items"][0]["deadline"]["start"] == "2030-10-01"
    bad = runner.invoke(args=["plan", "parse", str(path), "--period", "2031-01-01:2030-01-01"])
    assert bad.exit_code == 2


def test_a_file_without_a_plan_exits_2_with_one_line_on_stderr(runner, tmp_path):
    path = tmp_path / "letter.docx"
    path.write_bytes(_docx_without_table())
    result = runner.invoke(args=["plan", "parse", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "таблица" in lines[0]


def _docx_without_table() -> bytes:
    import io

    from docx import Document

    doc = Document()
    doc.add_paragraph("Письмо без таблицы")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
