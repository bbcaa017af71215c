"""The head's page «Правила и положения» (ADR 0025): the recorded versions of the policies
with what changed, approving the latest by order, and the school's regulations made from
the approved version as signed PDF/A."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from domain.service import Receipt
from web.access import permission
from web.forms import FormSchema, parse, text
from web.pages import actor, attempt, services

bp = Blueprint("regulations", __name__, url_prefix="/regulations")
LABELS = {"order_no": _l("Номер приказа"), "order_date": _l("Дата приказа")}


class ApproveForm(FormSchema):
    """Approving a recorded version of the policies by the head's order."""

    version = fields.Integer(
        required=True, strict=False, error_messages={"invalid": _l("Неверный номер редакции.")}
    )
    order_no = text(max_length=40)
    order_date = fields.Date(
        required=True, error_messages={"invalid": _l("Дата в формате ГГГГ-ММ-ДД.")}
    )


def _page(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    services().views.catch_up()
    versions = services().reads.policies.versions()
    documents = services().documents
    return render_template(
        "regulations/index.html",
        versions=versions,
        latest=versions[0] if versions else None,
        in_force=next((v for v in versions if v.approved), None),
        titles=documents.titles if documents is not None else {},
        problems=problems or {},
        labels=LABELS,
        form=request.form,
    ), status


@bp.get("/")
@permission("policies.approve")
def index() -> ResponseReturnValue:
    """The versions of the policies, the approval form and the documents."""
    return _page()


@bp.post("/approve")
@permission("policies.approve")
def approve() -> ResponseReturnValue:
    """Approve a recorded version by the head's order."""

    def run() -> Receipt:
        data = parse(ApproveForm(), request.form)
        receipt: Receipt = services().journal.rules.approve(
            data["version"], data["order_no"], data["order_date"], actor()
        )
        return receipt

    return attempt(run, _page, _("Редакция правил утверждена."), url_for("regulations.index"))


@bp.get("/documents/<stem>.pdf")
@permission("policies.approve")
def document(stem: str) -> ResponseReturnValue:
    """One document as signed PDF/A, made now from the approved version."""
    documents = services().documents
    if documents is None or stem not in documents.titles:
        abort(404)
    try:
        as_of = date.fromisoformat(request.args["as_of"]) if request.args.get("as_of") else None
    except ValueError:
        flash(_("Дата в формате ГГГГ-ММ-ДД."), "error")
        return redirect(url_for("regulations.index"))
    try:
        name, data = documents.make(stem, as_of, actor())
    except LookupError:
        flash(_("Правила не утверждены: документы составляются по утверждённой редакции."), "error")
        return redirect(url_for("regulations.index"))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
