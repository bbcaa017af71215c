"""Form schemas of the administrator's area: syntax only (lengths, formats, choices), with
Russian messages; the domain checks meaning (a free login, a password's length, dates
within the year). Passwords are never rendered back into a page."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from domain.account import ROLES
from web.forms import MESSAGES, FormSchema, choice, day, number, text

#: Letters (any alphabet), with a space, hyphen, apostrophe or dot between parts.
NAME = re.compile(r"[^\W\d_]+(?:(?:[-' .’]|\. )[^\W\d_]+)*\.?")
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,24}")
EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


def _pattern(regex: re.Pattern[str], message: LazyString) -> Any:
    def check(value: str) -> None:
        if value and not regex.fullmatch(value):
            raise ValidationError(str(message))

    return check


def person_name(*, required: bool = True) -> fields.String:
    """A surname, name or patronymic: letters, with hyphens, apostrophes, spaces."""
    field = text(max_length=100, required=required)
    field.validators.append(_pattern(NAME, _l("Только буквы, пробел, дефис и апостроф.")))
    return field


def phone_number() -> fields.String:
    """A telephone number (optional)."""
    field = text(max_length=25, required=False)
    field.validators.append(
        _pattern(PHONE, _l("Телефон: цифры, пробелы, скобки, дефис; «+» в начале."))
    )
    return field


def email_address() -> fields.String:
    """An e-mail address (optional)."""
    field = text(max_length=100, required=False)
    field.validators.append(_pattern(EMAIL, _l("Адрес почты вида name@example.ru.")))
    return field


def secret() -> fields.String:
    """A password: any characters but control ones; the domain checks its length."""
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=256, error=_l("Длина — от 1 до 256 символов.")),
        error_messages=MESSAGES,
    )


class AccountForm(FormSchema):
    """A new account; the roles come as checkboxes ``role-<code>``."""

    login = text(max_length=64)
    surname = person_name()
    name = person_name()
    patronymic = person_name(required=False)
    password = secret()
    password2 = secret()
    person_id = text(max_length=36, required=False)

    @validates_schema
    def _same_password(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("password2"):
            raise ValidationError(gettext("Пароли не совпадают."), "password2")


class PasswordForm(FormSchema):
    """A new password set by the administrator."""

    password = secret()
    password2 = secret()

    @validates_schema
    def _same_password(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("password2"):
            raise ValidationError(gettext("Пароли не совпадают."), "password2")


class RoleForm(FormSchema):
    """Grant or revoke one role."""

    role = choice(list(ROLES))
    action = choice(["grant", "revoke"])


class LockForm(FormSchema):
    """Lock an account, with a reason."""

    reason = text(max_length=200, min_length=3)


class TokenForm(FormSchema):
    """Issue an API token for an account, named for the system that will use it."""

    login = text(max_length=64)
    name = text(max_length=64, min_length=3)  # as ``ApiToken`` keeps it


class OwnTokenForm(FormSchema):
    """Issue an API token for oneself, named for the system that will use it."""

    name = text(max_length=64, min_length=3)


class GrantDecisionForm(FormSchema):
    """Confirm or reject a pending grant of a privileged role."""

    role = choice(list(ROLES))
    action = choice(["confirm", "reject"])


class ServiceAccountForm(FormSchema):
    """A service account: its login and the system it stands for."""

    login = text(max_length=64)
    title = text(max_length=100, min_length=3)


class ProfileForm(FormSchema):
    """The school's details (the domain checks OGRN's and INN's check digits)."""

    full_name = text(max_length=300)
    short_name = text(max_length=120)
    address = text(max_length=300)
    head_name = text(max_length=120)
    head_position = text(max_length=120)
    ogrn = text(max_length=13, required=False)
    inn = text(max_length=10, required=False)

    @validates_schema
    def _digits(self, data: dict[str, Any], **_: Any) -> None:
        sizes = (("ogrn", 13, _l("ОГРН — 13 цифр.")), ("inn", 10, _l("ИНН — 10 цифр.")))
        for key, size, message in sizes:
            value = data.get(key, "")
            if value and not (value.isdigit() and len(value) == size):
                raise ValidationError(str(message), field_name=key)


class YearForm(FormSchema):
    """A school year «2026/27» and its dates."""

    year = text(max_length=7)
    starts = day()
    ends = day()

    @validates_schema
    def _year(self, data: dict[str, Any], **_: Any) -> None:
        found = re.fullmatch(r"(\d{4})/(\d{2})", data.get("year", ""))
        if not found or (int(found.group(1)) + 1) % 100 != int(found.group(2)):
            raise ValidationError(gettext("Учебный год в виде 2026/27."), "year")


class TermForm(FormSchema):
    """A term of a school year."""

    number = number(1, 6)
    title = text(max_length=50)
    starts = day()
    ends = day()


class ClassForm(FormSchema):
    """A class «5А» and its grade."""

    name = text(max_length=20)
    grade = number(1, 11)


class ActivityForm(FormSchema):
    """An extracurricular group: a short code and a title."""

    code = text(max_length=32)
    title = text(max_length=100)

    @validates_schema
    def _code(self, data: dict[str, Any], **_: Any) -> None:
        if not re.fullmatch(r"[\w-]+", data.get("code", "")):
            raise ValidationError(gettext("Код: буквы, цифры, дефис, без пробелов."), "code")


class WithdrawForm(FormSchema):
    """Withdraw a pupil from a class or a group: the first day away, and why."""

    on = day()
    reason = text(max_length=200, min_length=3)


class PupilForm(FormSchema):
    """A new pupil; the class is optional (enrolled from ``on`` in the same save)."""

    surname = person_name()
    name = person_name()
    patronymic = person_name(required=False)
    birth_date = day()
    group_id = text(max_length=36, required=False)
    on = day()


class GuardianForm(FormSchema):
    """A new guardian of a pupil."""

    surname = person_name()
    name = person_name()
    patronymic = person_name(required=False)
    phone = phone_number()
    email = email_address()
    relation = text(max_length=50)
