"""A demo district: realistic schools and one account of every role."""

from __future__ import annotations

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
        db.session.commit()
    return printed
