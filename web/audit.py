"""The auditor's pages: ledger status and downloads, record history with proofs."""

from __future__ import annotations

import json
import time
from typing import Any
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

from projections.ledger import LedgerError, NoSuchEvent, NotYetSealed, public_pem
from projections.views.history import HistoryRow
from web import trail
from web.access import permission
from web.config import Services
from web.pages import viewed

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
    """Go to the history of the record (or of the mark) whose id was typed in."""
    try:
        record_id = UUID(request.args.get("id", "").strip())
    except ValueError:
        flash(
            _("Идентификатор записи — 36 символов вида 1b4e28ba-2fa1-11d2-883f-0016d3cca427."),
            "error",
        )
        return redirect(url_for("audit.ledger_status"))
    if _services().reads.audit.mark_history(str(record_id)):
        return redirect(url_for("audit.mark_history", mark_id=record_id))
    return redirect(url_for("audit.record_history", record_id=record_id))


def _words() -> trail.Words:
    reads = _services().reads
    return trail.Words(
        name=lambda person: reads.people.name(person, short=True),
        grading=_services().policies.grading,
        pupils=trail.pupils_shown(),
    )


def _history_page(rows: list[HistoryRow], **page: Any) -> ResponseReturnValue:
    """A history page: the rows in words; the pupils shown are logged as seen."""
    words = _words()
    if words.pupils:
        viewed(request.full_path, trail.pupils_of(rows))
    return render_template("audit/record.html", rows=rows, words=words, **page)


@bp.get("/records/<uuid:record_id>")
@permission("audit.history")
def record_history(record_id: UUID) -> ResponseReturnValue:
    """Every event of a record — who, when, what, why, before and after — with proofs."""
    rows = _services().reads.audit.history(str(record_id))
    if not rows:
        abort(404)
    return _history_page(rows, record_id=record_id, mark=None)


@bp.get("/marks/<uuid:mark_id>")
@permission("audit.history")
def mark_history(mark_id: UUID) -> ResponseReturnValue:
    """One mark's trail across its corrections — entry, correction requests and decisions,
    corrections, cancellation — found by the mark's id (a grid cell links here)."""
    reads = _services().reads
    rows = reads.audit.mark_history(str(mark_id))
    if not rows:
        abort(404)
    lesson_id = rows[0].record_id
    try:
        sheet = reads.journal.lesson_sheet(lesson_id)
    except LookupError:
        sheet = None
    course = reads.school.course(sheet.course_journal_id) if sheet else None
    pupil = next((str(r.values["student_id"]) for r in rows if r.values.get("student_id")), "")
    mark = {"lesson": sheet.lesson if sheet else None, "course": course, "pupil": pupil}
    return _history_page(rows, record_id=lesson_id, mark=mark, mark_id=mark_id)


#: How long a proof of a fresh event waits for a checkpoint to cover it (seconds; the
#: app's ``EJOURNAL_PROOF_WAIT``, 0 in tests that want the answer at once).
PROOF_WAIT = 5.0


def _proof_refused(status: int, message: str, position: int) -> ResponseReturnValue:
    return render_template("audit/proof.html", message=message, position=position), status


@bp.get("/proof/<int:position>.json")
@permission("audit.history")
def proof(position: int) -> ResponseReturnValue:
    """The inclusion proof of one event against the latest checkpoint. A fresh event not yet
    under a signed checkpoint is waited for (at most ``PROOF_WAIT`` seconds), then the
    answer says so in Russian."""
    ledger = _services().ledger
    deadline = time.monotonic() + float(current_app.config.get("EJOURNAL_PROOF_WAIT", PROOF_WAIT))
    while True:
        try:
            body = ledger.prove(position)
        except NotYetSealed as error:
            if time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            return _proof_refused(
                409,
                _(
                    "Событие № %(position)s ещё не вошло в подписанную контрольную точку "
                    "(последняя охватывает %(size)s). Контрольная точка подписывается после "
                    "%(every)s или раз в %(minutes)s мин — откройте ссылку позже.",
                    position=position,
                    size=ngettext("%(num)s событие", "%(num)s событий", error.size),
                    every=ngettext("%(num)s события", "%(num)s событий", ledger.every_events),
                    minutes=round(ledger.every_seconds / 60),
                ),
                position,
            )
        except NoSuchEvent:
            return _proof_refused(
                404, _("События № %(position)s нет.", position=position), position
            )
        except LedgerError:
            return _proof_refused(
                409,
                _(
                    "Доказательство не построено: журнал целостности не сходится с записями. "
                    "Проверьте журнал («Проверить сейчас»)."
                ),
                position,
            )
        return Response(json.dumps(body, indent=1), mimetype="application/json")
