"""Closing and re-opening terms (deputy head, head): a closed term locks every lesson, mark
and attendance entry dated in it; re-opening needs a reason and the number of the head's
order (``policies/journal.toml``), and both are recorded with who and when."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from domain.service import Receipt
from web.access import permission
from web.classes import bp
from web.classes.forms import CloseTermForm, ReopenTermForm
from web.forms import FormSchema
from web.pages import actor, services, submit

#: The events of a school year the page lists as its log.
LOGGED = {"TermClosed": _l("закрыт"), "TermReopened": _l("открыт заново")}


@bp.get("/terms")
@permission("terms.manage")
def terms() -> ResponseReturnValue:
    """The terms of every school year, with closing and re-opening, and their log."""
    return _terms_page()


def _terms_page(
    problems: dict[str, str] | None = None, status: int = 200, failed: str = ""
) -> ResponseReturnValue:
    reads = services().reads
    years = reads.school.years()
    periods = {str(y["year_id"]): reads.school.terms(str(y["year_id"])) for y in years}
    log = {
        str(y["year_id"]): [
            r for r in reversed(reads.audit.history(str(y["year_id"]))) if r.type in LOGGED
        ]
        for y in years
    }
    staff = {r.actor for rows in log.values() for r in rows if r.actor}
    return render_template(
        "classes/terms.html",
        years=years,
        periods=periods,
        log=log,
        logged=LOGGED,
        names=services().reads.people.names(staff, short=True),
        reopen_requires_order=services().policies.journal.reopen_requires_order,
        form=request.form,
        failed=failed,
        problems=problems or {},
        labels={
            "confirm": _("Подтверждение"),
            "reason": _("Причина"),
            "order_no": _("Номер приказа"),
        },
    ), status


def _year(year_id: UUID) -> None:
    """404 unless the school year exists."""
    if not any(str(y["year_id"]) == str(year_id) for y in services().reads.school.years()):
        abort(404)


@bp.post("/terms/<uuid:year_id>/<int:term>/close")
@permission("terms.manage")
def close(year_id: UUID, term: int) -> ResponseReturnValue:
    """Close a term (after an explicit confirmation)."""
    _year(year_id)

    def command(_data: dict[str, Any]) -> tuple[Receipt, str]:
        receipt = services().journal.school.close_term(year_id, term, actor())
        return receipt, _(
            "Период № %(term)s закрыт: записи за него больше не изменяются.", term=term
        )

    return _submit(CloseTermForm(), command, f"close-{year_id}-{term}")


@bp.post("/terms/<uuid:year_id>/<int:term>/reopen")
@permission("terms.manage")
def reopen(year_id: UUID, term: int) -> ResponseReturnValue:
    """Re-open a closed term under a reason and an order number."""
    _year(year_id)

    def command(data: dict[str, Any]) -> tuple[Receipt, str]:
        receipt = services().journal.school.reopen_term(
            year_id, term, data["reason"], data["order_no"], actor()
        )
        return receipt, _("Период № %(term)s открыт заново; основание записано.", term=term)

    return _submit(ReopenTermForm(), command, f"reopen-{year_id}-{term}")


def _submit(
    schema: FormSchema, command: Callable[[dict[str, Any]], tuple[Receipt, str]], failed: str
) -> ResponseReturnValue:
    """Run a term form; on a problem the terms page again, marking the form ``failed``."""

    def again(problems: dict[str, str], status: int) -> ResponseReturnValue:
        return _terms_page(problems, status, failed)

    return submit(schema, command, again, url_for("classes.terms"))
