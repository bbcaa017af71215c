"""In a real browser (ADR 0031): a granted late entry's link opens the grid at the lesson's
column, ready for typing; the head, who reads marks' histories, clicks a mark in an open
column and types — the click selects the cell, the history stays one click away on the
line under the bar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain import clock
from domain.lesson import MarkEntry
from domain.timetable import Bell
from ejournal.bootstrap import System
from tests.e2e.live import follow
from tests.e2e.test_browser import sign_in
from tests.e2e.test_browser_diary import browser, open_page  # noqa: F401  (the fixture)
from tests.school import LESSON_DAY, at
from tests.web import WebSchool

pytestmark = pytest.mark.browser
LATE = LESSON_DAY + timedelta(days=10)  # 26 September: past the 3-day entry deadline


def _wide_grid(web: WebSchool, last: int) -> None:
    """Lessons on every weekday of September up to ``last``, periods 1, 3 and 5."""
    for day in range(1, last + 1):
        if date(2025, 9, day).weekday() < 5 and date(2025, 9, day) != LESSON_DAY:
            for period in (1, 3, 5):
                web.school.hold(date(2025, 9, day), period)


def _index(page: Any, lesson: object) -> int:
    return int(
        page.evaluate(
            "id => { const th = document.getElementById('col-' + id);"
            " return Array.prototype.indexOf.call(th.parentElement.cells, th); }",
            str(lesson),
        )
    )


def test_a_granted_late_entry_opens_the_grid_at_the_lessons_column(
    browser: Any,  # noqa: F811  (the fixture imported above)
    system: System,
    web: WebSchool,
) -> None:
    launched, base, server_clock = browser
    s, j = web.school, web.school.journal
    _wide_grid(web, 26)
    lesson = s.hold(LESSON_DAY, 2)
    with clock.travel(at(LATE, 9)):
        j.entry.request_late_entry(lesson, "Была на курсах", s.teacher)
        request_id = next(iter(j.repository.get(lesson).late_requests))
        j.entry.approve_late_entry(lesson, request_id, s.deputy)
    system.views.catch_up()
    server_clock.moment = at(LATE, 10)
    page = open_page(launched, 1366, 768)
    sign_in(page, base, *web.logins["teacher"])
    page.goto(f"{base}/journal/lessons/{lesson}")
    page.click("#to-column")
    page.wait_for_load_state()
    page.wait_for_selector("table.journal td.editing input")
    assert page.url.endswith(f"#col-{lesson}")
    head = page.locator(f"#col-{lesson}").bounding_box()
    scroller = page.locator("#grid-scroll").bounding_box()
    assert head and scroller
    assert (
        scroller["x"] <= head["x"]
        and head["x"] + head["width"] <= scroller["x"] + scroller["width"]
    )
    index = _index(page, lesson)
    editing = page.locator("table.journal tbody tr").first.locator("td").nth(index)
    assert "editing" in (editing.get_attribute("class") or "")
    page.keyboard.type("5")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".flash.ok")
    assert [m.value for m in j.queries.lesson(lesson).marks] == ["5"]
    page.context.close()


def test_a_click_on_a_mark_selects_the_cell_and_the_history_stays_reachable(
    browser: Any,  # noqa: F811
    system: System,
    web: WebSchool,
) -> None:
    launched, base, server_clock = browser
    s, j = web.school, web.school.journal
    lesson = s.hold(LESSON_DAY, 2)
    with clock.travel(at(LESSON_DAY, 10)):
        [mark] = j.entry.record_marks(
            lesson, [MarkEntry(s.pupils[0], "4", "answer")], s.teacher
        ).created
    system.views.catch_up()
    server_clock.moment = at(LESSON_DAY, 16)
    page = open_page(launched, 1366, 768)
    sign_in(page, base, *web.logins["head"])
    grid = f"{base}/journal/{s.course_id}/1"
    page.goto(grid)
    trail = page.locator(f".mark[data-id='{mark}'] a.trail")
    assert trail.count() == 1  # the head reads histories: the mark is a link
    trail.click()
    cell = page.locator(f"tr[data-pupil='{s.pupils[0]}'] td.editing")
    cell.wait_for()
    assert page.url.startswith(grid)  # the click did not follow the link
    history = page.locator("#grid-history")
    assert history.is_visible()
    link = history.locator("a.trail")
    assert link.inner_text() == "4" and str(mark) in (link.get_attribute("href") or "")
    page.keyboard.press("End")
    page.keyboard.type(" 5")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".flash.ok")
    current = sorted(m.value for m in j.queries.lesson(lesson).marks if m.current)
    assert current == ["4", "5"]
    # the history: from the line under the bar
    page.locator(f".mark[data-id='{mark}'] a.trail").click()
    follow(page, page.locator("#grid-history a.trail").first)
    assert str(mark) in page.url and "/journal/" not in page.url
    page.context.close()


def test_the_new_lesson_forms_due_date_follows_the_lessons_date(
    browser: Any,  # noqa: F811
    system: System,
    web: WebSchool,
) -> None:
    """Mathematics on Tuesdays and Thursdays: a lesson of Thursday 18 September proposes
    Tuesday 23 as the due date; a date picked by the teacher stays."""
    launched, base, server_clock = browser
    s = web.school
    with clock.travel(at(date(2025, 8, 28), 10)):
        s.journal.timetable.set_bells(s.year_id, [Bell(1, "8:30", "9:15")], s.deputy)
        s.journal.timetable.set_pattern(s.course_id, date(2025, 9, 1), [(1, 1), (3, 1)], s.deputy)
    system.views.catch_up()
    server_clock.moment = at(LESSON_DAY, 16)
    page = open_page(launched, 1366, 768)
    sign_in(page, base, *web.logins["teacher"])
    page.goto(f"{base}/journal/{s.course_id}/1")
    due = page.locator("#new-lesson input[name=homework_due]")
    assert due.input_value() == "2025-09-18"
    page.fill("#new-lesson input[name=day]", "2025-09-18")
    page.dispatch_event("#new-lesson input[name=day]", "change")
    assert due.input_value() == "2025-09-23"
    page.fill("#new-lesson input[name=homework_due]", "2025-09-30")
    page.dispatch_event("#new-lesson input[name=homework_due]", "change")
    page.fill("#new-lesson input[name=day]", "2025-09-16")
    page.dispatch_event("#new-lesson input[name=day]", "change")
    assert due.input_value() == "2025-09-30"
    page.context.close()
