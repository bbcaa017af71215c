"""Term and year marks («четвертные и годовые отметки») as they stand, with a corrected
flag, the reason and approver of the last correction, and who set them when; the exam and
final marks of classes with exams; the pedagogical council's decision on each pupil."""

from __future__ import annotations

from dataclasses import dataclass

from domain.grades import TermGrades, YearGrades
from projections.schema import Table
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, Handler, View, by_event, on, when

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
    tables=(SHEETS, TERM_MARKS, YEAR_MARKS, RESULT_MARKS, DECISIONS),
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
