from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from intranet.inspections import schema as s


def spec(kind, **extra):
    return {"key": "f", "type": kind, "label": "Поле", **extra}


@pytest.mark.parametrize(
    ("field", "raw", "ok", "value"),
    [
        (spec("yesno"), "yes", True, True),
        (spec("yesno"), "no", True, False),
        (spec("yesno"), "maybe", False, None),
        (spec("integer", min=0, max=100), "42", True, 42),
        (spec("integer", min=0, max=100), " 1 000 ", False, None),
        (spec("integer", min=0, max=100), "101", False, None),
        (spec("integer"), "3,5", False, None),
        (spec("decimal", min=0), "3,5", True, Decimal("3.5")),
        (spec("decimal", min=0), "-1", False, None),
        (spec("decimal"), "nan", False, None),
        (spec("choice", options=["a", "b"]), "b", True, "b"),
        (spec("choice", options=["a", "b"]), "c", False, None),
        (spec("multichoice", options=["a", "b", "c"]), ["c", "a"], True, ["a", "c"]),
        (spec("multichoice", options=["a"]), ["z"], False, None),
        (spec("date"), "2024-03-01", True, date(2024, 3, 1)),
        (spec("date"), "01.03.2024", True, date(2024, 3, 1)),
        (spec("date"), "31.02.2024", False, None),
        (spec("url"), "https://school.ru/docs/vsoko.pdf", True, "https://school.ru/docs/vsoko.pdf"),
        (spec("url"), "school.ru", False, None),
        (spec("text"), "x" * 5001, False, None),
        (spec("text"), "", True, None),
    ],
)
def test_check_value(field, raw, ok, value):
    checked = s.check_value(field, raw)
    assert checked.ok is ok
    if ok:
        assert checked.value == value
    else:
        assert checked.error  # a message for the person


def test_messages_are_russian(app_ctx):
    from flask import current_app

    with current_app.test_request_context():
        assert s.check_value(spec("integer", max=5), "9").error == "Не более 5."
        assert s.check_value(spec("yesno"), "x").error == "Ответьте «да» или «нет»."


SCHEMA = {
    "sections": [
        {
            "key": "docs",
            "title": "Документы",
            "fields": [
                {"key": "posted", "type": "yesno", "label": "Размещено", "required": True},
                {
                    "key": "link",
                    "type": "url",
                    "label": "Ссылка",
                    "required": True,
                    "show_if": {"field": "posted", "equals": "yes"},
                },
                {
                    "key": "observers",
                    "type": "table",
                    "label": "Наблюдатели",
                    "columns": [
                        {"key": "name", "label": "ФИО", "type": "text"},
                        {"key": "count", "label": "Число", "type": "integer"},
                    ],
                },
            ],
        }
    ]
}


def test_required_and_conditional_fields():
    assert [f["key"] for f in s.missing_required(SCHEMA, {})] == ["posted"]
    assert [f["key"] for f in s.missing_required(SCHEMA, {"posted": "yes"})] == ["link"]
    assert s.missing_required(SCHEMA, {"posted": "no"}) == []  # the link is hidden
    assert s.missing_required(SCHEMA, {"posted": "yes", "link": "https://a.ru/x"}) == []
    bad_row = {"posted": "no", "observers": [{"id": "r1", "name": "Иванова", "count": "много"}]}
    assert [f["key"] for f in s.missing_required(SCHEMA, bad_row)] == ["observers"]


def test_schema_validation():
    s.validate_schema(SCHEMA)
    broken = {"sections": [{"title": "x", "fields": [spec("yesno"), spec("text")]}]}
    with pytest.raises(s.SchemaError):
        s.validate_schema(broken)  # the same key twice
    with pytest.raises(s.SchemaError):
        s.validate_schema(
            {"sections": [{"title": "x", "fields": [{**spec("yesno"), "key": "Bad key"}]}]}
        )
    with pytest.raises(s.SchemaError):
        s.validate_schema({"sections": [{"title": "x", "fields": [spec("choice")]}]})  # no options
    with pytest.raises(s.SchemaError):
        s.validate_schema(
            {
                "sections": [
                    {"title": "x", "fields": [{**spec("yesno"), "show_if": {"field": "nope"}}]}
                ]
            }
        )
    # A key keeps its type across versions.
    old = {"sections": [{"title": "x", "fields": [spec("integer")]}]}
    with pytest.raises(s.SchemaError):
        s.validate_schema({"sections": [{"title": "x", "fields": [spec("text")]}]}, [old])
    s.validate_schema({"sections": [{"title": "x", "fields": [spec("integer", max=9)]}]}, [old])
