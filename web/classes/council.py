"""The pedagogical council's decisions on a class's pupils (deputy head, head): for each
pupil the year's standing and absences from the summary sheet, the decision recorded
(«переведён», «переведён условно», «оставлен на повторное обучение», «выпущен») with its
protocol; one form records the decisions chosen — for chosen pupils, or for every pupil
still without one — under one protocol's number and date, all in one transaction. The
year closes only when every pupil has a decision (``retention.closing``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain.grades import DECISIONS
from domain.service import Receipt
from web import forms
from web.access import permission
from web.classes import bp
from web.classes.forms import CouncilForm, per_pupil_decisions
from web.pages import actor, attempt, by_name, services, viewed

#: The decisions in the order the form offers them, with their wording on the page.
CHOICES = list(DECISIONS.items())


def _class(group_id: UUID) -> dict[str, Any]:
    """The class, or 404 (an extracurricular group has no council decisions)."""
    found = services().reads.school.group(str(group_id))
    if found is None or found["kind"] != "class":
        abort(404)
    return found


@bp.get("/<uuid:group_id>/council")
@permission("council.decide")
def council(group_id: UUID) -> ResponseReturnValue:
    """The decisions of the pedagogical council on the class's pupils."""
    return _page(group_id)


def _page(
    group_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    group = _class(group_id)
    reads = services().reads
    sheet = reads.reports.summary_sheet(str(group_id))
    names = reads.people.names(sheet.pupils)
    staff = {d.set_by for d in sheet.decisions.values()}
    deciders = reads.people.names(staff, short=True) if staff else {}
    viewed(request.path, sheet.pupils)
    year = next(
        (y for y in reads.school.years() if str(y["year_id"]) == str(group["year_id"])), None
    )
    return render_template(
        "classes/council.html",
        group=group,
        year=year,
        sheet=sheet,
        pupils=by_name(sheet.pupils, names),
        names=names,
        deciders=deciders,
        choices=CHOICES,
        decisions=DECISIONS,
        form=request.form,
        problems=problems or {},
        labels={
            "protocol_no": _("Номер протокола"),
            "protocol_date": _("Дата протокола"),
            "reason": _("Причина изменения"),
            "everyone": _("Всем без решения"),
            **{f"decision-{p}": _("Решение: %(name)s", name=names[p]) for p in sheet.pupils},
        },
    ), status


@bp.post("/<uuid:group_id>/council")
@permission("council.decide")
def council_record(group_id: UUID) -> ResponseReturnValue:
    """Record the decisions chosen on the form (nothing is written when one is refused)."""
    _class(group_id)
    said: list[str] = []

    def run() -> Receipt:
        data = forms.parse(CouncilForm(), request.form)
        sheet = services().reads.reports.summary_sheet(str(group_id))
        chosen = per_pupil_decisions(forms.single(request.form), sheet.pupils)
        if data["everyone"]:
            for pupil in sheet.pupils:
                if pupil not in sheet.decisions and pupil not in chosen:
                    chosen[pupil] = data["everyone"]
        if not chosen:
            raise forms.FormInvalid({"_": _("Выберите решение хотя бы для одного обучающегося.")})
        receipt = services().journal.grades.record_decisions(
            group_id,
            [(UUID(p), d) for p, d in chosen.items()],
            data["protocol_no"],
            data["protocol_date"],
            actor(),
            data["reason"],
        )
        said.append(
            _(
                "Решения педагогического совета записаны (протокол № %(no)s), "
                "обучающихся: %(count)s.",
                no=data["protocol_no"],
                count=len(chosen),
            )
        )
        return receipt

    def again(problems: dict[str, str], status: int) -> ResponseReturnValue:
        return _page(group_id, problems, status)

    return attempt(run, again, lambda: said[0], url_for("classes.council", group_id=group_id))
