"""Marks typed into the grid (ADR 0018) through HTTP: a column saved in one transaction,
refused cells named with a Russian message and nothing written, corrections needing a
reason, the grid's columns, kinds, colours and averages as a reader sees them."""

from __future__ import annotations

import re
from datetime import timedelta

from domain import clock
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, csrf, written_since

GRID = "/journal/{}/1"


def save(client, web, lesson, cells, **extra):
    """POST a grid column as ``grid_entry.js`` does."""
    data = {"csrf_token": csrf(client, GRID.format(web.school.course_id)), "kind": "answer"}
    for pupil, (text, was) in cells.items():
        data[f"cell-{pupil}"], data[f"was-{pupil}"] = text, was
    return client.post(f"/journal/lessons/{lesson}/column", data={**data, **extra})


def current(system, lesson):
    info = system.journal.queries.lesson(lesson)
    return sorted((str(m.student_id), m.value, m.kind) for m in info.marks if m.current), info


def test_a_column_is_saved_in_one_go_and_shown_in_the_grid(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        answer = save(
            teacher,
            web,
            lesson,
            {s.pupils[0]: ("5 4кр", ""), s.pupils[1]: ("н", ""), s.pupils[2]: ("3 ОП", "")},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        page = teacher.get(GRID.format(s.course_id)).get_data(as_text=True)
    marks, info = current(system, lesson)
    p0, p2 = str(s.pupils[0]), str(s.pupils[2])
    assert marks == sorted([(p0, "5", "answer"), (p0, "4", "test"), (p2, "3", "answer")])
    assert info.attendance == {s.pupils[1]: "Н", s.pupils[2]: "ОП"}
    assert "Столбец 16.09 сохранён." in page
    # the column's kind and weight under the date; the other kind's short beside its mark
    assert re.search(
        r'data-kind="answer"><a [^>]+>16\.09</a>'
        r'<small title="Ответ на уроке, вес 1">отв ×1</small>',
        page,
    )
    assert re.search(
        r'data-v="4" data-t="4кр" title="Контрольная работа, вес 3">4<sub>кр</sub>', page
    )
    # colours from grading.toml; averages in Russian, two places: (5 + 4·3) / 4 = 4,25
    assert 'table.grid .mark[data-v="5"]{color:#1b7f3b}' in page
    assert '<td class="avg">4,25</td>' in page and '<td class="avg">3,00</td>' in page


def test_refused_cells_are_named_and_nothing_is_written(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    position = system.journal.recorder.max_notification_id()
    with clock.travel(at(LESSON_DAY, 16)):
        answer = save(
            teacher,
            web,
            lesson,
            {s.pupils[0]: ("5", ""), s.pupils[1]: ("7", ""), s.pupils[2]: ("5 Н Б", "")},
        )
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["message"].startswith("Столбец не сохранён")
    assert set(body["problems"]) == {str(s.pupils[1]), str(s.pupils[2])}
    assert body["problems"][str(s.pupils[1])].startswith("Не понято «7»: отметка — 1, 2, 3, 4, 5")
    assert "один раз" in body["problems"][str(s.pupils[2])]
    assert written_since(system, position) == []


def test_a_changed_mark_needs_a_reason_and_is_then_a_correction(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        save(teacher, web, lesson, {s.pupils[0]: ("3", "")})
        (mark,) = [m.mark_id for m in current(system, lesson)[1].marks]
        refused = save(teacher, web, lesson, {s.pupils[0]: ("4", str(mark))})
        assert refused.status_code == 422
        assert refused.get_json()["problems"] == {
            str(s.pupils[0]): "Укажите причину (не короче 5 символов)."
        }
        done = save(
            teacher, web, lesson, {s.pupils[0]: ("4", str(mark))}, reason="Ошибка при вводе"
        )
        assert done.status_code == 200
        page = teacher.get(GRID.format(s.course_id)).get_data(as_text=True)
    marks, _ = current(system, lesson)
    assert marks == [(str(s.pupils[0]), "4", "answer")]
    assert "было «3»" in page and "Ошибка при вводе" in page


def test_only_columns_within_the_deadline_are_open_and_a_late_column_is_refused(
    system: System, web: WebSchool
):
    s = web.school
    old, fresh = s.hold(), s.hold(LESSON_DAY + timedelta(days=7))
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY + timedelta(days=8), 16)):
        page = teacher.get(GRID.format(s.course_id)).get_data(as_text=True)
        late = save(teacher, web, old, {s.pupils[0]: ("5", "")})
    by_lesson = {
        lesson: cls
        for cls, lesson in re.findall(r'<th class="day([^"]*)" id="col-([0-9a-f-]+)"', page)
    }
    assert "open" not in by_lesson[str(old)] and "open" in by_lesson[str(fresh)]
    assert "week" in by_lesson[str(fresh)]  # the page opens on this week's columns
    assert f'href="#col-{fresh}" id="to-now"' in page
    assert late.status_code == 422
    assert late.get_json()["message"].startswith("Срок внесения записей истёк")


def test_a_reader_without_entry_gets_no_entry_bar(system: System, web: WebSchool):
    s = web.school
    s.hold()
    auditor = client_for(system, web, "auditor")
    page = auditor.get(GRID.format(s.course_id))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="grid-bar"' not in text and "data-entry" not in text
    refused = auditor.post(
        f"/journal/lessons/{s.hold(LESSON_DAY, 3)}/column",
        data={"csrf_token": csrf(auditor, GRID.format(s.course_id))},
    )
    assert refused.status_code == 403
