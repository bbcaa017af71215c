"""The approval queue: correction requests past the author's window, approved (the mark is
corrected at once, the original kept) or rejected with a reason. No one decides their own
request — the domain refuses, and the page shows its message."""

from __future__ import annotations

from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from domain import errors
from projections.views import approvals as queue
from web import forms
from web.access import permission
from web.classes import bp
from web.classes.forms import DecisionForm
from web.errors import status_of
from web.pages import actor, saved, services, viewed

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
    views = services().views
    pending = views.read(queue.pending)
    decided = views.read(queue.decided, RECENT)
    shown = pending + decided
    pupils = {r.student_id for r in shown} - {""}
    staff = {r.requested_by for r in shown} | {r.decided_by for r in decided}
    viewed(request.path, pupils)
    return render_template(
        "classes/approvals.html",
        pending=pending,
        decided=decided,
        names=views.names(pupils | (staff - {""}), short=True),
        me=str(actor()),
        form=request.form,
        failed=failed,
        problems=problems or {},
    ), status


@bp.post("/approvals/<uuid:request_id>")
@permission("corrections.approve")
def decide(request_id: UUID) -> ResponseReturnValue:
    """Approve a request, or reject it with a reason."""
    found = services().views.read(queue.request, str(request_id))
    if found is None:
        abort(404)
    journal, key = services().journal, str(request_id)
    try:
        data = forms.parse(DecisionForm(), request.form)
        if data["decision"] == "approve":
            receipt = journal.approve_correction(UUID(found.lesson_id), request_id, actor())
            message = "Исправление согласовано: отметка исправлена."
        else:
            receipt = journal.reject_correction(
                UUID(found.lesson_id), request_id, data["reason"], actor()
            )
            message = "Запрос отклонён; отметка осталась прежней."
        saved(receipt)
    except forms.FormInvalid as error:
        return _queue_page(error.errors, 422, key)
    except errors.DomainError as error:
        return _queue_page({"_": error.text}, status_of(error), key)
    flash(message, "ok")
    return redirect(url_for("classes.approvals"))
