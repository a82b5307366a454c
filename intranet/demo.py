"""A demo district: realistic schools and one account of every role."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from intranet.audit.services import acting
from intranet.auth.models import User
from intranet.auth.roles import Role
from intranet.auth.services import generate_one_time_password
from intranet.extensions import db
from intranet.schools.models import District, School

DISTRICT = (
    "Управление образования администрации Светлогорского городского округа",
    "УО Светлогорского ГО",
)

SCHOOLS = [
    (
        "sch0101",
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 1»",
        "МБОУ СОШ № 1",
        "Калинина Ольга Петровна",
    ),
    (
        "sch0102",
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 2 имени А. С. Пушкина»",
        "МБОУ СОШ № 2",
        "Громов Андрей Викторович",
    ),
    (
        "sch0103",
        "Муниципальное автономное общеобразовательное учреждение «Гимназия № 3»",
        "МАОУ Гимназия № 3",
        "Белова Наталья Сергеевна",
    ),
    (
        "sch0104",
        "Муниципальное бюджетное общеобразовательное учреждение «Лицей № 4»",
        "МБОУ Лицей № 4",
        "Соколов Игорь Николаевич",
    ),
    (
        "sch0105",
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 5 с углублённым изучением отдельных предметов»",
        "МБОУ СОШ № 5",
        "Орлова Марина Александровна",
    ),
    (
        "sch0106",
        "Муниципальное бюджетное общеобразовательное учреждение «Основная общеобразовательная школа № 6»",
        "МБОУ ООШ № 6",
        "Зайцев Павел Дмитриевич",
    ),
    (
        "sch0107",
        "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7»",
        "МБОУ СОШ № 7",
        "Никитина Елена Юрьевна",
    ),
    (
        "sch0108",
        "Муниципальное казённое общеобразовательное учреждение «Средняя общеобразовательная школа с. Ивановка»",
        "МКОУ СОШ с. Ивановка",
        "Фёдоров Сергей Иванович",
    ),
    (
        "sch0109",
        "Муниципальное казённое общеобразовательное учреждение «Основная общеобразовательная школа пос. Лесной»",
        "МКОУ ООШ пос. Лесной",
        "Васильева Татьяна Михайловна",
    ),
    (
        "sch0110",
        "Муниципальное бюджетное общеобразовательное учреждение «Центр образования № 10»",
        "МБОУ ЦО № 10",
        "Морозов Алексей Петрович",
    ),
    (
        "sch0111",
        "Муниципальное автономное общеобразовательное учреждение «Средняя общеобразовательная школа № 11»",
        "МАОУ СОШ № 11",
        "Кузнецова Ирина Владимировна",
    ),
    (
        "sch0112",
        "Муниципальное бюджетное общеобразовательное учреждение «Начальная общеобразовательная школа № 12»",
        "МБОУ НОШ № 12",
        "Смирнова Анна Викторовна",
    ),
    (
        "sch0113",
        "Муниципальное казённое общеобразовательное учреждение «Средняя общеобразовательная школа ст. Заречная»",
        "МКОУ СОШ ст. Заречная",
        "Попов Виктор Геннадьевич",
    ),
    (
        "sch0114",
        "Муниципальное бюджетное общеобразовательное учреждение «Вечерняя (сменная) общеобразовательная школа»",
        "МБОУ ВСОШ",
        "Лебедева Светлана Олеговна",
    ),
]

USERS = [
    ("admin", "Сергеева Людмила Ивановна", Role.DISTRICT_ADMIN, None),
    ("metodist", "Ковалёва Дарья Андреевна", Role.DISTRICT_REVIEWER, None),
    ("director1", "Калинина Ольга Петровна", Role.SCHOOL_HEAD, "sch0101"),
    ("secretary1", "Трофимова Валентина Ильинична", Role.SCHOOL_STAFF, "sch0101"),
    ("director2", "Громов Андрей Викторович", Role.SCHOOL_HEAD, "sch0102"),
]


def _contacts(code: str, n: int) -> dict[str, str]:
    return {
        "email": f"school{n}@svetlogorsk-edu.ru",
        "phone": f"+7 (40153) 2-{10 + n:02d}-{30 + n:02d}",
        "address": f"г. Светлогорск, ул. Школьная, д. {n}",
        "website": f"https://{code}.svetlogorsk-edu.ru",
    }


PLAN_SECTIONS = [
    "1. Меры по повышению объективности оценки, выявлению образовательных организаций "
    "с необъективными результатами и профилактическая работа с ними",
    "2. Меры по формированию позитивного отношения к объективной оценке "
    "образовательных результатов",
]
PLAN_ITEMS = [
    (
        0,
        "1.1",
        "Анализ объективности проведения оценочных процедур (выявление необъективных "
        "результатов), сопоставление результатов ВПР с отметками по журналу",
        "сентябрь",
        "Управление образования, ИМЦ",
    ),
    (
        0,
        "1.2",
        "Разработка и утверждение в каждой ОО плана мероприятий («дорожной карты») "
        "по обеспечению объективности оценочных процедур",
        "до 15 сентября",
        "Руководители ОО",
    ),
    (
        0,
        "1.3",
        "Обеспечение присутствия независимых наблюдателей при проведении ВПР",
        "по графику проведения ОП",
        "Руководители ОО",
    ),
    (
        0,
        "1.4",
        "Видеонаблюдение в аудиториях при проведении ВПР и при проверке работ",
        "апрель - май",
        "Руководители ОО",
    ),
    (
        0,
        "1.5",
        "Перепроверка работ участников ВПР в ОО с признаками необъективности",
        "октябрь - ноябрь",
        "ИМЦ, муниципальная предметная комиссия",
    ),
    (
        0,
        "1.6",
        "Размещение на сайте ОО Положения о ВСОКО и Положения о формах, "
        "периодичности и порядке текущего контроля",
        "до 1 октября",
        "Руководители ОО",
    ),
    (
        1,
        "2.1",
        "Семинары для учителей по критериям оценивания и объективности оценки",
        "2 раза в год",
        "ИМЦ",
    ),
    (
        1,
        "2.2",
        "Анализ результатов ВПР на заседаниях методических объединений",
        "декабрь, май",
        "Руководители ОО, руководители ШМО",
    ),
    (
        1,
        "2.3",
        "Информирование родителей о целях и порядке проведения оценочных процедур",
        "в течение учебного года",
        "Руководители ОО",
    ),
]


def _demo_plan(district: District, schools: list[School], staff: User) -> None:
    """A published plan with the first school's roadmap partly done."""
    from datetime import date

    from intranet.roadmaps import services
    from intranet.roadmaps.models import SchoolRoadmap

    today = date.today()
    start, end = services.school_year(today.year if today.month >= 8 else today.year - 1)
    plan = services.create_plan(
        None,
        district.id,
        {
            "title": "План («дорожная карта») мероприятий по повышению объективности "
            f"оценочных процедур на {start.year}-{end.year} учебный год",
            "order_number": "216",
            "order_date": date(start.year, 8, 31),
            "period_start": start,
            "period_end": end,
            "submit_by": date(start.year, 9, 15),
        },
    )
    sections = [services.add_section(None, plan, title) for title in PLAN_SECTIONS]
    for section, number, text, deadline, responsible in PLAN_ITEMS:
        services.add_plan_item(
            None,
            plan,
            {
                "section_id": sections[section].id,
                "number": number,
                "text": text,
                "deadline_text": deadline,
                "responsible": responsible,
            },
        )
    services.publish(None, plan)
    roadmap = db.session.scalar(
        select(SchoolRoadmap).where(
            SchoolRoadmap.plan_id == plan.id, SchoolRoadmap.school_id == schools[0].id
        )
    )
    first, second = roadmap.items[0], roadmap.items[1]
    for item, note in (
        (first, "Проведён анализ результатов ВПР прошлого года; расхождений с журналом нет."),
        (second, "Дорожная карта ОО утверждена приказом директора."),
    ):
        services.update_roadmap_item(
            staff,
            item,
            {
                "status": "done",
                "done_on": min(today, item.due_date or today),
                "progress_note": note,
            },
            None,
        )


def _demo_vpr(district: District, schools: list[School]) -> None:
    """A year of ВПР in mathematics, grade 5, as ФИС ОКО exports it; the gymnasium's
    marks look too good and disagree with its journal, so it lands in the risk zone."""
    import csv
    import io
    import random

    from intranet.objectivity import importer
    from intranet.objectivity.models import MarkScale

    year = date.today().year if date.today().month >= 5 else date.today().year - 1
    db.session.add(
        MarkScale(
            district_id=district.id,
            year=year,
            subject="Математика",
            grade=5,
            min3=6,
            min4=11,
            min5=16,
            max_score=20,
        )
    )
    db.session.commit()
    rng = random.Random(5)
    rows = [
        [
            "Логин ОО",
            "Класс",
            "Код участника",
            "Вариант",
            "Первичный балл",
            "Отметка",
            "Отметка по журналу",
            "Отсутствовал",
        ]
    ]
    n = 0
    for school in schools:
        inflated = school.code == "sch0103"
        for _ in range(rng.randint(30, 60)):
            n += 1
            score = max(0, min(20, int(rng.gauss(17 if inflated else 11, 2 if inflated else 4))))
            mark = 5 if score >= 16 else 4 if score >= 11 else 3 if score >= 6 else 2
            journal = (
                rng.choice((3, 4)) if inflated else min(5, max(2, mark + rng.choice((-1, 0, 0, 1))))
            )
            rows.append(
                [
                    school.code,
                    "5А",
                    f"{n:05d}",
                    str(1 + n % 2),
                    str(score),
                    str(mark),
                    str(journal),
                    "",
                ]
            )
    out = io.StringIO()
    out.write(f"ВПР {year}. Математика, 5 класс\n")
    csv.writer(out, delimiter=";").writerows(rows)
    parsed = importer.parse(district.id, out.getvalue().encode("utf-8"), "vpr.csv")
    importer.apply(None, district.id, parsed, "ВПР математика 5 класс.csv")


def fill() -> list[tuple[str, str, str]]:
    """Create the demo district once; return (login, role, password) to print, or []."""
    if db.session.scalar(select(District.id).where(District.name == DISTRICT[0])):
        return []
    printed: list[tuple[str, str, str]] = []
    with acting(None):
        district = District(name=DISTRICT[0], short_name=DISTRICT[1])
        db.session.add(district)
        db.session.flush()
        by_code = {}
        for n, (code, name, short, head) in enumerate(SCHOOLS, start=1):
            school = School(
                district_id=district.id,
                code=code,
                name=name,
                short_name=short,
                head_name=head,
                active=True,
                **_contacts(code, n),
            )
            db.session.add(school)
            by_code[code] = school
        db.session.flush()
        users: dict[str, User] = {}
        for login, full_name, role, code in USERS:
            password = generate_one_time_password()
            user = User(
                login=login,
                full_name=full_name,
                role=role.value,
                district_id=district.id,
                school_id=by_code[code].id if code else None,
                active=True,
            )
            user.set_password(password)
            db.session.add(user)
            printed.append((login, role.value, password))
            users[login] = user
        db.session.commit()
    _demo_plan(district, list(by_code.values()), users["secretary1"])
    _demo_vpr(district, list(by_code.values()))
    _demo_forms(district)
    _demo_act(list(by_code.values())[0], users["director1"], users["metodist"])
    _demo_copy(by_code[SCHOOLS[0][0]])
    return printed


def demo_enrolment_path() -> Path:
    return Path(current_app.instance_path) / "demo-enrol-school-copy.zip"


def _demo_copy(school: School) -> None:
    """One enrolled computer of the first school, and its enrolment file in the instance
    folder, so the offline copy can be tried at once (``intranet sync init FILE``)."""
    from sync.enrol import build_enrolment

    made = build_enrolment(None, school, "Демо: компьютер секретаря")
    demo_enrolment_path().write_bytes(made.data)


def _demo_act(school: School, head: User, reviewer: User) -> None:
    """The first school's roadmap submitted and accepted, and a control act issued on it."""
    from datetime import date, timedelta

    from intranet.acts import services as acts
    from intranet.review import services as review
    from intranet.roadmaps.models import SchoolRoadmap

    roadmap = db.session.scalar(select(SchoolRoadmap).where(SchoolRoadmap.school_id == school.id))
    review.submit(head, roadmap)
    review.accept(reviewer, roadmap)
    today = date.today()
    draft = acts.create_draft(reviewer, school)
    items = draft.items + [
        {"topic": "Размещение на сайте положения о ВСОКО", "finding": "partly",
         "note": "Положение размещено, приказ о его утверждении — нет."},
    ]  # fmt: skip
    data = {
        "order_number": "45-о",
        "order_date": today - timedelta(days=10),
        "period_start": today - timedelta(days=7),
        "period_end": today - timedelta(days=3),
        "control_form": "documentary",
        "subject": "Исполнение дорожной карты по повышению объективности оценочных процедур",
        "commission": [
            {"name": reviewer.full_name, "post": "методист управления образования"},
        ],
        "items": items,
        "conclusions": "Дорожная карта исполняется в установленные сроки; "
        "положение о ВСОКО размещено на сайте не полностью.",
        "recommendations": [
            {
                "text": "Разместить на сайте приказ об утверждении положения о ВСОКО",
                "deadline": today + timedelta(days=30),
                "responsible": school.head_name,
            }
        ],
        "head_name": school.head_name,
    }
    acts.issue(reviewer, acts.save_draft(reviewer, draft, data, draft.revision))


def _demo_forms(district: District) -> None:
    """The two shipped forms, published, and a ВСОКО campaign sent to every school."""
    from datetime import date, timedelta

    from intranet.inspections import builtin
    from intranet.inspections import services as inspections

    templates = builtin.install(None, district.id)
    inspections.launch_campaign(
        None,
        templates[0].latest,
        "Самообследование ВСОКО",
        date.today() + timedelta(days=14),
        grace_days=7,
    )
