"""The year mark («годовая») typed in the grid of the year's last term, in the column «Год»
after «Четверть» (ADR 0024, ADR 0032): set from the term marks of every term, with a reason
when it differs from their rounded average (the pupil named, nothing written without it),
refused with a clear message while a term mark is missing, a link «расчёт» to its
explanation, corrected with a reason; the course's teacher and the deputy head may set it,
others may not; the diary shows it."""

from __future__ import annotations

import re
from datetime import date

from domain import clock
from ejournal.bootstrap import System
from tests.school import at
from tests.web import WebSchool, client_for, post, written_since

WHY = "Учтена защита проекта на школьной конференции"
FIX = "Ошибка при выставлении: учтена пересдача"
YEAR_DAY = date(2026, 5, 25)


def _terms(system: System, web: WebSchool, values: dict[int, str]) -> None:
    """Pupil 0's term marks of ``values`` (by term), set by the teacher in each term."""
    s = web.school
    days = {1: date(2025, 10, 20), 2: date(2025, 12, 20), 3: date(2026, 3, 16), 4: YEAR_DAY}
    for term, value in values.items():
        with clock.travel(at(days[term], 10)):
            s.journal.grades.set_term_mark(s.course_id, term, s.pupils[0], value, s.teacher)
    system.views.catch_up()


def _name(system: System, pupil: object) -> str:
    return system.views.reads.people.names([str(pupil)], short=True)[str(pupil)]


def test_the_year_mark_is_set_in_the_last_terms_grid(system: System, web: WebSchool) -> None:
    s, p0 = web.school, web.school.pupils[0]
    _terms(system, web, {1: "4", 2: "3", 3: "3"})
    teacher = client_for(system, web, "teacher")
    grid, url = f"/journal/{s.course_id}/4", f"/journal/{s.course_id}/4/term-marks"
    with clock.travel(at(YEAR_DAY, 10)):
        page = teacher.get(grid).get_data(as_text=True)
        first = teacher.get(f"/journal/{s.course_id}/1").get_data(as_text=True)
    # the column «Год» after «Четверть», in the last term only
    assert re.search(r'<th class="final">Четверть</th><th class="final year"[^>]*>Год</th>', page)
    assert f'<select name="year-{p0}" aria-label="Годовая отметка: {_name(system, p0)}"' in page
    assert f'name="ywhy-{p0}"' in page
    assert "Сохранить четвертные и годовые отметки" in page
    assert 'class="final year"' not in first and f'name="year-{p0}"' not in first

    # the 4th term's mark is missing: refused, the pupil and the term named, nothing written
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(YEAR_DAY, 11)):
        missing = post(teacher, url, {f"year-{p0}": "3"}, grid)
    assert missing.status_code == 422
    assert (
        f"{_name(system, p0)}: Годовая отметка выставляется по отметкам за учебные периоды: "
        "нет отметки за «4 четверть». Сначала выставьте её (не аттестован за период — «н/а»)."
    ) in missing.get_data(as_text=True)
    assert written_since(system, before) == []

    # the 4th term's mark and the year mark in one save: 4, 3, 3, 4 → 3,50 → «4»; a «3»
    # needs a reason — refused without one, and then neither mark is written
    with clock.travel(at(YEAR_DAY, 11)):
        refused = post(teacher, url, {f"final-{p0}": "4", f"year-{p0}": "3"}, grid)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert f"{_name(system, p0)}: Отметка «3» отличается от округлённого среднего (3,50 → «4»)" in (
        text
    )
    kept = re.search(rf'<select name="year-{p0}"[^>]*>(.*?)</select> <input name="ywhy-{p0}"', text)
    assert kept is not None and "<option selected>3</option>" in kept[1]  # the choice kept
    assert written_since(system, before) == []
    with clock.travel(at(YEAR_DAY, 11)):
        done = post(teacher, url, {f"final-{p0}": "4", f"year-{p0}": "3", f"ywhy-{p0}": WHY}, grid)
    assert done.status_code == 302
    reads = system.views.reads.journal
    assert reads.term_marks(str(s.course_id), 4)[str(p0)].value == "4"
    assert reads.course_year_marks(str(s.course_id))[str(p0)].value == "3"

    # the grid links the year mark to its explanation, which names the reason
    with clock.travel(at(YEAR_DAY, 12)):
        page = teacher.get(grid).get_data(as_text=True)
        explained = teacher.get(f"/journal/{s.course_id}/0/final/{p0}").get_data(as_text=True)
    assert f'href="/journal/{s.course_id}/0/final/{p0}"' in page
    assert "= 14 / 4 = <b>3,50</b>" in explained and WHY in explained
    assert f'href="/journal/{s.course_id}/4"' in explained  # back to the grid

    # corrected like a term mark: a reason is needed, the «*» shows it
    with clock.travel(at(date(2026, 5, 26), 9)):
        no_reason = post(teacher, url, {f"year-{p0}": "4"}, grid)
        assert no_reason.status_code == 422
        assert "Чтобы изменить выставленную отметку, укажите причину." in no_reason.get_data(
            as_text=True
        )
        assert post(teacher, url, {f"year-{p0}": "4", "reason": FIX}, grid).status_code == 302
        page = teacher.get(grid).get_data(as_text=True)
    year = reads.course_year_marks(str(s.course_id))[str(p0)]
    assert (year.value, year.corrected, year.reason) == ("4", True, FIX)
    assert f'title="Исправлено: {FIX}">*</span>' in page

    # the diary shows the year mark the grid set, linked to its explanation
    parent = client_for(system, web, "parent")
    with clock.travel(at(date(2026, 5, 26), 12)):
        diary = parent.get(f"/diary/{p0}?term=4").get_data(as_text=True)
    assert f'href="/diary/{p0}/final/{s.course_id}/0"' in diary
    assert "<th>За год</th>" in diary


def test_not_attested_terms_count_as_marks_and_stay_out_of_the_average(
    system: System, web: WebSchool
) -> None:
    """«н/а» for a term is a term mark: the year mark is allowed, from the other terms."""
    s, p0 = web.school, web.school.pupils[0]
    _terms(system, web, {1: "н/а", 2: "5", 3: "4", 4: "5"})
    teacher = client_for(system, web, "teacher")
    grid = f"/journal/{s.course_id}/4"
    with clock.travel(at(YEAR_DAY, 11)):  # 14 / 3 = 4,67 → «5»: no reason needed
        assert post(teacher, f"{grid}/term-marks", {f"year-{p0}": "5"}, grid).status_code == 302
    assert system.views.reads.journal.course_year_marks(str(s.course_id))[str(p0)].value == "5"


def test_who_may_set_a_year_mark(system: System, web: WebSchool) -> None:
    """The course's teacher and the deputy head (``journal.enter`` of policies/access.toml);
    not a teacher of another class, not the class teacher, not the auditor — who see the
    year column read-only, if they may see the grid at all."""
    s, p0 = web.school, web.school.pupils[0]
    _terms(system, web, {1: "4", 2: "4", 3: "4", 4: "4"})
    grid, url = f"/journal/{s.course_id}/4", f"/journal/{s.course_id}/4/term-marks"
    web.logins["teacher2"] = ("teacher2", "uchitel-secret-2")  # 5Б's mathematics
    other = client_for(system, web, "teacher2")
    tutor = client_for(system, web, "class_teacher")
    auditor = client_for(system, web, "auditor")
    with clock.travel(at(YEAR_DAY, 11)):
        for client in (other, tutor):
            assert post(client, url, {f"year-{p0}": "4"}).status_code == 403
        page = auditor.get(grid).get_data(as_text=True)
    assert '<td class="final year"></td>' in page and f'name="year-{p0}"' not in page
    deputy = client_for(system, web, "deputy")
    with clock.travel(at(YEAR_DAY, 11)):
        assert post(deputy, url, {f"year-{p0}": "4"}, grid).status_code == 302
        page = auditor.get(grid).get_data(as_text=True)
    assert '<td class="final year">4 <a class="explain"' in page


def test_the_class_teachers_summary_sheet_shows_term_and_year_marks(
    system: System, web: WebSchool
) -> None:
    """«Сводная ведомость» of the class: per subject the term marks and the year mark set in
    the grid, linked to its explanation, corrected ones starred; the class teacher's (own
    class), not a parent's or a subject teacher's."""
    s, p0 = web.school, web.school.pupils[0]
    _terms(system, web, {1: "4", 2: "3", 3: "3", 4: "4"})
    teacher = client_for(system, web, "teacher")
    grid, url = f"/journal/{s.course_id}/4", f"/journal/{s.course_id}/4/term-marks"
    with clock.travel(at(YEAR_DAY, 11)):
        assert post(teacher, url, {f"year-{p0}": "3", f"ywhy-{p0}": WHY}, grid).status_code == 302
    with clock.travel(at(date(2026, 5, 26), 9)):
        assert post(teacher, url, {f"year-{p0}": "4", "reason": FIX}, grid).status_code == 302
    tutor = client_for(system, web, "class_teacher")
    sheet_url = f"/classes/{s.class_id}/summary"
    with clock.travel(at(date(2026, 5, 26), 12)):
        answer = tutor.get(sheet_url)
        page = answer.get_data(as_text=True)
        journal_page = tutor.get(f"/classes/{s.class_id}/journal/4").get_data(as_text=True)
    assert answer.status_code == 200
    assert "Сводная ведомость успеваемости: 5А" in page
    assert f'href="{sheet_url}"' in journal_page  # a tab of the class's pages
    row = re.search(
        rf"<tr><td>\d+</td><td class=\"name\">{_name(system, p0)}</td>(.*?)</tr>", page, re.S
    )
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells[:4]] == ["4", "3", "3", "4"]
    year = cells[4]
    assert f'href="/journal/{s.course_id}/0/final/{p0}"' in year and ">4</a>" in year
    assert f'title="Исправлено: {FIX}">*</span>' in year
    # the shares in Russian: one pupil of three with a year mark, a «4»
    assert "По классу: успеваемость 100,0 %, качество знаний 100,0 %." in page
    with clock.travel(at(date(2026, 5, 26), 12)):
        assert client_for(system, web, "parent").get(sheet_url).status_code == 403
        assert teacher.get(sheet_url).status_code == 403
        assert tutor.get(f"/classes/{s.other_class_id}/summary").status_code in (403, 404)
