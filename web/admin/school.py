"""The school's structure: school years and their terms, classes and extracurricular groups,
class teachers, course journals and their teachers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow.fields import Field

from domain.service import Receipt
from projections.queries import listing, people
from web import forms
from web.access import permission
from web.admin import forms as admin_forms
from web.admin.base import bp, found, is_uuid, page
from web.pages import Again, actor, attempt, services, today, viewed


@bp.get("/")
@permission("admin.accounts")
def index() -> ResponseReturnValue:
    """The administrator's start page: the current year and where to go."""
    reads = services().reads
    year = reads.school.current_year(today())
    return page("admin/index.html", year=year, years=reads.school.years())


# --- the school's profile --------------------------------------------------------------------
@bp.get("/profile")
@permission("admin.school")
def profile() -> ResponseReturnValue:
    """The school's details printed on the archive's volumes and on acts."""
    return _profile_page()


def _profile_page(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    current = services().reads.school.profile(current_app.config["EJOURNAL_SCHOOL"])
    return page("admin/profile.html", problems, status, profile=current.to_dict())


@bp.post("/profile")
@permission("admin.school")
def set_profile() -> ResponseReturnValue:
    """Record the school's details."""

    def command() -> Receipt:
        data = forms.parse(admin_forms.ProfileForm(), request.form)
        receipt: Receipt = services().journal.profile.set_profile(
            current_app.config["EJOURNAL_SCHOOL"], data, actor()
        )
        return receipt

    return attempt(
        command, _profile_page, _("Сведения о школе сохранены."), url_for("admin.profile")
    )


# --- school years and terms ----------------------------------------------------------------
@bp.get("/years")
@permission("admin.school")
def years() -> ResponseReturnValue:
    """Every school year, and the form to open a new one."""
    return _years_page()


def _years_page(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    return page("admin/years.html", problems, status, years=services().reads.school.years())


@bp.post("/years")
@permission("admin.school")
def open_year() -> ResponseReturnValue:
    """Open a school year."""

    def command() -> Receipt:
        data = forms.parse(admin_forms.YearForm(), request.form)
        receipt: Receipt = services().journal.school.open_school_year(
            current_app.config["EJOURNAL_SCHOOL"],
            data["year"],
            data["starts"],
            data["ends"],
            actor(),
        )
        return receipt

    return attempt(
        command,
        _years_page,
        _("Учебный год открыт. Задайте его учебные периоды."),
        lambda receipt: url_for("admin.year", year_id=receipt.id),
    )


@bp.get("/years/<uuid:year_id>")
@permission("admin.school")
def year(year_id: UUID) -> ResponseReturnValue:
    """A school year: its terms, classes and groups, with the forms to add them."""
    return _year_page(year_id)


def _year_page(
    year_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    reads = services().reads
    row = found(reads.school.year(str(year_id)))
    groups = reads.school.groups(str(year_id))
    teachers = {str(g["class_teacher_id"]) for g in groups if g["class_teacher_id"]}
    return page(
        "admin/year.html",
        problems,
        status,
        year=row,
        terms=reads.school.terms(str(year_id)),
        groups=groups,
        counts=reads.school.member_counts([g["group_id"] for g in groups], _day(row)),
        names=reads.people.names(teachers, short=True),
    )


def _day(year_row: dict[str, Any]) -> str:
    """Today, or the first day of a year that has not begun yet."""
    return max(today().isoformat(), str(year_row["starts"]))


def _year_again(year_id: UUID) -> Again:
    return lambda problems, status: _year_page(year_id, problems, status)


@bp.post("/years/<uuid:year_id>/terms")
@permission("admin.school")
def define_term(year_id: UUID) -> ResponseReturnValue:
    """Define (or, while it is open, redefine) a term of the year."""
    found(services().reads.school.year(str(year_id)))

    def command() -> Receipt:
        data = forms.parse(admin_forms.TermForm(), request.form)
        receipt: Receipt = services().journal.school.define_term(
            year_id, data["number"], data["title"], data["starts"], data["ends"], actor()
        )
        return receipt

    to = url_for("admin.year", year_id=year_id)
    return attempt(command, _year_again(year_id), _("Учебный период сохранён."), to)


@bp.post("/years/<uuid:year_id>/classes")
@permission("admin.school")
def form_class(year_id: UUID) -> ResponseReturnValue:
    """Form a class in the year."""
    found(services().reads.school.year(str(year_id)))

    def command() -> Receipt:
        data = forms.parse(admin_forms.ClassForm(), request.form)
        receipt: Receipt = services().journal.classes.form_class(
            year_id, data["name"], data["grade"], actor()
        )
        return receipt

    return attempt(
        command,
        _year_again(year_id),
        _("Класс сформирован."),
        lambda receipt: url_for("admin.group", group_id=receipt.id),
    )


@bp.post("/years/<uuid:year_id>/groups")
@permission("admin.school")
def form_group(year_id: UUID) -> ResponseReturnValue:
    """Form an extracurricular group in the year."""
    found(services().reads.school.year(str(year_id)))

    def command() -> Receipt:
        data = forms.parse(admin_forms.ActivityForm(), request.form)
        receipt: Receipt = services().journal.classes.form_activity_group(
            year_id, data["code"], data["title"], actor()
        )
        return receipt

    return attempt(
        command,
        _year_again(year_id),
        _("Группа внеурочной деятельности сформирована."),
        lambda receipt: url_for("admin.group", group_id=receipt.id),
    )


# --- a class or group --------------------------------------------------------------------
@bp.get("/groups/<uuid:group_id>")
@permission("admin.school")
def group(group_id: UUID) -> ResponseReturnValue:
    """A class or group: its pupils (with dates), class teacher, course journals."""
    return group_page(group_id)


def group_page(
    group_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    """The page of a class or group, with a refused form's problems when given."""
    reads = services().reads
    row = found(reads.school.group(str(group_id)))
    year_row = reads.school.year(str(row["year_id"]))
    periods = reads.people.periods(group_id=str(group_id))
    pupils = {p.person_id: p for p in reads.people.persons(_ids(periods))}
    stays = sorted(periods, key=lambda p: (pupils[p.student_id].name.casefold(), p.since))
    courses = [c for c in reads.school.courses(str(row["year_id"])) if c.group_id == str(group_id)]
    staff = reads.accounts.with_role({"teacher", "class_teacher"})
    names = reads.people.names({*staff, *(t for c in courses for t in c.teachers)}, short=True)
    source = request.args.get("from", "")
    candidates = _candidates(row, source)
    viewed(request.path, [*pupils, *(p.person_id for p in candidates)])
    classes = reads.school.groups(str(row["year_id"]))
    return page(
        "admin/group.html",
        problems,
        status,
        group=row,
        year=year_row,
        current=[(p, pupils[p.student_id]) for p in stays if p.until is None],
        former=[(p, pupils[p.student_id]) for p in stays if p.until is not None],
        courses=courses,
        staff=sorted(((s, names[s]) for s in staff), key=lambda s: s[1]),
        names=names,
        scales=[(code, s.title) for code, s in services().policies.grading.scales.items()],
        default_scale=services().policies.grading.default_scale,
        candidates=[(c.person_id, f"{c.name}, {_ru(c.birth_date)}") for c in candidates],
        classes=[(g["group_id"], g["name"]) for g in classes if g["kind"] == "class"],
        source=source,
        day=_day(year_row) if year_row else today().isoformat(),
    )


def _ru(iso: str) -> str:
    """ГГГГ-ММ-ДД → ДД.ММ.ГГГГ."""
    return ".".join(reversed(iso.split("-"))) if iso else ""


def _ids(periods: list[people.Period]) -> list[str]:
    return sorted({p.student_id for p in periods})


def _candidates(row: dict[str, Any], source: str) -> list[people.PersonItem]:
    """Who may join: pupils without a class (for a class); the pupils of the class chosen
    in ``?from=`` (for an extracurricular group)."""
    reads = services().reads
    if row["kind"] == "class":
        ids = reads.people.without_class()
    else:
        source_row = reads.school.group(source) if is_uuid(source) else None
        if source_row is None:
            return []
        ids = _ids([p for p in reads.people.periods(group_id=source) if p.until is None])
    return reads.people.persons(ids)


def group_again(group_id: UUID) -> Again:
    """Render the group page again with a refused form's problems."""
    return lambda problems, status: group_page(group_id, problems, status)


@bp.post("/groups/<uuid:group_id>/teacher")
@permission("admin.school")
def class_teacher(group_id: UUID) -> ResponseReturnValue:
    """Assign the class teacher of a class."""
    reads = services().reads
    row = found(reads.school.group(str(group_id)))
    if row["kind"] != "class":
        found(None)

    def command() -> Receipt:
        staff = reads.accounts.with_role({"teacher", "class_teacher"})
        schema = forms.FormSchema.from_dict({"teacher_id": forms.choice(staff)})()
        data = forms.parse(schema, request.form)
        receipt: Receipt = services().journal.classes.assign_class_teacher(
            group_id, UUID(data["teacher_id"]), actor()
        )
        return receipt

    to = url_for("admin.group", group_id=group_id)
    return attempt(command, group_again(group_id), _("Классный руководитель назначен."), to)


@bp.post("/groups/<uuid:group_id>/courses")
@permission("admin.school")
def open_course(group_id: UUID) -> ResponseReturnValue:
    """Open a course journal (a subject with its grading scale) for a class or group."""
    reads = services().reads
    found(reads.school.group(str(group_id)))

    def command() -> Receipt:
        fields: dict[str, Field[Any]] = {
            "subject": forms.text(max_length=100),
            "scale": forms.choice(list(services().policies.grading.scales)),
        }
        data = forms.parse(forms.FormSchema.from_dict(fields)(), request.form)
        receipt: Receipt = services().journal.classes.open_course_journal(
            group_id, data["subject"], data["scale"], actor()
        )
        return receipt

    to = url_for("admin.group", group_id=group_id)
    return attempt(command, group_again(group_id), _("Журнал предмета открыт."), to)


@bp.post("/courses/<uuid:course_journal_id>/teachers")
@permission("admin.school")
def assign_teacher(course_journal_id: UUID) -> ResponseReturnValue:
    """Let a teacher keep a course journal."""
    reads = services().reads
    return _course_teacher(
        course_journal_id,
        lambda _course: reads.accounts.with_role({"teacher"}),
        services().journal.classes.assign_teacher,
        _("Учитель назначен."),
    )


@bp.post("/courses/<uuid:course_journal_id>/teachers/unassign")
@permission("admin.school")
def unassign_teacher(course_journal_id: UUID) -> ResponseReturnValue:
    """Stop a teacher keeping a course journal (one of those assigned to it)."""
    return _course_teacher(
        course_journal_id,
        lambda course: list(course.teachers),
        services().journal.classes.unassign_teacher,
        _("Учитель снят с журнала."),
    )


def _course_teacher(
    course_journal_id: UUID,
    choices: Callable[[listing.CourseItem], list[str]],
    command: Callable[[UUID, UUID, UUID], Receipt],
    done: str,
) -> ResponseReturnValue:
    """Run ``command(course journal, teacher, actor)`` for the teacher chosen among
    ``choices(course)``; then back to the page of the course's class or group."""
    course = found(services().reads.school.course(str(course_journal_id)))
    group_id = UUID(course.group_id)

    def run() -> Receipt:
        schema = forms.FormSchema.from_dict({"teacher_id": forms.choice(choices(course))})()
        data = forms.parse(schema, request.form)
        return command(course_journal_id, UUID(data["teacher_id"]), actor())

    return attempt(run, group_again(group_id), done, url_for("admin.group", group_id=group_id))
