"""The daily flow through HTTP (ADR 0031, 0033): the homework's «Сдать к» proposes the
course's next lesson by the timetable and stores the date the teacher saved; the class
teacher's home page shows their class's day; an approved late-entry request opens the
lesson's column in the grid."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from domain import clock
from domain.lesson import MarkEntry
from domain.timetable import Bell
from ejournal.bootstrap import System
from ejournal.webapp import web_app
from tests.school import LESSON_DAY, at
from tests.web import PASSWORD, WebSchool, client_for, post, sign_in

WEDNESDAY = LESSON_DAY + timedelta(days=1)  # LESSON_DAY is Tuesday 16 September 2025
THURSDAY = LESSON_DAY + timedelta(days=2)
NEXT_TUESDAY = LESSON_DAY + timedelta(days=7)
LATE = LESSON_DAY + timedelta(days=10)  # past the 3-day entry deadline


def _timetable(web: WebSchool) -> None:
    """5А's mathematics on Tuesdays (period 2) and Thursdays (period 1)."""
    s, j = web.school, web.school.journal
    with clock.travel(at(date(2025, 8, 28), 10)):
        j.timetable.set_bells(
            s.year_id, [Bell(1, "8:30", "9:15"), Bell(2, "09:25", "10:10")], s.deputy
        )
        j.timetable.set_pattern(s.course_id, date(2025, 9, 1), [(1, 2), (3, 1)], s.deputy)


def _due_field(page: str) -> str:
    found = re.search(r'name="homework_due"[^>]*value="([^"]*)"', page)
    assert found, page[:3000]
    return found.group(1)


def test_homework_due_proposes_the_next_lesson_by_the_timetable(system: System, web: WebSchool):
    s = web.school
    _timetable(web)
    lesson = s.hold(LESSON_DAY, 2)
    system.views.catch_up()
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    with clock.travel(at(LESSON_DAY, 11)):
        page = teacher.get(path).get_data(as_text=True)
        assert _due_field(page) == THURSDAY.isoformat()
        assert "по умолчанию — к следующему уроку по расписанию" in page
        # left as proposed: the date the teacher saw is stored (ADR 0033)
        saved = post(
            teacher,
            path,
            {"topic": "Дроби", "homework": "№ 20", "homework_due": THURSDAY.isoformat()},
            path,
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
        loaded = system.journal.repository.get(lesson)
        assert loaded.homework == "№ 20" and loaded.homework_due == THURSDAY
        # another date chosen: kept as the teacher's
        saved = post(
            teacher,
            path,
            {"topic": "Дроби", "homework": "№ 20", "homework_due": NEXT_TUESDAY.isoformat()},
            path,
        )
        assert saved.status_code == 302
        assert system.journal.repository.get(lesson).homework_due == NEXT_TUESDAY
        assert _due_field(teacher.get(path).get_data(as_text=True)) == NEXT_TUESDAY.isoformat()
        # no homework, nothing due: the date the form still carries is not stored
        saved = post(
            teacher, path, {"topic": "Дроби", "homework": "", "homework_due": "2025-09-18"}, path
        )
        assert saved.status_code == 302
        assert system.journal.repository.get(lesson).homework_due is None
        # the grid's new-lesson form proposes the next lesson after today, and carries the
        # timetable's days for the script to follow a changed date
        grid = teacher.get(f"/journal/{s.course_id}/1").get_data(as_text=True)
    form = grid[grid.index('id="new-lesson"') :]
    assert _due_field(form) == THURSDAY.isoformat()
    days = re.search(r'data-days="([^"]*)"', grid)
    assert days and LESSON_DAY.isoformat() in days.group(1).split()


def _new_lesson(web: WebSchool, teacher: Any, period: int, homework: str, due: str) -> None:
    s = web.school
    made = post(
        teacher,
        f"/journal/{s.course_id}/lessons?term=1",
        {
            "day": LESSON_DAY.isoformat(),
            "period": str(period),
            "topic": "Дроби",
            "homework": homework,
            "homework_due": due,
        },
        f"/journal/{s.course_id}/1",
    )
    assert made.status_code == 302, made.get_data(as_text=True)[:3000]


def _day(page: str, day: date) -> str:
    start = page.index(f'id="d{day.isoformat()}"')
    return page[start : page.find("</section>", start)]


def test_a_due_date_saved_as_proposed_stays_when_the_timetable_changes(
    system: System, web: WebSchool
):
    s = web.school
    _timetable(web)
    teacher = client_for(system, web, "teacher")
    parent = client_for(system, web, "parent")
    diary = f"/diary/{s.pupils[0]}?week={LESSON_DAY.isoformat()}"
    with clock.travel(at(LESSON_DAY, 11)):
        # the grid's form proposed Thursday (the next lesson); the teacher left it
        _new_lesson(web, teacher, 2, "№ 33", THURSDAY.isoformat())
        # a homework whose field the teacher emptied: due at the next lesson, worked out
        _new_lesson(web, teacher, 1, "№ 34", "")
        system.views.catch_up()
        week = parent.get(diary).get_data(as_text=True)
    assert "№ 33" in _day(week, THURSDAY) and "№ 34" in _day(week, THURSDAY)
    assert "по расписанию прошлых недель" not in week
    # the timetable changes from Wednesday on: Tuesdays and Wednesdays
    with clock.travel(at(LESSON_DAY, 15)):
        s.journal.timetable.set_pattern(s.course_id, WEDNESDAY, [(1, 2), (2, 1)], s.deputy)
        system.views.catch_up()
        week = parent.get(diary).get_data(as_text=True)
    thursday, wednesday = _day(week, THURSDAY), _day(week, WEDNESDAY)
    assert "№ 33" in thursday and "№ 33" not in wednesday  # the date the teacher saw
    assert "№ 34" in wednesday and "№ 34" not in thursday  # the rule's: moved
    assert "№ 33 — к чт, 18 сентября" in _day(week, LESSON_DAY)


def test_a_class_teacher_without_lessons_sees_the_day_of_their_class(
    system: System, web: WebSchool
):
    s, j = web.school, web.school.journal
    _timetable(web)
    with clock.travel(at(date(2025, 8, 29), 10)):
        tutor = j.accounts.create_account(
            "classonly", "Классная", "Ольга", "", ["class_teacher"], PASSWORD, s.admin
        ).id
        j.classes.assign_class_teacher(s.class_id, tutor, s.admin)
    lesson = s.hold(LESSON_DAY, 2)
    with clock.travel(at(LESSON_DAY, 10)):
        j.entry.mark_attendance(lesson, {s.pupils[0]: "Н"}, s.teacher)
        j.entry.record_marks(lesson, [MarkEntry(s.pupils[1], "4", "answer")], s.teacher)
    system.views.catch_up()
    client = web_app(system, testing=True).test_client()
    sign_in(client, "classonly", PASSWORD)
    with clock.travel(at(LESSON_DAY, 12)):
        page = client.get("/journal/").get_data(as_text=True)
    block = page[page.index("Мой класс 5А сегодня") :]
    assert "09:25–10:10" in block and "Математика" in block
    assert "Смирнов А." in block and "— Н" in block
    assert "Уроки сегодня" not in page  # not a teacher: no empty «my lessons»
    assert "Журнал класса" in block
    # seeing the pupils' names is an access to personal data, logged
    system.views.catch_up()
    log = system.views.reads.audit.accesses(student_id=str(s.pupils[0]))
    assert any(r.page == "/journal/" for r in log)
    marks = block[block.index("Отметки, выставленные сегодня") :]
    assert "Кузнецова Д." in marks and "<td>4</td>" in marks
    # the next day: nobody absent, no marks entered
    with clock.travel(at(THURSDAY, 12)):
        page = client.get("/journal/").get_data(as_text=True)
    assert "Отметок об отсутствии сегодня нет." in page
    assert "Сегодня отметок не выставлено." in page
    # a class teacher who also teaches keeps «Уроки сегодня» as before
    with clock.travel(at(LESSON_DAY, 12)):
        page = client_for(system, web, "teacher").get("/journal/").get_data(as_text=True)
    assert "Уроки сегодня" in page and "Мой класс" not in page


def _column(page: str, lesson: object) -> str:
    found = re.search(rf'<th class="([^"]*)" id="col-{lesson}"', page)
    assert found, page[:3000]
    return found.group(1)


def test_an_approved_late_entry_opens_the_lessons_column_in_the_grid(
    system: System, web: WebSchool
):
    s, j = web.school, web.school.journal
    lesson = s.hold(LESSON_DAY, 2)
    other = s.hold(LESSON_DAY, 3)  # another lesson past the deadline, not granted
    teacher = client_for(system, web, "teacher")
    grid_path = f"/journal/{s.course_id}/1"
    with clock.travel(at(LATE, 10)):
        system.views.catch_up()
        assert "open" not in _column(teacher.get(grid_path).get_data(as_text=True), lesson)
        j.entry.request_late_entry(lesson, "Была на курсах", s.teacher)
        request_id = next(iter(j.repository.get(lesson).late_requests))
        j.entry.approve_late_entry(lesson, request_id, s.deputy)
        system.views.catch_up()
        page = teacher.get(f"/journal/lessons/{lesson}").get_data(as_text=True)
        assert f'href="{grid_path}#col-{lesson}"' in page
        grid = teacher.get(grid_path).get_data(as_text=True)
        assert "open" in _column(grid, lesson).split()
        assert "open" not in _column(grid, other).split()
        # the column saves under the grant
        answer = teacher.post(
            f"/journal/lessons/{lesson}/column",
            data={
                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', grid).group(1),
                "kind": "answer",
                f"cell-{s.pupils[0]}": "5",
                f"was-{s.pupils[0]}": "",
            },
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        # another teacher's view of the same grid: the grant is the requester's only
        deputy_grid = client_for(system, web, "deputy").get(grid_path).get_data(as_text=True)
        assert "open" in _column(deputy_grid, lesson).split()  # late-entry role: every column
    # after the grant's window the column closes again
    with clock.travel(at(LATE + timedelta(days=3), 10)):
        grid = teacher.get(grid_path).get_data(as_text=True)
    assert "open" not in _column(grid, lesson).split()
    assert [m.value for m in j.queries.lesson(lesson).marks] == ["5"]
