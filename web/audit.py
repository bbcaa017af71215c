"""The auditor's pages: ledger status and downloads, record history with proofs."""

from __future__ import annotations

import json
from uuid import UUID

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from projections.ledger import LedgerError, public_pem
from web.access import permission
from web.config import Services

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _services() -> Services:
    found: Services = current_app.extensions["services"]
    return found


@bp.get("/")
@permission("audit.ledger")
def ledger_status() -> ResponseReturnValue:
    """Ledger status: size, last checkpoint, last verification."""
    ledger = _services().ledger
    return render_template(
        "audit/ledger.html",
        head=ledger.head(),
        checkpoint=ledger.latest(),
        verification=ledger.last_verification(),
        sealing=ledger.status(),
    )


@bp.post("/ledger/verify")
@permission("audit.ledger")
def verify_now() -> ResponseReturnValue:
    """Verify the ledger now and keep the result."""
    result = _services().ledger.verify_and_record()
    if result.ok:
        flash(
            _(
                "Проверка пройдена: %(events)s, %(checkpoints)s.",
                events=ngettext("%(num)s событие", "%(num)s событий", result.events),
                checkpoints=ngettext(
                    "%(num)s контрольная точка", "%(num)s контрольных точек", result.checkpoints
                ),
            ),
            "ok",
        )
    else:
        flash(
            _(
                "НАРУШЕНИЕ ЦЕЛОСТНОСТИ: событие № %(first_bad)s. %(problem)s",
                first_bad=result.first_bad,
                problem=result.problem,
            ),
            "error",
        )
    return redirect(url_for("audit.ledger_status"))


@bp.get("/ledger/checkpoint.json")
@permission("audit.ledger")
def checkpoint_file() -> ResponseReturnValue:
    """The latest signed checkpoint, to keep outside the system."""
    checkpoint = _services().ledger.latest()
    if checkpoint is None:
        abort(404)
    return Response(
        checkpoint.to_json() + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=checkpoint-{checkpoint.size}.json"},
    )


@bp.get("/ledger/public-key.pem")
@permission("audit.ledger")
def public_key_file() -> ResponseReturnValue:
    """The school's ledger public key."""
    return Response(
        public_pem(_services().ledger.public),
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": "attachment; filename=ledger-public-key.pem"},
    )


@bp.get("/records")
@permission("audit.history")
def find_record() -> ResponseReturnValue:
    """Go to the history of the record whose id was typed in."""
    try:
        record_id = UUID(request.args.get("id", "").strip())
    except ValueError:
        flash(
            _("Идентификатор записи — 36 символов вида 1b4e28ba-2fa1-11d2-883f-0016d3cca427."),
            "error",
        )
        return redirect(url_for("audit.ledger_status"))
    return redirect(url_for("audit.record_history", record_id=record_id))


@bp.get("/records/<uuid:record_id>")
@permission("audit.history")
def record_history(record_id: UUID) -> ResponseReturnValue:
    """Every event of a record — who, when, what, why, before and after — with proofs."""
    rows = _services().reads.audit.history(str(record_id))
    if not rows:
        abort(404)
    return render_template(
        "audit/record.html",
        record_id=record_id,
        rows=rows,
        actor_name=_services().reads.people.name,
    )


@bp.get("/proof/<int:position>.json")
@permission("audit.history")
def proof(position: int) -> ResponseReturnValue:
    """The inclusion proof of one event against the latest checkpoint."""
    try:
        body = _services().ledger.prove(position)
    except LedgerError as error:
        return Response(
            json.dumps({"error": str(error)}, ensure_ascii=False),
            status=409,
            mimetype="application/json",
        )
    return Response(json.dumps(body, indent=1), mimetype="application/json")
