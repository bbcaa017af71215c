"""The teacher's area: today's lessons, the course journal grid per term, the lesson form
(marks, attendance, topic and homework in one save), corrections and requests, term marks.

Every page reads views; every form goes through a schema, then one application command.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain import errors, ids
from domain.lesson import MarkEntry
from projections.queries import listing
from web import forms
from web.access import owned, permission, reaches
from web.errors import status_of
from web.pages import actor, by_name, saved, services, today, viewed

bp = Blueprint("journal", __name__, url_prefix="/journal")
FORM_KEY = re.compile(r"[0-9a-f]{32}")


@bp.get("/")
@permission("journal.view")
def index() -> ResponseReturnValue:
    """Today's lessons and the course journals the user may open."""
    views = services().views
    year = views.read(listing.current_year, today())
    if year is None:
        return render_template("journal/index.html", year=None, courses=[], lessons=[], term=1)
    courses = views.read(listing.courses, year["year_id"], owned("journal.view", "course"))
    return render_template(
        "journal/index.html",
        year=year,
        courses=courses,
        lessons=views.read(listing.lessons_on, courses, today()),
        term=views.read(listing.term_on, year["year_id"], today()),
        names=views.names({t for c in courses for t in c.teachers}, short=True),
    )


@bp.get("/<uuid:course_journal_id>/<int:term>")
@permission("journal.view")
def grid(course_journal_id: UUID, term: int) -> ResponseReturnValue:
    """The grid of a course journal for a term: pupils × lessons, averages, term marks."""
    return _grid_page(course_journal_id, term)


def _grid_page(
    course_journal_id: UUID, term: int, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    views = services().views
    course = views.read(listing.course, str(course_journal_id))
    if course is None:
        abort(404)
    try:
        page = views.grid(str(course_journal_id), term)
    except LookupError:
        abort(404)
    cells = [c for marks in page.marks.values() for c in marks]
    people = set(page.pupils) | {c.changed_by for c in cells} | {c.approver for c in cells}
    names = views.names(people - {""}, short=True)
    viewed(request.path, page.pupils)
    return render_template(
        "journal/grid.html",
        grid=page,
        pupils=by_name(page.pupils, names),
        course=course,
        finals=views.term_marks(str(course_journal_id), term),
        terms=views.read(listing.terms, course.year_id),
        names=names,
        scale=views.policies.grading.scale(page.scale),
        final_values=(
            *views.policies.grading.scale(page.scale).values,
            *views.policies.grading.term_scale_extra,
        ),
        may_enter=reaches("journal.enter", course_journal_id=course_journal_id),
        today=today(),
        form=request.form,
        problems=problems or {},
    ), status


@bp.post("/<uuid:course_journal_id>/lessons")
@permission("journal.enter")
def new_lesson(course_journal_id: UUID) -> ResponseReturnValue:
    """Enter a lesson (date, period, topic, homework), then open its form."""
    term = request.args.get("term", 1, type=int)
    try:
        data = forms.parse(forms.LessonForm(), request.form)
        receipt = saved(
            services().journal.entry.hold_lesson(
                course_journal_id,
                data["day"],
                data["period"],
                data["topic"],
                data["homework"],
                actor(),
            )
        )
    except forms.FormInvalid as error:
        return _grid_page(course_journal_id, term, error.errors, 422)
    except errors.DomainError as error:
        return _grid_page(course_journal_id, term, {"_": error.text}, status_of(error))
    return redirect(url_for("journal.lesson", lesson_id=receipt.id))


@bp.post("/<uuid:course_journal_id>/<int:term>/term-marks")
@permission("journal.enter")
def term_marks(course_journal_id: UUID, term: int) -> ResponseReturnValue:
    """Set the term marks chosen in the grid's last column (changed ones only)."""
    views, journal = services().views, services().journal
    if views.read(listing.course, str(course_journal_id)) is None:
        abort(404)
    current = views.term_marks(str(course_journal_id), term)
    try:
        form = forms.single(request.form)
        changes = _term_changes(form, current)
        if changes:  # all in one transaction: a refused mark leaves none written
            saved(journal.grades.set_term_marks(course_journal_id, term, changes, actor()))
    except forms.FormInvalid as error:
        return _grid_page(course_journal_id, term, error.errors, 422)
    except errors.DomainError as error:
        return _grid_page(course_journal_id, term, {"_": error.text}, status_of(error))
    flash(_("Итоговые отметки сохранены: %(count)s.", count=len(changes)), "ok")
    return redirect(url_for("journal.grid", course_journal_id=course_journal_id, term=term))


def _term_changes(form: dict[str, str], current: dict[str, Any]) -> list[tuple[UUID, str, str]]:
    """(pupil, value, reason) for every term mark that differs from the one standing;
    changing a mark already set needs the reason field."""
    reason = form.get("reason", "")
    changes = []
    for key, value in sorted(form.items()):
        if not key.startswith("final-") or not value:
            continue
        student = _uuid(key.removeprefix("final-"))
        if len(value) > 8:
            raise forms.FormInvalid({key: _("Неверное значение.")})
        before = current.get(str(student))
        if before is None:
            changes.append((student, value, ""))
        elif before.value != value:
            if not reason:
                raise forms.FormInvalid(
                    {"reason": _("Чтобы изменить выставленную отметку, укажите причину.")}
                )
            changes.append((student, value, reason))
    return changes


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise forms.FormInvalid({"_": _("Неверный идентификатор обучающегося.")}) from None


# --- the lesson form ---------------------------------------------------------------------
@bp.get("/lessons/<uuid:lesson_id>")
@permission("journal.view")
def lesson(lesson_id: UUID) -> ResponseReturnValue:
    """One lesson: topic, homework, and per pupil a new mark, its kind and attendance."""
    return _lesson_page(lesson_id)


def _lesson_page(
    lesson_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    views = services().views
    try:
        sheet = views.read(listing.lesson_sheet, views.policies.grading, str(lesson_id))
    except LookupError:
        abort(404)
    course = views.read(listing.course, sheet.course_journal_id)
    cells = [c for cs in sheet.marks.values() for c in cs]
    people = set(sheet.pupils) | {c.changed_by for c in cells} | {c.approver for c in cells}
    names = views.names(people - {""}, short=True)
    viewed(request.path, sheet.pupils)
    return render_template(
        "journal/lesson.html",
        sheet=sheet,
        pupils=by_name(sheet.pupils, names),
        course=course,
        names=names,
        scale=views.policies.grading.scale(sheet.scale),
        kinds=views.policies.grading.kinds,
        default_kind=views.policies.grading.default_kind,
        codes=views.policies.attendance.codes,
        may_enter=reaches("journal.enter", lesson_id=lesson_id),
        term=views.read(listing.term_on, course.year_id, date.fromisoformat(sheet.lesson.day)),
        form=request.form,
        # The form shown again after a rejection keeps its key (nothing of it was saved),
        # unless the key itself was the conflict.
        form_key=(_form_key(request.form) if status != 409 else "") or secrets.token_hex(16),
        problems=problems or {},
    ), status


def _form_key(form: Any) -> str:
    """The lesson form's key (``[0-9a-f]{32}``, drawn when the page was rendered), or ``""``
    when absent or malformed (forms of older pages, API clients: new mark ids are drawn)."""
    key = str(form.get("form_key", ""))
    return key if FORM_KEY.fullmatch(key) else ""


@bp.post("/lessons/<uuid:lesson_id>")
@permission("journal.enter")
def save_lesson(lesson_id: UUID) -> ResponseReturnValue:
    """Save the whole lesson form in one transaction (all of it, or nothing)."""
    views = services().views
    try:
        sheet = views.read(listing.lesson_sheet, views.policies.grading, str(lesson_id))
    except LookupError:
        abort(404)
    try:
        form = forms.single(request.form)
        topic = forms.parse(forms.TopicForm(), request.form)
        marks, attendance = _entries(form, sheet, lesson_id)
        saved(
            services().journal.entry.save_lesson_page(
                lesson_id, topic["topic"], topic["homework"], marks, attendance, actor()
            )
        )
    except forms.FormInvalid as error:
        return _lesson_page(lesson_id, error.errors, 422)
    except errors.DomainError as error:
        return _lesson_page(lesson_id, {"_": error.text}, status_of(error))
    flash(_("Урок сохранён."), "ok")
    return redirect(url_for("journal.lesson", lesson_id=lesson_id))


def _entries(
    form: dict[str, str], sheet: Any, lesson_id: UUID
) -> tuple[list[MarkEntry], dict[UUID, str]]:
    """New marks and attendance codes from the per-pupil fields (only this lesson's pupils).
    With the form's key each new mark's id is derived from it: the same form sent again
    (the answer to the first sending was lost) does not record its marks twice."""
    pupils = set(sheet.pupils)
    submission = _form_key(form)
    marks, attendance = [], {}
    for key, value in form.items():
        field, _sep, student = key.partition("-")
        if field not in {"mark", "kind", "att"} or not student:
            continue
        if student not in pupils:
            raise forms.FormInvalid({key: _("Обучающегося нет в списке этого урока.")})
        if len(value) > 32:
            raise forms.FormInvalid({key: _("Слишком длинное значение.")})
        if field == "mark" and value:
            kind = form.get(f"kind-{student}", "") or services().views.policies.grading.default_kind
            mark_id = (
                ids.submitted_mark_id(lesson_id, submission, UUID(student)) if submission else None
            )
            marks.append(MarkEntry(UUID(student), value, kind, mark_id))
        elif field == "att" and value and sheet.attendance.get(student) != value:
            attendance[UUID(student)] = value
    return marks, attendance


# --- corrections -------------------------------------------------------------------------
@bp.post("/lessons/<uuid:lesson_id>/marks/<uuid:mark_id>/correct")
@permission("journal.enter")
def correct(lesson_id: UUID, mark_id: UUID) -> ResponseReturnValue:
    """Correct (or, with an empty value, cancel) one's own mark within the window, with a
    reason; past the window the domain says so and the page offers a request instead."""
    return _correction(lesson_id, mark_id, request_only=False)


@bp.post("/lessons/<uuid:lesson_id>/marks/<uuid:mark_id>/request")
@permission("journal.enter")
def request_correction(lesson_id: UUID, mark_id: UUID) -> ResponseReturnValue:
    """Ask the deputy head to correct or cancel a mark (past the correction window)."""
    return _correction(lesson_id, mark_id, request_only=True)


def _correction(lesson_id: UUID, mark_id: UUID, *, request_only: bool) -> ResponseReturnValue:
    journal = services().journal
    try:
        data = forms.parse(forms.CorrectionForm(), request.form)
        value, kind, reason = data["value"], data["kind"], data["reason"]
        kind = kind or services().views.policies.grading.default_kind
        if request_only:
            receipt = journal.entry.request_correction(
                lesson_id, mark_id, value, kind, reason, actor()
            )
            message = _("Запрос на исправление отправлен заместителю директора.")
        elif value:
            receipt = journal.entry.correct_mark(lesson_id, mark_id, value, kind, reason, actor())
            message = _("Отметка исправлена.")
        else:
            receipt = journal.entry.cancel_mark(lesson_id, mark_id, reason, actor())
            message = _("Отметка отменена.")
        saved(receipt)
    except forms.FormInvalid as error:
        return _lesson_page(lesson_id, {f"fix-{mark_id}": v for v in error.errors.values()}, 422)
    except errors.CorrectionNeedsApproval as error:
        problems = {f"fix-{mark_id}": error.text, "late": str(mark_id)}
        return _lesson_page(lesson_id, problems, status_of(error))
    except errors.DomainError as error:
        return _lesson_page(lesson_id, {f"fix-{mark_id}": error.text}, status_of(error))
    flash(message, "ok")
    return redirect(url_for("journal.lesson", lesson_id=lesson_id))
