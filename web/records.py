"""The archivist's pages («Реестр дел»): the records register with filters, the plan,
proposals and their approval, holds, certificates — and closing the school year for the
deputy head and head. Ids travel as query or form fields; every action is a POST that
redirects back with a message (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
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
from flask_babel import lazy_gettext as _l
from marshmallow import fields
from werkzeug.datastructures import MultiDict

from domain import clock, errors
from domain.holds import SCOPES
from domain.service import Receipt
from projections.queries.people import matches
from projections.queries.records_register import STATES, RegisterEntry
from retention.service import Records, act_stems
from retention.subject_access import NotAPupil
from retention.transfer import TransferError
from web.access import permission
from web.forms import FormSchema, choice, parse, text
from web.pages import actor, attempt, services, today, viewed
from web.words import RECORD_STATES

bp = Blueprint("records", __name__, url_prefix="/records")
VOLUME_RU = {
    "journal": _l("классный журнал"),
    "summary": _l("сводная ведомость"),
    "extracurricular": _l("журнал внеурочной деятельности"),
}
ACTION_RU = {"destroy": _l("уничтожение"), "transfer": _l("передача"), "review": _l("экспертиза")}


class IdForm(FormSchema):
    """An action on one disposition or hold."""

    id = fields.UUID(required=True, error_messages={"invalid": _l("Неверный идентификатор.")})


class ApproveForm(IdForm):
    """Approving a proposal: the expert commission's protocol (required to destroy — the
    domain says so; a transfer may name it)."""

    protocol_no = text(max_length=40, required=False)
    protocol_date = fields.Date(
        load_default=None, error_messages={"invalid": _l("Дата в формате ГГГГ-ММ-ДД.")}
    )


class ReasonIdForm(IdForm):
    """An action that needs a reason."""

    reason = text(max_length=500)


class HoldForm(FormSchema):
    """A new hold."""

    kind = choice(list(SCOPES))
    value = text(max_length=200)
    reason = text(max_length=500)


class CloseForm(FormSchema):
    """Closing the school year; a forced close needs a reason."""

    year = text(max_length=7)
    force = fields.Boolean(load_default=False)
    reason = text(max_length=500, required=False)


def _records() -> Records:
    return services().records


def _as_of() -> date:
    try:
        return date.fromisoformat(request.args.get("as_of", ""))
    except ValueError:
        return today()


#: Refusals of the archive's own steps (transfer, subject access, a year not found).
REFUSED = (TransferError, NotAPupil, LookupError)


def _act(done: str, back: str, action: Callable[[], Receipt | None]) -> ResponseReturnValue:
    """Run ``action`` (``attempt``); flash ``done`` or the refusal, and go back either way
    (post/redirect/get: these forms are buttons in lists)."""

    def refused(problems: dict[str, str], _status: int) -> ResponseReturnValue:
        flash("; ".join(problems.values()), "error")
        return redirect(back)

    def other(error: Exception) -> ResponseReturnValue:
        return refused({"_": getattr(error, "text", str(error))}, 422)

    return attempt(action, refused, done, back, refusals=dict.fromkeys(REFUSED, other))


# --- reading -----------------------------------------------------------------------------------
#: Series of the register on one page.
REGISTER_PAGE = 50


def _day_arg(name: str, problems: dict[str, str]) -> date | None:
    """``?name=ГГГГ-ММ-ДД`` as a day; a malformed one is a problem (and no bound)."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems["_"] = _("Дата — в формате ГГГГ-ММ-ДД.")
        return None


def _searched(entries: list[RegisterEntry], problems: dict[str, str]) -> list[RegisterEntry]:
    """The entries the query keeps: record class, state, year, held, school class, a text
    in the series' name or a person's name (their ``person/…`` series), due from/to."""
    args = request.args
    query = args.get("q", "").strip()
    people = {f"person/{p}" for p in services().reads.people.search(query)} if query else set()
    first, last = _day_arg("from", problems), _day_arg("to", problems)
    return [
        e
        for e in entries
        if (not args.get("class") or e.record_class == args["class"])
        and (not args.get("state") or e.state == args["state"])
        and (not args.get("year") or e.year == args["year"])
        and (not args.get("group") or e.group == args["group"])
        and (not args.get("held") or e.held)
        and (not query or e.series in people or matches(query, e.series))
        and (first is None or (e.due_on is not None and e.due_on >= first))
        and (last is None or (e.due_on is not None and e.due_on <= last))
    ]


@bp.get("/")
@permission("records.view")
def register() -> ResponseReturnValue:
    """The register: every series with class, cut-off, due date, holds and state; searched
    by a series' name or a person's, a school class and due dates; a page at a time."""
    as_of, args = _as_of(), request.args
    problems: dict[str, str] = {}
    entries = _records().register(as_of)
    counts = {s: sum(1 for e in entries if e.state == s) for s in STATES}
    shown = _searched(entries, problems)
    pages = max(1, -(-len(shown) // REGISTER_PAGE))
    number = max(1, min(args.get("page", 1, int), pages))
    on_page = shown[(number - 1) * REGISTER_PAGE : number * REGISTER_PAGE]
    reads = services().reads
    persons = {e.series.partition("/")[2] for e in on_page if e.series.startswith("person/")}
    names = reads.people.names(persons)
    viewed(request.full_path, [p for p in persons if reads.people.kind_of(p) == "student"])
    policy = _records().policy
    return render_template(
        "records/register.html",
        entries=on_page,
        number=number,
        pages=pages,
        total=len(shown),
        names=names,
        counts=counts,
        as_of=as_of,
        states=RECORD_STATES,
        classes=policy.classes,
        years=sorted({e.year for e in entries if e.year}, reverse=True),
        groups=sorted({e.group for e in entries if e.group}),
        args=args,
        problems=problems,
    ), (422 if problems else 200)


@bp.get("/archive")
@permission("records.view")
def archive() -> ResponseReturnValue:
    """The annual archive's volumes: until when each one's signatures verify on their own
    and when ``archive refresh`` renews them."""
    margin = timedelta(days=int(current_app.config.get("EJOURNAL_REFRESH_MARGIN_DAYS", 14)))
    rows = []
    for v in services().reads.archive.volumes():
        until = datetime.fromisoformat(v.valid_until) if v.valid_until else None
        rows.append(
            {
                "volume": v,
                "until": clock.local_date(until) if until else None,
                "refresh": clock.local_date(until - margin) if until else None,
                "overdue": until is not None and until - margin <= clock.now(),
            }
        )
    return render_template("records/archive.html", rows=rows, margin=margin.days, kinds=VOLUME_RU)


@bp.get("/plan")
@permission("records.view")
def plan() -> ResponseReturnValue:
    """What is due on a day and why (a dry run)."""
    return render_template("records/plan.html", plan=_records().plan(_as_of()), actions=ACTION_RU)


@bp.get("/proposals")
@permission("records.view")
def proposals() -> ResponseReturnValue:
    """Every disposition: state, action, series, who and when."""
    rows = _records().dispositions()
    return render_template(
        "records/proposals.html", rows=rows, name=_records().name, actions=ACTION_RU
    )


@bp.get("/proposal")
@permission("records.view")
def proposal() -> ResponseReturnValue:
    """One disposition: its series, steps, refusals, and the actions open to the user."""
    try:
        found = _records().dispositions(str(UUID(request.args.get("id", ""))))
    except ValueError:
        return redirect(url_for("records.proposals"))
    if not found:
        abort(404)
    return render_template(
        "records/proposal.html",
        d=found[0],
        name=_records().name,
        actions=ACTION_RU,
        classes=_records().policy.classes,
    )


@bp.get("/holds")
@permission("records.view")
def holds() -> ResponseReturnValue:
    """Holds in force and released, and a form to place one."""
    return render_template(
        "records/holds.html", rows=_records().holds(), scopes=SCOPES, name=_records().name
    )


@bp.get("/certificates")
@permission("records.view")
def certificates() -> ResponseReturnValue:
    """Every destruction and transfer certificate."""
    rows = [d for d in _records().dispositions() if d.certificate]
    return render_template("records/certificates.html", rows=rows, name=_records().name)


@bp.get("/certificate")
@permission("records.view")
def certificate() -> ResponseReturnValue:
    """A certificate file: ``?id=…&file=pdf|json|pd``."""
    try:
        found = _records().certificate(str(UUID(request.args.get("id", ""))))
    except ValueError:
        return redirect(url_for("records.certificates"))
    except errors.DispositionNotFound:
        abort(404)
    files = _records().act_files(found)
    stem, pd_stem = act_stems(found)
    name = {"json": f"{stem}.json", "pd": f"{pd_stem}.pdf"}.get(
        request.args.get("file", ""), f"{stem}.pdf"
    )
    if name not in files:
        abort(404)
    mimetype = "application/json" if name.endswith(".json") else "application/pdf"
    return Response(
        files[name],
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


# --- acting ------------------------------------------------------------------------------------
@bp.post("/propose")
@permission("records.manage")
def propose() -> ResponseReturnValue:
    """Propose everything due today (or the series ticked in the plan)."""
    series = request.form.getlist("series")

    def run() -> None:
        _records().propose(actor(), series=series)

    return _act(_("Предложение составлено и ждёт утверждения."), url_for("records.proposals"), run)


@bp.get("/approve")
@permission("records.approve")
def approve_confirm() -> ResponseReturnValue:
    """The confirmation step before approving: every series the proposal will destroy or
    transfer, with its class, cut-off and due date, and the button that approves."""
    return _approve_page(request.args.get("id", ""))


def _approve_page(
    disposition_id: str, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    try:
        found = _records().dispositions(str(UUID(disposition_id)))
    except ValueError:
        return redirect(url_for("records.proposals"))
    if not found:
        abort(404)
    if found[0].state != "proposed":  # nothing left to confirm: say why on the proposal
        if problems:
            flash("; ".join(problems.values()), "error")
        return redirect(url_for("records.proposal", id=found[0].disposition_id))
    return (
        render_template(
            "records/approve.html",
            d=found[0],
            name=_records().name,
            actions=ACTION_RU,
            classes=_records().policy.classes,
            problems=problems or {},
            form=request.form if problems else {},
        ),
        status,
    )


@bp.post("/approve")
@permission("records.approve")
def approve() -> ResponseReturnValue:
    """Approve a proposal (a second person), from the confirmation page only: a form
    without ``confirm`` is sent to that page and approves nothing."""
    if request.form.get("confirm") != "yes":  # not from the confirmation page
        flash(_("Проверьте список и подтвердите утверждение."), "error")
        found = request.form.get("id", "")
        try:
            return redirect(url_for("records.approve_confirm", id=str(UUID(found))))
        except ValueError:
            return redirect(url_for("records.proposals"))

    def run() -> Receipt:
        # An empty optional field is absent (no protocol date given), not a bad date.
        sent = MultiDict([(k, v) for k, v in request.form.items(multi=True) if v.strip()])
        data = parse(ApproveForm(), sent)
        receipt: Receipt = services().journal.retention.approve_disposition(
            data["id"], actor(), data["protocol_no"], data["protocol_date"]
        )
        return receipt

    def again(problems: dict[str, str], status: int) -> ResponseReturnValue:
        return _approve_page(request.form.get("id", ""), problems, status)

    return attempt(run, again, _("Предложение утверждено."), _back())


@bp.post("/reject")
@permission("records.approve")
def reject() -> ResponseReturnValue:
    """Reject a proposal with a reason."""

    def run() -> Receipt:
        data = parse(ReasonIdForm(), request.form)
        receipt: Receipt = services().journal.retention.reject_disposition(
            data["id"], data["reason"], actor()
        )
        return receipt

    return _act(_("Предложение отклонено."), _back(), run)


@bp.post("/execute")
@permission("records.manage")
def execute() -> ResponseReturnValue:
    """Execute an approved proposal: destroy, and issue the certificate."""

    def run() -> None:
        _records().execute(parse(IdForm(), request.form)["id"], actor())

    return _act(_("Уничтожение выполнено, акт составлен."), _back(), run)


@bp.post("/transfer")
@permission("records.manage")
def transfer() -> ResponseReturnValue:
    """Transfer an approved proposal: the BagIt package goes to the transfers folder."""

    def run() -> None:
        _records().transfer(
            parse(IdForm(), request.form)["id"], _records().infra.transfers_dir, actor()
        )

    return _act(_("Пакет передачи записан, документы переданы."), _back(), run)


@bp.post("/holds/place")
@permission("records.manage")
def hold_place() -> ResponseReturnValue:
    """Place a hold."""

    def run() -> Receipt:
        data = parse(HoldForm(), request.form)
        receipt: Receipt = services().journal.retention.place_hold(
            data["kind"], data["value"], data["reason"], actor()
        )
        return receipt

    return _act(_("Приостановка установлена."), url_for("records.holds"), run)


@bp.post("/holds/release")
@permission("records.manage")
def hold_release() -> ResponseReturnValue:
    """Release a hold with a reason."""

    def run() -> Receipt:
        data = parse(ReasonIdForm(), request.form)
        receipt: Receipt = services().journal.retention.release_hold(
            data["id"], data["reason"], actor()
        )
        return receipt

    return _act(_("Приостановка снята."), url_for("records.holds"), run)


def _back() -> str:
    found = request.form.get("id", "")
    try:
        return url_for("records.proposal", id=str(UUID(found)))
    except ValueError:
        return url_for("records.proposals")


# --- the school year ---------------------------------------------------------------------------
@bp.get("/year")
@permission("terms.manage")
def year() -> ResponseReturnValue:
    """Closing the school year: the marks still missing, and the close form."""
    services().views.catch_up()
    label = request.args.get("year", "")
    try:
        missing = _records().missing_marks(label) if label else []
        undecided = _records().undecided(label) if label else []
    except LookupError:
        missing, undecided = [], []
    pupils = [m.student_id for m in missing] + [u.student_id for u in undecided]
    names = services().reads.people.names(pupils) if pupils else {}
    viewed("records/year", names)  # pupils' names are shown: logged
    entries = [e for e in _records().register() if e.series.startswith("school-year/")]
    classes = {
        str(g["name"]): str(g["group_id"])
        for y in services().reads.school.years()
        if y["year"] == label
        for g in services().reads.school.groups(str(y["year_id"]))
    }
    return render_template(
        "records/year.html",
        label=label,
        missing=missing,
        undecided=undecided,
        classes=classes,
        names=names,
        years=entries,
    )


@bp.post("/year/close")
@permission("terms.manage")
def year_close() -> ResponseReturnValue:
    """Close the school year: refused while marks or council decisions are missing unless
    forced with a reason."""
    label = request.form.get("year", "")

    def run() -> None:
        data = parse(CloseForm(), request.form)
        _records().close_year(data["year"], actor(), force=data["force"], reason=data["reason"])

    return _act(
        _("Учебный год %(label)s закрыт.", label=label), url_for("records.year", year=label), run
    )
