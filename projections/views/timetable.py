"""The timetable view (ADR 0019): the bell schedule and days off of each school year, the
weekly patterns and substitutions of each course journal, and the thematic plans. No
personal data: a substitution's reason stays in its (encrypted) event."""

from __future__ import annotations

from uuid import UUID

from domain import ids
from domain.timetable import SchoolCalendar, ThematicPlan, Timetable
from projections.schema import Table
from projections.store import ViewStore
from projections.view import Applied, View, by_event, on

BELLS = Table(
    "v_bells",
    (("year_id", "text"), ("number", "int"), ("starts", "text"), ("ends", "text")),
    ("year_id", "number"),
)
DAYS_OFF = Table(
    "v_days_off",
    (("year_id", "text"), ("starts", "text"), ("ends", "text"), ("title", "text")),
    ("year_id", "starts"),
)
PATTERNS = Table(
    "v_timetable_patterns",
    (("course_journal_id", "text"), ("since", "text"), ("slots", "text")),
    ("course_journal_id", "since"),
)
SUBSTITUTIONS = Table(
    "v_substitutions",
    (
        ("lesson_id", "text"),
        ("course_journal_id", "text"),
        ("day", "text"),
        ("period", "int"),
        ("teacher_id", "text"),
    ),
    ("lesson_id",),
    (("teacher_id",), ("course_journal_id",), ("day",)),
)
PLAN = Table(
    "v_thematic_plan",
    (
        ("course_journal_id", "text"),
        ("number", "int"),
        ("topic", "text"),
        ("hours", "int"),
        ("homework", "text"),
    ),
    ("course_journal_id", "number"),
)


def _calendar(store: ViewStore, e: SchoolCalendar.Opened, _: Applied) -> None:
    """A calendar's rows are keyed by its year (kept with the calendar's id → year)."""
    store.upsert(CALENDARS, {"calendar_id": e.originator_id, "year_id": e.year_id})


CALENDARS = Table("v_calendars", (("calendar_id", "text"), ("year_id", "text")), ("calendar_id",))


def _year_of(store: ViewStore, calendar_id: object) -> str:
    row = store.get(CALENDARS, (calendar_id,))
    assert row is not None, "a calendar's events follow its Opened"
    return str(row["year_id"])


def _bells(store: ViewStore, e: SchoolCalendar.BellsSet, _: Applied) -> None:
    year_id = _year_of(store, e.originator_id)
    for row in store.select(BELLS, {"year_id": year_id}):
        store.delete(BELLS, (year_id, row["number"]))
    for bell in e.bells:
        store.upsert(
            BELLS,
            {
                "year_id": year_id,
                "number": int(bell["number"]),
                "starts": bell["starts"],
                "ends": bell["ends"],
            },
        )


def _days_off(store: ViewStore, e: SchoolCalendar.DaysOffDeclared, _: Applied) -> None:
    store.upsert(
        DAYS_OFF,
        {
            "year_id": _year_of(store, e.originator_id),
            "starts": e.starts,
            "ends": e.ends,
            "title": e.title,
        },
    )


def _days_off_withdrawn(store: ViewStore, e: SchoolCalendar.DaysOffWithdrawn, _: Applied) -> None:
    store.delete(DAYS_OFF, (_year_of(store, e.originator_id), e.starts.isoformat()))


def _timetable(store: ViewStore, e: Timetable.Opened, _: Applied) -> None:
    store.upsert(
        TIMETABLES, {"timetable_id": e.originator_id, "course_journal_id": e.course_journal_id}
    )


TIMETABLES = Table(
    "v_timetables",
    (("timetable_id", "text"), ("course_journal_id", "text")),
    ("timetable_id",),
)


def _course_of(store: ViewStore, timetable_id: object) -> str:
    row = store.get(TIMETABLES, (timetable_id,))
    assert row is not None, "a timetable's events follow its Opened"
    return str(row["course_journal_id"])


def _pattern(store: ViewStore, e: Timetable.PatternSet, _: Applied) -> None:
    store.upsert(
        PATTERNS,
        {
            "course_journal_id": _course_of(store, e.originator_id),
            "since": e.since,
            "slots": " ".join(e.slots),
        },
    )


def _substitute(store: ViewStore, e: Timetable.SubstituteAssigned, _: Applied) -> None:
    course = _course_of(store, e.originator_id)
    store.upsert(
        SUBSTITUTIONS,
        {
            "lesson_id": ids.lesson_id(UUID(course), e.day, e.period),
            "course_journal_id": course,
            "day": e.day,
            "period": e.period,
            "teacher_id": e.teacher_id,
        },
    )


def _cancelled(store: ViewStore, e: Timetable.SubstitutionCancelled, _: Applied) -> None:
    course = _course_of(store, e.originator_id)
    store.delete(SUBSTITUTIONS, (str(ids.lesson_id(UUID(course), e.day, e.period)),))


def _plan(store: ViewStore, e: ThematicPlan.Imported, _: Applied) -> None:
    plan = store.get(PLANS, (e.originator_id,))
    assert plan is not None, "a plan's events follow its Opened"
    course = str(plan["course_journal_id"])
    for row in store.select(PLAN, {"course_journal_id": course}):
        store.delete(PLAN, (course, row["number"]))
    for item in e.items:
        store.upsert(
            PLAN,
            {
                "course_journal_id": course,
                "number": int(item["number"]),
                "topic": item["topic"],
                "hours": int(item["hours"]),
                "homework": item["homework"],
            },
        )


PLANS = Table(
    "v_thematic_plans", (("plan_id", "text"), ("course_journal_id", "text")), ("plan_id",)
)


def _plan_opened(store: ViewStore, e: ThematicPlan.Opened, _: Applied) -> None:
    store.upsert(PLANS, {"plan_id": e.originator_id, "course_journal_id": e.course_journal_id})


VIEW = View(
    name="timetable",
    title="Расписание: звонки, выходные дни, недельная сетка, замены, тематические планы",
    tables=(CALENDARS, BELLS, DAYS_OFF, TIMETABLES, PATTERNS, SUBSTITUTIONS, PLANS, PLAN),
    handlers=by_event(
        on(SchoolCalendar.Opened, _calendar),
        on(SchoolCalendar.BellsSet, _bells),
        on(SchoolCalendar.DaysOffDeclared, _days_off),
        on(SchoolCalendar.DaysOffWithdrawn, _days_off_withdrawn),
        on(Timetable.Opened, _timetable),
        on(Timetable.PatternSet, _pattern),
        on(Timetable.SubstituteAssigned, _substitute),
        on(Timetable.SubstitutionCancelled, _cancelled),
        on(ThematicPlan.Opened, _plan_opened),
        on(ThematicPlan.Imported, _plan),
    ),
)
