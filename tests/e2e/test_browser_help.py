"""The help pages' screenshots, taken in a real browser (Debian's Chromium via Playwright) of
the test school (fictional people) as each role sees its pages, at 1366 px and, where a
tablet matters, 820 px (ADR 0026). A missing or stale committed image in
``web/static/help/shots/`` is replaced and its manifest entry rewritten
(``tests/e2e/help_shots.py``); every image also lands in ``test-artifacts/help/``. No shot
shows an e-mail address or a phone number. Then the help page shows the images."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from typing import Any

import pytest

from domain import clock
from domain.lesson import MarkEntry
from domain.timetable import Bell
from ejournal.bootstrap import System
from tests.conftest import ROOT
from tests.e2e import help_shots
from tests.e2e.test_browser import sign_in
from tests.e2e.test_browser_diary import MONDAY, a_week, browser, open_page  # noqa: F401
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, lesson_with_request

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "help"
YEAR_END = date(2026, 5, 25)  # a Monday, the last week of the 4th quarter
BELLS = [Bell(n, f"{7 + n:02d}:30", f"{8 + n:02d}:15") for n in range(1, 7)]


def _scenario(system: System, web: WebSchool) -> dict[str, Any]:
    """A fortnight of the test school: lessons with marks of several kinds, absences, a
    correction, a correction request waiting for the deputy head, a lesson left empty past its
    deadline, the parent's week. Returns the ids the pages need."""
    s, j = web.school, web.school.journal
    with clock.travel(at(MONDAY, 8)):  # Fridays: the 2nd and 4th lessons by the timetable
        j.timetable.set_bells(s.year_id, BELLS, s.deputy)
        j.timetable.set_pattern(s.course_id, MONDAY, [(4, 2), (4, 4)], s.deputy)
    a_week(system, web)
    lesson, mark, _ = lesson_with_request(system, web)
    values = ("5", "4", "3", "5", "4")
    kinds = ("answer", "test", "practical", "answer", "homework")
    day = LESSON_DAY + timedelta(days=1)
    for offset in range(8):
        when = day + timedelta(days=offset)
        if when.weekday() >= 5:
            continue
        held = s.hold(when, 4)
        with clock.travel(at(when, 15)):
            j.entry.record_marks(
                held,
                [
                    MarkEntry(p, values[(offset + n) % 5], kinds[offset % 5])
                    for n, p in enumerate(s.pupils)
                    if (offset + n) % 3
                ],
                s.teacher,
            )
            if offset == 2:
                j.entry.mark_attendance(held, {s.pupils[1]: "Н"}, s.teacher)
    empty = s.hold(LESSON_DAY + timedelta(days=9), 5)
    _year_end(web)
    system.views.catch_up()
    return {"lesson": lesson, "mark": mark, "empty": empty}


def _year_end(web: WebSchool) -> None:
    """5Б at the end of the year: the 4th quarter's marks, the term marks 4, 4, 4, 5 and the
    year mark «5» above their average 4,25 with the teacher's reason (shot «year», as 5Б's
    teacher)."""
    s, j, pupil = web.school, web.school.journal, web.school.outsider
    assert pupil is not None
    web.logins["teacher2"] = ("teacher2", "uchitel-secret-2")
    marks = ((YEAR_END - timedelta(days=6), "5"), (YEAR_END - timedelta(days=4), "5"))
    for day, value in (*marks, (YEAR_END - timedelta(days=3), "4")):
        held = s.hold(day, 3, course=s.other_course_id)
        with clock.travel(at(day, 15)):
            j.entry.record_marks(held, [MarkEntry(pupil, value, "answer")], s.other_teacher)
    for term, value in {1: "4", 2: "4", 3: "4", 4: "5"}.items():
        with clock.travel(at(YEAR_END, 9 + term)):
            j.grades.set_term_mark(s.other_course_id, term, pupil, value, s.other_teacher)
    with clock.travel(at(YEAR_END, 14)):
        j.grades.set_year_mark(
            s.other_course_id,
            pupil,
            "5",
            s.other_teacher,
            why="Учтено призовое место в муниципальном этапе олимпиады по математике",
        )


def _pages(ids: dict[str, Any], web: WebSchool) -> dict[str, tuple[str, Any]]:
    """Each shot's path and the server's moment."""
    s = web.school
    usual = at(LESSON_DAY + timedelta(days=10), 16)
    return {
        "today": ("/journal/", usual),
        # Friday 19 September: a lesson of 5А held, one still to come, an absence, marks
        "my-class": ("/journal/", at(LESSON_DAY + timedelta(days=3), 16)),
        "lesson": (f"/journal/lessons/{ids['lesson']}", at(LESSON_DAY, 17)),
        "lesson-tablet": (f"/journal/lessons/{ids['lesson']}", at(LESSON_DAY, 17)),
        "grid": (f"/journal/{s.course_id}/1", usual),
        "year": (f"/journal/{s.other_course_id}/4", at(YEAR_END, 16)),
        "summary": (f"/classes/{s.other_class_id}/summary", at(YEAR_END, 16)),
        "late": (f"/journal/lessons/{ids['empty']}", at(LESSON_DAY + timedelta(days=16), 10)),
        "approvals": ("/classes/approvals", usual),
        "terms": ("/classes/terms", usual),
        "class-journal": (f"/classes/{s.class_id}/journal/1", usual),
        "attendance-report": (f"/classes/{s.class_id}/attendance", usual),
        "diary-week": (
            f"/diary/{s.pupils[0]}?week={MONDAY.isoformat()}",
            at(MONDAY + timedelta(days=1), 19),
        ),
        "diary-term": (f"/diary/{s.pupils[0]}?term=1", usual),
        "mail": ("/profile/mail", usual),
        "ledger": ("/audit/", usual),
        "history": (f"/audit/marks/{ids['mark']}", usual),
        "register": ("/records/", usual),
        "accounts": ("/admin/accounts", usual),
    }


def test_the_help_screenshots_are_taken_and_kept_current(
    browser: Any,  # noqa: F811  (the fixture imported above)
    system: System,
    web: WebSchool,
) -> None:
    launched, base, server_clock = browser
    ids = _scenario(system, web)
    pages = _pages(ids, web)
    assert set(pages) == {shot.name for shot in help_shots.PLAN}
    assert help_shots.figures() <= set(pages), "a figure of the help without a screenshot"
    force = os.environ.get("EJOURNAL_HELP_SHOTS") == "refresh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    replaced = []
    for shot in help_shots.PLAN:
        path, moment = pages[shot.name]
        server_clock.moment = moment
        for width in shot.widths:
            page = open_page(launched, width, 900 if width > 1000 else 1180)
            sign_in(page, base, *web.logins[shot.role])
            answer = page.goto(f"{base}{path}")
            assert answer is not None and answer.status == 200, (shot.name, path)
            text = page.inner_text("body")
            assert not help_shots.EMAIL.search(text), f"{shot.name}: an e-mail address on screen"
            assert not help_shots.PHONE.search(text), f"{shot.name}: a phone number on screen"
            # nothing runs off the side of a tablet
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            taken = ARTIFACTS / f"{shot.name}-{width}.png"
            if shot.element:  # one part of the page
                page.locator(shot.element).first.screenshot(path=str(taken), animations="disabled")
            else:
                page.screenshot(path=str(taken), full_page=width > 1000, animations="disabled")
            assert taken.stat().st_size > 5_000
            if force or help_shots.stale(shot, width):
                help_shots.image(shot, width).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(taken, help_shots.image(shot, width))
                help_shots.record(shot, width)
                replaced.append(f"{shot.name}-{width}")
            page.context.close()
    if replaced:
        print(f"help screenshots replaced (commit them): {', '.join(replaced)}")
    for shot in help_shots.PLAN:
        for width in shot.widths:
            assert not help_shots.stale(shot, width), (shot.name, width)

    # the teacher's help shows the images, the tablet's on a narrow screen
    server_clock.moment = None
    page = open_page(launched, 820, 1180)
    page.goto(f"{base}/help/teacher#grid")
    shown = page.locator("#grid img")
    # a lazy image loads after the page: wait for its load (or error), then check it
    shown.evaluate(
        "img => img.complete || new Promise(done => "
        "{ img.addEventListener('load', done); img.addEventListener('error', done); })"
    )
    assert shown.evaluate("img => img.complete && img.naturalWidth > 0")
    assert shown.evaluate("img => img.currentSrc").endswith("/static/help/shots/grid-820.png")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator("text=снимок экрана ещё не сделан").count() == 0
    page.context.close()
