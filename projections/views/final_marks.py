"""Term and year marks («четвертные и годовые отметки») as they stand, with a corrected
flag, the reason and approver of the last correction, and who set them when; the exam and
final marks of classes with exams; the pedagogical council's decision on each pupil."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.explain import Explanation
from domain.grades import TermGrades, YearGrades
from projections.schema import Table
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, Handler, View, by_event, on, when
from projections.views import grid

#: Which course journal and term (or which class and year) a grades record belongs to:
#: mark events name only their record, so the handlers look it up here.
SHEETS = Table(
    "v_final_sheets",
    (
        ("grades_id", "text"),
        ("course_journal_id", "text"),
        ("term", "int"),
        ("group_id", "text"),
        ("year_id", "text"),
    ),
    ("grades_id",),
)
TERM_MARKS = Table(
    "v_term_marks",
    (
        ("course_journal_id", "text"),
        ("term", "int"),
        ("student_id", "text"),
        ("value", "text"),
        ("corrected", "int"),
        ("reason", "text"),
        ("set_by", "text"),
        ("set_at", "text"),
        ("approver", "text"),
    ),
    ("course_journal_id", "term", "student_id"),
    (("student_id",),),
)
YEAR_MARKS = Table(
    "v_year_marks",
    (
        ("group_id", "text"),
        ("course_journal_id", "text"),
        ("student_id", "text"),
        ("value", "text"),
        ("corrected", "int"),
        ("reason", "text"),
        ("set_by", "text"),
        ("set_at", "text"),
        ("approver", "text"),
    ),
    ("group_id", "course_journal_id", "student_id"),
    (("student_id",), ("course_journal_id",)),
)

#: What each term or year mark was computed from, per setting (set or corrected): the
#: event's ``basis`` (JSON; NULL for marks set before it was kept), the reason the mark
#: differs from the rounded average (``why``) or the correction's reason (ADR 0024).
#: ``term`` is 0 for a year mark.
EXPLANATIONS = Table(
    "v_final_explanations",
    (
        ("course_journal_id", "text"),
        ("term", "int"),
        ("student_id", "text"),
        ("at", "text"),
        ("what", "text"),
        ("value", "text"),
        ("basis", "text"),
        ("why", "text"),
        ("reason", "text"),
        ("set_by", "text"),
    ),
    ("course_journal_id", "term", "student_id", "at"),
    (("student_id",),),
)

#: Exam and final marks («экзаменационная», «итоговая»; ``kind`` «exam» or «final»).
RESULT_MARKS = Table(
    "v_result_marks",
    (
        ("group_id", "text"),
        ("kind", "text"),
        ("course_journal_id", "text"),
        ("student_id", "text"),
        ("value", "text"),
        ("corrected", "int"),
        ("reason", "text"),
        ("set_by", "text"),
        ("set_at", "text"),
        ("approver", "text"),
        ("previous", "text"),
    ),
    ("group_id", "kind", "course_journal_id", "student_id"),
    (("student_id",),),
)
#: The pedagogical council's decision on each pupil of a class (the latest one).
DECISIONS = Table(
    "v_council_decisions",
    (
        ("group_id", "text"),
        ("student_id", "text"),
        ("decision", "text"),
        ("protocol_no", "text"),
        ("protocol_date", "text"),
        ("reason", "text"),
        ("set_by", "text"),
        ("set_at", "text"),
    ),
    ("group_id", "student_id"),
    (("student_id",),),
)


def _term_opened(store: ViewStore, e: TermGrades.Opened, _: Applied) -> None:
    store.upsert(
        SHEETS,
        {"grades_id": e.originator_id, "course_journal_id": e.course_journal_id, "term": e.term},
    )


def _year_opened(store: ViewStore, e: YearGrades.Opened, _: Applied) -> None:
    store.upsert(
        SHEETS, {"grades_id": e.originator_id, "group_id": e.group_id, "year_id": e.year_id}
    )


def _mark(
    e: TermGrades.TermMarkSet
    | TermGrades.TermMarkCorrected
    | YearGrades.YearMarkSet
    | YearGrades.YearMarkCorrected
    | YearGrades.ResultMarkSet,
    corrected: int,
) -> Row:
    return {
        "student_id": e.student_id,
        "value": e.value,
        "corrected": corrected,
        "reason": getattr(e, "reason", ""),
        "set_by": e.actor,
        "set_at": when(e),
        "approver": getattr(e, "approver", None),
    }


def _explained(
    store: ViewStore,
    e: TermGrades.TermMarkSet
    | TermGrades.TermMarkCorrected
    | YearGrades.YearMarkSet
    | YearGrades.YearMarkCorrected,
    course_journal_id: Any,
    term: int,
    corrected: int,
) -> None:
    basis = getattr(e, "basis", None)
    store.upsert(
        EXPLANATIONS,
        {
            "course_journal_id": course_journal_id,
            "term": term,
            "student_id": e.student_id,
            "at": when(e),
            "what": "corrected" if corrected else "set",
            "value": e.value,
            "basis": None if basis is None else json.dumps(basis, ensure_ascii=False),
            "why": getattr(e, "why", ""),
            "reason": getattr(e, "reason", ""),
            "set_by": e.actor,
        },
    )


def _term_mark(corrected: int) -> Handler[TermGrades.TermMarkSet | TermGrades.TermMarkCorrected]:
    def handle(
        store: ViewStore, e: TermGrades.TermMarkSet | TermGrades.TermMarkCorrected, _: Applied
    ) -> None:
        sheet = store.get(SHEETS, (e.originator_id,))
        if sheet is None:  # the record's opening is destroyed or unknown
            return
        row = _mark(e, corrected)
        row.update(course_journal_id=sheet["course_journal_id"], term=sheet["term"])
        store.upsert(TERM_MARKS, row)
        _explained(store, e, sheet["course_journal_id"], int(sheet["term"]), corrected)

    return handle


def _year_mark(corrected: int) -> Handler[YearGrades.YearMarkSet | YearGrades.YearMarkCorrected]:
    def handle(
        store: ViewStore, e: YearGrades.YearMarkSet | YearGrades.YearMarkCorrected, _: Applied
    ) -> None:
        sheet = store.get(SHEETS, (e.originator_id,))
        if sheet is None:
            return
        row = _mark(e, corrected)
        row.update(group_id=sheet["group_id"], course_journal_id=e.course_journal_id)
        store.upsert(YEAR_MARKS, row)
        _explained(store, e, e.course_journal_id, 0, corrected)

    return handle


def _result_mark(store: ViewStore, e: YearGrades.ResultMarkSet, _: Applied) -> None:
    sheet = store.get(SHEETS, (e.originator_id,))
    if sheet is None:
        return
    key = (sheet["group_id"], e.kind, e.course_journal_id, e.student_id)
    before = store.get(RESULT_MARKS, key)
    row = _mark(e, 1 if e.reason else 0)
    row.update(
        group_id=sheet["group_id"],
        kind=e.kind,
        course_journal_id=e.course_journal_id,
        previous=before["value"] if before and e.reason else None,
    )
    store.upsert(RESULT_MARKS, row)


def _decision(store: ViewStore, e: YearGrades.DecisionRecorded, _: Applied) -> None:
    sheet = store.get(SHEETS, (e.originator_id,))
    if sheet is None:
        return
    store.upsert(
        DECISIONS,
        {
            "group_id": sheet["group_id"],
            "student_id": e.student_id,
            "decision": e.decision,
            "protocol_no": e.protocol_no,
            "protocol_date": e.protocol_date.isoformat(),
            "reason": e.reason,
            "set_by": e.actor,
            "set_at": when(e),
        },
    )


VIEW = View(
    name="final_marks",
    title="Четвертные и годовые отметки",
    tables=(SHEETS, TERM_MARKS, YEAR_MARKS, RESULT_MARKS, DECISIONS, EXPLANATIONS),
    handlers=by_event(
        on(TermGrades.Opened, _term_opened),
        on(TermGrades.TermMarkSet, _term_mark(0)),
        on(TermGrades.TermMarkCorrected, _term_mark(1)),
        on(YearGrades.Opened, _year_opened),
        on(YearGrades.YearMarkSet, _year_mark(0)),
        on(YearGrades.YearMarkCorrected, _year_mark(1)),
        on(YearGrades.ResultMarkSet, _result_mark),
        on(YearGrades.DecisionRecorded, _decision),
    ),
)


# --- queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinalMark:
    """A term or year mark as it stands (``term`` is None for a year mark)."""

    course_journal_id: str
    student_id: str
    term: int | None
    value: str
    corrected: bool
    reason: str
    set_by: str
    set_at: str
    approver: str | None


def _final(row: Row, term: int | None) -> FinalMark:
    return FinalMark(
        row["course_journal_id"],
        row["student_id"],
        term,
        row["value"],
        bool(row["corrected"]),
        row["reason"] or "",
        row["set_by"],
        row["set_at"],
        row["approver"],
    )


def term_marks(reader: Reader, course_journal_id: str, term: int) -> dict[str, FinalMark]:
    """Term marks of a course journal for a term, by pupil id."""
    rows = reader.select(TERM_MARKS, {"course_journal_id": course_journal_id, "term": term})
    return {r["student_id"]: _final(r, term) for r in rows}


def term_marks_of_courses(reader: Reader, course_journal_ids: list[str]) -> list[FinalMark]:
    """Term marks of several course journals, every term (for the summary sheet)."""
    rows = reader.select(TERM_MARKS, within=("course_journal_id", course_journal_ids))
    return [_final(r, r["term"]) for r in rows]


def year_marks(reader: Reader, group_id: str) -> dict[tuple[str, str], FinalMark]:
    """Year marks of a class in every subject, by (pupil id, course journal id)."""
    rows = reader.select(YEAR_MARKS, {"group_id": group_id})
    return {(r["student_id"], r["course_journal_id"]): _final(r, None) for r in rows}


def course_year_marks(reader: Reader, course_journal_id: str) -> dict[str, FinalMark]:
    """Year marks of one subject (course journal), by pupil id."""
    rows = reader.select(YEAR_MARKS, {"course_journal_id": course_journal_id})
    return {r["student_id"]: _final(r, None) for r in rows}


def result_marks(reader: Reader, group_id: str) -> dict[tuple[str, str, str], FinalMark]:
    """Exam and final marks of a class, by (kind, pupil id, course journal id)."""
    rows = reader.select(RESULT_MARKS, {"group_id": group_id})
    return {(r["kind"], r["student_id"], r["course_journal_id"]): _final(r, None) for r in rows}


def previous_result(reader: Reader, group_id: str, kind: str, course: str, pupil: str) -> str:
    """The value a corrected exam or final mark replaced («?» when unknown)."""
    row = reader.get(RESULT_MARKS, (group_id, kind, course, pupil))
    return (row or {}).get("previous") or "?"


@dataclass(frozen=True)
class CouncilDecision:
    """The pedagogical council's decision on a pupil (``decision`` is a code of
    ``domain.grades.DECISIONS``; ``protocol_date`` ISO)."""

    student_id: str
    decision: str
    protocol_no: str
    protocol_date: str
    reason: str
    set_by: str
    set_at: str


def decisions(reader: Reader, group_id: str) -> dict[str, CouncilDecision]:
    """The council's decisions on the pupils of a class, by pupil id."""
    return {
        r["student_id"]: CouncilDecision(
            r["student_id"],
            r["decision"],
            r["protocol_no"],
            r["protocol_date"],
            r["reason"] or "",
            r["set_by"],
            r["set_at"],
        )
        for r in reader.select(DECISIONS, {"group_id": group_id})
    }


# --- explanations (ADR 0024) -------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One setting of a term or year mark: ``what`` «set» or «corrected», the value, what it
    was computed from (``basis``; None when the mark was set before explanations were
    kept), ``why`` it differs from the rounded average, the correction's ``reason``."""

    at: str
    what: str
    value: str
    basis: Explanation | None
    why: str
    reason: str
    set_by: str


@dataclass(frozen=True)
class LaterChange:
    """An input corrected or cancelled after the mark was set («после выставления
    исправлено»): the lesson's mark ``ref`` (``day``) or term ``term``, its value then and
    now ("" when cancelled), when and why."""

    ref: str
    day: str
    term: int | None
    before: str
    after: str
    at: str
    reason: str
    cancelled: bool = False


@dataclass(frozen=True)
class FinalExplanation:
    """Why a term (``term`` 1…) or year (``term`` None) mark is what it is: its settings in
    order (the last stands) and the later changes of the last one's inputs."""

    course_journal_id: str
    student_id: str
    term: int | None
    settings: tuple[Setting, ...]
    later: tuple[LaterChange, ...]

    @property
    def current(self) -> Setting:
        """The setting that stands."""
        return self.settings[-1]


def _setting(row: Row) -> Setting:
    basis = row["basis"]
    return Setting(
        str(row["at"]),
        row["what"],
        row["value"],
        None if not basis else Explanation.from_state(json.loads(basis)),
        row["why"] or "",
        row["reason"] or "",
        str(row["set_by"] or ""),
    )


def _after(moment: Any, at: str) -> bool:
    return moment is not None and datetime.fromisoformat(str(moment)) > datetime.fromisoformat(at)


def _later_marks(reader: Reader, setting: Setting) -> list[LaterChange]:
    """Lesson marks of ``setting``'s inputs corrected or cancelled after it."""
    marks = grid.MARKS
    found: list[LaterChange] = []
    assert setting.basis is not None
    for item in setting.basis.inputs:
        row = reader.get(marks, (item.ref,))
        seen = 0
        while row is not None and row["superseded_by"] is not None and seen < 100:
            row, seen = reader.get(marks, (row["superseded_by"],)), seen + 1
        if row is None:
            continue
        if row["cancelled"] and _after(row["changed_at"], setting.at):
            found.append(
                LaterChange(
                    item.ref,
                    item.day,
                    None,
                    item.value,
                    "",
                    str(row["changed_at"]),
                    row["reason"] or "",
                    True,
                )
            )
        elif seen and _after(row["recorded_at"], setting.at):
            found.append(
                LaterChange(
                    item.ref,
                    item.day,
                    None,
                    item.value,
                    row["value"],
                    str(row["recorded_at"]),
                    row["reason"] or "",
                )
            )
    return found


def _later_terms(reader: Reader, setting: Setting, course: str, pupil: str) -> list[LaterChange]:
    """Term marks of a year mark's inputs set again after it."""
    found: list[LaterChange] = []
    assert setting.basis is not None
    for item in setting.basis.inputs:
        number = int(item.ref.removeprefix("term:")) if item.ref.startswith("term:") else 0
        row = reader.get(TERM_MARKS, (course, number, pupil))
        if row is not None and row["value"] != item.value and _after(row["set_at"], setting.at):
            found.append(
                LaterChange(
                    item.ref,
                    "",
                    number,
                    item.value,
                    row["value"],
                    str(row["set_at"]),
                    row["reason"] or "",
                )
            )
    return found


def explanation(
    reader: Reader, course_journal_id: str, term: int | None, student_id: str
) -> FinalExplanation | None:
    """Why the pupil's term (``term``) or year (None) mark in the course journal is what
    it is, as of each moment it was set; None when it is not set."""
    rows = reader.select(
        EXPLANATIONS,
        {"course_journal_id": course_journal_id, "term": term or 0, "student_id": student_id},
    )
    if not rows:
        return None
    settings = tuple(
        _setting(r) for r in sorted(rows, key=lambda r: datetime.fromisoformat(str(r["at"])))
    )
    last = settings[-1]
    later: list[LaterChange] = []
    if last.basis is not None:
        later = (
            _later_marks(reader, last)
            if term
            else _later_terms(reader, last, course_journal_id, student_id)
        )
    later.sort(key=lambda c: datetime.fromisoformat(c.at))
    return FinalExplanation(course_journal_id, student_id, term or None, settings, tuple(later))


def explained(reader: Reader, course_journal_ids: list[str]) -> dict[tuple[str, int, str], Setting]:
    """The setting that stands of every term and year mark of these course journals, by
    (course journal, term — 0 for the year —, pupil)."""
    rows = reader.select(EXPLANATIONS, within=("course_journal_id", course_journal_ids))
    found: dict[tuple[str, int, str], Setting] = {}
    for r in sorted(rows, key=lambda r: datetime.fromisoformat(str(r["at"]))):
        found[(r["course_journal_id"], int(r["term"]), r["student_id"])] = _setting(r)
    return found


@dataclass(frozen=True)
class PupilFinal:
    """A pupil's term or year mark as the diary shows it: the value, whether it was
    corrected, and the reason beside it (why it differs from the rounded average, or the
    correction's reason)."""

    course_journal_id: str
    term: int
    value: str
    corrected: bool
    note: str
    set_at: str


def of_pupil(reader: Reader, student_id: str) -> dict[tuple[str, int], PupilFinal]:
    """The pupil's term marks (``term`` 1…) and year marks (``term`` 0), by (course
    journal, term)."""
    whys = {
        (r["course_journal_id"], int(r["term"])): (r["at"], r["why"] or "")
        for r in reader.select(EXPLANATIONS, {"student_id": student_id})
    }
    found: dict[tuple[str, int], PupilFinal] = {}
    rows = [(r, int(r["term"])) for r in reader.select(TERM_MARKS, {"student_id": student_id})]
    rows += [(r, 0) for r in reader.select(YEAR_MARKS, {"student_id": student_id})]
    for row, term in rows:
        key = (row["course_journal_id"], term)
        at, why = whys.get(key, ("", ""))
        note = row["reason"] or "" if row["corrected"] else why if at == row["set_at"] else ""
        found[key] = PupilFinal(
            key[0], term, row["value"], bool(row["corrected"]), note, str(row["set_at"])
        )
    return found
