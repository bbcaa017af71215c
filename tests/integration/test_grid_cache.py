"""The grid kept between pages (``GridCache``, ADR 0022) on a real store (SQLite and
PostgreSQL): a page with nothing changed takes the kept grid; every write that changes what
the grid shows — a lesson held or its topic changed, a mark recorded, corrected or cancelled,
attendance marked, overwritten or corrected, a pupil enrolled or withdrawn, the term's dates
— gives a grid equal to one built afresh; readers who may and may not see sensitive codes
get grids of their own; destroyed keys and a rebuild empty the cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from domain import clock
from domain.lesson import MarkEntry
from domain.service import Receipt
from ejournal.bootstrap import System
from projections.views import grid as grid_view
from tests.school import LESSON_DAY, School, at, build_school


def _page(system: System, school: School, *, allowed: bool = True) -> grid_view.Grid:
    """The grid as a page reads it (inside a request's codes and pinned transaction)."""
    with system.views.reading_codes(allowed=allowed), system.views.pinned():
        return system.views.reads.journal.grid(str(school.course_id), 1)


def _fresh(system: System, school: School, *, allowed: bool = True) -> grid_view.Grid:
    """The grid built afresh from the views, past the cache."""
    with system.views.reading_codes(allowed=allowed), system.views.reader() as reader:
        return grid_view.grid(reader, system.policies.grading, str(school.course_id), 1)


def _after(system: System, receipt: Receipt) -> None:
    assert system.views.wait_for(receipt.position, timeout=10)


def _settled(system: System) -> None:
    """Wait until the views hold every event stored so far."""
    last = system.journal.recorder.max_notification_id() or 0
    assert system.views.wait_for(last, timeout=10)


def test_an_unchanged_grid_is_kept_and_every_write_gives_the_grid_built_afresh(
    running: System,
) -> None:
    school = build_school(running.journal)
    j, views = running.journal, running.views
    first, second, third = school.pupils
    lesson = school.hold()
    _settled(running)
    kept = _page(running, school)
    assert _page(running, school) is kept  # nothing changed: the kept grid
    assert views.grids.hits >= 1

    day = at(LESSON_DAY, 14)
    steps: list[tuple[str, Callable[[], Receipt]]] = []
    marks: list[UUID] = []

    def record() -> Receipt:
        with clock.travel(day):
            receipt = j.entry.record_marks(
                lesson, [MarkEntry(p, "4", "answer") for p in school.pupils], school.teacher
            )
        marks.extend(receipt.created)
        return receipt

    def correct() -> Receipt:
        with clock.travel(day):
            return j.entry.correct_mark(
                lesson, marks[0], "5", "answer", "ошибка ввода", school.teacher
            )

    def cancel() -> Receipt:
        with clock.travel(day):
            return j.entry.cancel_mark(lesson, marks[1], "не тот ученик", school.teacher)

    def absent() -> Receipt:
        with clock.travel(day):
            return j.entry.mark_attendance(lesson, {third: "Н", second: "Б"}, school.teacher)

    def overwritten_earlier() -> Receipt:
        # the clock stepped back: the kept grid must not hang on the time of the last write
        with clock.travel(at(LESSON_DAY, 13)):
            return j.entry.mark_attendance(lesson, {third: "ОП"}, school.teacher)

    def present_again() -> Receipt:
        with clock.travel(day):
            return j.entry.mark_attendance(lesson, {third: ""}, school.teacher)

    def corrected_attendance() -> Receipt:
        with clock.travel(at(LESSON_DAY, 15)):
            return j.entry.correct_attendance(lesson, second, "Н", "справка", school.deputy)

    def topic() -> Receipt:
        with clock.travel(day):
            return j.entry.change_topic(lesson, "Десятичные дроби", "№ 14", school.teacher)

    def another_lesson() -> Receipt:
        with clock.travel(at(date(2025, 9, 17), 9)):
            return j.entry.hold_lesson(
                school.course_id, date(2025, 9, 17), 3, "Проценты", "", school.teacher
            )

    def withdrawn() -> Receipt:
        with clock.travel(at(date(2025, 10, 1), 9)):
            return j.classes.withdraw(
                school.class_id, first, date(2025, 10, 1), "переезд", school.admin
            )

    def newcomer() -> Receipt:
        with clock.travel(at(date(2025, 9, 20), 9)):
            pupil = j.people.register_student(
                "Новикова", "Алла", "", date(2014, 5, 5), school.admin
            ).id
            return j.classes.enrol(school.class_id, pupil, date(2025, 9, 22), school.admin)

    steps += [
        ("marks recorded", record),
        ("a mark corrected", correct),
        ("a mark cancelled", cancel),
        ("attendance marked", absent),
        ("attendance overwritten with an earlier clock", overwritten_earlier),
        ("attendance cleared", present_again),
        ("attendance corrected", corrected_attendance),
        ("the topic changed", topic),
        ("a lesson held", another_lesson),
        ("a pupil withdrawn", withdrawn),
        ("a pupil enrolled", newcomer),
    ]
    for name, step in steps:
        before = _page(running, school)
        _after(running, step())
        misses = views.grids.misses
        page = _page(running, school)
        assert page is not before, name
        assert views.grids.misses == misses + 1, name
        assert page == _fresh(running, school), name
        assert _page(running, school) is page, name  # and kept again


def test_the_term_dates_are_part_of_what_the_grid_is_kept_by(running: System) -> None:
    school = build_school(running.journal)
    lesson = school.hold(date(2025, 10, 24))  # in the first quarter as defined
    _settled(running)
    kept = _page(running, school)
    assert [x.lesson_id for x in kept.lessons] == [str(lesson)]
    with clock.travel(at(date(2025, 8, 26), 10)):
        receipt = running.journal.school.define_term(
            school.year_id, 1, "1 четверть", date(2025, 9, 1), date(2025, 10, 20), school.admin
        )
    _after(running, receipt)
    page = _page(running, school)
    assert page.lessons == ()
    assert page == _fresh(running, school)


def test_readers_who_may_and_may_not_see_sensitive_codes_get_grids_of_their_own(
    running: System,
) -> None:
    school = build_school(running.journal)
    lesson = school.hold()
    with clock.travel(at(LESSON_DAY, 14)):
        receipt = running.journal.entry.mark_attendance(
            lesson, {school.pupils[0]: "Б"}, school.teacher
        )
    _after(running, receipt)
    key = (str(school.pupils[0]), str(lesson))
    for _ in range(2):  # the second time from the cache
        assert _page(running, school, allowed=True).attendance[key] == "Б"
        assert _page(running, school, allowed=False).attendance[key] == "УП"
    assert len(running.views.grids) == 2


def test_destroyed_keys_and_a_rebuild_empty_the_kept_grids(running: System) -> None:
    school = build_school(running.journal)
    school.hold()
    _settled(running)
    kept = _page(running, school)
    assert len(running.views.grids) == 1
    running.keyring.forget()  # what destroying keys here or elsewhere ends in
    assert len(running.views.grids) == 0
    again = _page(running, school)
    assert again is not kept and again == kept
    running.views.rebuild()
    assert len(running.views.grids) == 0
    assert _page(running, school) == kept
