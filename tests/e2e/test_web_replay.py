"""The auditor's replays through HTTP: a grid and a diary as they stood at a moment (a mark
corrected later shows its old value), the access log, and bad moments refused in Russian."""

from __future__ import annotations

import re

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for


def corrected_mark(web: WebSchool) -> None:
    """A 3 entered on LESSON_DAY at 16:00, corrected to 4 at 17:00."""
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], "3", "answer")], s.teacher)
    mark = s.journal.queries.lesson(lesson).marks[0].mark_id
    with clock.travel(at(LESSON_DAY, 17)):
        s.journal.entry.correct_mark(lesson, mark, "4", "answer", "Ошибка ввода", s.teacher)


def marks_in(page: str) -> list[str]:
    return re.findall(r'<span class="mark[^"]*"[^>]*>(?:<a [^>]*>)?(\d)', page)


def test_grid_as_of_shows_the_mark_before_its_correction(system: System, web: WebSchool):
    corrected_mark(web)
    auditor = client_for(system, web, "auditor")
    url = f"/audit/as-of/grid/{web.school.course_id}/1"
    before = auditor.get(f"{url}?at=2025-09-16T16:30")
    assert before.status_code == 200
    assert marks_in(before.get_data(as_text=True)) == ["3"]
    assert "Состояние на 16.09.2025 16:30" in before.get_data(as_text=True)
    after = auditor.get(f"{url}?at=2025-09-16T17:30").get_data(as_text=True)
    assert marks_in(after) == ["4"]
    assert marks_in(auditor.get(f"{url}?at=2025-09-16T15:30").get_data(as_text=True)) == []


def test_diary_as_of_and_unknown_pupil(system: System, web: WebSchool):
    corrected_mark(web)
    auditor = client_for(system, web, "auditor")
    url = f"/audit/as-of/diary/{web.school.pupils[0]}?at=2025-09-16T16:30"
    page = auditor.get(url).get_data(as_text=True)
    assert marks_in(page) == ["3"]
    unknown = auditor.get(
        "/audit/as-of/diary/00000000-0000-4000-8000-000000000001?at=2025-09-16T16:30"
    )
    assert unknown.status_code == 404


def test_a_bad_moment_is_refused_in_russian(system: System, web: WebSchool):
    auditor = client_for(system, web, "auditor")
    for bad in ("", "вчера", "2025-13-01T10:00", "<script>"):
        response = auditor.get(f"/audit/as-of/grid/{web.school.course_id}/1?at={bad}")
        assert response.status_code == 422
        assert "ГГГГ-ММ-ДД" in response.get_data(as_text=True)


def test_auditor_reads_the_access_log(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    assert teacher.get(f"/journal/{web.school.course_id}/1").status_code == 200
    auditor = client_for(system, web, "auditor")
    page = auditor.get(f"/audit/access-log?student_id={web.school.pupils[1]}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Петрова А. И." in body and "Кузнецова Д." in body
    assert f"/journal/{web.school.course_id}/1" in body
    assert "Попов И." not in body  # filtered to one pupil
    assert auditor.get("/audit/access-log?actor=not-an-id").status_code == 422
    assert teacher.get("/audit/access-log").status_code == 403
