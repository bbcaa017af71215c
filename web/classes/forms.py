"""The class area's forms: a report period, a decision on a correction request, closing and
re-opening a term, the pedagogical council's decisions. Syntax only; the rules (who may,
minimum reason length, order number required) are the domain's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from domain.grades import DECISIONS
from web.forms import FormInvalid, FormSchema, choice, day, text

#: The longest report period, in days (a school year and a little).
LONGEST_PERIOD = 366


class PeriodForm(FormSchema):
    """A report period: first and last day, inclusive."""

    first = day()
    last = day()

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if not isinstance(first, date) or not isinstance(last, date):
            return
        if first > last:
            raise ValidationError(gettext("Начало периода позже его конца."), "last")
        if (last - first).days > LONGEST_PERIOD:
            raise ValidationError(gettext("Период — не длиннее учебного года."), "last")


class CompletenessForm(PeriodForm):
    """The completeness report's period, and how many recent school days a journal must
    have a lesson on to count as filled."""

    days = fields.Integer(
        load_default=5,
        strict=False,
        validate=validate.Range(min=1, max=30, error=_l("Число от 1 до 30.")),
        error_messages={"invalid": _l("Введите целое число.")},
    )


class DecisionForm(FormSchema):
    """Approve a correction request, or reject it with a reason."""

    decision = choice(["approve", "reject"])
    reason = text(max_length=500, required=False)

    @validates_schema
    def _reason_to_reject(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("decision") == "reject" and not data.get("reason"):
            raise ValidationError(gettext("Укажите причину отказа."), "reason")


class CloseTermForm(FormSchema):
    """Closing a term needs an explicit confirmation: every entry of the term locks."""

    confirm = fields.String(
        required=True,
        validate=validate.Equal("yes", error=_l("Подтвердите закрытие периода.")),
        error_messages={"required": _l("Подтвердите закрытие периода.")},
    )


class ReopenTermForm(FormSchema):
    """Re-opening a closed term: the reason and the number of the head's order."""

    reason = text(max_length=500)
    order_no = text(max_length=50, required=False)


class CouncilForm(FormSchema):
    """The pedagogical council's decisions on pupils of a class: the protocol's number and
    date, the reason when a recorded decision changes, a decision for every pupil still
    without one (``everyone``) and per pupil (``decision-<pupil>``, parsed apart)."""

    protocol_no = text(max_length=30)
    protocol_date = day()
    reason = text(max_length=500, required=False)
    everyone = choice(list(DECISIONS), required=False)


def per_pupil_decisions(form: Mapping[str, str], pupils: Iterable[str]) -> dict[str, str]:
    """The decisions chosen per pupil (``decision-<pupil>``; empty: no change). Raises
    ``FormInvalid`` naming the field of a value not in the list."""
    found, bad = {}, {}
    for pupil in pupils:
        value = form.get(f"decision-{pupil}", "").strip()
        if value and value not in DECISIONS:
            bad[f"decision-{pupil}"] = gettext("Выберите решение из списка.")
        elif value:
            found[pupil] = value
    if bad:
        raise FormInvalid(bad)
    return found
