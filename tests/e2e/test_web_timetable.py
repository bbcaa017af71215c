"""The timetable through HTTP (ADR 0019): the deputy head enters bells, imports the weekly
timetable (CSV) and a thematic plan (CSV, XLSX) — a bad file lists every bad line and
writes nothing; «Уроки сегодня» lists today's lessons from the timetable with period and
time; a teacher holds one and it takes the plan's topic; a substitute holds exactly the
substituted lesson."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import Workbook

from domain import clock, ids
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, csrf, sign_in, written_since

TIMETABLE = "Класс;День;Урок;Предмет\n5А;вт;2;Математика\n5А;чт;1;математика\n"
PLAN = (
    "Номер;Тема;Часы;Домашнее задание\n1;Натуральные числа;2;§ 1\n2;Шкалы;1;§ 2, № 7\n3;Дроби;1;\n"
)


def _upload(client, path: str, data: bytes, name: str, **fields: str):
    return client.post(
        path,
        data={
            "file": (io.BytesIO(data), name),
            **fields,
            "csrf_token": csrf(client, "/timetable/"),
        },
        content_type="multipart/form-data",
    )


def _timetabled(system: System, web: WebSchool):
    """Bells, 5А's mathematics on Tuesdays (2) and Thursdays (1), and its plan, entered
    through the pages by the deputy head before the year starts."""
    deputy = client_for(system, web, "deputy")
    with clock.travel(at(LESSON_DAY - timedelta(days=20), 10)):
        bells = {"starts-1": "8:30", "ends-1": "9:15", "starts-2": "09:25", "ends-2": "10:10"}
        response = deputy.post(
            "/timetable/bells", data={**bells, "csrf_token": csrf(deputy, "/timetable/")}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        response = _upload(
            deputy, "/timetable/import", TIMETABLE.encode(), "t.csv", since="2025-09-01"
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        response = _upload(
            deputy, f"/timetable/{web.school.course_id}/plan", PLAN.encode(), "plan.csv"
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    system.views.catch_up()
    return deputy


def test_todays_lessons_come_from_the_timetable_and_take_the_plans_topic(
    system: System, web: WebSchool
):
    _timetabled(system, web)
    teacher = client_for(system, web, "teacher")
    # Tuesdays 2, 9, 16 September and Thursdays 4, 11: 16 September is lesson 5 (0-based 4)
    # of the course; the plan's four hours are over, so it has no topic — take 11 September.
    day = LESSON_DAY - timedelta(days=5)
    with clock.travel(at(day, 8)):
        page = teacher.get("/journal/").get_data(as_text=True)
        today = page[page.index("Уроки сегодня") : page.index("Журналы")]
        assert "08:30–09:15" in today and "Математика" in today and "5А" in today
        assert "Дроби" in today  # lesson 4 of the course: the plan's row 3
        assert "Провести урок" in today
        response = teacher.post(
            f"/timetable/{web.school.course_id}/hold",
            data={
                "course": str(web.school.course_id),
                "day": day.isoformat(),
                "period": "1",
                "csrf_token": csrf(teacher, "/journal/"),
            },
        )
        lesson = ids.lesson_id(web.school.course_id, day, 1)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/journal/lessons/{lesson}")
        system.views.catch_up()
        assert system.journal.queries.lesson(lesson).topic == "Дроби"
        page = teacher.get("/journal/").get_data(as_text=True)
        today = page[page.index("Уроки сегодня") : page.index("Журналы")]
        assert f"/journal/lessons/{lesson}" in today and "Провести урок" not in today


def test_no_lessons_on_days_off(system: System, web: WebSchool):
    deputy = _timetabled(system, web)
    with clock.travel(at(LESSON_DAY - timedelta(days=20), 11)):
        response = deputy.post(
            "/timetable/days-off",
            data={
                "starts": LESSON_DAY.isoformat(),
                "ends": LESSON_DAY.isoformat(),
                "title": "Праздник школы",
                "csrf_token": csrf(deputy, "/timetable/"),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    system.views.catch_up()
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 8)):
        page = teacher.get("/journal/").get_data(as_text=True)
    assert "На сегодня уроков нет" in page


def test_a_bad_timetable_file_lists_every_line_and_writes_nothing(system: System, web: WebSchool):
    deputy = _timetabled(system, web)
    bad = "\n".join(
        [
            "Класс;День;Урок;Предмет",
            "5А;пн;1;Математика",  # 2: good
            "5Я;пн;2;Математика",  # 3: no such class
            "5А;вс;2;Математика",  # 4: Sunday
            "5А;ср;девять;Математика",  # 5: not a number
            "5А;ср;2;Химия",  # 6: no such course journal
            "5А;пт;7;Математика",  # 7: no 7th period in the bells
        ]
    )
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY - timedelta(days=10), 10)):
        response = _upload(deputy, "/timetable/import", bad.encode(), "t.csv", since="2025-09-08")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ошибки в строках 3, 4, 5, 6" in page
    for message in ("«5Я»", "«вс»", "«девять»", "«Химия»"):
        assert message in page
    assert written_since(system, before) == []
    # the file's lines all read, the domain finds the 7th period missing: still nothing written
    with clock.travel(at(LESSON_DAY - timedelta(days=10), 10)):
        response = _upload(
            deputy,
            "/timetable/import",
            "Класс;День;Урок;Предмет\n5А;пн;1;Математика\n5А;пт;7;Математика\n".encode(),
            "t.csv",
            since="2025-09-08",
        )
    assert response.status_code == 422
    assert "Урока № 7 нет в расписании звонков" in response.get_data(as_text=True)
    assert written_since(system, before) == []


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_thematic_plan_from_xlsx_is_checked_line_by_line(system: System, web: WebSchool):
    deputy = _timetabled(system, web)
    header = ["Номер", "Тема", "Часы", "Домашнее задание"]
    bad = _xlsx([header, [1, "Повторение", 1, "§ 1"], [3, "", 0, None], [4, "Дроби", "два", ""]])
    before = system.journal.recorder.max_notification_id() or 0
    path = f"/timetable/{web.school.course_id}/plan"
    with clock.travel(at(LESSON_DAY - timedelta(days=10), 10)):
        response = _upload(deputy, path, bad, "plan.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ошибки в строках 3, 4" in page
    assert "Не указана тема" in page and "«два»" in page and "должен быть 2" in page
    assert written_since(system, before) == []
    good = _xlsx([header, [1, "Повторение", 1, "§ 1"], [2, "Дроби", 2, None]])
    with clock.travel(at(LESSON_DAY - timedelta(days=10), 10)):
        response = _upload(deputy, path, good, "plan.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    system.views.catch_up()
    page = deputy.get(path.removesuffix("/plan")).get_data(as_text=True)
    assert "Повторение" in page and "Дроби" in page and "Шкалы" not in page


def test_the_substitute_holds_and_keeps_only_the_substituted_lesson(system: System, web: WebSchool):
    deputy = _timetabled(system, web)
    with clock.travel(at(LESSON_DAY - timedelta(days=1), 10)):
        response = deputy.post(
            "/timetable/substitutions",
            data={
                "course": str(web.school.course_id),
                "day": LESSON_DAY.isoformat(),
                "period": "2",
                "teacher": str(web.school.other_teacher),
                "reason": "Больничный",
                "csrf_token": csrf(deputy, "/timetable/"),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    system.views.catch_up()
    from ejournal.webapp import web_app

    substitute = web_app(system, testing=True).test_client()
    sign_in(substitute, "teacher2", "uchitel-secret-2")
    with clock.travel(at(LESSON_DAY, 9)):
        page = substitute.get("/journal/").get_data(as_text=True)
        today = page[page.index("Уроки сегодня") : page.index("Журналы")]
        assert "5А" in today and "(замена)" in today
        lesson = ids.lesson_id(web.school.course_id, LESSON_DAY, 2)
        response = substitute.post(
            f"/timetable/substitutions/{lesson}/hold",
            data={
                "course": str(web.school.course_id),
                "day": LESSON_DAY.isoformat(),
                "period": "2",
                "csrf_token": csrf(substitute, "/journal/"),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        system.views.catch_up()
        page = substitute.get(f"/journal/lessons/{lesson}")
        assert page.status_code == 200
        assert re.search(r'name="mark-[0-9a-f-]+"', page.get_data(as_text=True))
        # the course's own grid stays the course teacher's
        assert substitute.get(f"/journal/{web.school.course_id}/1").status_code == 403
    # the regular teacher sees who holds it
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 9)):
        page = teacher.get("/journal/").get_data(as_text=True)
    assert "замена: Сидоров" in page
    # a lesson of the course not substituted: the substitute may not hold it
    later = ids.lesson_id(web.school.course_id, LESSON_DAY + timedelta(days=2), 1)
    with clock.travel(at(LESSON_DAY + timedelta(days=2), 8)):
        assert (
            substitute.post(
                f"/timetable/{web.school.course_id}/hold",
                data={"csrf_token": csrf(substitute, "/journal/")},
            ).status_code
            == 403
        )
        response = substitute.post(
            f"/timetable/substitutions/{later}/hold",
            data={
                "course": str(web.school.course_id),
                "day": (LESSON_DAY + timedelta(days=2)).isoformat(),
                "period": "1",
                "csrf_token": csrf(substitute, "/journal/"),
            },
        )
    assert response.status_code == 403


def test_only_the_deputy_head_head_and_admin_manage_the_timetable(system: System, web: WebSchool):
    for role, status in (("teacher", 403), ("parent", 403), ("deputy", 200), ("admin", 200)):
        client = client_for(system, web, role)
        with clock.travel(at(LESSON_DAY, 9)):
            assert client.get("/timetable/").status_code == status, role


def test_a_hold_form_naming_another_lesson_than_its_url_writes_nothing(
    system: System, web: WebSchool
):
    deputy = _timetabled(system, web)
    with clock.travel(at(LESSON_DAY - timedelta(days=1), 10)):
        response = deputy.post(
            "/timetable/substitutions",
            data={
                "course": str(web.school.course_id),
                "day": LESSON_DAY.isoformat(),
                "period": "2",
                "teacher": str(web.school.other_teacher),
                "csrf_token": csrf(deputy, "/timetable/"),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    system.views.catch_up()
    from ejournal.webapp import web_app

    substitute = web_app(system, testing=True).test_client()
    sign_in(substitute, "teacher2", "uchitel-secret-2")
    lesson = ids.lesson_id(web.school.course_id, LESSON_DAY, 2)
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY + timedelta(days=2), 8)):
        response = substitute.post(
            f"/timetable/substitutions/{lesson}/hold",
            data={
                "course": str(web.school.course_id),
                "day": (LESSON_DAY + timedelta(days=2)).isoformat(),  # Thursday's lesson
                "period": "1",
                "csrf_token": csrf(substitute, "/journal/"),
            },
        )
    assert response.status_code == 422
    assert "Урок не из этого журнала" in response.get_data(as_text=True)
    assert written_since(system, before) == []
