"""The approval queue: correction requests past the author's window, approved (the mark is
corrected at once, the original kept) or rejected with a reason; and late-entry requests
for lessons past the entry deadline. No one decides their own request — the domain refuses,
and the page shows its message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain.service import Receipt
from web.access import permission
from web.classes import bp
from web.classes.forms import DecisionForm
from web.pages import actor, services, submit, viewed

#: How many decided requests the page lists under the queue.
RECENT = 20


@bp.get("/approvals")
@permission("corrections.approve")
def approvals() -> ResponseReturnValue:
    """Pending correction requests, oldest first, and the latest decisions."""
    return _queue_page()


def _queue_page(
    problems: dict[str, str] | None = None, status: int = 200, failed: str = ""
) -> ResponseReturnValue:
    reads = services().reads
    pending = reads.approvals.pending()
    decided = reads.approvals.decided(RECENT)
    late_pending = reads.approvals.late_pending()
    late_decided = reads.approvals.late_decided(RECENT)
    shown = pending + decided
    pupils = {r.student_id for r in shown} - {""}
    staff = {r.requested_by for r in shown} | {r.decided_by for r in decided}
    staff |= {r.requested_by for r in late_pending + late_decided}
    staff |= {r.decided_by for r in late_decided}
    viewed(request.path, pupils)
    return render_template(
        "classes/approvals.html",
        pending=pending,
        decided=decided,
        late_pending=late_pending,
        late_decided=late_decided,
        names=reads.people.names(pupils | (staff - {""}), short=True),
        me=str(actor()),
        form=request.form,
        failed=failed,
        problems=problems or {},
        labels={"reason": _("Причина отказа"), "decision": _("Решение")},
    ), status


@bp.post("/approvals/<uuid:request_id>")
@permission("corrections.approve")
def decide(request_id: UUID) -> ResponseReturnValue:
    """Approve a request, or reject it with a reason."""
    found = services().reads.approvals.request(str(request_id))
    entry = services().journal.entry
    return _decide(
        request_id,
        found.lesson_id if found else None,
        (entry.approve_correction, _("Исправление согласовано: отметка исправлена.")),
        (entry.reject_correction, _("Запрос отклонён; отметка осталась прежней.")),
    )


@bp.post("/approvals/late/<uuid:late_request_id>")
@permission("corrections.approve")
def decide_late(late_request_id: UUID) -> ResponseReturnValue:
    """Approve a late-entry request (the teacher may enter for that lesson for the days the
    regulation gives), or reject it with a reason."""
    found = services().reads.approvals.late_request(str(late_request_id))
    entry = services().journal.entry
    return _decide(
        late_request_id,
        found.lesson_id if found else None,
        (entry.approve_late_entry, _("Внесение записей после срока разрешено.")),
        (entry.reject_late_entry, _("Запрос на внесение записей после срока отклонён.")),
    )


def _decide(
    request_id: UUID,
    lesson: str | None,
    approve: tuple[Callable[[UUID, UUID, UUID], Receipt], str],
    reject: tuple[Callable[[UUID, UUID, str, UUID], Receipt], str],
) -> ResponseReturnValue:
    """The decision form of a request of ``lesson`` (404 when there is no such request):
    ``approve`` or ``reject`` — the command and what to say when it is done."""
    if lesson is None:
        abort(404)
    lesson_id = UUID(lesson)

    def command(data: dict[str, Any]) -> tuple[Receipt, str]:
        if data["decision"] == "approve":
            return approve[0](lesson_id, request_id, actor()), approve[1]
        return reject[0](lesson_id, request_id, data["reason"], actor()), reject[1]

    def again(problems: dict[str, str], status: int) -> ResponseReturnValue:
        return _queue_page(problems, status, str(request_id))

    return submit(DecisionForm(), command, again, url_for("classes.approvals"))
