"""Classes one may open, a class's journal across subjects for a term, and the attendance
and filling-completeness reports of a class with their XLSX exports."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from babel.numbers import format_decimal
from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from domain.grades import DECISIONS
from web import forms
from web.access import owned, permission, reaches
from web.classes import bp, exports, xlsx
from web.classes.forms import CompletenessForm, PeriodForm
from web.pages import by_name, services, today, viewed


@bp.context_processor
def formatting() -> dict[str, Any]:
    """«ДД.ММ.ГГГГ» for the views' ISO dates in this area's templates."""
    return {"dmy": exports.dmy}


@bp.get("/")
@permission("classes.view")
def index() -> ResponseReturnValue:
    """The classes and groups of the current year the user may open."""
    reads = services().reads
    year = reads.school.current_year(today())
    if year is None:
        return render_template("classes/index.html", year=None, groups=[])
    groups = reads.school.groups(year["year_id"], owned("classes.view", "group"))
    tutors = {str(g["class_teacher_id"]) for g in groups if g["class_teacher_id"]}
    may_approve = reaches("corrections.approve")
    return render_template(
        "classes/index.html",
        year=year,
        groups=groups,
        term=reads.school.term_on(year["year_id"], today()),
        names=reads.people.names(tutors, short=True),
        pending=len(reads.approvals.pending()) if may_approve else None,
    )


def _group(group_id: UUID) -> dict[str, Any]:
    """The class or group, or 404."""
    found = services().reads.school.group(str(group_id))
    if found is None:
        abort(404)
    return found


@bp.get("/<uuid:group_id>/journal")
@permission("classes.view")
def journal_now(group_id: UUID) -> ResponseReturnValue:
    """The class journal of the current term."""
    year_id = str(_group(group_id)["year_id"])
    term = services().reads.school.term_on(year_id, today())
    return redirect(url_for("classes.journal", group_id=group_id, term=term))


@bp.get("/<uuid:group_id>/journal/<int:term>")
@permission("classes.view")
def journal(group_id: UUID, term: int) -> ResponseReturnValue:
    """The class journal for a term: every subject's grid, corrected marks marked."""
    reads = services().reads
    group = _group(group_id)
    terms = reads.school.terms(str(group["year_id"]))
    if term not in {t.number for t in terms}:
        abort(404)
    page = reads.reports.class_journal(str(group_id), term)
    pupils = {p for g in page.grids for p in g.pupils}
    cells = [c for g in page.grids for marks in g.marks.values() for c in marks]
    staff = {c.changed_by for c in cells} | {c.approver for c in cells}
    viewed(request.path, pupils)
    names = reads.people.names((pupils | staff) - {""}, short=True)
    return render_template(
        "classes/journal.html",
        group=group,
        page=page,
        terms=terms,
        names=names,
        rows={g.course_journal_id: by_name(g.pupils, names) for g in page.grids},
        linked={
            g.course_journal_id
            for g in page.grids
            if reaches("journal.view", course_journal_id=g.course_journal_id)
        },
    )


@bp.get("/<uuid:group_id>/summary")
@permission("classes.view")
def summary(group_id: UUID) -> ResponseReturnValue:
    """The class's summary sheet («сводная ведомость»): per pupil and subject the term
    marks and the year mark (exam and final marks in the grades with exams), corrected ones
    marked, the year mark linked to its explanation; the subjects' success and quality."""
    reads = services().reads
    group = _group(group_id)
    if group["kind"] != "class":
        abort(404)
    sheet = reads.reports.summary_sheet(str(group_id))
    viewed(request.path, sheet.pupils)
    names = reads.people.names(sheet.pupils, short=True)
    return render_template(
        "classes/summary.html",
        group=group,
        sheet=sheet,
        pupils=by_name(list(sheet.pupils), names),
        names=names,
        terms={t.number: t.title for t in reads.school.terms(str(group["year_id"]))},
        decisions=DECISIONS,
        percent=_percent,
        linked={
            s.course_journal_id
            for s in sheet.subjects
            if reaches("journal.view", course_journal_id=s.course_journal_id)
        },
    )


def _percent(value: float | None) -> str:
    """A share in the reader's language, one place («92,5»); «—» when there is none."""
    return "—" if value is None else format_decimal(value, "0.0", locale=str(get_locale()))


# --- reports -------------------------------------------------------------------------------
def _period(group: dict[str, Any], schema: PeriodForm) -> tuple[MultiDict[str, str], Any]:
    """The submitted period (the current term up to today by default), loaded through
    ``schema``: (the values to show in the form, the loaded data or the ``FormInvalid``)."""
    reads = services().reads
    year_id = str(group["year_id"])
    number = reads.school.term_on(year_id, today())
    term = next((t for t in reads.school.terms(year_id) if t.number == number), None)
    values = request.args.copy()
    first, last = (term.starts, term.ends) if term else (today().isoformat(),) * 2
    values.setdefault("first", first)
    values.setdefault("last", min(last, max(first, today().isoformat())))
    try:
        return values, forms.parse(schema, values)
    except forms.FormInvalid as error:
        return values, error


def _report(template: str, group: dict[str, Any], **context: Any) -> ResponseReturnValue:
    """Render a report page; 422 with the messages when the period form was bad."""
    failed = context.get("data")
    problems = failed.errors if isinstance(failed, forms.FormInvalid) else {}
    return render_template(
        template,
        group=group,
        problems=problems,
        labels={"first": _("С"), "last": _("По"), "days": _("Учебных дней")},
        **context,
    ), (422 if problems else 200)


@bp.get("/<uuid:group_id>/attendance")
@permission("classes.view")
def attendance(group_id: UUID) -> ResponseReturnValue:
    """The attendance of a class's pupils over a period (the current term by default)."""
    return _attendance(group_id, download=False)


@bp.get("/<uuid:group_id>/attendance.xlsx")
@permission("classes.view")
def attendance_xlsx(group_id: UUID) -> ResponseReturnValue:
    """The attendance report as an XLSX file."""
    return _attendance(group_id, download=True)


def _attendance(group_id: UUID, *, download: bool) -> ResponseReturnValue:
    reads = services().reads
    group = _group(group_id)
    form, data = _period(group, PeriodForm())
    codes = list(services().policies.attendance.codes)
    if isinstance(data, forms.FormInvalid):
        return _report("classes/attendance.html", group, form=form, data=data, codes=codes)
    report = reads.reports.attendance(str(group_id), data["first"], data["last"])
    pupils = [p.student_id or "" for p in report.pupils]
    names = reads.people.names(pupils)
    viewed(request.path, pupils)
    order = {p: n for n, p in enumerate(by_name(pupils, names))}
    lines = sorted(report.pupils, key=lambda line: order[line.student_id or ""])
    if download:
        sheets = exports.attendance_sheet(report, lines, names, codes)
        name = f"посещаемость-{group['name']}-{report.first}-{report.last}.xlsx"
        return xlsx.download(xlsx.workbook(sheets), name)
    return _report(
        "classes/attendance.html",
        group,
        form=form,
        data=data,
        codes=codes,
        titles={c: v.title for c, v in services().policies.attendance.codes.items()},
        report=report,
        lines=lines,
        names=names,
    )


@bp.get("/<uuid:group_id>/completeness")
@permission("classes.view")
def completeness(group_id: UUID) -> ResponseReturnValue:
    """The filling-completeness report of a class's journals over a period."""
    return _completeness(group_id, download=False)


@bp.get("/<uuid:group_id>/completeness.xlsx")
@permission("classes.view")
def completeness_xlsx(group_id: UUID) -> ResponseReturnValue:
    """The filling-completeness report as an XLSX file."""
    return _completeness(group_id, download=True)


def _completeness(group_id: UUID, *, download: bool) -> ResponseReturnValue:
    reads = services().reads
    group = _group(group_id)
    form, data = _period(group, CompletenessForm())
    if isinstance(data, forms.FormInvalid):
        return _report("classes/completeness.html", group, form=form, data=data)
    report = reads.reports.completeness(
        day=today(),
        group_id=str(group_id),
        first=data["first"],
        last=data["last"],
        recent_days=data["days"],
    )
    pupils, staff = exports.people_of(report)
    names = reads.people.names(pupils | staff, short=not download)
    viewed(request.path, pupils)
    if download:
        sheets = exports.completeness_sheets(report, names, str(group["name"]))
        name = f"заполнение-{group['name']}-{report.first}-{report.last}.xlsx"
        return xlsx.download(xlsx.workbook(sheets), name)
    return _report(
        "classes/completeness.html",
        group,
        form=form,
        data=data,
        report=report,
        names=names,
        deadline=services().policies.journal.entry_deadline_days,
        may_open={
            c
            for c in {t.course_journal_id for t in report.missing_topics}
            if reaches("journal.view", course_journal_id=c)
        },
    )
