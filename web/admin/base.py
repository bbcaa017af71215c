"""The administrator's blueprint and what its pages share: rendering a page with the
submitted form kept, and running one command from a form (post/redirect/get)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Russian names of form fields, for the list of problems above a refused form.
LABELS = {
    "login": "Логин",
    "surname": "Фамилия",
    "name": "Имя",
    "patronymic": "Отчество",
    "password": "Пароль",
    "password2": "Пароль ещё раз",
    "role": "Роль",
    "roles": "Роли",
    "reason": "Причина",
    "year": "Учебный год",
    "starts": "Начало",
    "ends": "Конец",
    "number": "Номер",
    "title": "Название",
    "grade": "Параллель",
    "code": "Код",
    "subject": "Предмет",
    "scale": "Шкала",
    "teacher_id": "Учитель",
    "student_id": "Обучающийся",
    "guardian_id": "Представитель",
    "group_id": "Класс",
    "on": "Дата",
    "birth_date": "Дата рождения",
    "phone": "Телефон",
    "email": "Эл. почта",
    "relation": "Кем приходится",
    "file": "Файл",
    "person_id": "Человек",
}


def page(
    template: str, problems: dict[str, str] | None = None, status: int = 200, **context: Any
) -> ResponseReturnValue:
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


def is_uuid(text: str) -> bool:
    """True when ``text`` is a UUID (ids sent in forms and query strings)."""
    try:
        UUID(text)
    except ValueError:
        return False
    return True
