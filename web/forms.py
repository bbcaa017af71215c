"""Marshmallow schemas for every form: syntax only (types, lengths, choices), with Russian
messages. Meaning (is the mark on the scale, is the pupil enrolled) is the domain's job.

``parse(schema, form)`` returns the loaded data or raises ``FormInvalid`` carrying the
messages by field, which the pages show beside the re-rendered form (status 422).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

MESSAGES = {
    "required": "Обязательное поле.",
    "null": "Обязательное поле.",
    "invalid": "Неверное значение.",
}
MARKUP = re.compile(r"<\s*[a-zA-Z/!?]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormInvalid(Exception):
    """Raised when a form fails its schema; ``errors`` maps field → Russian message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _no_markup(value: str) -> None:
    if MARKUP.search(value):
        raise ValidationError("Разметка и управляющие символы не допускаются.")


def text(*, max_length: int, required: bool = True, min_length: int = 0) -> fields.String:
    """A plain text field: trimmed length limits, no markup, Russian messages."""
    checks = [
        validate.Length(
            min=max(min_length, 1 if required else 0),
            max=max_length,
            error=f"Длина — от {max(min_length, 1 if required else 0)} до {max_length} символов.",
        ),
        _no_markup,
    ]
    extra = {} if required else {"load_default": ""}
    return fields.String(required=required, validate=checks, error_messages=MESSAGES, **extra)


def choice(options: list[str], *, required: bool = True) -> fields.String:
    """One of ``options`` (an empty value allowed when not required)."""
    allowed = options if required else ["", *options]
    extra = {} if required else {"load_default": ""}
    return fields.String(
        required=required,
        validate=validate.OneOf(allowed, error="Выберите значение из списка."),
        error_messages=MESSAGES,
        **extra,
    )


def day() -> fields.Date:
    """A date as the browser's date input sends it (ГГГГ-ММ-ДД)."""
    return fields.Date(
        required=True,
        error_messages={**MESSAGES, "invalid": "Дата в формате ГГГГ-ММ-ДД."},
    )


def number(low: int, high: int) -> fields.Integer:
    """A whole number from ``low`` to ``high``."""
    return fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=low, max=high, error=f"Число от {low} до {high}."),
        error_messages={**MESSAGES, "invalid": "Введите целое число."},
    )


class FormSchema(Schema):
    """Forms carry the CSRF token and the submit button: unknown keys are ignored here and
    checked by the page (per-pupil fields are read separately)."""

    class Meta:
        unknown = EXCLUDE


def _flat(messages: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in messages.items():
        if isinstance(value, Mapping):
            out.update({f"{key}.{k}": v for k, v in _flat(value).items()})
        else:
            out[key] = value[0] if isinstance(value, list) else str(value)
    return out


def single(form: MultiDict[str, str]) -> dict[str, str]:
    """The form as a plain dict; a field sent twice is an error, not a silent pick."""
    twice = sorted({k for k in form if len(form.getlist(k)) > 1})
    if twice:
        raise FormInvalid(dict.fromkeys(twice, "Поле передано несколько раз."))
    return {k: v.strip() for k, v in form.items()}


def parse(schema: Schema, form: MultiDict[str, str]) -> dict[str, Any]:
    """Load ``form`` through ``schema``; raise ``FormInvalid`` with Russian messages."""
    try:
        loaded: dict[str, Any] = schema.load(single(form))
    except ValidationError as error:
        raise FormInvalid(_flat(error.normalized_messages())) from None
    return loaded


class LessonForm(FormSchema):
    """A new lesson in a course journal."""

    day = day()
    period = number(0, 12)
    topic = text(max_length=200)
    homework = text(max_length=500, required=False)


class TopicForm(FormSchema):
    """The topic and homework of a lesson on its page."""

    topic = text(max_length=200)
    homework = text(max_length=500, required=False)


class CorrectionForm(FormSchema):
    """A corrected value (empty: cancel the mark) with its reason."""

    value = text(max_length=8, required=False)
    kind = text(max_length=32, required=False)
    reason = text(max_length=500)


class ReasonForm(FormSchema):
    """A decision that needs a reason (rejecting a request)."""

    reason = text(max_length=500)
