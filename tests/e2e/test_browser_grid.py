"""In a real browser (Debian's Chromium via Playwright), at 1366×768 and 820×1180: the grid
opens on the current week with the names, averages and term marks in view; a teacher types
marks and an attendance code into a column's cells with the keyboard, saves the column with
Ctrl+Enter, and after a reload the grid shows them; a refused cell keeps what was typed and
says why (ADR 0018). Screenshots: test-artifacts/screenshots/grid-entry-1366.png,
grid-entry-820.png."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import clock
from ejournal.bootstrap import System
from tests.e2e.live import follow
from tests.e2e.test_browser import shot, sign_in
from tests.e2e.test_browser_diary import browser, open_page  # noqa: F401  (the fixture)
from tests.school import LESSON_DAY, at
from tests.web import WebSchool

pytestmark = pytest.mark.browser

YEAR_DAY = date(2026, 5, 25)
YEAR_WHY = "Учтена защита проекта на школьной конференции"


def inside(box: dict[str, float], left: float, right: float) -> bool:
    return box["x"] >= left - 1 and box["x"] + box["width"] <= right + 1


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (820, 1180)])
def test_marks_typed_into_the_grid_are_saved_and_shown_after_a_reload(
    browser: Any,  # noqa: F811  (the fixture imported above)
    system: System,
    web: WebSchool,
    width: int,
    height: int,
) -> None:
    launched, base, server_clock = browser
    s = web.school
    # two weeks and a half of lessons, three a day: the grid is wider than the screen
    for day in range(1, 16):
        if date(2025, 9, day).weekday() < 5:
            for period in (1, 3, 5):
                s.hold(date(2025, 9, day), period)
    lesson = s.hold()  # today's (LESSON_DAY) second lesson
    system.views.catch_up()
    server_clock.moment = at(LESSON_DAY, 16)
    page = open_page(launched, width, height)
    sign_in(page, base, *web.logins["teacher"])
    page.goto(f"{base}/journal/{s.course_id}/1")

    # opened on the current week: today's column in view between the sticky columns
    grid = page.locator("#grid-scroll")
    assert page.evaluate("e => e.scrollWidth > e.clientWidth", grid.element_handle())
    assert grid.evaluate("e => e.scrollLeft") > 0
    head = page.locator(f"#col-{lesson}")
    first = page.locator("table.journal tbody tr").first
    name, average, final = (first.locator(c).bounding_box() for c in (".name", ".avg", ".final"))
    assert name and average and final
    assert inside(name, 0, width) and inside(final, 0, width) and inside(average, 0, width)
    assert inside(head.bounding_box(), name["x"] + name["width"], average["x"])

    # keyboard entry: «5 4кр» for the first pupil, «н» (absent) for the second, «7» (off the
    # scale) for the third
    column = [f"th.day[data-lesson='{lesson}']"]
    index = page.evaluate(
        "sel => Array.prototype.indexOf.call(document.querySelector(sel).parentElement.cells,"
        " document.querySelector(sel))",
        column[0],
    )
    rows = page.locator("table.journal tbody tr")
    cell = rows.nth(0).locator("td").nth(index)
    cell.click()
    page.keyboard.type("5 4кр")
    page.keyboard.press("Enter")
    page.keyboard.type("н")
    page.keyboard.press("ArrowDown")
    page.keyboard.type("7")
    page.keyboard.press("Control+Enter")
    refused = rows.nth(2).locator("td.refused")
    refused.wait_for()
    assert "Не понято «7»" in refused.locator(".cell-problem").inner_text()
    assert refused.inner_text().startswith("7")  # what was typed stays
    assert "Ничего не записано" in page.locator("#grid-bar-status").inner_text()
    assert system.journal.queries.lesson(lesson).marks == ()

    # fixed with the keyboard, saved with Ctrl+Enter, shown after the reload
    refused.click()
    page.keyboard.type("3")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".flash.ok")
    assert page.locator(".flash.ok").inner_text() == "Столбец 16.09 сохранён."
    page.reload()
    cells = [rows.nth(n).locator("td").nth(index) for n in range(3)]
    typed = [sorted(m.get_attribute("data-t") for m in c.locator(".mark").all()) for c in cells]
    # (in the order entered; the test's clock stands still, so both have the same moment)
    assert typed == [["4кр", "5"], [], ["3"]]
    assert cells[1].locator(".att").inner_text() == "Н"
    assert cells[0].locator("sub").inner_text() == "кр"  # the other kind shown in the cell
    info = system.journal.queries.lesson(lesson)
    assert sorted((m.value, m.kind) for m in info.marks) == [
        ("3", "answer"),
        ("4", "test"),
        ("5", "answer"),
    ]
    assert rows.nth(0).locator(".avg").inner_text() == "4,25"
    shot(page, f"grid-entry-{width}.png")
    page.context.close()


def test_a_year_mark_typed_in_the_grid_of_the_last_term(
    browser: Any,  # noqa: F811  (the fixture imported above)
    system: System,
    web: WebSchool,
) -> None:
    """The column «Год» after «Четверть» stays in view; the teacher types the year mark
    with the keyboard (the choice takes «3» typed), Tab to its reason, Enter saves; without
    the reason the page says why and keeps the choice (ADR 0024, ADR 0032). Screenshot:
    test-artifacts/screenshots/grid-year-1366.png."""
    launched, base, server_clock = browser
    s, p0 = web.school, web.school.pupils[0]
    days = {1: date(2025, 10, 20), 2: date(2025, 12, 20), 3: date(2026, 3, 16), 4: YEAR_DAY}
    for term, value in {1: "4", 2: "3", 3: "3", 4: "4"}.items():  # 14 / 4 = 3,50 → «4»
        with clock.travel(at(days[term], 10)):
            s.journal.grades.set_term_mark(s.course_id, term, p0, value, s.teacher)
    for day in range(4, 23):  # lessons of the 4th quarter: the grid is wider than the screen
        if date(2026, 5, day).weekday() < 5:
            s.hold(date(2026, 5, day), 1)
    system.views.catch_up()
    server_clock.moment = at(YEAR_DAY, 16)
    page = open_page(launched, 1366, 768)
    sign_in(page, base, *web.logins["teacher"])
    page.goto(f"{base}/journal/{s.course_id}/4")
    row = page.locator(f"tr[data-pupil='{p0}']")
    name, term, year = (
        row.locator(c).bounding_box() for c in (".name", ".final:not(.year)", ".final.year")
    )
    assert name and term and year
    assert inside(year, 0, 1366) and term["x"] + term["width"] <= year["x"] + 1
    assert page.locator("th.final.year").inner_text() == "Год"

    choice = row.locator(f"select[name='year-{p0}']")
    choice.focus()
    page.keyboard.type("3")
    assert choice.input_value() == "3"
    page.keyboard.press("Tab")  # to the reason box under the choice, left empty
    page.keyboard.press("Enter")  # the form is sent: a «3» off 3,50 → «4» needs its reason
    problem = page.locator(".flash.error")
    problem.wait_for()
    assert "Отметка «3» отличается от округлённого среднего (3,50 → «4»)" in problem.inner_text()
    assert page.locator(f"select[name='year-{p0}']").input_value() == "3"
    assert system.views.reads.journal.course_year_marks(str(s.course_id)) == {}

    page.locator(f"select[name='year-{p0}']").focus()
    page.keyboard.press("Tab")  # to the reason under the choice
    page.keyboard.type(YEAR_WHY)
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash.ok")
    assert page.locator(".flash.ok").inner_text() == "Итоговые отметки сохранены: 1."
    year_cell = page.locator(f"tr[data-pupil='{p0}'] td.final.year")
    assert year_cell.locator("select").input_value() == "3"
    shot(page, "grid-year-1366.png")
    follow(page, year_cell.locator("a.explain"))
    assert YEAR_WHY in page.locator("main").inner_text()
    assert "3,50" in page.locator("main").inner_text()
    page.context.close()
