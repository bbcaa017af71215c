"""The API's marshmallow schemas: strict input (types, lengths; unknown fields refused),
every message in Russian; and the output shapes the OpenAPI description publishes.
Meaning (is the mark on the scale, is the pupil enrolled) is the domain's job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from domain import clock
from web.forms import MARKUP

REQUIRED = "Обязательное поле."
BASE: dict[str, Any] = {
    "required": REQUIRED,
    "null": "Значение не может быть null.",
    "invalid": "Неверное значение.",
}


class ApiSchema(Schema):
    """Input: an object with exactly the documented fields."""

    error_messages: dict[str, str] = {  # noqa: RUF012  # marshmallow's own (class) attribute
        "unknown": "Неизвестное поле.",
        "type": "Ожидается объект JSON.",
    }

    class Meta:
        unknown = RAISE


def _no_markup(value: str) -> None:
    if MARKUP.search(value):
        raise ValidationError("Разметка и управляющие символы не допускаются.")


def text(max_length: int, *, required: bool = True, min_length: int = 1) -> fields.String:
    """A JSON string without markup or control characters; optional ones default to ""."""
    low = min_length if required else 0
    checks: list[Callable[[Any], Any]] = [
        validate.Length(
            min=low, max=max_length, error=f"Длина — от {low} до {max_length} символов."
        ),
        _no_markup,
    ]
    extra: dict[str, Any] = {} if required else {"load_default": ""}
    return fields.String(
        required=required,
        validate=checks,
        error_messages={**BASE, "invalid": "Ожидается строка."},
        **extra,
    )


class StrictInteger(fields.Integer):
    """A JSON integer: strings, fractions and booleans are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        result: int = super()._deserialize(value, attr, data, **kwargs)
        return result


def integer(low: int, high: int, *, required: bool = True, strict: bool = True) -> fields.Integer:
    """A whole number from ``low`` to ``high`` (``strict=False`` for query strings)."""
    cls = StrictInteger if strict else fields.Integer
    return cls(
        required=required,
        strict=strict,
        validate=validate.Range(min=low, max=high, error=f"Число от {low} до {high}."),
        error_messages={**BASE, "invalid": "Ожидается целое число."},
    )


def uuid(*, required: bool = True) -> fields.UUID:
    """A record id."""
    return fields.UUID(
        required=required,
        error_messages={**BASE, "invalid_uuid": "Ожидается идентификатор (UUID)."},
    )


def date_field(*, required: bool = True) -> fields.Date:
    """A date, ГГГГ-ММ-ДД (None when optional and left out)."""
    extra: dict[str, Any] = {} if required else {"load_default": None}
    return fields.Date(
        required=required,
        error_messages={**BASE, "invalid": "Дата в формате ГГГГ-ММ-ДД."},
        **extra,
    )


def listing(item: type[Schema], most: int) -> fields.List[Any]:
    """A non-empty JSON array of objects, at most ``most`` long."""
    return fields.List(
        fields.Nested(item, error_messages=BASE),
        required=True,
        validate=validate.Length(min=1, max=most, error=f"От 1 до {most} элементов."),
        error_messages={**BASE, "invalid": "Ожидается массив."},
    )


# --- input -------------------------------------------------------------------------------
class LessonIn(ApiSchema):
    """A new lesson: date, period (0–12), topic, homework, and the homework's due date
    (optional: the subject's next lesson when left out)."""

    day = date_field()
    period = integer(0, 12)
    topic = text(200)
    homework = text(500, required=False)
    homework_due = date_field(required=False)


class MarkIn(ApiSchema):
    """One mark: a pupil, a value of the journal's scale, a kind of work (default: the
    policy's default kind)."""

    student_id = uuid()
    value = text(8)
    kind = text(32, required=False)


class MarksIn(ApiSchema):
    """Marks to record for a lesson, all in one transaction. ``request_key`` (optional, 16–64
    letters, digits, ``-`` or ``_``, new for each new request): sent again with the same key
    and body after a lost answer, the request records nothing twice."""

    marks = listing(MarkIn, 200)
    request_key = fields.String(
        required=False,
        load_default="",
        validate=validate.Regexp(
            r"^[A-Za-z0-9_-]{16,64}$",
            error="Ключ запроса: от 16 до 64 латинских букв, цифр, «-» или «_».",
        ),
        error_messages={**BASE, "invalid": "Ожидается строка."},
        metadata={"example": "9f1c2e7a4b6d8f00-lesson-12"},
    )


class AttendanceEntryIn(ApiSchema):
    """A pupil's attendance code («Н», «Б», «УП», «ОП»; "" = present)."""

    student_id = uuid()
    code = text(8, min_length=0)


class AttendanceIn(ApiSchema):
    """Attendance codes for a lesson; each pupil at most once."""

    attendance = listing(AttendanceEntryIn, 200)

    @validates_schema
    def _each_pupil_once(self, data: dict[str, Any], **_: Any) -> None:
        seen = [entry["student_id"] for entry in data.get("attendance", [])]
        if len(seen) != len(set(seen)):
            raise ValidationError("Обучающийся указан несколько раз.", "attendance")


class CorrectionIn(ApiSchema):
    """A corrected value (and kind) with the reason."""

    value = text(8)
    kind = text(32, required=False)
    reason = text(500)


class CancellationIn(ApiSchema):
    """Cancelling a mark given by mistake, with the reason."""

    reason = text(500)


class CorrectionRequestIn(ApiSchema):
    """A request to the deputy head: a new value ("" = cancel the mark) and the reason."""

    value = text(8, required=False)
    kind = text(32, required=False)
    reason = text(500)


class WeekQuery(ApiSchema):
    """Which week: any day of it (this week by default)."""

    day = date_field(required=False)


class DiaryQuery(ApiSchema):
    """Which term (the current one by default), and «что нового» since a moment."""

    term = integer(1, 12, required=False, strict=False)
    since = fields.AwareDateTime(
        default_timezone=clock.SCHOOL_TZ,
        error_messages={**BASE, "invalid": "Дата и время в формате ISO 8601."},
    )


# --- output ------------------------------------------------------------------------------
def out(field: type[fields.Field[Any]], *args: Any, **kwargs: Any) -> Any:
    """An output field, always present (``required`` only documents that)."""
    return field(*args, required=True, **kwargs)


class Error(Schema):
    """An error: HTTP code, the error's name, a Russian message, problems by field."""

    code = out(fields.Integer)
    status = out(fields.String)
    message = out(fields.String)
    errors = out(fields.Dict, keys=fields.String(), values=fields.List(fields.String()))


class Term(Schema):
    """A term of the school year."""

    number = out(fields.Integer)
    title = out(fields.String)
    starts = out(fields.Date)
    ends = out(fields.Date)
    closed = out(fields.Boolean)


class CourseJournal(Schema):
    """A course journal: a subject of a class (or an extracurricular group) for a year."""

    course_journal_id = out(fields.UUID)
    subject = out(fields.String)
    group_id = out(fields.UUID)
    group_name = out(fields.String)
    group_kind = out(fields.String, validate=validate.OneOf(["class", "activity"]))
    year_id = out(fields.UUID)
    teachers = out(fields.List, fields.UUID())


class Lesson(Schema):
    """A lesson: date, period, topic, homework."""

    lesson_id = out(fields.UUID)
    course_journal_id = out(fields.UUID)
    day = out(fields.Date)
    period = out(fields.Integer)
    topic = out(fields.String)
    homework = out(fields.String)


class Lessons(Schema):
    """A course journal's lessons in a term."""

    course_journal_id = out(fields.UUID)
    term = out(fields.Nested, Term)
    lessons = out(fields.List, fields.Nested(Lesson))


class Pupil(Schema):
    """A pupil of the lesson's class on its date (name as «Фамилия И. О.»)."""

    student_id = out(fields.UUID)
    name = out(fields.String)


class Mark(Schema):
    """A mark that stands; a corrected one says what it replaced, why, who and when."""

    mark_id = out(fields.UUID)
    student_id = out(fields.UUID)
    value = out(fields.String)
    kind = out(fields.String)
    weight = out(fields.Integer)
    corrected = out(fields.Boolean)
    previous = out(fields.String)
    reason = out(fields.String)
    changed_by = out(fields.UUID, allow_none=True)
    changed_at = out(fields.AwareDateTime, allow_none=True)
    correction_pending = out(fields.Boolean)


class Attendance(Schema):
    """A pupil's attendance code for the lesson (pupils without one were present)."""

    student_id = out(fields.UUID)
    code = out(fields.String)


class LessonDetail(Lesson):
    """A lesson with its pupils, standing marks and attendance."""

    pupils = out(fields.List, fields.Nested(Pupil))
    marks = out(fields.List, fields.Nested(Mark))
    attendance = out(fields.List, fields.Nested(Attendance))


class Change(Schema):
    """What a command created (new marks, the correcting mark, the request) and the lesson
    as it now stands."""

    created = out(fields.List, fields.UUID())
    lesson = out(fields.Nested, LessonDetail)
