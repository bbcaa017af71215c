"""The CSV import of a class list: the page with the format and a template to download, and
the upload — every bad row reported by its line, and nothing imported unless every row is
good (one application command saves the whole list in one transaction)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from flask import Response, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain import errors
from domain.service import Receipt
from web import forms
from web.access import permission
from web.admin import class_list
from web.admin.base import bp, found, page
from web.pages import actor, attempt, services, today


@bp.get("/class-list-template.csv")
@permission("admin.school")
def class_list_template() -> ResponseReturnValue:
    """The class list template: the header line (UTF-8 with BOM, «;» between columns)."""
    return Response(
        class_list.template(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=class-list-template.csv"},
    )


def _class(group_id: UUID) -> dict[str, object]:
    row = found(services().reads.school.group(str(group_id)))
    if row["kind"] != "class":
        found(None)
    return dict(row)


@bp.get("/groups/<uuid:group_id>/import")
@permission("admin.school")
def import_form(group_id: UUID) -> ResponseReturnValue:
    """The upload form, with the file format and its rules."""
    return _import_page(group_id)


def _import_page(
    group_id: UUID,
    problems: dict[str, str] | None = None,
    status: int = 200,
    lines: list[tuple[int, str]] | None = None,
) -> ResponseReturnValue:
    row = _class(group_id)
    year = services().reads.school.year(str(row["year_id"]))
    first_day = max(today().isoformat(), str(year["starts"])) if year else today().isoformat()
    return page(
        "admin/import.html",
        problems,
        status,
        group=row,
        lines=lines or [],
        pupil_columns=class_list.PUPIL_COLUMNS,
        guardian_columns=class_list.GUARDIAN_COLUMNS,
        max_rows=class_list.MAX_ROWS,
        first_day=first_day,
    )


@bp.post("/groups/<uuid:group_id>/import")
@permission("admin.school")
def import_list(group_id: UUID) -> ResponseReturnValue:
    """Import a class list: all pupils registered and enrolled from the date, or none."""
    _class(group_id)
    imported: list[Receipt] = []

    def command() -> Receipt:
        on = _enrolment_day()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise forms.FormInvalid({"file": _("Выберите файл CSV.")})
        rows = class_list.read_class_list(upload.read(class_list.MAX_BYTES + 1), on)
        imported.append(services().journal.classes.import_class_list(group_id, rows, on, actor()))
        return imported[0]

    def unreadable(error: class_list.ClassListInvalid) -> ResponseReturnValue:
        return _import_page(group_id, _summary(error.problems), 422, error.problems)

    def rejected(error: errors.ClassListRejected) -> ResponseReturnValue:
        return _import_page(group_id, {"_": error.text}, 422, list(error.problems))

    return attempt(
        command,
        lambda problems, status: _import_page(group_id, problems, status),
        lambda: _(
            "Список импортирован: зачислено обучающихся — %(count)s.",
            count=len(imported[0].created),
        ),
        url_for("admin.group", group_id=group_id),
        refusals={class_list.ClassListInvalid: unreadable, errors.ClassListRejected: rejected},
    )


def _enrolment_day() -> date:
    data = forms.parse(forms.FormSchema.from_dict({"on": forms.day()})(), request.form)
    found_day: date = data["on"]
    return found_day


def _summary(problems: list[tuple[int, str]]) -> dict[str, str]:
    lines = ", ".join(map(str, sorted({line for line, _message in problems if line})))
    if lines:
        text = _(
            "Список не импортирован: ошибки в строках %(lines)s. Ни один обучающийся не зачислен.",
            lines=lines,
        )
    else:
        text = _("Список не импортирован: ошибки. Ни один обучающийся не зачислен.")
    return {"_": text}
