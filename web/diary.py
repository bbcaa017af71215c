"""The electronic diary («электронный дневник»): a parent chooses one of their children, a
pupil sees their own; the week (lessons, homework due, marks, absences) and a term's summary
(marks by subject with averages), with «что нового» kept on the server per account and pupil
(ADR 0017). Staff with ``diary.view`` may open a pupil's diary (access-logged)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date

from domain import clock
from projections.queries.diary import Diary
from projections.queries.listing import TermItem
from projections.queries.week import monday_of
from projections.views import catalog
from web import final_explained as final_explained_page
from web.access import owned, permission
from web.notify import sent_beside
from web.pages import actor, services, today, viewed

bp = Blueprint("diary", __name__, url_prefix="/diary")


@bp.get("/")
@permission("diary.view")
def index() -> ResponseReturnValue:
    """Choose whose diary to open (a pupil goes straight to their own)."""
    reads = services().reads
    mine = owned("diary.view", "student")
    if mine is not None and len(mine) == 1:
        return redirect(url_for("diary.pupil", student_id=next(iter(mine))))
    year = reads.school.current_year(today())
    group_id = request.args.get("group", "")
    groups = reads.school.groups(year["year_id"]) if year and mine is None else []
    pupils = sorted(mine) if mine is not None else _members(group_id) if group_id else []
    names = reads.people.names(pupils)
    pupils.sort(key=lambda p: names[p])
    return render_template(
        "diary/index.html", pupils=pupils, names=names, groups=groups, group_id=group_id
    )


def _members(group_id: str) -> list[str]:
    try:
        UUID(group_id)
    except ValueError:
        abort(404)
    day = today().isoformat()
    return services().reads.school.members(group_id, day, day)


def _visit() -> str:
    """This browser session's visit id: news shown in another visit count as seen."""
    if "diary_visit" not in session:
        session["diary_visit"] = secrets.token_hex(8)
    return str(session["diary_visit"])


def _news(key: str, year: dict[str, Any]) -> tuple[Diary, datetime | None, datetime]:
    """«Что нового» of pupil ``key`` for this account: the news since its position, and the
    moment the list reaches (recorded as shown when the list is not empty, ADR 0017)."""
    views = services().views
    account = str(actor())
    now = clock.now()  # before the read: what arrives while the page renders stays new
    since = views.seen.visit(account, key, _visit(), now).since
    news = services().reads.reports.diary(
        key,
        year_id=str(year["year_id"]),
        first=date.fromisoformat(str(year["starts"])),
        last=date.fromisoformat(str(year["ends"])),
        since=since,
    )
    if news.news:
        views.seen.shown(account, key, _visit(), now)
    return news, since, now


def _week_start(value: str | None) -> date:
    if not value:
        return today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(404)


@bp.get("/<uuid:student_id>")
@permission("diary.view")
def pupil(student_id: UUID) -> ResponseReturnValue:
    """One pupil's diary: the week (``?week=`` any day of it; this week by default) or a
    term's summary (``?term=N``), with «что нового» on top."""
    reads = services().reads
    year = reads.school.current_year(today())
    if year is None:
        abort(404)
    key = str(student_id)
    name = reads.people.names([key])[key]
    if name == catalog.DESTROYED and not reads.people.known(key):
        abort(404)
    terms = reads.school.terms(year["year_id"])
    if "term" in request.args:
        return _term(key, name, year, terms)
    week = reads.reports.week(key, _week_start(request.args.get("week")), today())
    news, since, shown = _news(key, year)
    viewed(request.path, [key])
    monday = date.fromisoformat(week.monday)
    return render_template(
        "diary/week.html",
        week=week,
        name=name,
        terms=terms,
        news=news,
        since=since,
        shown=shown,
        today=today().isoformat(),
        previous=(monday - timedelta(days=7)).isoformat(),
        following=(monday + timedelta(days=7)).isoformat(),
        this_week=monday == monday_of(today()),
        mailed=sent_beside(actor(), key),
        attendance_titles={c: a.title for c, a in services().policies.attendance.codes.items()},
    )


def _term(key: str, name: str, year: dict[str, Any], terms: list[TermItem]) -> ResponseReturnValue:
    """The term summary tab: marks by subject with averages, absences, homework."""
    number = request.args.get("term", 0, int) or services().reads.school.term_on(
        year["year_id"], today()
    )
    term = next((t for t in terms if t.number == number), None)
    if term is None:
        abort(404)
    diary = services().reads.reports.diary(
        key,
        year_id=str(year["year_id"]),
        first=date.fromisoformat(term.starts),
        last=date.fromisoformat(term.ends),
    )
    news, since, shown = _news(key, year)
    viewed(request.path, [key])
    return render_template(
        "diary/pupil.html",
        diary=diary,
        name=name,
        terms=terms,
        term=term,
        finals=services().reads.journal.pupil_finals(key),
        mailed=sent_beside(actor(), key),
        news=news,
        since=since,
        shown=shown,
    )


@bp.get("/<uuid:student_id>/final/<uuid:course>/<int:term>")
@permission("diary.view")
def final_explained(student_id: UUID, course: UUID, term: int) -> ResponseReturnValue:
    """Why the pupil's term mark (``term`` 1…) or year mark (``term`` 0) in a subject (the
    course journal ``course``) is what it is (ADR 0024), for the family and the staff who
    may open the diary: the pupil's diary is the scope (``course`` names no record of the
    access policy; only this pupil's mark is shown)."""
    back = (
        url_for("diary.pupil", student_id=student_id, term=term)
        if term
        else url_for("diary.pupil", student_id=student_id)
    )
    return final_explained_page.page(course, term, student_id, back)


@bp.post("/<uuid:student_id>/seen")
@permission("diary.view")
def seen(student_id: UUID) -> ResponseReturnValue:
    """«Прочитано»: the news listed up to the moment the page was shown are seen."""
    if not services().reads.people.known(str(student_id)):
        abort(404)
    try:
        upto = datetime.fromisoformat(request.form.get("upto", ""))
    except ValueError:
        abort(400)
    if upto.tzinfo is None:
        abort(400)
    services().views.seen.acknowledge(str(actor()), str(student_id), min(upto, clock.now()))
    back = request.form.get("back", "")
    if not back.startswith(f"/diary/{student_id}"):
        back = url_for("diary.pupil", student_id=student_id)
    return redirect(back)


@bp.app_template_filter("day_month")
def day_month(day: str | date, weekday: bool = True) -> str:
    """«пн, 7 декабря» (or «7 декабря») in the UI's language (Babel)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return str(format_date(value, "EEE, d MMMM" if weekday else "d MMMM"))
