"""The administrator's blueprint and what its pages share: rendering a page with the
submitted form kept, and running one command from a form (post/redirect/get)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from web.forms import is_uuid

__all__ = ["LABELS", "bp", "found", "is_uuid", "page"]  # is_uuid: the admin pages' name for it

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Russian names of form fields, for the list of problems above a refused form.
LABELS = {
    "full_name": _l("Полное наименование"),
    "short_name": _l("Краткое наименование"),
    "address": _l("Адрес"),
    "head_name": _l("ФИО руководителя"),
    "head_position": _l("Должность руководителя"),
    "ogrn": _l("ОГРН"),
    "inn": _l("ИНН"),
    "login": _l("Логин"),
    "surname": _l("Фамилия"),
    "name": _l("Имя"),
    "patronymic": _l("Отчество"),
    "password": _l("Пароль"),
    "password2": _l("Пароль ещё раз"),
    "role": _l("Роль"),
    "roles": _l("Роли"),
    "reason": _l("Причина"),
    "year": _l("Учебный год"),
    "starts": _l("Начало"),
    "ends": _l("Конец"),
    "number": _l("Номер"),
    "title": _l("Название"),
    "grade": _l("Параллель"),
    "code": _l("Код"),
    "subject": _l("Предмет"),
    "scale": _l("Шкала"),
    "teacher_id": _l("Учитель"),
    "student_id": _l("Обучающийся"),
    "guardian_id": _l("Представитель"),
    "group_id": _l("Класс"),
    "on": _l("Дата"),
    "birth_date": _l("Дата рождения"),
    "phone": _l("Телефон"),
    "email": _l("Эл. почта"),
    "relation": _l("Кем приходится"),
    "file": _l("Файл"),
    "person_id": _l("Человек"),
}


def page(
    template: str, problems: dict[str, str] | None = None, status: int = 200, **context: Any
) -> tuple[str, int]:
    """Render an admin page; after a refused POST the input stays in the form that sent
    it (password fields are never filled back)."""
    return render_template(
        template, form=request.form, problems=problems or {}, labels=LABELS, **context
    ), status


def found(value: Any) -> Any:
    """``value``, or 404 when a page's record does not exist."""
    if value is None:
        abort(404)
    return value
