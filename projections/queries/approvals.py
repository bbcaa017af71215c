"""The approval queue: correction requests with what an approver needs to decide — the
pupil, the subject and class, the lesson's date, the standing value and the requested one,
the reason and who asked.

Query-only: it reads the grid's tables (requests, marks, lessons) and the catalogue
(course journals, groups); ids and codes only, names are opened by the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from projections.schema import Table
from projections.store import Reader, Row
from projections.views import catalog, grid

PENDING = "pending"
DECIDED = ("approved", "rejected")


@dataclass(frozen=True)
class Request:
    """A correction request; an empty ``value`` asks to cancel the mark."""

    request_id: str
    state: str
    lesson_id: str
    mark_id: str
    student_id: str
    course_journal_id: str
    subject: str
    group_id: str
    group_name: str
    day: str
    period: int
    old_value: str
    old_kind: str
    value: str
    kind: str
    reason: str
    requested_by: str
    requested_at: str
    decided_by: str
    decided_at: str
    decision_reason: str


def pending(reader: Reader) -> list[Request]:
    """Requests waiting for a decision, oldest first."""
    return _oldest_first(reader, grid.REQUESTS, _build, {"state": PENDING})


def decided(reader: Reader, limit: int) -> list[Request]:
    """The latest ``limit`` decisions (approved or rejected), newest first."""
    return _latest_decisions(reader, grid.REQUESTS, _build, limit)


def request(reader: Reader, request_id: str) -> Request | None:
    """One request (any state), or None when there is no such request."""
    return _one(reader, grid.REQUESTS, _build, request_id)


def _build(reader: Reader, rows: list[Row]) -> list[Request]:
    """Join requests with their marks, lessons, course journals and groups (in order)."""
    if not rows:
        return []
    marks = _by(reader, grid.MARKS, "mark_id", {r["mark_id"] for r in rows})
    return [
        _request(r, marks.get(r["mark_id"]) or {}, lesson, course, group)
        for r, lesson, course, group in _placed(reader, rows)
    ]


def _placed(reader: Reader, rows: list[Row]) -> list[tuple[Row, Row, Row, Row]]:
    """Each request row with its lesson, course journal and group (in order); a request whose
    lesson's series was destroyed is left out: nothing is left to decide."""
    lessons = _by(reader, grid.LESSONS, "lesson_id", {r["lesson_id"] for r in rows})
    courses = _by(
        reader,
        catalog.COURSES,
        "course_journal_id",
        {v["course_journal_id"] for v in lessons.values()},
    )
    groups = _by(reader, catalog.GROUPS, "group_id", {c["group_id"] for c in courses.values()})
    found = []
    for r in rows:
        lesson = lessons.get(r["lesson_id"])
        course = courses.get(lesson["course_journal_id"]) if lesson else None
        if lesson is not None and course is not None:
            found.append((r, lesson, course, groups.get(course["group_id"]) or {}))
    return found


def _request(r: Row, mark: Row, lesson: Row, course: Row, group: Row) -> Request:
    return Request(
        request_id=r["request_id"],
        state=r["state"],
        lesson_id=r["lesson_id"],
        mark_id=r["mark_id"],
        student_id=str(mark.get("student_id") or ""),
        course_journal_id=course["course_journal_id"],
        subject=course["subject"],
        group_id=course["group_id"],
        group_name=str(group.get("name") or ""),
        day=lesson["day"],
        period=int(lesson["period"]),
        old_value=str(mark.get("value") or ""),
        old_kind=str(mark.get("kind") or ""),
        value=r["value"] or "",
        kind=r["kind"] or "",
        reason=r["reason"] or "",
        requested_by=str(r["requested_by"] or ""),
        requested_at=str(r["requested_at"] or ""),
        decided_by=str(r["decided_by"] or ""),
        decided_at=str(r["decided_at"] or ""),
        decision_reason=r["decision_reason"] or "",
    )


def _by(reader: Reader, table: Table, key: str, ids: set[str]) -> dict[str, Row]:
    """Rows of ``table`` whose ``key`` is one of ``ids``, by that key."""
    return {str(r[key]): r for r in reader.select(table, within=(key, sorted(ids)))}


# --- late-entry requests -------------------------------------------------------------------
@dataclass(frozen=True)
class LateRequest:
    """A teacher's request to make entries for a lesson past the entry deadline; when
    approved, ``until`` is the last day (ISO date) entries are allowed."""

    request_id: str
    state: str
    lesson_id: str
    course_journal_id: str
    subject: str
    group_name: str
    day: str
    period: int
    reason: str
    requested_by: str
    requested_at: str
    until: str
    decided_by: str
    decided_at: str
    decision_reason: str


def late_pending(reader: Reader) -> list[LateRequest]:
    """Late-entry requests waiting for a decision, oldest first."""
    return _oldest_first(reader, grid.LATE, _build_late, {"state": PENDING})


def late_decided(reader: Reader, limit: int) -> list[LateRequest]:
    """The latest ``limit`` decided late-entry requests, newest first."""
    return _latest_decisions(reader, grid.LATE, _build_late, limit)


def late_request(reader: Reader, request_id: str) -> LateRequest | None:
    """One late-entry request (any state), or None."""
    return _one(reader, grid.LATE, _build_late, request_id)


def granted(reader: Reader, account_id: str, lesson_ids: Iterable[str], today: str) -> set[str]:
    """Which of ``lesson_ids`` the account may still enter past the deadline under an
    approved late-entry request of theirs (``until`` not before ``today``): one query for
    a whole grid (ADR 0016, amended by ADR 0031)."""
    wanted = set(lesson_ids)
    return {
        str(r["lesson_id"])
        for r in reader.select(grid.LATE, {"state": "approved", "requested_by": account_id})
        if str(r["lesson_id"]) in wanted and str(r["until"] or "") >= today
    }


def late_for_lesson(reader: Reader, lesson_id: str) -> list[LateRequest]:
    """A lesson's late-entry requests (any state), oldest first."""
    return _oldest_first(reader, grid.LATE, _build_late, {"lesson_id": lesson_id})


def _build_late(reader: Reader, rows: list[Row]) -> list[LateRequest]:
    return [
        LateRequest(
            request_id=r["request_id"],
            state=r["state"],
            lesson_id=r["lesson_id"],
            course_journal_id=course["course_journal_id"],
            subject=course["subject"],
            group_name=str(group.get("name") or ""),
            day=lesson["day"],
            period=int(lesson["period"]),
            reason=r["reason"] or "",
            requested_by=str(r["requested_by"] or ""),
            requested_at=str(r["requested_at"] or ""),
            until=str(r["until"] or ""),
            decided_by=str(r["decided_by"] or ""),
            decided_at=str(r["decided_at"] or ""),
            decision_reason=r["decision_reason"] or "",
        )
        for r, lesson, course, group in (_placed(reader, rows) if rows else [])
    ]


# --- both queues: correction requests (``grid.REQUESTS``), late-entry requests (``grid.LATE``)
#: A request of either queue, as its ``build`` makes it from rows of its table.
Q = TypeVar("Q", Request, LateRequest)
Build = Callable[[Reader, list[Row]], list[Q]]


def _oldest_first(reader: Reader, table: Table, build: Build[Q], where: dict[str, str]) -> list[Q]:
    """The requests of ``table`` that match ``where``, oldest first."""
    found = build(reader, reader.select(table, where))
    return sorted(found, key=lambda r: (r.requested_at, r.request_id))


def _latest_decisions(reader: Reader, table: Table, build: Build[Q], limit: int) -> list[Q]:
    """The latest ``limit`` decided requests of ``table`` (approved or rejected), newest
    first."""
    rows = [r for state in DECIDED for r in reader.select(table, {"state": state})]
    rows.sort(key=lambda r: (str(r["decided_at"]), r["request_id"]), reverse=True)
    return build(reader, rows[:limit])


def _one(reader: Reader, table: Table, build: Build[Q], request_id: str) -> Q | None:
    """One request of ``table`` (any state), or None."""
    row = reader.get(table, (request_id,))
    found = build(reader, [row] if row else [])
    return found[0] if found else None
