"""Marks and attendance of a lesson: recording marks, correcting or cancelling one with a
reason, requesting a correction past the window, marking attendance. Each request is one
application command — all of it is recorded or nothing — and the answer shows the lesson as
it now stands (read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain import ids
from domain.lesson import MarkEntry
from domain.service import Receipt
from web.api import schemas
from web.api.common import answers, guarded, lesson_detail
from web.api.parser import ApiBlueprint
from web.pages import actor, saved, services

blp = ApiBlueprint(
    "api_marks",
    __name__,
    url_prefix="/api/v1/lessons/<uuid:lesson_id>/marks",
    description="Отметки за урок: выставление, исправление и аннулирование с причиной, "
    "запрос на исправление после окна самостоятельного исправления.",
)
attendance_blp = ApiBlueprint(
    "api_attendance",
    __name__,
    url_prefix="/api/v1/lessons/<uuid:lesson_id>/attendance",
    description="Посещаемость урока («Н», «Б», «УП», «ОП»; пустой код — присутствовал).",
)


def _kind(kind: str) -> str:
    return kind or services().policies.grading.default_kind


def _changed(lesson_id: UUID, created: tuple[UUID, ...]) -> dict[str, Any]:
    return {"created": list(created), "lesson": lesson_detail(lesson_id)}


def _revise(
    command: Callable[..., Receipt], data: dict[str, Any], lesson_id: UUID, mark_id: UUID
) -> dict[str, Any]:
    """Correct a mark, or request its correction: the same values, another command."""
    value, kind, reason = data["value"], _kind(data["kind"]), data["reason"]
    receipt = saved(command(lesson_id, mark_id, value, kind, reason, actor()))
    return _changed(lesson_id, receipt.created)


@blp.route("", methods=["POST"])
@guarded("journal.enter")
@answers(blp, 403, 404, 409)
@blp.arguments(schemas.MarksIn)
@blp.response(201, schemas.Change)
def record(data: dict[str, Any], lesson_id: UUID) -> dict[str, Any]:
    """Record marks for a lesson in one transaction; ``created`` holds the new marks' ids
    in the order given. With ``request_key`` the marks' ids are derived from it, so the same
    request sent again (its answer was lost) finds them recorded and records nothing more;
    the same key with other marks is 409 ``MarkIdTaken``."""
    key = data["request_key"]
    entries = [
        MarkEntry(
            m["student_id"],
            m["value"],
            _kind(m["kind"]),
            ids.submitted_mark_id(lesson_id, f"api:{key}:{n}", m["student_id"]) if key else None,
        )
        for n, m in enumerate(data["marks"])
    ]
    receipt = saved(services().journal.entry.record_marks(lesson_id, entries, actor()))
    return _changed(lesson_id, receipt.created)


@blp.route("/<uuid:mark_id>/correction", methods=["POST"])
@guarded("journal.enter")
@answers(blp, 403, 404, 409)
@blp.arguments(schemas.CorrectionIn)
@blp.response(201, schemas.Change)
def correct(data: dict[str, Any], lesson_id: UUID, mark_id: UUID) -> dict[str, Any]:
    """Correct a mark with a reason: a new mark supersedes it (``created``), the original
    stays in the history. Past the own-correction window the answer is 422
    ``CorrectionNeedsApproval``: send a correction request instead."""
    return _revise(services().journal.entry.correct_mark, data, lesson_id, mark_id)


@blp.route("/<uuid:mark_id>/cancellation", methods=["POST"])
@guarded("journal.enter")
@answers(blp, 403, 404, 409)
@blp.arguments(schemas.CancellationIn)
@blp.response(200, schemas.Change)
def cancel(data: dict[str, Any], lesson_id: UUID, mark_id: UUID) -> dict[str, Any]:
    """Cancel a mark given by mistake, with a reason (it stays in the history as cancelled)."""
    receipt = saved(
        services().journal.entry.cancel_mark(lesson_id, mark_id, data["reason"], actor())
    )
    return _changed(lesson_id, receipt.created)


@blp.route("/<uuid:mark_id>/correction-requests", methods=["POST"])
@guarded("journal.enter")
@answers(blp, 403, 404, 409)
@blp.arguments(schemas.CorrectionRequestIn)
@blp.response(201, schemas.Change)
def request_correction(data: dict[str, Any], lesson_id: UUID, mark_id: UUID) -> dict[str, Any]:
    """Ask the deputy head to correct (or, with an empty value, cancel) a mark; ``created``
    holds the request's id."""
    return _revise(services().journal.entry.request_correction, data, lesson_id, mark_id)


@attendance_blp.route("", methods=["POST"])
@guarded("journal.enter")
@answers(attendance_blp, 403, 404, 409)
@attendance_blp.arguments(schemas.AttendanceIn)
@attendance_blp.response(200, schemas.LessonDetail)
def mark_attendance(data: dict[str, Any], lesson_id: UUID) -> dict[str, Any]:
    """Set attendance codes for pupils of the lesson, in one transaction."""
    codes = {entry["student_id"]: entry["code"] for entry in data["attendance"]}
    saved(services().journal.entry.mark_attendance(lesson_id, codes, actor()))
    return lesson_detail(lesson_id)
