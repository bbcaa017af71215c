"""The auditor's replays: any grid or diary as it stood at a chosen moment, and the access
log of pupils' personal data."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain import clock
from web import grid_table
from web.access import permission
from web.pages import services, today, viewed

bp = Blueprint("replay", __name__, url_prefix="/audit")


class BadMoment(ValueError):
    """Raised when the «as of» moment is missing or not a date and time."""


def _moment() -> datetime:
    """``?at=ГГГГ-ММ-ДДTЧЧ:ММ`` in school time → an aware moment (not in the future)."""
    text = request.args.get("at", "").strip()
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise BadMoment(_("Укажите дату и время в формате ГГГГ-ММ-ДД ЧЧ:ММ.")) from None
    moment = local.replace(tzinfo=clock.SCHOOL_TZ) if local.tzinfo is None else local
    return min(moment, clock.now())


def _refused(message: str) -> ResponseReturnValue:
    return render_template("audit/as_of.html", problems={"_": message}, form=request.args), 422


@bp.get("/as-of")
@permission("audit.history")
def as_of() -> ResponseReturnValue:
    """Choose a grid or a diary and a moment."""
    reads = services().reads
    year = reads.school.current_year(today())
    courses = reads.school.courses(year["year_id"]) if year else []
    return render_template(
        "audit/as_of.html", courses=courses, problems={}, form=request.args, now=clock.now()
    )


@bp.get("/as-of/grid/<uuid:course_journal_id>/<int:term>")
@permission("audit.history")
def grid_as_of(course_journal_id: UUID, term: int) -> ResponseReturnValue:
    """A course journal's grid exactly as it stood at ``?at=``."""
    reads = services().reads
    course = reads.school.course(str(course_journal_id))
    if course is None:
        abort(404)
    try:
        moment = _moment()
    except BadMoment as error:
        return _refused(str(error))
    try:
        page = reads.journal.grid(str(course_journal_id), term, as_of=moment)
    except LookupError:
        abort(404)
    people = set(page.pupils) | {c.changed_by for cells in page.marks.values() for c in cells}
    names = reads.people.names(people - {""}, short=True)
    viewed(request.full_path, page.pupils)
    return render_template(
        "journal/grid.html",
        **grid_table.context(
            page,
            names,
            services().policies,
            clock.local_date(moment),
            reads.journal.term_marks(str(course_journal_id), term, as_of=moment),
        ),
        course=course,
        terms=[],
        may_enter=False,
        as_of=moment,
        today=today(),
        form={},
        problems={},
    )


@bp.get("/as-of/diary/<uuid:student_id>")
@permission("audit.history")
def diary_as_of(student_id: UUID) -> ResponseReturnValue:
    """A pupil's diary for the school year exactly as it stood at ``?at=``."""
    reads = services().reads
    key = str(student_id)
    if not reads.people.known(key):
        abort(404)
    try:
        moment = _moment()
    except BadMoment as error:
        return _refused(str(error))
    year = reads.school.current_year(moment.astimezone(clock.SCHOOL_TZ).date())
    if year is None:
        abort(404)
    diary = reads.reports.diary(
        key,
        year_id=str(year["year_id"]),
        first=date.fromisoformat(str(year["starts"])),
        last=date.fromisoformat(str(year["ends"])),
        as_of=moment,
    )
    viewed(request.full_path, [key])
    return render_template(
        "diary/pupil.html",
        diary=diary,
        name=reads.people.names([key])[key],
        terms=[],
        term=None,
        since=None,
        as_of=moment,
    )


@bp.get("/access-log")
@permission("audit.access_log")
def access_log_page() -> ResponseReturnValue:
    """Who saw which pupils' data, where and when (newest first; filter by pupil or staff)."""
    student = request.args.get("student_id", "").strip()
    who = request.args.get("actor", "").strip()
    for value in (student, who):
        if value:
            try:
                UUID(value)
            except ValueError:
                return render_template(
                    "audit/access_log.html",
                    rows=[],
                    names={},
                    form=request.args,
                    problems={"_": _("Идентификатор — 36 символов вида 1b4e28ba-2fa1-…")},
                ), 422
    reads = services().reads
    rows = reads.audit.accesses(student_id=student or None, actor=who or None)
    names = reads.people.names({r.actor for r in rows} | {r.student_id for r in rows}, short=True)
    viewed(request.full_path, {r.student_id for r in rows})
    return render_template(
        "audit/access_log.html", rows=rows, names=names, form=request.args, problems={}
    )
