"""The two forms that ship with the product: the ВСОКО self-inspection (the checklist of
seed 004 item 2.3 and seed 002 items 6-7) and the objectivity of a ВПР round."""

from __future__ import annotations

from sqlalchemy import select

from intranet.extensions import db
from intranet.inspections import services
from intranet.inspections.models import FormTemplate


def _yn(key: str, label: str, required: bool = True, **extra) -> dict:
    return {"key": key, "type": "yesno", "label": label, "required": required, **extra}


def _link(key: str, label: str, when: str) -> dict:
    return {
        "key": key,
        "type": "url",
        "label": label,
        "required": True,
        "show_if": {"field": when, "equals": "yes"},
    }


VSOKO = {
    "title": "Самообследование ВСОКО",
    "description": (
        "Контроль организации внутришкольной системы оценки образовательных результатов "
        "(по акту мониторинга): элементы системы, их размещение на сайте ОО, объективность "
        "проведения и проверки оценочных процедур."
    ),
    "schema": {
        "sections": [
            {
                "key": "docs",
                "title": "Локальные акты и их размещение на сайте ОО",
                "fields": [
                    _yn("vsoko_regulation", "Положение о ВСОКО утверждено"),
                    _yn("vsoko_posted", "Положение о ВСОКО размещено на сайте ОО"),
                    _link("vsoko_url", "Ссылка на Положение о ВСОКО", "vsoko_posted"),
                    _yn(
                        "control_regulation",
                        "Положение о формах, периодичности и порядке текущего контроля "
                        "успеваемости и промежуточной аттестации утверждено (обновлено)",
                    ),
                    _yn(
                        "control_posted",
                        "Положение о формах, периодичности и порядке текущего контроля "
                        "размещено на сайте ОО",
                    ),
                    _link(
                        "control_url", "Ссылка на Положение о текущем контроле", "control_posted"
                    ),
                    _yn("vpr_regulation", "Положение о ВПР или регламент проведения ВПР"),
                    {
                        "key": "approved_on",
                        "type": "date",
                        "label": "Дата приказа об утверждении Положения о ВСОКО",
                        "required": False,
                    },
                ],
            },
            {
                "key": "objectivity",
                "title": "Объективность проведения оценочных процедур",
                "fields": [
                    _yn("observers", "Независимые (общественные) наблюдатели привлекаются"),
                    _yn(
                        "observers_schedule",
                        "Утверждён график работы наблюдателей",
                        show_if={"field": "observers", "equals": "yes"},
                    ),
                    {
                        "key": "observers_count",
                        "type": "integer",
                        "label": "Число наблюдателей за учебный год",
                        "min": 0,
                        "max": 1000,
                        "show_if": {"field": "observers", "equals": "yes"},
                    },
                    _yn("video_admin", "Ведётся видеонаблюдение при проведении работ"),
                    _yn("video_check", "Ведётся видеонаблюдение при проверке работ"),
                    _yn(
                        "no_conflict",
                        "Исключён конфликт интересов (учитель не проверяет работы своего класса)",
                    ),
                    {
                        "key": "checking",
                        "type": "choice",
                        "label": "Кто проверяет работы",
                        "options": [
                            "школьная предметная комиссия",
                            "муниципальная комиссия",
                            "учитель класса",
                        ],
                        "required": True,
                    },
                ],
            },
            {
                "key": "assessment",
                "title": "Критерии оценивания, квалификация, анализ результатов",
                "fields": [
                    _yn(
                        "criteria",
                        "Приняты прозрачные критерии внутришкольного и итогового оценивания",
                    ),
                    {
                        "key": "trained_share",
                        "type": "decimal",
                        "label": "Доля учителей, прошедших обучение по оцениванию, %",
                        "min": 0,
                        "max": 100,
                        "required": True,
                    },
                    _yn(
                        "analysis",
                        "Методические объединения анализируют результаты оценочных процедур",
                    ),
                    {
                        "key": "procedures",
                        "type": "multichoice",
                        "label": "Процедуры, по которым проведён анализ",
                        "options": ["ВПР", "ОГЭ", "ЕГЭ", "НИКО", "региональные мониторинги"],
                        "show_if": {"field": "analysis", "equals": "yes"},
                    },
                    {
                        "key": "measures",
                        "type": "textarea",
                        "label": "Принятые меры по повышению объективности оценки",
                    },
                ],
            },
        ]
    },
}

VPR_ROUND = {
    "title": "Объективность проведения ВПР",
    "description": "По каждому классу и предмету: участники, наблюдатели, кто проверял работы.",
    "schema": {
        "sections": [
            {
                "key": "round",
                "title": "Проведение ВПР",
                "fields": [
                    {
                        "key": "round_name",
                        "type": "text",
                        "label": "Период проведения (например, ВПР весна 2025)",
                        "required": True,
                    },
                    {
                        "key": "classes",
                        "type": "table",
                        "label": "Классы и предметы",
                        "required": True,
                        "columns": [
                            {"key": "grade", "label": "Класс", "type": "text"},
                            {"key": "subject", "label": "Предмет", "type": "text"},
                            {"key": "participants", "label": "Участников", "type": "integer"},
                            {
                                "key": "observers",
                                "label": "Наблюдатели присутствовали",
                                "type": "yesno",
                            },
                            {
                                "key": "checked_by",
                                "label": "Кто проверял работы",
                                "type": "choice",
                                "options": [
                                    "учитель класса",
                                    "школьная комиссия",
                                    "муниципальная комиссия",
                                ],
                            },
                        ],
                    },
                    {
                        "key": "remarks",
                        "type": "textarea",
                        "label": "Замечания о проведении",
                    },
                ],
            }
        ]
    },
}

BUILTIN = (VSOKO, VPR_ROUND)


def install(actor, district_id: int, publish: bool = True) -> list[FormTemplate]:
    """Add the shipped forms to a district (once: an existing title is kept)."""
    existing = set(
        db.session.scalars(
            select(FormTemplate.title).where(FormTemplate.district_id == district_id)
        )
    )
    made = []
    for spec in BUILTIN:
        if spec["title"] in existing:
            continue
        template = services.create_template(
            actor, district_id, spec["title"], spec["description"], spec["schema"]
        )
        if publish:
            services.publish_version(actor, template.latest)
        made.append(template)
    return made
