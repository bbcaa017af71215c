"""The timetable pages (ADR 0019): the deputy head (head, administrator) enters the bell
schedule, days off, the weekly pattern of each course journal (by hand or from a CSV file),
substitutions, and imports thematic plans (CSV or XLSX); a teacher holds a lesson of
«Уроки сегодня». Every page reads the timetable view; every form runs one command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from domain import clock, errors, ids
from domain.scheduling import FULL_WEEKDAYS
from domain.service import Receipt
from domain.timetable import MAX_PERIOD, WEEKDAYS, Bell
from web import forms, timetable_files
from web.access import permission
from web.admin import class_list
from web.journal import index_page
from web.pages import Again, actor, attempt, services, today

bp = Blueprint("timetable", __name__, url_prefix="/timetable")
PERMISSION = "timetable.manage"
BELL_ROWS = 10
LABELS = {
    "starts": _l("Начало"),
    "ends": _l("Конец"),
    "title": _l("Название"),
    "since": _l("Действует с"),
    "file": _l("Файл"),
    "course": _l("Журнал"),
    "day": _l("Дата"),
    "period": _l("Урок"),
    "teacher": _l("Учитель"),
    "reason": _l("Причина"),
    "bells": _l("Расписание звонков"),
}


class DaysOffForm(forms.FormSchema):
    starts = forms.day()
    ends = forms.day()
    title = forms.text(max_length=100)


class SinceForm(forms.FormSchema):
    since = forms.day()


class SubstitutionForm(forms.FormSchema):
    course = forms.text(max_length=40)
    day = forms.day()
    period = forms.number(0, MAX_PERIOD)
    teacher = forms.text(max_length=40)
    reason = forms.text(max_length=200, required=False)


class SlotForm(forms.FormSchema):
    course = forms.text(max_length=40)
    day = forms.day()
    period = forms.number(0, MAX_PERIOD)


def _uuid(text: str, field: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise forms.FormInvalid({field: _("Выберите значение из списка.")}) from None


def _year() -> dict[str, Any]:
    year = services().reads.school.current_year(today())
    if year is None:
        abort(404)
    return year


def _render(
    template: str,
    problems: dict[str, str] | None = None,
    status: int = 200,
    lines: list[tuple[int, str]] | None = None,
    **context: Any,
) -> ResponseReturnValue:
    return render_template(
        template,
        form=request.form,
        problems=problems or {},
        labels=LABELS,
        lines=lines or [],
        weekdays=WEEKDAYS,
        full_weekdays=FULL_WEEKDAYS,
        **context,
    ), status


# --- the school's timetable --------------------------------------------------------------
@bp.get("/")
@permission(PERMISSION)
def index() -> ResponseReturnValue:
    """Bells, days off, the weekly patterns, substitutions and the CSV import."""
    return _index_page()


def _index_page(
    problems: dict[str, str] | None = None,
    status: int = 200,
    lines: list[tuple[int, str]] | None = None,
) -> ResponseReturnValue:
    reads = services().reads
    year = _year()
    year_id = str(year["year_id"])
    courses = reads.school.courses(year_id)
    subs = reads.timetable.substitutions(year_id, today())
    teachers = sorted(
        (a for a in reads.accounts.accounts(clock.now()) if "teacher" in a.roles and not a.service),
        key=lambda a: a.name,
    )
    return _render(
        "timetable/index.html",
        problems,
        status,
        lines,
        year=year,
        bells=reads.timetable.bells(year_id),
        bell_rows=range(1, BELL_ROWS + 1),
        days_off=reads.timetable.days_off(year_id),
        courses=courses,
        patterns={c.course_journal_id: _pattern_words(c.course_journal_id) for c in courses},
        substitutions=subs,
        course_options=[(c.course_journal_id, f"{c.group_name} — {c.subject}") for c in courses],
        teacher_options=[(a.account_id, a.name) for a in teachers],
        names={a.account_id: a.name for a in teachers},
        today=today().isoformat(),
    )


def _pattern_words(course_journal_id: str) -> str:
    """«пн 1, ср 3» for the pattern in force today (or the next one set)."""
    found = services().reads.timetable.patterns(course_journal_id)
    now = today()
    current = [p for p in found if p[0] <= now] or found
    if not current:
        return ""
    return ", ".join(f"{WEEKDAYS[w]} {p}" for w, p in sorted(current[-1][1]))


def _again() -> Again:
    return _index_page


@bp.post("/bells")
@permission(PERMISSION)
def bells() -> ResponseReturnValue:
    """Replace the bell schedule with the rows filled in."""
    year_id = UUID(str(_year()["year_id"]))

    def command() -> Receipt:
        found = []
        for n in range(0, BELL_ROWS + 1):
            starts = request.form.get(f"starts-{n}", "").strip()
            ends = request.form.get(f"ends-{n}", "").strip()
            if starts or ends:
                found.append(Bell(n, starts, ends))
        receipt: Receipt = services().journal.timetable.set_bells(year_id, found, actor())
        return receipt

    return attempt(
        command, _again(), _("Расписание звонков сохранено."), url_for("timetable.index")
    )


@bp.post("/days-off")
@permission(PERMISSION)
def days_off() -> ResponseReturnValue:
    """Declare days off (holidays) of the year."""
    year_id = UUID(str(_year()["year_id"]))

    def command() -> Receipt:
        data = forms.parse(DaysOffForm(), request.form)
        receipt: Receipt = services().journal.timetable.declare_days_off(
            year_id, data["starts"], data["ends"], data["title"], actor()
        )
        return receipt

    return attempt(command, _again(), _("Выходные дни добавлены."), url_for("timetable.index"))


@bp.post("/days-off/withdraw")
@permission(PERMISSION)
def withdraw_days_off() -> ResponseReturnValue:
    """Withdraw days off: lessons are scheduled on them again."""
    year_id = UUID(str(_year()["year_id"]))

    def command() -> Receipt:
        data = forms.parse(forms.FormSchema.from_dict({"starts": forms.day()})(), request.form)
        receipt: Receipt = services().journal.timetable.withdraw_days_off(
            year_id, data["starts"], actor()
        )
        return receipt

    return attempt(command, _again(), _("Выходные дни отменены."), url_for("timetable.index"))


@bp.post("/import")
@permission(PERMISSION)
def import_timetable() -> ResponseReturnValue:
    """Import the weekly timetable from CSV: every line good, or nothing saved."""
    year = _year()
    year_id = str(year["year_id"])
    imported: list[int] = []

    def command() -> Receipt:
        since = forms.parse(SinceForm(), request.form)["since"]
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise forms.FormInvalid({"file": _("Выберите файл CSV.")})
        reads = services().reads
        groups = {str(g["name"]): str(g["group_id"]) for g in reads.school.groups(year_id)}
        courses = {
            (c.group_id, c.subject): c.course_journal_id for c in reads.school.courses(year_id)
        }
        rows = timetable_files.read_timetable(upload.read(), groups, courses)
        imported.append(len(rows))
        receipt: Receipt = services().journal.timetable.import_timetable(
            UUID(year_id), rows, since, actor()
        )
        return receipt

    return attempt(
        command,
        _again(),
        lambda: _("Расписание импортировано: уроков в неделю — %(count)s.", count=imported[0]),
        url_for("timetable.index"),
        refusals=_file_refusals(lambda problems, lines: _index_page(problems, 422, lines)),
    )


FileAgain = Callable[[dict[str, str], list[tuple[int, str]]], ResponseReturnValue]


def _file_refusals(again: FileAgain) -> dict[type[Exception], Any]:
    """A file with bad lines: the page again with every line's problem, nothing saved."""

    def unreadable(error: timetable_files.FileInvalid) -> ResponseReturnValue:
        return again(_summary(error.problems), error.problems)

    def rejected(error: errors.RowsRejected) -> ResponseReturnValue:
        return again({"_": error.text}, list(error.problems))

    return {timetable_files.FileInvalid: unreadable, errors.RowsRejected: rejected}


def _summary(problems: list[tuple[int, str]]) -> dict[str, str]:
    lines = ", ".join(map(str, sorted({line for line, _message in problems if line})))
    if lines:
        return {
            "_": _(
                "Файл не импортирован: ошибки в строках %(lines)s. Ничего не сохранено.",
                lines=lines,
            )
        }
    return {"_": _("Файл не импортирован. Ничего не сохранено.")}


@bp.post("/substitutions")
@permission(PERMISSION)
def substitute() -> ResponseReturnValue:
    """Assign a substitute to one lesson («замена»)."""

    def command() -> Receipt:
        data = forms.parse(SubstitutionForm(), request.form)
        receipt: Receipt = services().journal.timetable.assign_substitute(
            _uuid(data["course"], "course"),
            data["day"],
            data["period"],
            _uuid(data["teacher"], "teacher"),
            data["reason"],
            actor(),
        )
        return receipt

    return attempt(command, _again(), _("Замена назначена."), url_for("timetable.index"))


@bp.post("/substitutions/cancel")
@permission(PERMISSION)
def cancel_substitution() -> ResponseReturnValue:
    """Cancel a substitution: the course's own teacher holds the lesson."""

    def command() -> Receipt:
        data = forms.parse(SlotForm(), request.form)
        receipt: Receipt = services().journal.timetable.cancel_substitution(
            _uuid(data["course"], "course"), data["day"], data["period"], actor()
        )
        return receipt

    return attempt(command, _again(), _("Замена отменена."), url_for("timetable.index"))


# --- one course journal: its weekly pattern and thematic plan ------------------------------
def _course(course_journal_id: UUID) -> Any:
    course = services().reads.school.course(str(course_journal_id))
    if course is None:
        abort(404)
    return course


@bp.get("/<uuid:course_journal_id>")
@permission(PERMISSION)
def course(course_journal_id: UUID) -> ResponseReturnValue:
    """A course journal's weekly pattern and thematic plan."""
    return _course_page(course_journal_id)


def _course_page(
    course_journal_id: UUID,
    problems: dict[str, str] | None = None,
    status: int = 200,
    lines: list[tuple[int, str]] | None = None,
) -> ResponseReturnValue:
    reads = services().reads
    item = _course(course_journal_id)
    found = reads.timetable.patterns(str(course_journal_id))
    now = today()
    current = ([p for p in found if p[0] <= now] or found or [(now, frozenset())])[-1]
    return _render(
        "timetable/course.html",
        problems,
        status,
        lines,
        course=item,
        bells=reads.timetable.bells(item.year_id),
        slots=current[1],
        since=max(now, current[0]).isoformat(),
        patterns=found,
        plan=reads.timetable.plan(str(course_journal_id)),
    )


@bp.post("/<uuid:course_journal_id>/pattern")
@permission(PERMISSION)
def pattern(course_journal_id: UUID) -> ResponseReturnValue:
    """Set the weekly pattern from a date on (the ticked weekday × period boxes)."""
    _course(course_journal_id)

    def command() -> Receipt:
        since = forms.parse(SinceForm(), request.form)["since"]
        slots = []
        for key in request.form:
            weekday, _sep, period = key.removeprefix("slot-").partition("-")
            if key.startswith("slot-") and weekday.isdigit() and period.isdigit():
                slots.append((int(weekday), int(period)))
        receipt: Receipt = services().journal.timetable.set_pattern(
            course_journal_id, since, slots, actor()
        )
        return receipt

    return attempt(
        command,
        lambda problems, status: _course_page(course_journal_id, problems, status),
        _("Недельное расписание сохранено."),
        url_for("timetable.course", course_journal_id=course_journal_id),
    )


@bp.post("/<uuid:course_journal_id>/plan")
@permission(PERMISSION)
def plan(course_journal_id: UUID) -> ResponseReturnValue:
    """Import the thematic plan (CSV or XLSX): every line good, or nothing saved."""
    _course(course_journal_id)
    imported: list[int] = []

    def command() -> Receipt:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise forms.FormInvalid({"file": _("Выберите файл CSV или XLSX.")})
        rows = timetable_files.read_plan(upload.read(class_list.MAX_BYTES + 1))
        imported.append(len(rows))
        receipt: Receipt = services().journal.timetable.import_plan(
            course_journal_id, rows, actor()
        )
        return receipt

    return attempt(
        command,
        lambda problems, status: _course_page(course_journal_id, problems, status),
        lambda: _("Тематический план импортирован: тем — %(count)s.", count=imported[0]),
        url_for("timetable.course", course_journal_id=course_journal_id),
        refusals=_file_refusals(
            lambda problems, lines: _course_page(course_journal_id, problems, 422, lines)
        ),
    )


# --- the teacher: hold a lesson of «Уроки сегодня» ---------------------------------------
@bp.post("/<uuid:course_journal_id>/hold")
@permission("journal.enter")
def hold(course_journal_id: UUID) -> ResponseReturnValue:
    """The course's teacher holds a lesson the timetable schedules (its topic and homework
    from the plan), then opens its form."""
    _course(course_journal_id)
    return _hold(course_journal_id, None)


@bp.post("/substitutions/<uuid:lesson_id>/hold")
@permission("journal.enter")
def hold_substituted(lesson_id: UUID) -> ResponseReturnValue:
    """The substitute holds the one lesson they were given («замена»)."""
    reads = services().reads
    if not (
        reads.timetable.substitute_of(str(lesson_id))
        or reads.scope.exists("lesson", str(lesson_id))
    ):
        abort(404)
    return _hold(None, lesson_id)


def _hold(course_journal_id: UUID | None, lesson_id: UUID | None) -> ResponseReturnValue:
    """Hold the lesson the form names (course, day, period) — of the course in the URL, or
    the lesson in it; the domain decides who may (the course's teacher, the substitute)."""

    def slot() -> tuple[UUID, date, int]:
        data = forms.parse(SlotForm(), request.form)
        course = _uuid(data["course"], "course")
        named = ids.lesson_id(course, data["day"], data["period"])
        if course != (course_journal_id or course) or named != (lesson_id or named):
            raise forms.FormInvalid({"_": _("Урок не из этого журнала.")})
        return course, data["day"], data["period"]

    def command() -> Receipt:
        receipt: Receipt = services().journal.timetable.hold_scheduled(*slot(), actor())
        return receipt

    def held(_error: errors.AlreadyExists) -> ResponseReturnValue:
        """Sent twice (or held meanwhile): the lesson's form, as the first answer."""
        return redirect(url_for("journal.lesson", lesson_id=ids.lesson_id(*slot())))

    return attempt(
        command,
        index_page,
        None,
        lambda receipt: url_for("journal.lesson", lesson_id=receipt.id),
        refusals={errors.AlreadyExists: held},
    )
