from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from intranet.audit.models import AuditEntry
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.schools.models import School

HEADER = [
    "Код",
    "Наименование",
    "Краткое наименование",
    "Руководитель",
    "E-mail",
    "Телефон",
    "Адрес",
    "Сайт",
]
ROWS = [
    [
        "sch01",
        "МБОУ «Средняя общеобразовательная школа № 1»",
        "СОШ № 1",
        "Иванова Анна Петровна",
        "s1@edu.ru",
        "+7 900 1",
        "ул. Ленина, 1",
        "https://s1.edu.ru",
    ],
    ["sch02", "МАОУ «Гимназия № 2»", "Гимназия № 2", "Петров Пётр", "s2@edu.ru", "", "", ""],
]


def xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_cp1251(rows, header=HEADER) -> bytes:
    lines = [";".join(header)] + [";".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


@pytest.fixture
def admin(make, login_as):
    user = make.user(Role.DISTRICT_ADMIN)
    login_as(user)
    return user


def upload(client, data: bytes, name: str):
    return client.post(
        "/schools/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def school_count() -> int:
    return db.session.scalar(select(func.count(School.id)))


def test_valid_file_previews_then_imports_then_reimport_changes_nothing(client, admin):
    url = preview_url(upload(client, xlsx(ROWS), "schools.xlsx"))
    page = client.get(url).get_data(as_text=True)
    assert "Новых: 2, изменённых: 0, без изменений: 0." in page
    assert school_count() == 0  # preview writes nothing
    done = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "добавлено 2, обновлено 0, без изменений 0" in done
    school = db.session.scalar(select(School).where(School.code == "sch01"))
    assert school.head_name == "Иванова Анна Петровна"
    assert school.district_id == admin.district_id
    audit_rows = db.session.scalar(select(func.count(AuditEntry.id)))

    again = preview_url(upload(client, xlsx(ROWS), "schools.xlsx"))
    assert "без изменений: 2" in client.get(again).get_data(as_text=True)
    client.post(again)
    db.session.expire_all()
    assert school_count() == 2
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_rows


def test_update_by_code_changes_only_what_differs(client, admin, make):
    make.school(admin.district, code="sch01", name="Старое наименование")
    url = preview_url(upload(client, xlsx(ROWS), "schools.xlsx"))
    page = client.get(url).get_data(as_text=True)
    assert "Новых: 1, изменённых: 1" in page
    assert "будет обновлена" in page and "Полное наименование" in page
    client.post(url)
    db.session.expire_all()
    assert db.session.scalar(select(School.name).where(School.code == "sch01")) == ROWS[0][1]


def test_every_bad_row_is_listed_and_nothing_is_written(client, admin):
    rows = [
        ROWS[0],
        ["", "Без кода", "", "", "", "", "", ""],
        ["sch03", "", "", "", "not-an-email", "", "", "www"],
        ["sch01", "Повтор кода", "", "", "", "", "", ""],
    ]
    url = preview_url(upload(client, xlsx(rows), "bad.xlsx"))
    page = client.get(url).get_data(as_text=True)
    assert "Ничего не будет загружено" in page
    assert "Код: Обязательное поле." in page
    assert "Полное наименование: Обязательное поле." in page
    assert "Эл. почта: Это не адрес электронной почты." in page
    assert "Сайт: Это не адрес сайта" in page
    assert "Код sch01 уже встречался в строке 2." in page
    assert 'type="submit">Загрузить<' not in page
    forced = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "ничего не загружено" in forced
    assert school_count() == 0


def test_cp1251_csv_with_semicolons(client, admin):
    url = preview_url(upload(client, csv_cp1251(ROWS), "schools.csv"))
    client.post(url)
    assert (
        db.session.scalar(select(School.short_name).where(School.code == "sch02")) == "Гимназия № 2"
    )


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "Файл пуст."),
        (
            b"PK\x03\x04garbage",
            "broken.xlsx",
            "Файл повреждён или не является электронной таблицей",
        ),
        (xlsx(ROWS), "renamed.csv", "переименованная в .csv"),
        (
            "Название;Директор\r\nШкола;Иванов\r\n".encode("cp1251"),
            "cols.csv",
            "обязательны «Код» и «Наименование»",
        ),
    ],
    ids=["empty", "corrupt", "renamed", "missing-columns"],
)
def test_malformed_files_get_a_clear_message(client, admin, data, name, message):
    response = upload(client, data, name)
    if response.status_code == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    else:
        page = response.get_data(as_text=True)
    assert message in page
    assert school_count() == 0


def test_zip_bomb_is_refused(client, admin):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (80 * 1024 * 1024))
    page = client.get(preview_url(upload(client, buf.getvalue(), "bomb.xlsx"))).get_data(
        as_text=True
    )
    assert "недопустимо большой объём" in page


def test_wrong_extension_and_oversized_upload(app, client, admin):
    wrong = upload(client, b"%PDF-1.4", "schools.pdf").get_data(as_text=True)
    assert "Принимаются только файлы .xlsx, .xls, .ods и .csv." in wrong
    app.config["IMPORT_MAX_BYTES"] = 1024
    try:
        big = upload(client, b"x" * 2048, "big.csv").get_data(as_text=True)
    finally:
        app.config["IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    assert "Файл больше" in big
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        too_big = upload(client, b"x" * 4096, "huge.csv")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    assert too_big.status_code == 413
    assert "Файл слишком большой" in too_big.get_data(as_text=True)
    assert school_count() == 0


def test_staged_file_of_another_user_is_404(client, admin, make, app):
    url = preview_url(upload(client, xlsx(ROWS), "schools.xlsx"))
    other = make.user(Role.DISTRICT_ADMIN, district=admin.district)
    intruder = app.test_client()
    intruder.post("/login", data={"login": other.login, "password": "correct-horse-42"})
    assert intruder.get(url).status_code == 404
    assert intruder.post(url).status_code == 404
    assert school_count() == 0
    assert re.search(r"/schools/import/[0-9a-f-]{36}$", url)


@pytest.mark.parametrize("ext", ["ods", "xls"])
def test_libreoffice_and_old_excel_files(client, admin, ext):
    from tests import sheetfiles

    data = getattr(sheetfiles, ext)([HEADER, *ROWS])
    url = preview_url(upload(client, data, f"schools.{ext}"))
    assert "Новых: 2, изменённых: 0, без изменений: 0." in client.get(url).get_data(as_text=True)
    client.post(url)
    db.session.expire_all()
    school = db.session.scalar(select(School).where(School.code == "sch01"))
    assert school.name == "МБОУ «Средняя общеобразовательная школа № 1»"
    assert school_count() == 2
