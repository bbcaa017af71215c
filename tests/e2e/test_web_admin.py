"""The school's structure in the administrator's area through HTTP: years and terms, classes
and groups, course journals, pupils, enrolment and guardians — each action's effect shows
on the next page."""

from __future__ import annotations

import re

from ejournal.bootstrap import System
from tests.web import WebSchool, client_for, post, written_since

NEW_PASSWORD = "brand-new-pass-7"


def _admin(system: System, web: WebSchool):
    return client_for(system, web, "admin")


def _fresh_client(system: System):
    from ejournal.webapp import web_app

    return web_app(system, testing=True).test_client()


def _follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_school_year_terms_classes_groups_and_course_journals(system, web):
    admin = _admin(system, web)
    page = _follow(
        admin,
        post(
            admin,
            "/admin/years",
            {"year": "2026/27", "starts": "2026-09-01", "ends": "2027-05-31"},
            "/admin/years",
        ),
    )
    assert "Учебный год 2026/27" in page
    year_url = re.search(r'action="(/admin/years/[0-9a-f-]+)/terms"', page).group(1)
    bad = post(
        admin,
        "/admin/years",
        {"year": "2026/28", "starts": "2026-09-01", "ends": "2027-05-31"},
        "/admin/years",
    )
    assert bad.status_code == 422 and "2026/27" in bad.get_data(as_text=True)
    page = _follow(
        admin,
        post(
            admin,
            f"{year_url}/terms",
            {"number": "1", "title": "1 полугодие", "starts": "2026-09-01", "ends": "2026-12-28"},
            year_url,
        ),
    )
    assert "1 полугодие" in page and "28.12.2026" in page
    overlap = post(
        admin,
        f"{year_url}/terms",
        {"number": "2", "title": "2 полугодие", "starts": "2026-12-01", "ends": "2027-05-31"},
        year_url,
    )
    assert overlap.status_code == 422 and "пересекается" in overlap.get_data(as_text=True)
    assert 'value="2 полугодие"' in overlap.get_data(as_text=True)
    page = _follow(
        admin, post(admin, f"{year_url}/classes", {"name": "6А", "grade": "6"}, year_url)
    )
    assert "Класс 6А" in page
    class_url = re.search(r'action="(/admin/groups/[0-9a-f-]+)/courses"', page).group(1)
    tutor = str(system.journal.queries.account_by_login("tutor").id)
    page = _follow(admin, post(admin, f"{class_url}/teacher", {"teacher_id": tutor}, class_url))
    assert "Классный руководитель назначен" in page
    page = _follow(
        admin,
        post(
            admin, f"{class_url}/courses", {"subject": "Физика", "scale": "five_point"}, class_url
        ),
    )
    assert "<td>Физика</td>" in page
    course = re.search(r'action="/admin/courses/([0-9a-f-]+)/teachers"', page).group(1)
    page = _follow(
        admin,
        post(
            admin,
            f"/admin/courses/{course}/teachers",
            {"teacher_id": str(web.school.teacher)},
            class_url,
        ),
    )
    assert re.search(r"<td>Физика</td>\s*<td>Петрова А. И.</td>", page)
    year_page = admin.get(year_url).get_data(as_text=True)
    assert re.search(r">6А</a></td>\s*<td>0</td><td>Классова Н.</td>", year_page)
    page = _follow(
        admin,
        post(admin, f"{year_url}/groups", {"code": "robotics", "title": "Робототехника"}, year_url),
    )
    assert "Группа внеурочной деятельности Робототехника" in page


def test_a_teacher_is_unassigned_from_a_course_journal(system: System, web: WebSchool):
    """The «Снять» button beside an assigned teacher: the teacher leaves the journal's
    list and no longer opens it; only the administrator may press it."""
    s = web.school
    class_url = f"/admin/groups/{s.class_id}"
    action = f"/admin/courses/{s.course_id}/teachers/unassign"
    teacher = client_for(system, web, "teacher")
    assert teacher.get(f"/journal/{s.course_id}/1").status_code == 200
    for role in ("teacher", "class_teacher", "deputy", "head"):
        refused = post(client_for(system, web, role), action, {"teacher_id": str(s.teacher)}, "/")
        assert refused.status_code == 403, role
    admin = _admin(system, web)
    page = admin.get(class_url).get_data(as_text=True)
    assert f'action="{action}"' in page and 'aria-label="Снять с журнала: Петрова А. И."' in page
    missing = post(admin, action, {"teacher_id": str(s.other_teacher)}, class_url)
    assert missing.status_code == 422 and "Выберите значение из списка." in missing.text
    page = _follow(admin, post(admin, action, {"teacher_id": str(s.teacher)}, class_url))
    assert "Учитель снят с журнала." in page
    assert re.search(r"<td>Математика</td>\s*<td>—</td>", page), page
    assert f'action="{action}"' not in page
    assert teacher.get(f"/journal/{s.course_id}/1").status_code == 403


def test_register_enrol_and_withdraw_a_pupil(system: System, web: WebSchool):
    admin, class_url = _admin(system, web), f"/admin/groups/{web.school.class_id}"
    page = _follow(
        admin,
        post(
            admin,
            "/admin/pupils",
            {
                "surname": "Новенький",
                "name": "Лев",
                "patronymic": "",
                "birth_date": "2014-05-05",
                "group_id": "",
                "on": "2025-09-01",
            },
            "/admin/pupils",
        ),
    )
    assert "<h1>Новенький Лев</h1>" in page and "Не зачислен" in page
    pupil = re.search(r'action="/admin/pupils/([0-9a-f-]+)/guardians"', page).group(1)
    assert "Новенький Лев" in admin.get("/admin/pupils").get_data(as_text=True)
    page = _follow(
        admin,
        post(admin, f"{class_url}/members", {"student_id": pupil, "on": "2025-09-15"}, class_url),
    )
    assert re.search(r"Новенький Лев</a></td>\s*<td>05.05.2014</td><td>15.09.2025</td>", page)
    assert (
        "Новенький Лев"
        not in admin.get("/admin/pupils").get_data(as_text=True).split("Без класса")[1]
    )
    refused = post(
        admin,
        f"{class_url}/members/{pupil}/leave",
        {"on": "2025-09-10", "reason": "Переезд"},
        class_url,
    )
    assert refused.status_code == 422 and "позже даты зачисления" in refused.get_data(as_text=True)
    page = _follow(
        admin,
        post(
            admin,
            f"{class_url}/members/{pupil}/leave",
            {"on": "2025-10-01", "reason": "Переезд"},
            class_url,
        ),
    )
    former = page.split("Выбывшие")[1]
    assert "Новенький Лев" in former and "01.10.2025" in former


def test_register_a_pupil_straight_into_a_class(system: System, web: WebSchool):
    admin = _admin(system, web)
    page = _follow(
        admin,
        post(
            admin,
            "/admin/pupils",
            {
                "surname": "Сразу",
                "name": "Вклассе",
                "patronymic": "",
                "birth_date": "2014-01-01",
                "group_id": str(web.school.class_id),
                "on": "2025-09-01",
            },
            "/admin/pupils",
        ),
    )
    assert re.search(r">5А</a></td><td>01.09.2025</td>", page)
    before = system.journal.recorder.max_notification_id()
    late = post(
        admin,
        "/admin/pupils",
        {
            "surname": "Будущий",
            "name": "Младенец",
            "patronymic": "",
            "birth_date": "2025-10-01",
            "group_id": str(web.school.class_id),
            "on": "2025-09-01",
        },
        "/admin/pupils",
    )
    assert late.status_code == 422 and written_since(system, before) == []


def test_activity_group_members(system: System, web: WebSchool):
    admin, s = _admin(system, web), web.school
    year_url = f"/admin/years/{s.year_id}"
    page = _follow(
        admin, post(admin, f"{year_url}/groups", {"code": "chess", "title": "Шахматы"}, year_url)
    )
    group_url = re.search(r'action="(/admin/groups/[0-9a-f-]+)/courses"', page).group(1)
    page = admin.get(f"{group_url}?from={s.class_id}").get_data(as_text=True)
    assert "Смирнов Артём, 07.03.2014" in page
    page = _follow(
        admin,
        post(
            admin,
            f"{group_url}/members?from={s.class_id}",
            {"student_id": str(s.pupils[0]), "on": "2025-09-10"},
            group_url,
        ),
    )
    assert re.search(r"Смирнов Артём</a></td>\s*<td>07.03.2014</td><td>10.09.2025</td>", page)
    page = _follow(
        admin,
        post(
            admin,
            f"{group_url}/members/{s.pupils[0]}/leave",
            {"on": "2025-11-01", "reason": "По заявлению"},
            group_url,
        ),
    )
    assert "Смирнов Артём" in page.split("Выбывшие")[1]


def test_guardians_are_registered_and_linked(system: System, web: WebSchool):
    admin, s = _admin(system, web), web.school
    url = f"/admin/pupils/{s.pupils[1]}"
    page = _follow(
        admin,
        post(
            admin,
            f"{url}/guardians",
            {
                "surname": "Кузнецов",
                "name": "Олег",
                "patronymic": "",
                "relation": "отец",
                "phone": "+7 900 555-11-22",
                "email": "oleg@example.ru",
            },
            url,
        ),
    )
    assert re.search(r"<td>Кузнецов Олег</td><td>отец</td><td>\+7 900 555-11-22</td>", page)
    guardian = next(iter(system.journal.queries.student(s.pupils[1]).guardians))
    other = f"/admin/pupils/{s.pupils[2]}"
    page = _follow(
        admin,
        post(
            admin,
            f"{other}/guardians/link",
            {"guardian_id": str(guardian), "relation": "отчим"},
            other,
        ),
    )
    assert "<td>Кузнецов Олег</td><td>отчим</td>" in page
    before = system.journal.recorder.max_notification_id()
    bad = post(
        admin,
        f"{url}/guardians",
        {"surname": "Без", "name": "Связи", "relation": "дядя", "phone": "звоните мне"},
        url,
    )
    assert bad.status_code == 422 and "Телефон" in bad.get_data(as_text=True)
    assert written_since(system, before) == []


PROFILE_FORM = {
    "full_name": "Муниципальное бюджетное общеобразовательное учреждение «Школа № 5»",
    "short_name": "МБОУ «Школа № 5»",
    "address": "123456, г. Энск, ул. Лесная, д. 5",
    "head_name": "Школьникова Ольга Ивановна",
    "head_position": "Директор",
    "ogrn": "1027700123450",
    "inn": "7701234560",
}


def test_the_school_profile_is_set_on_its_page_and_a_bad_ogrn_is_refused(system, web):
    admin = _admin(system, web)
    assert "Сведения о школе" in admin.get("/admin/").get_data(as_text=True)
    before = system.journal.recorder.max_notification_id()
    wrong = post(
        admin, "/admin/profile", PROFILE_FORM | {"ogrn": "1027700123451"}, "/admin/profile"
    )
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "ОГРН" in page and "контрольная" in page
    assert 'value="1027700123451"' in page and "Школьникова Ольга Ивановна" in page
    assert written_since(system, before) == []
    short = post(admin, "/admin/profile", PROFILE_FORM | {"inn": "77012"}, "/admin/profile")
    assert short.status_code == 422 and "ИНН — 10 цифр" in short.get_data(as_text=True)
    shown = _follow(admin, post(admin, "/admin/profile", PROFILE_FORM, "/admin/profile"))
    assert "Сведения о школе сохранены" in shown and 'value="7701234560"' in shown
    assert system.views.reads.school.profile("demo").head_name == "Школьникова Ольга Ивановна"
    teacher = client_for(system, web, "teacher")
    assert teacher.get("/admin/profile").status_code == 403
