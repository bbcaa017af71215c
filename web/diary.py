"""The electronic diary («электронный дневник»): a parent chooses one of their children, a
pupil sees their own; marks by subject with averages, attendance, homework, and «что нового»
since the last visit. Staff with ``diary.view`` may open a pupil's diary (access-logged)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from domain import clock
from projections.views import catalog
from web.access import owned, permission
from web.pages import services, today, viewed

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


#: Diaries whose last visit the session remembers (about 60 bytes each in the cookie).
SEEN_KEPT = 12


@bp.get("/<uuid:student_id>")
@permission("diary.view")
def pupil(student_id: UUID) -> ResponseReturnValue:
    """One pupil's diary for a term (``?term=N``, the current one by default)."""
    reads = services().reads
    year = reads.school.current_year(today())
    if year is None:
        abort(404)
    terms = reads.school.terms(year["year_id"])
    number = request.args.get("term", reads.school.term_on(year["year_id"], today()), int)
    term = next((t for t in terms if t.number == number), None)
    if term is None:
        abort(404)
    key = str(student_id)
    seen: dict[str, str] = dict(session.get("diary_seen", {}))
    since = datetime.fromisoformat(seen[key]) if key in seen else None
    diary = reads.reports.diary(
        key,
        year_id=str(year["year_id"]),
        first=date.fromisoformat(term.starts),
        last=date.fromisoformat(term.ends),
        since=since,
    )
    name = reads.people.names([key])[key]
    if name == catalog.DESTROYED and not diary.subjects:
        abort(404)
    viewed(request.path, [key])
    seen[key] = clock.now().isoformat()
    # The session cookie must stay small (browsers drop cookies over 4 KB, which would sign
    # the user out): keep only the latest visits — a family has a few children; staff
    # reading many diaries lose «что нового» of the oldest, which they do not need.
    latest = sorted(seen.items(), key=lambda item: item[1])[-SEEN_KEPT:]
    session["diary_seen"] = dict(latest)
    return render_template(
        "diary/pupil.html", diary=diary, name=name, terms=terms, term=term, since=since
    )
