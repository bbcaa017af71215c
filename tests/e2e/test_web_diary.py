"""The diary through HTTP: a parent sees their child's new mark and «что нового», never
another child's diary; a pupil sees their own; staff reading a diary are access-logged."""

from __future__ import annotations

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from projections.views import access_log
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for


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
    with clock.travel(at(LESSON_DAY, 19)):
        again = parent.get(f"/diary/{s.pupils[0]}?term=1").get_data(as_text=True)
    assert "Ничего нового с прошлого визита" in again
    assert system.views.read(access_log.accesses) == []  # a family's reading is not logged


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


def test_the_last_visits_kept_in_the_session_stay_few(system: System, web: WebSchool):
    """Staff reading many diaries must not grow the session cookie past what browsers keep
    (4 KB): only the latest visits are remembered, the one just made included."""
    from uuid import uuid4

    from web.diary import SEEN_KEPT

    deputy = client_for(system, web, "deputy")
    with deputy.session_transaction() as session:
        session["diary_seen"] = {
            str(uuid4()): f"2025-09-01T10:{k % 60:02d}:00+00:00" for k in range(40)
        }
    pupil = str(web.school.pupils[1])
    assert deputy.get(f"/diary/{pupil}").status_code == 200
    with deputy.session_transaction() as session:
        seen = session["diary_seen"]
    assert len(seen) == SEEN_KEPT
    assert pupil in seen
    cookie = deputy.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 2000
