"""The timetable view (ADR 0019): the bell schedule and days off of each school year, the
weekly patterns and substitutions of each course journal, and the thematic plans. No
personal data: a substitution's reason stays in its (encrypted) event."""

from __future__ import annotations

from uuid import UUID

from domain import ids
from domain.timetable import SchoolCalendar, ThematicPlan, Timetable
from projections.schema import Table
from projections.store import Row, ViewStore
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


#: Each calendar's year, each timetable's and plan's course journal: the later events of
#: these aggregates name only the aggregate.
OWNERS = Table("v_timetable_owners", (("record_id", "text"), ("owner_id", "text")), ("record_id",))


def _opened(
    store: ViewStore, e: SchoolCalendar.Opened | Timetable.Opened | ThematicPlan.Opened, _: Applied
) -> None:
    owner = e.year_id if isinstance(e, SchoolCalendar.Opened) else e.course_journal_id
    store.upsert(OWNERS, {"record_id": e.originator_id, "owner_id": owner})


def _owner(store: ViewStore, record_id: object) -> str:
    row = store.get(OWNERS, (record_id,))
    assert row is not None, "an aggregate's events follow its Opened"
    return str(row["owner_id"])


def _replace(store: ViewStore, table: Table, column: str, owner: str, rows: list[Row]) -> None:
    """Replace the numbered rows of ``owner`` (bells of a year, topics of a plan)."""
    for row in store.select(table, {column: owner}):
        store.delete(table, (owner, row["number"]))
    for row in rows:
        store.upsert(table, {column: owner, **row})


def _bells(store: ViewStore, e: SchoolCalendar.BellsSet, _: Applied) -> None:
    rows = [{"number": int(b["number"]), "starts": b["starts"], "ends": b["ends"]} for b in e.bells]
    _replace(store, BELLS, "year_id", _owner(store, e.originator_id), rows)


def _days_off(store: ViewStore, e: SchoolCalendar.DaysOffDeclared, _: Applied) -> None:
    store.upsert(
        DAYS_OFF,
        {
            "year_id": _owner(store, e.originator_id),
            "starts": e.starts,
            "ends": e.ends,
            "title": e.title,
        },
    )


def _days_off_withdrawn(store: ViewStore, e: SchoolCalendar.DaysOffWithdrawn, _: Applied) -> None:
    store.delete(DAYS_OFF, (_owner(store, e.originator_id), e.starts.isoformat()))


def _pattern(store: ViewStore, e: Timetable.PatternSet, _: Applied) -> None:
    store.upsert(
        PATTERNS,
        {
            "course_journal_id": _owner(store, e.originator_id),
            "since": e.since,
            "slots": " ".join(e.slots),
        },
    )


def _lesson_of(
    store: ViewStore, e: Timetable.SubstituteAssigned | Timetable.SubstitutionCancelled
) -> tuple[str, str]:
    course = _owner(store, e.originator_id)
    return course, str(ids.lesson_id(UUID(course), e.day, e.period))


def _substitute(store: ViewStore, e: Timetable.SubstituteAssigned, _: Applied) -> None:
    course, lesson = _lesson_of(store, e)
    store.upsert(
        SUBSTITUTIONS,
        {
            "lesson_id": lesson,
            "course_journal_id": course,
            "day": e.day,
            "period": e.period,
            "teacher_id": e.teacher_id,
        },
    )


def _cancelled(store: ViewStore, e: Timetable.SubstitutionCancelled, _: Applied) -> None:
    store.delete(SUBSTITUTIONS, (_lesson_of(store, e)[1],))


def _plan(store: ViewStore, e: ThematicPlan.Imported, _: Applied) -> None:
    rows = [
        {
            "number": int(i["number"]),
            "topic": i["topic"],
            "hours": int(i["hours"]),
            "homework": i["homework"],
        }
        for i in e.items
    ]
    _replace(store, PLAN, "course_journal_id", _owner(store, e.originator_id), rows)


VIEW = View(
    name="timetable",
    title="Расписание: звонки, выходные дни, недельная сетка, замены, тематические планы",
    tables=(OWNERS, BELLS, DAYS_OFF, PATTERNS, SUBSTITUTIONS, PLAN),
    handlers=by_event(
        on(SchoolCalendar.Opened, _opened),
        on(SchoolCalendar.BellsSet, _bells),
        on(SchoolCalendar.DaysOffDeclared, _days_off),
        on(SchoolCalendar.DaysOffWithdrawn, _days_off_withdrawn),
        on(Timetable.Opened, _opened),
        on(Timetable.PatternSet, _pattern),
        on(Timetable.SubstituteAssigned, _substitute),
        on(Timetable.SubstitutionCancelled, _cancelled),
        on(ThematicPlan.Opened, _opened),
        on(ThematicPlan.Imported, _plan),
    ),
)
