"""The auditor's replays: any grid or diary as it stood at a chosen moment, and the access
log of pupils' personal data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain import clock
from projections.views import access_log
from web import grid_table
from web.access import permission
from web.forms import is_uuid
from web.pages import services, today, viewed
from web.region import regional_actor

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


#: Rows of the access log on one page.
ACCESS_PAGE = 50


def _day_bound(name: str, after: int = 0) -> datetime | None:
    """The start (school time) of the day in ``?name=ГГГГ-ММ-ДД`` plus ``after`` days."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadMoment(_("Дата — в формате ГГГГ-ММ-ДД.")) from None
    return clock.local_datetime(day + timedelta(days=after), 0)


def _access_filter() -> access_log.Filter:
    """The access log's filter from the query: a name (pupil or staff member), a class,
    a pupil's or a staff member's id (the links in the table), days from and to."""
    reads = services().reads
    ids = {}
    for field in ("student_id", "actor"):
        value = request.args.get(field, "").strip()
        if value:
            try:
                ids[field] = frozenset({str(UUID(value))})
            except ValueError:
                raise BadMoment(_("Идентификатор — 36 символов вида 1b4e28ba-2fa1-…")) from None
    students = ids.get("student_id")
    group_id = request.args.get("group", "").strip()
    if group_id:
        group = reads.school.group(group_id) if is_uuid(group_id) else None
        year = reads.school.year(str(group["year_id"])) if group else None
        if group is None or year is None:
            raise BadMoment(_("Выберите класс из списка."))
        members = frozenset(reads.school.members(group_id, str(year["starts"]), str(year["ends"])))
        students = members if students is None else students & members
    query = request.args.get("q", "").strip()
    return access_log.Filter(
        students=students,
        actors=ids.get("actor"),
        people=frozenset(reads.people.search(query)) if query else None,
        since=_day_bound("from"),
        before=_day_bound("to", after=1),
    )


def _classes() -> list[tuple[str, str]]:
    """Every class of every year, for the filter: (id, «5А (2025/26)»)."""
    reads = services().reads
    return [
        (str(g["group_id"]), f"{g['name']} ({y['year']})")
        for y in reads.school.years()
        for g in reads.school.groups(str(y["year_id"]))
        if g["kind"] == "class"
    ]


@bp.get("/access-log")
@permission("audit.access_log")
def access_log_page() -> ResponseReturnValue:
    """Who saw which pupils' data, where and when: newest first, a page at a time; search by
    a pupil's or a staff member's name, a class, and days."""
    reads = services().reads
    try:
        found = _access_filter()
    except BadMoment as error:
        return render_template(
            "audit/access_log.html",
            page=None,
            names={},
            classes=_classes(),
            form=request.args,
            problems={"_": str(error)},
        ), 422
    page = reads.audit.access_page(found, request.args.get("page", 1, int), ACCESS_PAGE)
    rows = page.rows
    names = reads.people.names({r.actor for r in rows} | {r.student_id for r in rows}, short=True)
    # A regional official (ADR 0027) is no person of the school: named from the entry.
    names.update({r.actor: who for r in rows if (who := regional_actor(r.page))})
    viewed(request.full_path, {r.student_id for r in rows})
    return render_template(
        "audit/access_log.html",
        page=page,
        names=names,
        classes=_classes(),
        form=request.args,
        problems={},
    )
