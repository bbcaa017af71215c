"""The diary through HTTP: a parent sees their child's new mark and «что нового», never
another child's diary; a pupil sees their own; staff reading a diary are access-logged."""

from __future__ import annotations

import re
from datetime import timedelta

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from projections.views import access_log
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, post


def mark(web: WebSchool, value: str, day=LESSON_DAY, period=2) -> None:
    s = web.school
    lesson = s.hold(day, period)
    with clock.travel(at(day, 16)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], value, "test")], s.teacher)


def test_parent_sees_the_new_mark_and_what_is_new(system: System, web: WebSchool):
    s = web.school
    parent = client_for(system, web, "parent")
    with clock.travel(at(LESSON_DAY, 12)):
        first = parent.get("/diary/")
        assert first.status_code == 302  # one child: straight to the diary
        page = parent.get(first.headers["Location"]).get_data(as_text=True)
    assert "Смирнов Артём" in page and "первый визит" in page
    mark(web, "5")
    system.views.catch_up()
    with clock.travel(at(LESSON_DAY, 18)):
        page = parent.get(f"/diary/{s.pupils[0]}?term=1").get_data(as_text=True)
    assert "Математика" in page
    assert "новая отметка <b>5</b>" in page
    assert '<span class="mark" title="16.09 · Контрольная работа">5</span>' in page
    with clock.travel(at(LESSON_DAY, 19)):  # the other tab, same visit: still listed
        again = parent.get(f"/diary/{s.pupils[0]}").get_data(as_text=True)
        assert "новая отметка <b>5</b>" in again
        upto = re.search(r'name="upto" value="([^"]+)"', again)
        assert upto is not None
        read = post(parent, f"/diary/{s.pupils[0]}/seen", {"upto": upto[1]}, again_url(s))
        assert read.status_code == 302
        after = parent.get(read.headers["Location"]).get_data(as_text=True)
    assert "Ничего нового с прошлого визита" in after
    assert system.views.read(access_log.accesses) == []  # a family's reading is not logged


def again_url(s) -> str:
    return f"/diary/{s.pupils[0]}"


def test_parent_gets_403_on_another_childs_diary(system: System, web: WebSchool):
    parent = client_for(system, web, "parent")
    assert parent.get(f"/diary/{web.school.outsider}").status_code == 403
    assert parent.get(f"/diary/{web.school.pupils[1]}").status_code == 403  # a classmate
    pupil = client_for(system, web, "pupil")
    assert pupil.get(f"/diary/{web.school.pupils[0]}").status_code == 200
    assert pupil.get(f"/diary/{web.school.pupils[1]}").status_code == 403


def test_staff_reading_a_diary_is_access_logged(system: System, web: WebSchool):
    deputy = client_for(system, web, "deputy")
    response = deputy.get(f"/diary/{web.school.pupils[1]}")
    assert response.status_code == 200
    rows = system.views.read(access_log.accesses, student_id=str(web.school.pupils[1]))
    assert [(r.actor, r.page) for r in rows] == [
        (str(web.school.deputy), f"/diary/{web.school.pupils[1]}")
    ]


def test_what_is_new_persists_across_clients_and_visits(system: System, web: WebSchool):
    """«Что нового» lives on the server: news shown on one device and acknowledged there are
    not news on another; news shown but not acknowledged count as seen at the next visit
    (another sign-in), never at a reload or tab switch of the same visit."""
    s = web.school
    phone, laptop = client_for(system, web, "parent"), client_for(system, web, "parent")
    diary = f"/diary/{s.pupils[0]}"
    with clock.travel(at(LESSON_DAY, 8)):
        assert "первый визит" in phone.get(diary).get_data(as_text=True)
    mark(web, "4")
    system.views.catch_up()
    with clock.travel(at(LESSON_DAY, 18)):
        shown = phone.get(diary).get_data(as_text=True)
        assert "новая отметка <b>4</b>" in shown
        assert "новая отметка <b>4</b>" in phone.get(diary + "?term=1").get_data(as_text=True)
    with clock.travel(at(LESSON_DAY, 20)):  # another device: shown on the phone, so seen
        page = laptop.get(diary).get_data(as_text=True)
    assert "Ничего нового с прошлого визита" in page and "первый визит" not in page
    lesson = s.hold(LESSON_DAY + timedelta(days=1), 3)
    with clock.travel(at(LESSON_DAY + timedelta(days=1), 16)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], "2", "answer")], s.teacher)
        mark_id = system.journal.queries.lesson(lesson).marks[0].mark_id
        s.journal.entry.correct_mark(lesson, mark_id, "3", "answer", "Описка", s.teacher)
    system.views.catch_up()
    with clock.travel(at(LESSON_DAY + timedelta(days=1), 19)):
        page = laptop.get(diary).get_data(as_text=True)
        assert "отметка исправлена: 2 → <b>3</b>" in page
        upto = re.search(r'name="upto" value="([^"]+)"', page)
        assert upto is not None
        post(laptop, f"{diary}/seen", {"upto": upto[1]}, diary)
    with clock.travel(at(LESSON_DAY + timedelta(days=1), 21)):
        assert "Ничего нового" in phone.get(diary).get_data(as_text=True)
    # the other parent's account and the other child keep their own positions
    other = client_for(system, web, "pupil")
    with clock.travel(at(LESSON_DAY + timedelta(days=1), 21)):
        assert "первый визит" in other.get(diary).get_data(as_text=True)


def test_acknowledging_refuses_a_bad_moment(system: System, web: WebSchool):
    parent = client_for(system, web, "parent")
    diary = f"/diary/{web.school.pupils[0]}"
    assert post(parent, f"{diary}/seen", {"upto": "вчера"}, diary).status_code == 400
    assert post(parent, f"{diary}/seen", {"upto": "2025-09-16T10:00"}, diary).status_code == 400
    other = f"/diary/{web.school.pupils[1]}"
    assert (
        post(parent, f"{other}/seen", {"upto": "2025-09-16T10:00+00:00"}, diary).status_code == 403
    )


def test_the_week_shows_lessons_homework_due_marks_and_absences(system: System, web: WebSchool):
    """A parent's week: each day's lessons with topic and the marks' kind and date in
    plain text; homework listed on the day it is due (the next lesson, or the date the
    teacher set); absences; week navigation and «на завтра»."""
    s = web.school
    monday = LESSON_DAY - timedelta(days=1)  # 15 September 2025
    tuesday, thursday = monday + timedelta(days=1), monday + timedelta(days=3)
    with clock.travel(at(monday, 9)):
        first = s.journal.entry.hold_lesson(
            s.course_id, monday, 2, "Дроби", "№ 12, 14", s.teacher
        ).id
        s.journal.entry.hold_lesson(
            s.course_id, monday, 3, "Проценты", "Доклад", s.teacher, homework_due=thursday
        )
    second = s.hold(tuesday, 1)
    with clock.travel(at(tuesday, 16)):
        s.journal.entry.record_marks(second, [MarkEntry(s.pupils[0], "5", "test")], s.teacher)
        s.journal.entry.mark_attendance(first, {s.pupils[0]: "Н"}, s.teacher)
    system.views.catch_up()
    parent = client_for(system, web, "parent")
    with clock.travel(at(monday, 18)):
        page = parent.get(f"/diary/{s.pupils[0]}").get_data(as_text=True)
    days = re.findall(r'<h3 id="d[0-9-]+">([^<]+)</h3>', page)
    assert [d.split(" · ")[0] for d in days] == [
        "пн, 15 сентября",
        "вт, 16 сентября",
        "ср, 17 сентября",
        "чт, 18 сентября",
        "пт, 19 сентября",
        "сб, 20 сентября",
    ]
    tue = _day(page, "2025-09-16")
    assert "Домашнее задание к этому дню" in tue and "№ 12, 14" in tue
    assert "Доклад" not in tue  # set for Thursday by the teacher
    assert "5 <small>Контрольная работа ×" in tue and "16 сентября</small>" in tue
    assert "Доклад" in _day(page, "2025-09-18")
    mon = _day(page, "2025-09-15")
    assert '<span class="att" title="посещаемость">Н</span>' in mon
    assert "Тема: Дроби" in mon and "к вт, 16 сентября" in mon
    tomorrow = page[page.index('id="tomorrow"') : page.index('class="weeknav"')]
    assert "На завтра, вт, 16 сентября" in tomorrow and "№ 12, 14" in tomorrow
    assert f'href="/diary/{s.pupils[0]}?week=2025-09-08"' in page  # ‹ предыдущая
    assert f'href="/diary/{s.pupils[0]}?week=2025-09-22"' in page  # следующая ›
    with clock.travel(at(monday, 18)):
        later = parent.get(f"/diary/{s.pupils[0]}?week=2025-09-24").get_data(as_text=True)
        assert "пн, 22 сентября" in later and ">сегодня</a>" in later
        assert parent.get(f"/diary/{s.pupils[0]}?week=вчера").status_code == 404


def _day(page: str, day: str) -> str:
    start = page.index(f'id="d{day}"')
    end = page.find("</section>", start)
    return page[start:end]
