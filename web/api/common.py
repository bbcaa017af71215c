"""What every API resource shares: the permission and existence check that runs before the
body is read, the documented error answers, and a lesson as the API shows it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from http import HTTPStatus
from typing import Any
from uuid import UUID

from flask import abort, request
from flask_smorest import Blueprint

from projections.queries.scope import KINDS
from web.access import permission
from web.pages import services, viewed


def guarded(code: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``web.access.permission(code)`` — a token, then the permission for every record id
    in the URL (403) — and then every such id must exist (404); all before the request's
    body is read, so a refused request never gets as far as a 422."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def existing(*args: Any, **kwargs: Any) -> Any:
            reads = services().reads
            for name, value in kwargs.items():
                kind = KINDS.get(name)
                if kind is not None and not reads.scope.exists(kind, str(value)):
                    abort(404)
            return view(*args, **kwargs)

        return permission(code)(existing)

    return decorate


def answers(blp: Blueprint, *codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error answers an operation gives (the error schema of each)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for code in (401, *codes):
            view = blp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorate


def moment(text: str | None) -> datetime | None:
    """A timestamp of the views (ISO text) as a datetime."""
    return datetime.fromisoformat(text) if text else None


def lesson_detail(lesson_id: UUID | str) -> dict[str, Any]:
    """A lesson with its pupils, standing marks and attendance, read from the views (and
    logged as staff access to those pupils' data)."""
    reads = services().reads
    try:
        sheet = reads.journal.lesson_sheet(str(lesson_id))
    except LookupError:
        abort(404)
    viewed(request.path, sheet.pupils)
    names = reads.people.names(sheet.pupils, short=True)
    marks = [
        {
            "mark_id": cell.mark_id,
            "student_id": pupil,
            "value": cell.value,
            "kind": cell.kind,
            "weight": cell.weight,
            "corrected": cell.corrected,
            "previous": cell.previous,
            "reason": cell.reason,
            "changed_by": cell.changed_by or None,
            "changed_at": moment(cell.changed_at),
            "correction_pending": cell.mark_id in sheet.pending,
        }
        for pupil in sheet.pupils
        for cell in sheet.marks.get(pupil, ())
    ]
    return {
        **lesson_item(sheet.lesson, sheet.course_journal_id),
        "pupils": [{"student_id": p, "name": names[p]} for p in sheet.pupils],
        "marks": marks,
        "attendance": [{"student_id": p, "code": c} for p, c in sorted(sheet.attendance.items())],
    }


def lesson_item(lesson: Any, course_journal_id: str) -> dict[str, Any]:
    """A lesson (a ``GridLesson`` of the views) as the API lists it."""
    return {
        "lesson_id": lesson.lesson_id,
        "course_journal_id": course_journal_id,
        "day": date.fromisoformat(lesson.day),
        "period": lesson.period,
        "topic": lesson.topic,
        "homework": lesson.homework,
    }
