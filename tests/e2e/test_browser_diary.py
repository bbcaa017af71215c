"""In a real browser (Debian's Chromium via Playwright): a parent's weekly diary — days,
lessons, homework on the day it is due, marks with their kind and date in plain text (no
hover on phones) — at 1366 and 820 px, with screenshots under test-artifacts/screenshots/;
and «что нового» kept on the server across two browser contexts (two devices)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from ejournal.webapp import web_app
from tests.e2e.live import ServerClock, chromium_or_skip, follow, launch, live_server
from tests.e2e.test_browser import shot, sign_in
from tests.school import LESSON_DAY, at
from tests.web import WebSchool

pytestmark = pytest.mark.browser
MONDAY = LESSON_DAY - timedelta(days=1)  # 15 September 2025
THURSDAY = MONDAY + timedelta(days=3)


@pytest.fixture
def browser(system: System) -> Iterator[tuple[Any, str, ServerClock]]:
    """A browser, the live server's base URL and its clock; tests open their own contexts."""
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    server_clock = ServerClock()
    with live_server(web_app(system), server_clock) as base, sync_playwright() as p:
        launched = launch(p, chromium)
        try:
            yield launched, base, server_clock
        finally:
            launched.close()


def open_page(browser: Any, width: int, height: int = 900) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def a_week(system: System, web: WebSchool) -> None:
    """Monday: «Дроби» (homework due Tuesday, the next lesson) and «Проценты» (a report the
    teacher set for Thursday), the child absent at the second; Tuesday: a 5 for a test."""
    s, j = web.school, web.school.journal
    with clock.travel(at(MONDAY, 9)):
        first = j.entry.hold_lesson(s.course_id, MONDAY, 2, "Дроби", "№ 12, 14", s.teacher).id
        second = j.entry.hold_lesson(
            s.course_id,
            MONDAY,
            3,
            "Проценты",
            "Доклад о процентах",
            s.teacher,
            homework_due=THURSDAY,
        ).id
        j.entry.mark_attendance(second, {s.pupils[0]: "Н"}, s.teacher)
    tuesday = s.hold(MONDAY + timedelta(days=1), 1)
    with clock.travel(at(MONDAY + timedelta(days=1), 16)):
        j.entry.record_marks(tuesday, [MarkEntry(s.pupils[0], "5", "test")], s.teacher)
        j.entry.record_marks(first, [MarkEntry(s.pupils[0], "4", "answer")], s.teacher)
    system.views.catch_up()


def test_a_parent_reads_the_week_on_a_computer_and_a_tablet(
    browser, system: System, web: WebSchool
):
    launched, base, server_clock = browser
    a_week(system, web)
    server_clock.moment = at(MONDAY + timedelta(days=1), 19)
    for width in (1366, 820):
        page = open_page(launched, width)
        sign_in(page, base, *web.logins["parent"])
        page.goto(f"{base}/diary/")
        assert "Дневник: Смирнов Артём" in page.locator("h1").inner_text()
        days = page.locator("section.day h3").all_inner_texts()
        assert [d.split(" · ")[0] for d in days] == [
            "пн, 15 сентября",
            "вт, 16 сентября",
            "ср, 17 сентября",
            "чт, 18 сентября",
            "пт, 19 сентября",
            "сб, 20 сентября",
        ]
        monday = page.locator("section.day").nth(0).inner_text()
        assert "Дроби" in monday and "Проценты" in monday and "Н" in monday
        assert "4 Ответ на уроке, 15 сентября" in " ".join(monday.split())
        tuesday = page.locator("section.day").nth(1).inner_text()
        assert "Домашнее задание к этому дню" in tuesday and "№ 12, 14" in tuesday
        assert "5 Контрольная работа" in " ".join(tuesday.split())
        assert "Доклад о процентах" in page.locator("section.day").nth(3).inner_text()
        assert "сегодня" in days[1]
        tomorrow = page.locator("section.tomorrow").inner_text()
        assert "На завтра, ср, 17 сентября" in tomorrow
        # nothing runs off the side of the screen: no horizontal scrolling
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, f"parent-week-{width}.png")
        follow(page, "a:text('‹ предыдущая')")
        assert "пн, 8 сентября" in page.locator("section.day h3").first.inner_text()
        follow(page, "a:text('сегодня')")
        assert "пн, 15 сентября" in page.locator("section.day h3").first.inner_text()
        page.emulate_media(media="print")  # printable: no header, tabs or navigation
        assert not page.locator("header").is_visible()
        assert not page.locator("nav.weeknav").is_visible()
        assert page.locator("section.day").first.is_visible()
        page.context.close()


def test_what_is_new_follows_the_parent_from_one_device_to_another(
    browser, system: System, web: WebSchool
):
    launched, base, server_clock = browser
    s = web.school
    phone, laptop = open_page(launched, 820), open_page(launched, 1366)
    server_clock.moment = at(LESSON_DAY, 8)
    sign_in(phone, base, *web.logins["parent"])
    phone.goto(f"{base}/diary/")
    assert "первый визит" in phone.locator("#news").locator("..").inner_text()

    lesson = s.hold(LESSON_DAY, 2)
    with clock.travel(at(LESSON_DAY, 16)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], "2", "test")], s.teacher)
        mark = system.journal.queries.lesson(lesson).marks[0].mark_id
        s.journal.entry.correct_mark(lesson, mark, "3", "test", "Описка", s.teacher)
    system.views.catch_up()
    server_clock.moment = at(LESSON_DAY, 18)
    phone.reload()
    news = phone.locator("ul.news").inner_text()
    assert "отметка исправлена: 2 → 3" in news
    follow(phone, "a:text('Итоги: 1 четверть')")  # a tab switch marks nothing as seen
    assert "отметка исправлена: 2 → 3" in phone.locator("ul.news").inner_text()
    follow(phone, "button:text('Прочитано')")
    assert "Ничего нового" in phone.locator("#news").locator("..").inner_text()

    server_clock.moment = at(LESSON_DAY, 20)
    sign_in(laptop, base, *web.logins["parent"])
    laptop.goto(f"{base}/diary/")
    block = laptop.locator("#news").locator("..").inner_text()
    assert "Ничего нового" in block and "первый визит" not in block

    with clock.travel(at(LESSON_DAY, 21)):
        s.journal.entry.mark_attendance(lesson, {s.pupils[0]: "Б"}, s.teacher)
    system.views.catch_up()
    server_clock.moment = at(LESSON_DAY, 22)
    laptop.reload()
    assert "посещаемость: Б" in laptop.locator("ul.news").inner_text()
    follow(laptop, "button:text('Прочитано')")
    server_clock.moment = at(LESSON_DAY + timedelta(days=1), 7)
    phone.reload()
    assert "Ничего нового" in phone.locator("#news").locator("..").inner_text()
