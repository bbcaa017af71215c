"""A pupil's diary for a term: marks by subject with weighted averages, attendance,
homework, and «что нового» since a given moment (the API keeps no «last visit»)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import abort, request
from marshmallow import Schema, fields, validate

from projections.views import catalog
from web.api import schemas
from web.api.common import answers, guarded
from web.api.lessons import term_item
from web.api.parser import ApiBlueprint
from web.pages import services, today, viewed

blp = ApiBlueprint(
    "api_diary",
    __name__,
    url_prefix="/api/v1/students/<uuid:student_id>",
    description="Электронный дневник обучающегося.",
)
out = schemas.out
NEWS = ["mark", "corrected", "cancelled", "attendance", "homework"]


class DiaryMark(Schema):
    """A standing mark; ``corrected`` when it replaced an earlier one."""

    mark_id = out(fields.UUID)
    day = out(fields.Date)
    value = out(fields.String)
    kind = out(fields.String)
    kind_title = out(fields.String)
    weight = out(fields.Integer)
    corrected = out(fields.Boolean)


class DiaryAttendance(Schema):
    """An absence or lateness code of one lesson."""

    day = out(fields.Date)
    period = out(fields.Integer)
    code = out(fields.String)


class DiaryHomework(Schema):
    """The homework set at a lesson."""

    day = out(fields.Date)
    period = out(fields.Integer)
    topic = out(fields.String)
    homework = out(fields.String)


class DiarySubject(Schema):
    """One subject (course journal) of the diary."""

    course_journal_id = out(fields.UUID)
    subject = out(fields.String)
    group_name = out(fields.String)
    group_kind = out(fields.String, validate=validate.OneOf(["class", "activity"]))
    marks = out(fields.List, fields.Nested(DiaryMark))
    average = out(fields.Float, allow_none=True)
    attendance = out(fields.List, fields.Nested(DiaryAttendance))
    homework = out(fields.List, fields.Nested(DiaryHomework))


class DiaryNews(Schema):
    """Something that changed after ``since``."""

    at = out(fields.AwareDateTime)
    what = out(fields.String, validate=validate.OneOf(NEWS))
    course_journal_id = out(fields.UUID)
    subject = out(fields.String)
    day = out(fields.Date)
    value = out(fields.String)
    previous = out(fields.String)


class Diary(Schema):
    """A pupil's diary for a term."""

    student_id = out(fields.UUID)
    name = out(fields.String)
    term = out(fields.Nested, schemas.Term)
    subjects = out(fields.List, fields.Nested(DiarySubject))
    news = out(fields.List, fields.Nested(DiaryNews))


def _dated(item: Any, *, at: bool = False) -> dict[str, Any]:
    data = asdict(item)
    data["day"] = date.fromisoformat(data["day"])
    if at:
        data["at"] = datetime.fromisoformat(data["at"])
    return data


@blp.route("/diary")
@guarded("diary.view")
@answers(blp, 403, 404)
@blp.arguments(schemas.DiaryQuery, location="query")
@blp.response(200, Diary)
def diary(query: dict[str, Any], student_id: UUID) -> dict[str, Any]:
    """A pupil's diary for a term (``term``, the current one by default); ``news`` lists
    what changed after ``since`` (empty without it)."""
    reads = services().reads
    year = reads.school.current_year(today())
    if year is None:
        abort(404)
    terms = reads.school.terms(year["year_id"])
    number = query.get("term") or reads.school.term_on(year["year_id"], today())
    term = next((t for t in terms if t.number == number), None)
    if term is None:
        abort(404)
    key = str(student_id)
    found = reads.reports.diary(
        key,
        year_id=str(year["year_id"]),
        first=date.fromisoformat(term.starts),
        last=date.fromisoformat(term.ends),
        since=query.get("since"),
    )
    name = reads.people.names([key])[key]
    if name == catalog.DESTROYED and not found.subjects:
        abort(404)
    viewed(request.path, [key])
    subjects = []
    for s in found.subjects:
        subject = asdict(s)
        subject["marks"] = [_dated(m) for m in s.marks]
        subject["attendance"] = [_dated(a) for a in s.attendance]
        subject["homework"] = [_dated(h) for h in s.homework]
        subjects.append(subject)
    return {
        "student_id": key,
        "name": name,
        "term": term_item(term),
        "subjects": subjects,
        "news": [_dated(n, at=True) for n in found.news],
    }


class WeekMark(Schema):
    """A standing mark of a lesson of the week, with its kind and weight."""

    value = out(fields.String)
    kind = out(fields.String)
    kind_title = out(fields.String)
    weight = out(fields.Integer)
    corrected = out(fields.Boolean)


class WeekLesson(Schema):
    """A lesson of the day: topic, homework set and its due date (``due_estimated`` when
    no next lesson is entered yet), the pupil's marks and attendance code."""

    course_journal_id = out(fields.UUID)
    subject = out(fields.String)
    period = out(fields.Integer)
    topic = out(fields.String)
    homework = out(fields.String)
    due = out(fields.Date, allow_none=True)
    due_estimated = out(fields.Boolean)
    marks = out(fields.List, fields.Nested(WeekMark))
    attendance = out(fields.String)


class DueHomework(Schema):
    """A homework due on the day, set at the lesson of ``set_on``."""

    subject = out(fields.String)
    homework = out(fields.String)
    set_on = out(fields.Date)
    estimated = out(fields.Boolean)


class WeekDay(Schema):
    """One school day of the week."""

    day = out(fields.Date)
    lessons = out(fields.List, fields.Nested(WeekLesson))
    due = out(fields.List, fields.Nested(DueHomework))


class Week(Schema):
    """A pupil's week, Monday to Saturday."""

    student_id = out(fields.UUID)
    monday = out(fields.Date)
    days = out(fields.List, fields.Nested(WeekDay))


def _day(d: Any) -> dict[str, Any]:
    return {
        "day": date.fromisoformat(d.day),
        "lessons": [
            {
                "course_journal_id": x.course_journal_id,
                "subject": x.subject,
                "period": x.period,
                "topic": x.topic,
                "homework": x.homework,
                "due": date.fromisoformat(x.due.day) if x.due else None,
                "due_estimated": bool(x.due and x.due.estimated),
                "marks": [asdict(m) for m in x.marks],
                "attendance": x.attendance,
            }
            for x in d.lessons
        ],
        "due": [{**asdict(h), "set_on": date.fromisoformat(h.set_on)} for h in d.due],
    }


@blp.route("/diary/week")
@guarded("diary.view")
@answers(blp, 403, 404)
@blp.arguments(schemas.WeekQuery, location="query")
@blp.response(200, Week)
def week(query: dict[str, Any], student_id: UUID) -> dict[str, Any]:
    """A pupil's week (Monday to Saturday) containing ``day`` (today by default): each
    day's lessons with topic, homework and its due date, marks and absences, and the
    homework due that day."""
    reads = services().reads
    key = str(student_id)
    if not reads.people.known(key):
        abort(404)
    found = reads.reports.week(key, query.get("day") or today(), today())
    viewed(request.path, [key])
    return {
        "student_id": key,
        "monday": date.fromisoformat(found.monday),
        "days": [_day(d) for d in found.days],
    }
