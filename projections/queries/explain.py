"""The marks a term or year mark is computed from, as the journal's views hold them now
(the ``FinalInputs`` port of ``domain.explain``, ADR 0024): the marks of the term that
stand, as the grid shows them, and the term marks of the year."""

from __future__ import annotations

from uuid import UUID

from domain.explain import TERM_KIND, Input
from domain.policies import GradingPolicy
from projections.store import Reader
from projections.views import final_marks, grid


def term_inputs(
    reader: Reader, grading: GradingPolicy, course_journal_id: str, term: int
) -> dict[UUID, list[Input]]:
    """The marks of each pupil that stand in the term, in lesson order (as the grid)."""
    try:
        page = grid.grid(reader, grading, course_journal_id, term)
    except LookupError:
        return {}
    order = {lesson.lesson_id: (lesson.day, lesson.period) for lesson in page.lessons}
    found: dict[UUID, list[tuple[tuple[str, int], Input]]] = {}
    for (pupil, lesson_id), cells in page.marks.items():
        day = order[lesson_id]
        for cell in cells:
            found.setdefault(UUID(str(pupil)), []).append(
                (day, Input(str(cell.mark_id), cell.value, cell.kind, day[0]))
            )
    return {
        pupil: [item for _, item in sorted(items, key=lambda x: x[0])]
        for pupil, items in found.items()
    }


def year_inputs(reader: Reader, course_journal_id: str) -> dict[UUID, list[Input]]:
    """The term marks of each pupil in the course journal, by term."""
    rows = reader.select(final_marks.TERM_MARKS, {"course_journal_id": course_journal_id})
    found: dict[UUID, list[Input]] = {}
    for row in sorted(rows, key=lambda r: int(r["term"])):
        found.setdefault(UUID(str(row["student_id"])), []).append(
            Input(f"term:{int(row['term'])}", row["value"], TERM_KIND)
        )
    return found
