from __future__ import annotations

from sqlalchemy import func, select

from intranet.audit.models import AuditEntry
from intranet.auth.roles import Role
from intranet.extensions import db
from intranet.schools.models import School


def test_district_list_shows_only_its_district(client, make, login_as):
    reviewer = make.user(Role.DISTRICT_REVIEWER)
    mine = make.school(reviewer.district, name="МБОУ «Гимназия № 3»", short_name="Гимназия № 3")
    theirs = make.school(name="МБОУ «Лицей № 9»", short_name="Лицей № 9")
    html = login_as(reviewer).get("/schools/").get_data(as_text=True)
    assert mine.short_name in html
    assert theirs.short_name not in html


def test_search_is_case_insensitive_in_cyrillic_and_returns_a_fragment(client, make, login_as):
    reviewer = make.user(Role.DISTRICT_REVIEWER)
    make.school(reviewer.district, short_name="Гимназия № 3", head_name="Белова Наталья")
    make.school(reviewer.district, short_name="СОШ № 7", head_name="Никитина Елена")
    login_as(reviewer)
    fragment = client.get(
        "/schools/?q=гимназ", headers={"HX-Request": "true", "HX-Target": "school-list"}
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="school-list">')
    assert "Гимназия № 3" in fragment and "СОШ № 7" not in fragment
    assert "<html" not in fragment
    by_head = client.get("/schools/?q=НИКИТИНА").get_data(as_text=True)
    assert "<html" in by_head and "СОШ № 7" in by_head and "Гимназия № 3" not in by_head
    none = client.get("/schools/?q=zzz").get_data(as_text=True)
    assert "По запросу «zzz» ничего не найдено." in none


def test_history_restore_gets_the_whole_page(client, make, login_as):
    login_as(make.user(Role.DISTRICT_REVIEWER))
    response = client.get(
        "/schools/?q=x",
        headers={
            "HX-Request": "true",
            "HX-Target": "school-list",
            "HX-History-Restore-Request": "true",
        },
    )
    assert "<html" in response.get_data(as_text=True)


def test_school_home_shows_its_card_and_users(client, make, login_as):
    staff = make.user(Role.SCHOOL_STAFF, full_name="Трофимова Валентина")
    school = staff.school
    school.website = "https://sch.example.ru"
    db.session.commit()
    head = make.user(Role.SCHOOL_HEAD, school=school, full_name="Калинина Ольга")
    html = login_as(staff).get(f"/schools/{school.id}").get_data(as_text=True)
    assert school.name in html
    assert "https://sch.example.ru" in html
    assert head.full_name in html and "Руководитель ОО" in html
    assert "Изменить" not in html  # staff cannot edit the card


def test_admin_adds_a_school_with_validation_in_russian(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    existing = make.school(admin.district, code="sch001")
    login_as(admin)
    bad = client.post(
        "/schools/new",
        data={"code": "sch001", "name": "", "email": "not-mail", "website": "ftp:/x"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Это не адрес электронной почты." in html
    assert "Это не адрес сайта" in html
    assert "Обязательное поле." in html
    count = db.session.scalar(select(func.count(School.id)))
    dup = client.post("/schools/new", data={"code": " sch001 ", "name": "Школа"})
    assert "Организация с таким кодом уже есть." in dup.get_data(as_text=True)
    assert db.session.scalar(select(func.count(School.id))) == count
    ok = client.post(
        "/schools/new",
        data={"code": "sch002", "name": "МБОУ «СОШ № 2»", "email": "s2@example.ru"},
        follow_redirects=True,
    )
    assert "Организация «МБОУ «СОШ № 2»» добавлена." in ok.get_data(as_text=True)
    created = db.session.scalar(select(School).where(School.code == "sch002"))
    assert created.district_id == admin.district_id
    assert existing.code == "sch001"


def test_admin_edits_and_deactivates_a_school(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    school = make.school(admin.district, code="s1", name="Старое имя")
    login_as(admin)
    client.post(
        f"/schools/{school.id}/edit", data={"code": "s1", "name": "Новое имя", "phone": "123"}
    )
    client.post(f"/schools/{school.id}/active", data={"active": "0"})
    db.session.expire_all()
    school = db.session.get(School, school.id)
    assert school.name == "Новое имя" and school.phone == "123"
    assert school.active is False
    actions = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity == "school", AuditEntry.entity_id == str(school.id)
        )
    ).all()
    assert actions.count("update") == 2


def test_forged_school_id_changes_nothing(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    foreign = make.school(name="Чужая школа")
    login_as(admin)
    assert (
        client.post(f"/schools/{foreign.id}/edit", data={"code": "x", "name": "Взлом"}).status_code
        == 404
    )
    assert client.post(f"/schools/{foreign.id}/active", data={"active": "0"}).status_code == 404
    assert client.get("/schools/999999").status_code == 404
    db.session.expire_all()
    foreign = db.session.get(School, foreign.id)
    assert foreign.name == "Чужая школа" and foreign.active is True


def test_error_pages_speak_russian(client, make, login_as):
    login_as(make.user(Role.SCHOOL_STAFF))
    forbidden = client.get("/users/")
    assert forbidden.status_code == 403
    assert "Доступ запрещён" in forbidden.get_data(as_text=True)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Страница не найдена" in missing.get_data(as_text=True)


def test_district_list_query_count_does_not_grow_with_schools(app, client, make, login_as):
    from tests.perf import count_queries

    reviewer = make.user(Role.DISTRICT_REVIEWER)
    for _ in range(3):
        make.school(reviewer.district)
    login_as(reviewer)
    few = count_queries(app, lambda: client.get("/schools/"))
    for _ in range(20):
        school = make.school(reviewer.district)
        make.user(Role.SCHOOL_STAFF, school=school)
    many = count_queries(app, lambda: client.get("/schools/"))
    assert many == few


def test_district_list_pages_and_searches_literally(app, client, make, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SCHOOLS_PAGE_SIZE", 2)
    reviewer = make.user(Role.DISTRICT_REVIEWER)
    for code in ("a1", "a2", "a3"):
        make.school(reviewer.district, code=code, short_name=f"Школа {code}")
    make.school(reviewer.district, code="a4", short_name="Школа 100%_план")
    make.school(reviewer.district, code="a5", short_name="Школа 1000 планов")
    closed = make.school(reviewer.district, code="a6")
    make.user(Role.SCHOOL_STAFF, school=closed)
    closed.active = False
    db.session.commit()
    login_as(reviewer)
    second = client.get("/schools/?page=2").get_data(as_text=True)
    assert "Школа a3" in second and "Школа a1" not in second
    assert "Показаны 3–4 из 6" in second
    # A page past the last shows the last one.
    last = client.get("/schools/?page=9").get_data(as_text=True)
    assert "Показаны 5–6 из 6" in last
    assert '<td class="num">1</td>' in last  # the staff member of the sixth school
    assert '<tr class="inactive">' in last and '<span class="badge">неактивна</span>' in last
    # % and _ are letters in a search, not LIKE's wildcards.
    found = client.get("/schools/?q=100%25_").get_data(as_text=True)
    assert "Школа 100%_план" in found and "1000 планов" not in found
    assert "Показаны 1–1 из 1" in found
    assert "ничего не найдено" in client.get("/schools/?q=zz&page=3").get_data(as_text=True)
