"""Marshmallow schemas for every form: syntax only (types, lengths, choices), with Russian
messages. Meaning (is the mark on the scale, is the pupil enrolled) is the domain's job.

``parse(schema, form)`` returns the loaded data or raises ``FormInvalid`` carrying the
messages by field, which the pages show beside the re-rendered form (status 422).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, cast
from uuid import UUID

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)
from werkzeug.datastructures import MultiDict

MESSAGES: dict[str, Any] = {
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
    checks: list[Callable[[Any], Any]] = [
        validate.Length(
            min=max(min_length, 1 if required else 0),
            max=max_length,
            error=f"Длина — от {max(min_length, 1 if required else 0)} до {max_length} символов.",
        ),
        _no_markup,
    ]
    extra: dict[str, Any] = {} if required else {"load_default": ""}
    return fields.String(required=required, validate=checks, error_messages=MESSAGES, **extra)


def choice(options: list[str], *, required: bool = True) -> fields.String:
    """One of ``options`` (an empty value allowed when not required)."""
    allowed = options if required else ["", *options]
    extra: dict[str, Any] = {} if required else {"load_default": ""}
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


class _OptionalDate(fields.Date):
    """A date that may be left empty (an empty input loads as None)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value in ("", None):
            return None
        return super()._deserialize(value, attr, data, **kwargs)


def optional_day() -> fields.Date:
    """A date as the browser's date input sends it, or nothing (None)."""
    return _OptionalDate(
        load_default=None,
        allow_none=True,
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
    checked by the page."""

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
        messages = error.normalized_messages()  # type: ignore[no-untyped-call]  # marshmallow
        raise FormInvalid(_flat(messages)) from None
    return loaded


class LessonForm(FormSchema):
    """A new lesson in a course journal."""

    day = day()
    period = number(0, 12)
    topic = text(max_length=200)
    homework = text(max_length=500, required=False)
    #: When the homework is due; empty: at the subject's next lesson (ADR 0017).
    homework_due = optional_day()


class TopicForm(FormSchema):
    """The topic and homework of a lesson on its page, and when the homework is due."""

    topic = text(max_length=200)
    homework = text(max_length=500, required=False)
    homework_due = optional_day()


class CorrectionForm(FormSchema):
    """A corrected value (empty: cancel the mark) with its reason."""

    value = text(max_length=8, required=False)
    kind = text(max_length=32, required=False)
    reason = text(max_length=500)


class LateEntryForm(FormSchema):
    """The reason of a late-entry request."""

    reason = text(max_length=500)


#: The lesson page's fields per pupil: ``mark-<pupil>``, ``kind-<pupil>``, ``att-<pupil>``.
PER_PUPIL = ("mark", "kind", "att")


def _per_pupil(key: str) -> tuple[str, str] | None:
    """``mark-<pupil>`` → (``mark``, ``<pupil>``); None for a key that is no per-pupil field."""
    field, _sep, pupil = key.partition("-")
    return (field, pupil) if field in PER_PUPIL and pupil else None


def _pupil_value() -> fields.String:
    """A mark, a kind of work or an attendance code (the domain knows which are allowed);
    ``""`` when none was chosen."""
    return fields.String(
        load_default="",
        validate=validate.Length(max=32, error=_l("Слишком длинное значение.")),
        error_messages=MESSAGES,
    )


class LessonPageForm(TopicForm):
    """The lesson page saved in one go: topic, homework, and for each pupil of the lesson a
    new mark, its kind and the attendance code (build it with ``lesson_page(pupils)``).

    Loads to ``topic``, ``homework``, ``homework_due`` (None: at the next lesson),
    ``form_key`` (as sent; the page checks it), ``marks``
    — (pupil, value, kind) of every mark given, in the order sent, kind ``""`` when not
    chosen — and ``attendance`` — {pupil: code} of every code given (an empty one is no
    entry). A per-pupil field of anyone not on the lesson's list is refused."""

    form_key = fields.String(load_default="")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _only_the_lessons_pupils(self, _data: Any, original: Mapping[str, str], **_: Any) -> None:
        strangers = [k for k in original if _per_pupil(k) and k not in self.fields]
        if strangers:
            message = str(_l("Обучающегося нет в списке этого урока."))
            raise ValidationError({k: [message] for k in strangers})

    @post_load(pass_original=True)
    def _entries(self, data: dict[str, Any], original: Mapping[str, str], **_: Any) -> Any:
        marks, attendance = [], {}
        for key in original:
            found = _per_pupil(key)
            if found is None or key not in self.fields:
                continue
            field, pupil = found
            if field == "mark" and data[key]:
                marks.append((pupil, data[key], data[f"kind-{pupil}"]))
            elif field == "att" and data[key]:
                attendance[pupil] = data[key]
        return {
            "topic": data["topic"],
            "homework": data["homework"],
            "homework_due": data["homework_due"],
            "form_key": data["form_key"],
            "marks": marks,
            "attendance": attendance,
        }


@functools.lru_cache(maxsize=64)
def lesson_page(pupils: tuple[str, ...]) -> LessonPageForm:
    """The lesson page's schema for a lesson of ``pupils`` (ids as the views give them).
    Kept for the next lesson of the same pupils: building one costs milliseconds, and a
    schema holds no state of a load (messages are translated when a form is refused)."""
    per_pupil: dict[str, fields.Field[Any]] = {
        f"{field}-{pupil}": _pupil_value() for pupil in pupils for field in PER_PUPIL
    }
    # ``from_dict`` builds a subclass of the class it is called on
    built = cast(type[LessonPageForm], LessonPageForm.from_dict(per_pupil, name="LessonPageForm"))
    return built()


def is_uuid(text: str) -> bool:
    """True when ``text`` is a UUID (ids sent in forms and query strings)."""
    try:
        UUID(text)
    except ValueError:
        return False
    return True
