"""The course-journal grid: lessons (topic, homework), marks with kind, weight and a
corrected flag, attendance codes, the correction-request queue, and weighted averages."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain import ids
from domain.lesson import Lesson
from domain.policies import AttendanceCode, AttendancePolicy, GradingPolicy
from projections.schema import Table
from projections.sqlstore import SQLReader
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, Handler, Sealer, View, by_event, on, when
from projections.views import catalog

LESSONS = Table(
    "v_lessons",
    (
        ("lesson_id", "text"),
        ("course_journal_id", "text"),
        ("day", "text"),
        ("period", "int"),
        ("kind", "text"),
        ("topic", "text"),
        ("homework", "text"),
        ("held_at", "text"),
        ("held_by", "text"),
        ("changed_at", "text"),
    ),
    ("lesson_id",),
    (("course_journal_id", "day"),),
)
#: Due dates the teacher set for a lesson's homework (ADR 0017); a lesson without a row
#: has its homework due at the subject's next lesson. A table of its own rather than a
#: column of ``v_lessons``: databases built before it gain it without a rebuild.
HOMEWORK_DUE = Table(
    "v_homework_due",
    (("lesson_id", "text"), ("due", "text")),
    ("lesson_id",),
)
#: Per lesson, the log position of the latest event that wrote its rows of the grid (the
#: lesson's, its marks', its attendance's): every such write sets a larger one, so the
#: largest of a term's lessons tells a kept grid from a changed one (``GridCache``,
#: ADR 0022). A table of its own: databases built before it gain it without a rebuild
#: (a lesson written since has its row; one not written since has not changed).
STAMPS = Table(
    "v_lesson_stamps",
    (("lesson_id", "text"), ("position", "int")),
    ("lesson_id",),
)
MARKS = Table(
    "v_marks",
    (
        ("mark_id", "text"),
        ("lesson_id", "text"),
        ("student_id", "text"),
        ("value", "text"),
        ("kind", "text"),
        ("author", "text"),
        ("recorded_at", "text"),
        ("entered_by", "text"),
        ("supersedes", "text"),
        ("superseded_by", "text"),
        ("cancelled", "int"),
        ("reason", "text"),
        ("approver", "text"),
        ("changed_at", "text"),
    ),
    ("mark_id",),
    (("lesson_id",), ("student_id",)),
)
#: A pupil's attendance at a lesson. The code and the correction's reason are sealed under the
#: pupil's own key (``sealed``; NULL: present): «Б» is health data (152-FZ art. 10), and a
#: code in plain beside the pupil's id would say who was ill when. Read them with ``code_of``
#: and ``reason_of`` inside ``reading_codes``.
ATTENDANCE = Table(
    "v_attendance",
    (
        ("lesson_id", "text"),
        ("student_id", "text"),
        ("sealed", "blob"),
        ("marked_at", "text"),
        ("marked_by", "text"),
        ("corrected", "int"),
    ),
    ("lesson_id", "student_id"),
    (("student_id",),),
    sealed_with=("lesson_id", "student_id"),
)
#: Bytes the code takes in a sealed value, padded: every code seals to the same length, so
#: the ciphertext's size does not tell «Б» from «УП» (codes are at most 4 characters).
CODE_BYTES = 16
REQUESTS = Table(
    "v_correction_requests",
    (
        ("request_id", "text"),
        ("lesson_id", "text"),
        ("mark_id", "text"),
        ("value", "text"),
        ("kind", "text"),
        ("reason", "text"),
        ("requested_by", "text"),
        ("requested_at", "text"),
        ("state", "text"),
        ("decided_by", "text"),
        ("decided_at", "text"),
        ("decision_reason", "text"),
    ),
    ("request_id",),
    (("state",), ("lesson_id",)),
)

#: Late-entry requests: a teacher asks to make entries for a lesson past the deadline;
#: ``until`` is the last day allowed once approved.
LATE = Table(
    "v_late_entry_requests",
    (
        ("request_id", "text"),
        ("lesson_id", "text"),
        ("reason", "text"),
        ("requested_by", "text"),
        ("requested_at", "text"),
        ("state", "text"),
        ("until", "text"),
        ("decided_by", "text"),
        ("decided_at", "text"),
        ("decision_reason", "text"),
    ),
    ("request_id",),
    (("state",), ("lesson_id",)),
)


def _held(store: ViewStore, e: Lesson.Held, _: Applied) -> None:
    store.upsert(
        LESSONS,
        {
            "lesson_id": e.originator_id,
            "course_journal_id": e.course_journal_id,
            "day": e.day,
            "period": e.period,
            "kind": e.kind,
            "topic": e.topic,
            "homework": e.homework,
            "held_at": when(e),
            "held_by": e.actor,
            "changed_at": when(e),
        },
    )
    if e.homework_due is not None:
        _due(store, e.originator_id, e.homework_due)


def _topic(store: ViewStore, e: Lesson.TopicChanged, _: Applied) -> None:
    store.update(
        LESSONS,
        (e.originator_id,),
        {"topic": e.topic, "homework": e.homework, "changed_at": when(e)},
    )
    _due(store, e.originator_id, e.homework_due)


def _due(store: ViewStore, lesson_id: Any, due: Any) -> None:
    if due is None:
        if store.get(HOMEWORK_DUE, (str(lesson_id),)) is not None:
            store.delete(HOMEWORK_DUE, (lesson_id,))
    else:
        store.upsert(HOMEWORK_DUE, {"lesson_id": lesson_id, "due": due})


def _mark(store: ViewStore, e: Lesson.MarkRecorded, _: Applied) -> None:
    store.upsert(
        MARKS,
        {
            "mark_id": e.mark_id,
            "lesson_id": e.originator_id,
            "student_id": e.student_id,
            "value": e.value,
            "kind": e.kind,
            "author": e.actor,
            "recorded_at": when(e),
            "entered_by": e.actor,
            "cancelled": 0,
            "reason": "",
            "changed_at": when(e),
        },
    )


def _corrected(store: ViewStore, e: Lesson.MarkCorrected, _: Applied) -> None:
    old = store.get(MARKS, (str(e.supersedes),))
    if old is None:  # the original is destroyed or unknown: nothing to supersede
        return
    store.update(MARKS, (e.supersedes,), {"superseded_by": e.mark_id, "changed_at": when(e)})
    store.upsert(
        MARKS,
        {
            "mark_id": e.mark_id,
            "lesson_id": e.originator_id,
            "student_id": old["student_id"],
            "value": e.value,
            "kind": e.kind,
            "author": old["author"],
            "recorded_at": when(e),
            "entered_by": e.actor,
            "supersedes": e.supersedes,
            "cancelled": 0,
            "reason": e.reason,
            "approver": e.approver,
            "changed_at": when(e),
        },
    )


def _cancelled(store: ViewStore, e: Lesson.MarkCancelled, _: Applied) -> None:
    store.update(
        MARKS,
        (e.mark_id,),
        {"cancelled": 1, "reason": e.reason, "approver": e.approver, "changed_at": when(e)},
    )


def seal_code(sealer: Sealer, lesson_id: Any, student_id: Any, code: str, reason: str) -> bytes:
    """The sealed value of an attendance row: the code padded to ``CODE_BYTES``, then the
    reason, under the pupil's key (series ``person/<id>``, destroyed with their data)."""
    data = code.encode().ljust(CODE_BYTES) + reason.encode()
    context = f"{lesson_id}/{student_id}".encode()
    return sealer.seal(ids.person_series(UUID(str(student_id))), data, context)


def _attendance(corrected: int) -> Handler[Lesson.AttendanceMarked | Lesson.AttendanceCorrected]:
    def handle(
        store: ViewStore, e: Lesson.AttendanceMarked | Lesson.AttendanceCorrected, applied: Applied
    ) -> None:
        key = (e.originator_id, e.student_id)
        if not e.code and not corrected:
            store.delete(ATTENDANCE, key)
            return
        reason = str(getattr(e, "reason", "") or "")
        sealed = (
            seal_code(applied.sealer, e.originator_id, e.student_id, e.code, reason)
            if e.code or reason
            else None
        )
        store.upsert(
            ATTENDANCE,
            {
                "lesson_id": e.originator_id,
                "student_id": e.student_id,
                "sealed": sealed,
                "marked_at": when(e),
                "marked_by": e.actor,
                "corrected": corrected,
            },
        )

    return handle


def _stamped(handler: Handler[Any]) -> Handler[Any]:
    """``handler``, then the lesson's ``STAMPS`` row set to the event's position."""

    def handle(store: ViewStore, e: Any, applied: Applied) -> None:
        handler(store, e, applied)
        store.upsert(STAMPS, {"lesson_id": e.originator_id, "position": applied.position})

    return handle


def _requested(store: ViewStore, e: Lesson.CorrectionRequested, _: Applied) -> None:
    store.upsert(
        REQUESTS,
        {
            "request_id": e.request_id,
            "lesson_id": e.originator_id,
            "mark_id": e.mark_id,
            "value": e.value,
            "kind": e.kind,
            "reason": e.reason,
            "requested_by": e.actor,
            "requested_at": when(e),
            "state": "pending",
        },
    )


def _decided(state: str) -> Handler[Lesson.CorrectionApproved | Lesson.CorrectionRejected]:
    def handle(
        store: ViewStore, e: Lesson.CorrectionApproved | Lesson.CorrectionRejected, _: Applied
    ) -> None:
        store.update(
            REQUESTS,
            (e.request_id,),
            {
                "state": state,
                "decided_by": e.actor,
                "decided_at": when(e),
                "decision_reason": getattr(e, "reason", ""),
            },
        )

    return handle


def _late_requested(store: ViewStore, e: Lesson.LateEntryRequested, _: Applied) -> None:
    store.upsert(
        LATE,
        {
            "request_id": e.request_id,
            "lesson_id": e.originator_id,
            "reason": e.reason,
            "requested_by": e.actor,
            "requested_at": when(e),
            "state": "pending",
        },
    )


def _late_decided(
    store: ViewStore, e: Lesson.LateEntryApproved | Lesson.LateEntryRejected, _: Applied
) -> None:
    decided = {"decided_by": e.actor, "decided_at": when(e)}
    if isinstance(e, Lesson.LateEntryApproved):
        decided |= {"state": "approved", "until": e.until.isoformat()}
    else:
        decided |= {"state": "rejected", "decision_reason": e.reason}
    store.update(LATE, (e.request_id,), decided)


VIEW = View(
    name="grid",
    title="Страницы журнала: уроки, отметки, посещаемость, запросы на исправление",
    tables=(LESSONS, MARKS, ATTENDANCE, REQUESTS, LATE, HOMEWORK_DUE, STAMPS),
    handlers=by_event(
        on(Lesson.Held, _stamped(_held)),
        on(Lesson.TopicChanged, _stamped(_topic)),
        on(Lesson.MarkRecorded, _stamped(_mark)),
        on(Lesson.MarkCorrected, _stamped(_corrected)),
        on(Lesson.MarkCancelled, _stamped(_cancelled)),
        on(Lesson.AttendanceMarked, _stamped(_attendance(0))),
        on(Lesson.AttendanceCorrected, _stamped(_attendance(1))),
        on(Lesson.CorrectionRequested, _requested),
        on(Lesson.CorrectionApproved, _decided("approved")),
        on(Lesson.CorrectionRejected, _decided("rejected")),
        on(Lesson.LateEntryRequested, _late_requested),
        on(Lesson.LateEntryApproved, _late_decided),
        on(Lesson.LateEntryRejected, _late_decided),
    ),
)


# --- reading attendance codes -----------------------------------------------------------------
@dataclass
class Codes:
    """How the current reader sees attendance codes: opened with ``sealer``; a reader that
    is not ``allowed`` sensitive codes (``policies/attendance.toml``) sees each sensitive
    code as its ``shown_as``. Opened values are kept for the reader's lifetime (one web
    request): a page reading the same rows twice opens them once."""

    sealer: Sealer
    policy: AttendancePolicy
    allowed: bool
    _opened: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict, repr=False)

    def opened(self, row: Row) -> tuple[str, str]:
        """(code, reason) of an attendance row as this reader may see them; ("", "") for a
        pupil present, or whose key was destroyed."""
        if row["sealed"] is None:
            return "", ""
        key = (str(row["lesson_id"]), str(row["student_id"]))
        found = self._opened.get(key)
        if found is None:
            data = self.sealer.open(bytes(row["sealed"]), f"{key[0]}/{key[1]}".encode())
            if data is None:
                found = ("", "")
            else:
                code = data[:CODE_BYTES].decode().rstrip(" ")
                found = (code, data[CODE_BYTES:].decode())
            self._opened[key] = found
        code, reason = found
        if self.allowed or not self.policy.codes.get(code, _PLAIN).sensitive:
            return code, reason
        return self.policy.shown(code), ""  # the reason may name the illness

    def shown(self, code: str) -> str:
        """``code`` (already opened, e.g. in a record's history) as this reader may see it."""
        return code if self.allowed else self.policy.shown(code)


_PLAIN = AttendanceCode("", "", absent=False, excused=False)
_CODES: ContextVar[Codes | None] = ContextVar("attendance_codes", default=None)


@contextmanager
def reading_codes(codes: Codes) -> Iterator[Codes]:
    """Within this block (a web request, a CLI command, an archive volume) attendance codes
    are read as ``codes`` says."""
    token = _CODES.set(codes)
    try:
        yield codes
    finally:
        _CODES.reset(token)


def reading() -> Codes | None:
    """The reader's ``Codes``, or None outside ``reading_codes``."""
    return _CODES.get()


def current_codes() -> Codes:
    """The reader's ``Codes``; ``LookupError`` outside ``reading_codes`` — a code read
    without knowing who reads would be either hidden from a teacher or shown to anyone."""
    codes = _CODES.get()
    if codes is None:
        raise LookupError("attendance codes are read within grid.reading_codes(...)")
    return codes


def code_of(row: Row) -> str:
    """The attendance code of a ``v_attendance`` row, as the current reader may see it."""
    return current_codes().opened(row)[0]


def reason_of(row: Row) -> str:
    """The reason of an attendance correction, for a reader who may see its code."""
    return current_codes().opened(row)[1]


# --- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One mark in a grid cell."""

    mark_id: str
    value: str
    kind: str
    weight: int
    corrected: bool
    previous: str = ""  # the value it replaced, when corrected
    reason: str = ""
    changed_by: str = ""  # account id of who corrected it
    changed_at: str = ""
    approver: str = ""  # account id of who approved it (a request, or a deputy's own fix)


@dataclass(frozen=True)
class GridLesson:
    """A column of the grid."""

    lesson_id: str
    day: str
    period: int
    topic: str
    homework: str


@dataclass(frozen=True)
class Grid:
    """A course journal's page for a term: pupils × lessons."""

    course_journal_id: str
    subject: str
    scale: str
    term: int
    lessons: tuple[GridLesson, ...]
    pupils: tuple[str, ...]
    marks: dict[tuple[str, str], tuple[Cell, ...]] = field(hash=False)
    attendance: dict[tuple[str, str], str] = field(hash=False)
    averages: dict[str, float | None] = field(hash=False)
    #: What a page made of this grid and may reuse while the grid is served from
    #: ``GridCache`` (the web's written rows, ADR 0022); empty for a grid just built.
    memo: dict[Any, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def row(self, student_id: str) -> list[tuple[tuple[Cell, ...], str]]:
        """A pupil's cells in lesson order: (marks, attendance code or "") — one call per
        row for the template instead of two per cell."""
        marks, attendance = self.marks, self.attendance
        return [
            (
                marks.get((student_id, lesson.lesson_id), ()),
                attendance.get((student_id, lesson.lesson_id), ""),
            )
            for lesson in self.lessons
        ]


def weighted_average(cells: list[Cell], grading: GradingPolicy, scale: str) -> float | None:
    """Σ value·weight / Σ weight over the current marks of a numeric scale, to 2 places."""
    if not grading.scale(scale).numeric:
        return None
    total = weights = 0
    for cell in cells:
        if cell.value.isdigit():
            total += int(cell.value) * cell.weight
            weights += cell.weight
    return round(total / weights, 2) if weights else None


def _cell(row: Row, replaced: Row | None, grading: GradingPolicy) -> Cell:
    weight = grading.kinds[row["kind"]].weight if row["kind"] in grading.kinds else 1
    if row["supersedes"] is None:
        return Cell(row["mark_id"], row["value"], row["kind"], weight, False)
    return Cell(
        row["mark_id"],
        row["value"],
        row["kind"],
        weight,
        True,
        previous=replaced["value"] if replaced else "",
        reason=row["reason"] or "",
        changed_by=str(row["entered_by"] or ""),
        changed_at=str(row["changed_at"] or ""),
        approver=str(row["approver"] or ""),
    )


def _entered(row: Row, by_id: dict[Any, Row]) -> str:
    """When the first mark of a row's chain of corrections was entered: a cell lists its
    marks in that order, so a corrected mark keeps its place (the grid's typing matches
    marks by place, ADR 0018)."""
    seen = 0
    while row["supersedes"] is not None and row["supersedes"] in by_id and seen < 100:
        row, seen = by_id[row["supersedes"]], seen + 1
    return str(row["recorded_at"])


def current_marks(reader: Reader, lesson_ids: list[str]) -> list[dict[str, Any]]:
    """Marks of these lessons that stand (neither superseded nor cancelled)."""
    rows = reader.select(MARKS, within=("lesson_id", lesson_ids))
    return [r for r in rows if r["superseded_by"] is None and not r["cancelled"]]


def grid(reader: Reader, grading: GradingPolicy, course_journal_id: str, term: int) -> Grid:
    """The grid of a course journal for a term (pupils who belonged during the term)."""
    course, period = _course_and_term(reader, course_journal_id, term)
    membership = catalog.Membership(reader, course["group_id"])
    return _built(reader, grading, course, period, membership, term)


def _course_and_term(reader: Reader, course_journal_id: str, term: int) -> tuple[Row, Row]:
    course = reader.get(catalog.COURSES, (course_journal_id,))
    if course is None:
        raise LookupError(f"no course journal {course_journal_id}")
    period = reader.get(catalog.TERMS, (course["year_id"], term))
    if period is None:
        raise LookupError(f"no term {term}")
    return course, period


def _built(
    reader: Reader,
    grading: GradingPolicy,
    course: Row,
    period: Row,
    membership: catalog.Membership,
    term: int,
) -> Grid:
    course_journal_id = str(course["course_journal_id"])
    first, last = period["starts"], period["ends"]
    lessons = sorted(
        (
            r
            for r in reader.select(LESSONS, {"course_journal_id": course_journal_id})
            if first <= r["day"] <= last
        ),
        key=lambda r: (r["day"], r["period"]),
    )
    ids = [r["lesson_id"] for r in lessons]
    days = {r["lesson_id"]: r["day"] for r in lessons}
    pupils = membership.between(first, last)
    marks: dict[tuple[str, str], list[Cell]] = {}
    every = reader.select(MARKS, within=("lesson_id", ids))
    by_id = {r["mark_id"]: r for r in every}
    for r in sorted(every, key=lambda r: (_entered(r, by_id), r["recorded_at"], r["mark_id"])):
        if r["superseded_by"] is None and not r["cancelled"]:
            marks.setdefault((r["student_id"], r["lesson_id"]), []).append(
                _cell(r, by_id.get(r["supersedes"]), grading)
            )
    codes = current_codes()
    attendance = {
        (r["student_id"], r["lesson_id"]): codes.opened(r)[0]
        for r in reader.select(ATTENDANCE, within=("lesson_id", ids))
    }
    # A pupil withdrawn mid-term keeps the lessons they attended only.
    marks = {k: v for k, v in marks.items() if membership.on(k[0], days[k[1]])}
    by_pupil: dict[str, list[Cell]] = {}
    for (student, _), cells in marks.items():
        by_pupil.setdefault(student, []).extend(cells)
    averages = {p: weighted_average(by_pupil.get(p, []), grading, course["scale"]) for p in pupils}
    return Grid(
        course_journal_id,
        course["subject"],
        course["scale"],
        term,
        tuple(
            GridLesson(r["lesson_id"], r["day"], r["period"], r["topic"], r["homework"])
            for r in lessons
        ),
        tuple(pupils),
        {k: tuple(v) for k, v in marks.items()},
        attendance,
        averages,
    )


# --- the grid kept between pages (ADR 0022) ----------------------------------------------------
#: One row that changes whenever what the grid of a course journal's term shows of its
#: lessons, marks and attendance does: the term's lessons, how many of them have a stamp and
#: the largest stamp (``STAMPS``). ``{p}``: the backend's parameter mark.
STAMP = """
SELECT count(*), count(s.position), max(s.position)
FROM v_lessons l LEFT JOIN v_lesson_stamps s ON s.lesson_id = l.lesson_id
WHERE l.course_journal_id = {p} AND l.day >= {p} AND l.day <= {p}
"""


class GridCache:
    """Grids built for pages, kept by (course journal, term, whether the reader sees
    sensitive attendance codes) with what they were built from: the course and term rows,
    the class's membership rows and ``STAMP``. A page reads those (four small reads in its
    read transaction, the stamp before the grid, so an entry is never newer in name than in
    content) and takes the kept grid when they are the same, else builds the grid and keeps
    it. ``clear()`` when keys are destroyed (a code may no longer open) and on a rebuild.
    At most ``size`` entries, the least recently used dropped first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Grid]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def grid(
        self, reader: SQLReader, grading: GradingPolicy, course_journal_id: str, term: int
    ) -> Grid:
        """The grid, as ``grid()`` builds it — kept from an earlier page when nothing it
        shows changed since."""
        course, period = _course_and_term(reader, course_journal_id, term)
        membership = catalog.Membership(reader, course["group_id"])
        cursor = reader.cursor
        cursor.execute(
            STAMP.format(p=reader.db.param),
            (course_journal_id, period["starts"], period["ends"]),
        )
        found = cursor.fetchone()
        stamp = (
            tuple(sorted(course.items())),
            tuple(sorted(period.items())),
            tuple(sorted((s, tuple(p)) for s, p in membership.periods.items())),
            tuple(found or ()),
        )
        key = (course_journal_id, term, current_codes().allowed)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == stamp:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            self.misses += 1
        built = _built(reader, grading, course, period, membership, term)
        with self._lock:
            self._entries[key] = (stamp, built)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return built

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every kept grid (keys destroyed: attendance codes may no longer open)."""
        with self._lock:
            self._entries.clear()
