"""In a real browser (Debian's Chromium via Playwright), on a tablet (820×1180) and a laptop
(1366×768): the lesson form's attendance column is on screen down to the last pupil, its
select shows short codes with their full meaning in each option's title and aria-label and in
a legend under the table, and a code chosen there is saved. The course grid fits its names in
view too. Screenshots: test-artifacts/screenshots/lesson-820.png, lesson-1366.png,
grid-820.png."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from tests.e2e.live import follow
from tests.e2e.test_browser import shot, sign_in
from tests.e2e.test_browser_diary import browser, open_page  # noqa: F401  (the fixture)
from tests.school import LESSON_DAY, at
from tests.web import WebSchool

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(820, 1180), (1366, 768)])
def test_the_register_is_in_view_on_a_tablet_and_a_laptop(
    browser: Any,  # noqa: F811  (the fixture imported above)
    system: System,
    web: WebSchool,
    width: int,
    height: int,
) -> None:
    launched, base, server_clock = browser
    s = web.school
    lesson = s.hold()
    # three weeks' worth of earlier lessons: the grid is wider than a tablet
    for day in range(1, 13):
        if date(2025, 9, day).weekday() < 5:
            for period in (1, 3):
                s.hold(date(2025, 9, day), period)
    with clock.travel(at(LESSON_DAY, 15)):  # marks already in: the corrections table shows
        s.journal.entry.record_marks(
            lesson, [MarkEntry(p, "4", "practical") for p in s.pupils], s.teacher
        )
    system.views.catch_up()
    server_clock.moment = at(LESSON_DAY, 16)
    page = open_page(launched, width, height)
    sign_in(page, base, *web.logins["teacher"])
    page.goto(f"{base}/journal/lessons/{lesson}")

    # nothing runs off the side of the page, the corrections table included
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    last_row = page.locator("table.grid tbody tr").last
    last = last_row.locator("select[name^='att-']")
    field = last.get_attribute("name") or ""
    pupil = UUID(field.removeprefix("att-"))
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0
    assert box["x"] + box["width"] <= width, (box, width)
    # short codes on screen; the full meaning for screen readers, pointers and the legend
    options = last.locator("option")
    assert options.all_inner_texts() == ["—", "Н", "Б", "УП", "ОП"]
    assert options.nth(1).get_attribute("aria-label") == "Н — отсутствовал без уважительной причины"
    assert options.nth(1).get_attribute("title") == options.nth(1).get_attribute("aria-label")
    assert options.nth(0).get_attribute("aria-label") == "был(а) на уроке"
    assert (
        last.get_attribute("aria-label")
        == "Посещаемость: " + last_row.locator("td.name").inner_text()
    )
    legend = " ".join(page.locator("#attendance-legend").inner_text().split())
    assert "«Н» — отсутствовал без уважительной причины" in legend
    assert "«ОП» — опоздал" in legend and "«—» — был(а) на уроке" in legend
    legend_box = page.locator("#attendance-legend").bounding_box()
    assert legend_box is not None and legend_box["x"] + legend_box["width"] <= width
    assert page.locator("button:text('Сохранить урок')").bounding_box()["x"] < width

    # chosen by keyboard, as a teacher with a keyboard cover would
    last.focus()
    page.keyboard.press("ArrowUp")  # the script moves up the column
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.name") == field
    last.select_option("УП")
    shot(page, f"lesson-{width}.png")
    follow(page, "button:text('Сохранить урок')")
    assert page.locator(".flash.ok").inner_text() == "Урок сохранён."
    assert system.journal.queries.lesson(lesson).attendance[pupil] == "УП"
    saved = page.locator(f"select[name='{field}'] option:checked")
    assert saved.inner_text() == "УП"

    if width == 820:
        follow(page, "a:text('← Математика · 5А')")
        page.wait_for_selector("span.att")
        assert page.locator("span.att").inner_text() == "УП"
        grid = page.locator("div.scroll")
        assert page.evaluate("e => e.scrollWidth > e.clientWidth", grid.element_handle())
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # scrolled to the averages and the term mark, the names stay in view (sticky)
        grid.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        name_cell = page.locator("table.grid tbody tr").last.locator("td.name")
        name = name_cell.bounding_box()
        assert name is not None and name["x"] >= 0 and name["x"] + name["width"] <= width
        final = page.locator("table.grid tbody tr").last.locator("select[name^='final-']")
        term = final.bounding_box()
        assert term is not None and term["x"] + term["width"] <= width
        assert term["x"] >= name["x"] + name["width"]  # not under the names
        shot(page, "grid-820.png")
    page.context.close()
