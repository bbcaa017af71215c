"""Course journals and lessons: the journals a token may read, a journal's lessons in a term,
one lesson with its marks and attendance, and entering a new lesson."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import abort, url_for

from projections.queries import listing
from web.access import owned
from web.api import schemas
from web.api.common import answers, guarded, lesson_detail, lesson_item
from web.api.parser import ApiBlueprint
from web.pages import actor, saved, services, today

blp = ApiBlueprint(
    "api_lessons",
    __name__,
    url_prefix="/api/v1",
    description="Журналы предметов и уроки (тема, домашнее задание, отметки, посещаемость).",
)


@blp.route("/course-journals")
@guarded("journal.view")
@answers(blp, 403)
@blp.response(200, schemas.CourseJournal(many=True))
def course_journals() -> list[dict[str, Any]]:
    """Course journals of the current school year that the token may read."""
    reads = services().reads
    year = reads.school.current_year(today())
    if year is None:
        return []
    found = reads.school.courses(year["year_id"], owned("journal.view", "course"))
    return [
        {
            "course_journal_id": c.course_journal_id,
            "subject": c.subject,
            "group_id": c.group_id,
            "group_name": c.group_name,
            "group_kind": c.group_kind,
            "year_id": c.year_id,
            "teachers": list(c.teachers),
        }
        for c in found
    ]


@blp.route("/course-journals/<uuid:course_journal_id>/terms/<int:term>/lessons")
@guarded("journal.view")
@answers(blp, 403, 404)
@blp.response(200, schemas.Lessons)
def lessons(course_journal_id: UUID, term: int) -> dict[str, Any]:
    """A course journal's lessons in a term, by date and period."""
    reads = services().reads
    period = reads.school.term_of(str(course_journal_id), term)
    if period is None:
        abort(404)
    found = reads.journal.lessons_between(str(course_journal_id), period.starts, period.ends)
    return {
        "course_journal_id": course_journal_id,
        "term": term_item(period),
        "lessons": [lesson_item(lesson, str(course_journal_id)) for lesson in found],
    }


def term_item(term: listing.TermItem) -> dict[str, Any]:
    """A term as the API shows it."""
    return {
        "number": term.number,
        "title": term.title,
        "starts": date.fromisoformat(term.starts),
        "ends": date.fromisoformat(term.ends),
        "closed": term.closed,
    }


@blp.route("/course-journals/<uuid:course_journal_id>/lessons", methods=["POST"])
@guarded("journal.enter")
@answers(blp, 403, 404, 409)
@blp.arguments(schemas.LessonIn)
@blp.response(201, schemas.LessonDetail)
def create_lesson(data: dict[str, Any], course_journal_id: UUID) -> Any:
    """Enter a lesson (date, period, topic, homework) in a course journal."""
    receipt = saved(
        services().journal.entry.hold_lesson(
            course_journal_id,
            data["day"],
            data["period"],
            data["topic"],
            data["homework"],
            actor(),
            homework_due=data["homework_due"],
        )
    )
    return lesson_detail(receipt.id), {"Location": url_for(".lesson", lesson_id=receipt.id)}


@blp.route("/lessons/<uuid:lesson_id>")
@guarded("journal.view")
@answers(blp, 403, 404)
@blp.response(200, schemas.LessonDetail)
def lesson(lesson_id: UUID) -> dict[str, Any]:
    """One lesson with its pupils, standing marks (corrections marked) and attendance."""
    return lesson_detail(lesson_id)
