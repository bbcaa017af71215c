"""The teacher's area: today's lessons, the course journal grid per term, the lesson form
(marks, attendance, topic and homework in one save), corrections and requests, term marks.

Every page reads views; every form goes through a schema, then one application command.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, flash, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from domain import clock, errors, ids, rules
from domain.lesson import MarkEntry
from domain.service import Receipt
from domain.timetable import next_lesson_day
from projections.queries.class_day import ClassDay
from projections.queries.listing import CourseItem
from projections.queries.timetable import DayLesson
from web import final_explained as final_explained_page
from web import forms, grid_table
from web.access import owned, permission, reaches
from web.errors import status_of
from web.hygiene import bounded_int
from web.pages import Again, actor, attempt, by_name, saved, services, today, viewed

bp = Blueprint("journal", __name__, url_prefix="/journal")
FORM_KEY = re.compile(r"[0-9a-f]{32}")


@bp.get("/")
@permission("journal.view")
def index() -> ResponseReturnValue:
    """Today's lessons and the course journals the user may open."""
    return index_page()


def index_page(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    """Today's lessons from the timetable (period, time; held or to hold; substitutions:
    ADR 0019) and the course journals; ``problems`` of a refused «провести урок»."""
    reads = services().reads
    year = reads.school.current_year(today())
    if year is None:
        return render_template(
            "journal/index.html", year=None, courses=[], lessons=[], term=1, problems={}
        ), status
    visible = owned("journal.view", "course")
    courses = reads.school.courses(year["year_id"], visible)
    lessons = reads.timetable.day_lessons(
        year["year_id"], courses, today(), None if visible is None else current_user.id
    )
    teachers = {t for c in courses for t in c.teachers} | {x.substitute for x in lessons}
    classes = _my_classes(str(year["year_id"]), courses)
    pupils = {a.student_id for c in classes for a in c.day.absences} | {
        m.student_id for c in classes for m in c.day.marks
    }
    teachers |= {t for c in classes for x in c.lessons for t in (*x.course.teachers, x.substitute)}
    viewed(request.path, pupils)  # the class teacher's block names pupils (absent, marked)
    return render_template(
        "journal/index.html",
        year=year,
        courses=courses,
        lessons=lessons,
        classes=classes,
        today=today().isoformat(),
        may_hold=reaches("journal.enter"),
        term=reads.school.term_on(year["year_id"], today()),
        names=reads.people.names(teachers - {""}, short=True),
        pupil_names=reads.people.names(pupils, short=True),
        codes=services().policies.attendance.codes,
        problems=problems or {},
    ), status


@dataclass(frozen=True)
class MyClass:
    """A class the signed-in user leads, as their home page shows it today: the class's
    lessons by the timetable, who is absent, the marks entered (ADR 0031)."""

    group_id: str
    name: str
    lessons: list[DayLesson]
    day: ClassDay


def _my_classes(year_id: str, courses: list[CourseItem]) -> list[MyClass]:
    """The classes of ``year_id`` the signed-in class teacher leads, with their day."""
    if "class_teacher" not in current_user.roles:
        return []
    reads = services().reads
    led = reads.scope.owned(current_user.id, current_user.person_id, ["class_teacher"], "group")
    found = []
    for group in reads.school.groups(year_id, led):
        if group.get("kind") != "class":
            continue
        gid = str(group["group_id"])
        mine = [c for c in courses if c.group_id == gid] or [
            c for c in reads.school.courses(year_id) if c.group_id == gid
        ]
        found.append(
            MyClass(
                gid,
                str(group["name"]),
                reads.timetable.day_lessons(year_id, mine, today(), None),
                reads.reports.class_day(gid, today()),
            )
        )
    return found


@bp.get("/<uuid:course_journal_id>/<int:term>")
@permission("journal.view")
def grid(course_journal_id: UUID, term: int) -> ResponseReturnValue:
    """The grid of a course journal for a term: pupils × lessons, averages, term marks."""
    return _grid_page(course_journal_id, term)


def _grid_page(
    course_journal_id: UUID, term: int, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    reads = services().reads
    course = reads.school.course(str(course_journal_id))
    if course is None:
        abort(404)
    try:
        page = reads.journal.grid(str(course_journal_id), term)
    except LookupError:
        abort(404)
    cells = [c for marks in page.marks.values() for c in marks]
    people = set(page.pupils) | {c.changed_by for c in cells} | {c.approver for c in cells}
    names = reads.people.names(people - {""}, short=True)
    viewed(request.path, page.pupils)
    policies = services().policies
    may_enter = reaches("journal.enter", course_journal_id=course_journal_id)
    late = bool(current_user.roles & policies.journal.late_entry_roles)
    entry = (
        grid_table.Entry(
            (*policies.grading.scale(page.scale).values, *policies.grading.term_scale_extra),
            request.form,
            late,
            _("Четвертная отметка: %(name)s"),
            names,
            _("Годовая отметка: %(name)s"),
            # columns past the deadline opened by an approved late-entry request (ADR 0031)
            frozenset()
            if late
            else frozenset(
                reads.approvals.granted(
                    current_user.id, [x.lesson_id for x in page.lessons], today()
                )
            ),
        )
        if may_enter
        else None
    )
    finals = reads.journal.term_marks(str(course_journal_id), term)
    terms = reads.school.terms(course.year_id)
    # the year mark is set in the grid of the year's last term, after its term mark
    last = bool(terms) and term == max(t.number for t in terms)
    years = reads.journal.course_year_marks(str(course_journal_id)) if last else None
    days = reads.timetable.lesson_days(str(course_journal_id)) or []
    return render_template(
        "journal/grid.html",
        **grid_table.context(page, names, policies, today(), finals, entry, years),
        lesson_days=" ".join(d.isoformat() for d in days),
        next_lesson=str(next_lesson_day(days, today()) or ""),
        course=course,
        terms=terms,
        may_enter=may_enter,
        today=today(),
        form=request.form,
        problems=problems or {},
        form_key=secrets.token_hex(16),
    ), status


def _chosen_due(homework: str, due: date | None) -> date | None:
    """The due date a lesson form records: the date the form sent — the one the teacher saw,
    proposed (the next lesson by the timetable) or chosen — so a later change of the
    timetable does not move it (ADR 0033); None when the field was left empty (due at the
    next lesson, worked out when read) or when no homework is set (nothing is due)."""
    return due if homework.strip() else None


def _grid_again(course_journal_id: UUID, term: int) -> Again:
    return lambda problems, status: _grid_page(course_journal_id, term, problems, status)


@bp.post("/<uuid:course_journal_id>/lessons")
@permission("journal.enter")
def new_lesson(course_journal_id: UUID) -> ResponseReturnValue:
    """Enter a lesson (date, period, topic, homework), then open its form."""
    term = bounded_int(request.args.get("term"), 1)

    def command() -> Receipt:
        data = forms.parse(forms.LessonForm(), request.form)
        receipt: Receipt = services().journal.entry.hold_lesson(
            course_journal_id,
            data["day"],
            data["period"],
            data["topic"],
            data["homework"],
            actor(),
            homework_due=_chosen_due(data["homework"], data["homework_due"]),
        )
        return receipt

    return attempt(
        command,
        _grid_again(course_journal_id, term),
        None,
        lambda receipt: url_for("journal.lesson", lesson_id=receipt.id),
    )


@bp.post("/<uuid:course_journal_id>/<int:term>/term-marks")
@permission("journal.enter")
def term_marks(course_journal_id: UUID, term: int) -> ResponseReturnValue:
    """Set the term marks chosen in the grid's column «Четверть» and, in the year's last
    term, the year marks of the column «Год» (changed ones only), all in one transaction."""
    reads, journal = services().reads, services().journal
    if reads.school.course(str(course_journal_id)) is None:
        abort(404)
    current = reads.journal.term_marks(str(course_journal_id), term)
    years = reads.journal.course_year_marks(str(course_journal_id))
    changes: list[tuple[UUID, str, str]] = []

    def command() -> Receipt | None:
        form = forms.single(request.form)
        in_term = _changes(form, current, "final", "why")
        in_year = _changes(form, years, "year", "ywhy")
        changes.extend(in_term + in_year)
        if not changes:
            return None
        # all in one transaction: a refused mark leaves none written
        try:
            receipt: Receipt = journal.grades.set_final_marks(
                course_journal_id,
                term,
                in_term,
                in_year,
                actor(),
                _whys(form, "why"),
                _whys(form, "ywhy"),
            )
        except (errors.FinalMarkDiffers, errors.TermMarksMissing) as error:  # whose mark
            pupil = str(error.details.get("student_id", ""))
            name = reads.people.names([pupil], short=True).get(pupil, "") if pupil else ""
            raise forms.FormInvalid(
                {"_": f"{name}: {error.text}" if name else error.text}
            ) from None
        return receipt

    return attempt(
        command,
        _grid_again(course_journal_id, term),
        lambda: _("Итоговые отметки сохранены: %(count)s.", count=len(changes)),
        url_for("journal.grid", course_journal_id=course_journal_id, term=term),
    )


@bp.get("/<uuid:course_journal_id>/<int:term>/final/<uuid:student_id>")
@permission("journal.view")
def final_explained(course_journal_id: UUID, term: int, student_id: UUID) -> ResponseReturnValue:
    """Why a pupil's term mark (``term`` 1…) or year mark (``term`` 0) is what it is:
    the marks, weights, average, rounding rule and rules' version as of its setting
    (ADR 0024)."""
    if term:
        back = url_for("journal.grid", course_journal_id=course_journal_id, term=term)
    else:  # the year mark is set in the grid of the year's last term
        course = services().reads.school.course(str(course_journal_id))
        terms = services().reads.school.terms(course.year_id) if course else []
        back = (
            url_for(
                "journal.grid",
                course_journal_id=course_journal_id,
                term=max(t.number for t in terms),
            )
            if terms
            else url_for("journal.index")
        )
    return final_explained_page.page(course_journal_id, term, student_id, back)


def _whys(form: dict[str, str], field: str) -> dict[UUID, str]:
    """The reasons given for term (``field`` «why») or year («ywhy») marks other than
    their rounded averages, by pupil."""
    return {
        _uuid(key.removeprefix(f"{field}-")): value
        for key, value in form.items()
        if key.startswith(f"{field}-") and value.strip()
    }


def _changes(
    form: dict[str, str], current: dict[str, Any], field: str, why: str
) -> list[tuple[UUID, str, str]]:
    """(pupil, value, reason) for every term (``field`` «final») or year («year») mark
    that differs from the one standing; changing a mark already set needs the reason
    field."""
    changes = []
    for key, value in sorted(form.items()):
        if not key.startswith(f"{field}-") or not value:
            continue
        student = _uuid(key.removeprefix(f"{field}-"))
        if len(value) > 8:
            raise forms.FormInvalid({key: _("Неверное значение.")})
        before = current.get(str(student))
        if before is None:
            changes.append((student, value, ""))
        elif before.value != value:
            reason = form.get("reason", "") or form.get(f"{why}-{student}", "")
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


# --- the grid's columns (ADR 0018) ------------------------------------------------------
@bp.post("/lessons/<uuid:lesson_id>/column")
@permission("journal.enter")
def save_column(lesson_id: UUID) -> ResponseReturnValue:
    """Save one column of the grid — what the teacher typed into its cells — in one
    transaction, through the rules of the lesson form. Sent by ``static/grid.js``; the
    answer is JSON: ``{"message"}`` when saved (the page is then loaded again), else also
    ``{"problems": {pupil id: message}}`` with the status of the refusal; nothing is
    written then."""
    reads = services().reads
    try:
        sheet = reads.journal.lesson_sheet(str(lesson_id))
    except LookupError:
        abort(404)
    grading, codes = services().policies.grading, services().policies.attendance.codes
    try:
        scale = grading.scale(sheet.scale)
        kind = request.form.get("kind", grading.default_kind)
        cells = grid_table.parse_column(request.form, sheet.pupils, scale, grading, codes)
        receipt = services().journal.entry.save_column(
            lesson_id,
            cells,
            kind,
            request.form.get("reason", ""),
            actor(),
            _form_key(request.form),
        )
    except grid_table.CellsInvalid as error:
        return _column_refused(errors.ColumnRefused.message, error.problems, 422)
    except errors.ColumnRefused as error:
        return _column_refused(error.text, error.problems, 422)
    except errors.DomainError as error:
        return _column_refused(error.text, {}, status_of(error))
    saved(receipt)
    day = date.fromisoformat(sheet.lesson.day)
    flash(_("Столбец %(day)s сохранён.", day=f"{day:%d.%m}"), "ok")
    return jsonify({"message": _("Сохранено.")})


def _column_refused(message: str, problems: dict[str, str], status: int) -> ResponseReturnValue:
    return jsonify({"message": message, "problems": problems}), status


# --- the lesson form ---------------------------------------------------------------------
@bp.get("/lessons/<uuid:lesson_id>")
@permission("journal.view")
def lesson(lesson_id: UUID) -> ResponseReturnValue:
    """One lesson: topic, homework, and per pupil a new mark, its kind and attendance."""
    return _lesson_page(lesson_id)


@dataclass(frozen=True)
class EntryState:
    """What the signed-in user may do on a lesson's page today: ``open`` — enter marks,
    attendance, topic (the deadline has not passed, the user may enter late, or a late-entry
    request of theirs is approved through ``granted_until``); ``late`` — the deadline has
    passed for them, so the page is read-only and offers a late-entry request."""

    open: bool
    late: bool
    granted_until: str = ""
    pending: bool = False
    rejected: str = ""  # the reason of the latest rejection, when the last word was «no»


def entry_state(may_enter: bool, lesson_day: date, lesson_id: UUID) -> EntryState:
    """The entry state of a lesson for the signed-in user (the rules of the regulation,
    ``rules.deadline_passed``; the grants from the approvals view)."""
    policies = services().policies
    now = today()
    if not may_enter:
        return EntryState(open=False, late=False)
    if current_user.roles & policies.journal.late_entry_roles or not rules.deadline_passed(
        policies.journal, lesson_day, now
    ):
        return EntryState(open=True, late=False)
    mine = [
        r
        for r in services().reads.approvals.late_for_lesson(str(lesson_id))
        if r.requested_by == current_user.id
    ]
    until = max((r.until for r in mine if r.state == "approved"), default="")
    if until and date.fromisoformat(until) >= now:
        return EntryState(open=True, late=False, granted_until=until)
    last = mine[-1] if mine else None
    return EntryState(
        open=False,
        late=True,
        pending=last is not None and last.state == "pending",
        rejected=last.decision_reason if last is not None and last.state == "rejected" else "",
    )


def _own_correction_open(origin: tuple[str, str] | None) -> bool:
    """The signed-in user may correct this mark themself (an approver, or its author
    within the own correction window): otherwise the page offers only a request."""
    policies = services().policies
    if current_user.roles & policies.journal.approver_roles:
        return True
    if origin is None or origin[0] != current_user.id or not origin[1]:
        return False
    entered = clock.local_date(datetime.fromisoformat(origin[1]))
    return rules.own_correction_open(policies.journal, entered, today())


def _lesson_page(
    lesson_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    reads = services().reads
    try:
        sheet = reads.journal.lesson_sheet(str(lesson_id))
    except LookupError:
        abort(404)
    course = reads.school.course(sheet.course_journal_id)
    if course is None:  # a lesson's course journal is never removed
        abort(404)
    cells = [c for cs in sheet.marks.values() for c in cs]
    people = set(sheet.pupils) | {c.changed_by for c in cells} | {c.approver for c in cells}
    names = reads.people.names(people - {""}, short=True)
    viewed(request.path, sheet.pupils)
    may_enter = reaches("journal.enter", lesson_id=lesson_id)
    day = date.fromisoformat(sheet.lesson.day)
    state = entry_state(may_enter, day, lesson_id)
    next_lesson = reads.timetable.next_lesson(sheet.course_journal_id, day)
    return render_template(
        "journal/lesson.html",
        next_lesson=next_lesson.isoformat() if next_lesson else "",
        sheet=sheet,
        pupils=by_name(sheet.pupils, names),
        course=course,
        names=names,
        scale=services().policies.grading.scale(sheet.scale),
        kinds=services().policies.grading.kinds,
        default_kind=services().policies.grading.default_kind,
        codes=services().policies.attendance.codes,
        may_enter=may_enter,
        entry=state,
        deadline_days=services().policies.journal.entry_deadline_days,
        own_fix={m: _own_correction_open(o) for m, o in sheet.origins.items()},
        term=reads.school.term_on(course.year_id, date.fromisoformat(sheet.lesson.day)),
        form=request.form,
        # The form shown again after a rejection keeps its key (nothing of it was saved),
        # unless the key itself was the conflict.
        form_key=(_form_key(request.form) if status != 409 else "") or secrets.token_hex(16),
        problems=problems or {},
        labels=_labels(sheet, names, problems or {}),
    ), status


def _labels(sheet: Any, names: dict[str, str], problems: dict[str, str]) -> dict[str, str]:
    """The problems' keys in words: a pupil's fields and corrections by the pupil's name,
    never by an internal id (a field of a pupil not on the lesson's list says so)."""
    labels = {
        "topic": _("Тема урока"),
        "homework": _("Домашнее задание"),
        "homework_due": _("Сдать к"),
        "reason": _("Причина"),
        "late-entry": _("Запрос на внесение записей после срока"),
    }
    for pupil in sheet.pupils:
        name = names.get(pupil, "")
        labels[f"mark-{pupil}"] = _("Отметка: %(name)s", name=name)
        labels[f"kind-{pupil}"] = _("Вид работы: %(name)s", name=name)
        labels[f"att-{pupil}"] = _("Посещаемость: %(name)s", name=name)
        for cell in sheet.marks.get(pupil, ()):
            labels[f"fix-{cell.mark_id}"] = _("Исправление отметки: %(name)s", name=name)
    for key in set(problems) - set(labels):  # a mark since corrected; a stranger's field
        if key.startswith("fix-"):
            labels[key] = _("Исправление отметки")
        elif key.startswith(("mark-", "kind-", "att-")):
            labels[key] = _("Обучающийся не из списка урока")
        else:
            labels[key] = _("Поле формы")
    return labels


def _form_key(form: Any) -> str:
    """The lesson form's key (``[0-9a-f]{32}``, drawn when the page was rendered), or ``""``
    when absent or malformed (forms of older pages, API clients: new mark ids are drawn)."""
    key = str(form.get("form_key", ""))
    return key if FORM_KEY.fullmatch(key) else ""


@bp.post("/lessons/<uuid:lesson_id>")
@permission("journal.enter")
def save_lesson(lesson_id: UUID) -> ResponseReturnValue:
    """Save the whole lesson form in one transaction (all of it, or nothing). Attendance
    codes go to the command as chosen: the lesson records only those that change."""
    reads = services().reads
    try:
        sheet = reads.journal.lesson_sheet(str(lesson_id))
    except LookupError:
        abort(404)

    def command() -> Receipt:
        data = forms.parse(forms.lesson_page(sheet.pupils), request.form)
        attendance = {UUID(pupil): code for pupil, code in data["attendance"].items()}
        receipt: Receipt = services().journal.entry.save_lesson_page(
            lesson_id,
            data["topic"],
            data["homework"],
            _marks(lesson_id, _form_key(data), data["marks"]),
            attendance,
            actor(),
            homework_due=_chosen_due(data["homework"], data["homework_due"]),
        )
        return receipt

    return attempt(
        command,
        lambda problems, status: _lesson_page(lesson_id, problems, status),
        _("Урок сохранён."),
        url_for("journal.lesson", lesson_id=lesson_id),
    )


def _marks(lesson_id: UUID, submission: str, marks: list[tuple[str, str, str]]) -> list[MarkEntry]:
    """The form's new marks, of the policy's default kind when none was chosen. With the
    form's key each new mark's id is derived from it: the same form sent again (the answer
    to the first sending was lost) does not record its marks twice."""
    default_kind = services().policies.grading.default_kind
    return [
        MarkEntry(
            UUID(pupil),
            value,
            kind or default_kind,
            ids.submitted_mark_id(lesson_id, submission, UUID(pupil)) if submission else None,
        )
        for pupil, value, kind in marks
    ]


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
    said: list[str] = []

    def command() -> Receipt:
        data = forms.parse(forms.CorrectionForm(), request.form)
        value, kind, reason = data["value"], data["kind"], data["reason"]
        kind = kind or services().policies.grading.default_kind
        # With the form's key a resent form (the answer to the first was lost) names the
        # same correction or request, and is answered as the first was.
        key = _form_key(request.form)
        receipt: Receipt
        if request_only:
            request_id = ids.submitted_request_id(lesson_id, key, str(mark_id)) if key else None
            receipt = journal.entry.request_correction(
                lesson_id, mark_id, value, kind, reason, actor(), request_id
            )
            said.append(_("Запрос на исправление отправлен заместителю директора."))
        elif value:
            new_id = ids.submitted_correction_id(lesson_id, key, mark_id) if key else None
            receipt = journal.entry.correct_mark(
                lesson_id, mark_id, value, kind, reason, actor(), new_id
            )
            said.append(_("Отметка исправлена."))
        else:
            receipt = journal.entry.cancel_mark(lesson_id, mark_id, reason, actor(), bool(key))
            said.append(_("Отметка отменена."))
        return receipt

    def again(problems: dict[str, str], status: int) -> ResponseReturnValue:
        """The problem is shown beside the mark's correction form."""
        return _lesson_page(lesson_id, {f"fix-{mark_id}": v for v in problems.values()}, status)

    def late(error: errors.CorrectionNeedsApproval) -> ResponseReturnValue:
        """Past the window: the page offers a request instead."""
        problems = {f"fix-{mark_id}": error.text, "late": str(mark_id)}
        return _lesson_page(lesson_id, problems, status_of(error))

    return attempt(
        command,
        again,
        lambda: said[0],
        url_for("journal.lesson", lesson_id=lesson_id),
        refusals={errors.CorrectionNeedsApproval: late},
    )


# --- late entry --------------------------------------------------------------------------
@bp.post("/lessons/<uuid:lesson_id>/late-entry")
@permission("journal.enter")
def request_late_entry(lesson_id: UUID) -> ResponseReturnValue:
    """Ask the deputy head to allow entries for a lesson past the entry deadline."""

    def command() -> Receipt:
        data = forms.parse(forms.LateEntryForm(), request.form)
        key = _form_key(request.form)
        request_id = ids.submitted_request_id(lesson_id, key, "late-entry") if key else None
        receipt: Receipt = services().journal.entry.request_late_entry(
            lesson_id, data["reason"], actor(), request_id
        )
        return receipt

    def again(problems: dict[str, str], status: int) -> ResponseReturnValue:
        """The problem is shown beside the request's form (one message, the first)."""
        return _lesson_page(lesson_id, {"late-entry": next(iter(problems.values()))}, status)

    return attempt(
        command,
        again,
        _("Запрос на внесение записей после срока отправлен заместителю директора."),
        url_for("journal.lesson", lesson_id=lesson_id),
    )
