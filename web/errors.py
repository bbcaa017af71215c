"""Domain errors → HTTP status codes, in one place. No stack trace reaches a page."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from domain import errors

log = logging.getLogger(__name__)

STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.Conflict, 409),
    (errors.DomainError, 422),
]


def status_of(error: errors.DomainError) -> int:
    """The HTTP status of a domain error (the first family it belongs to)."""
    return next(code for family, code in STATUS if isinstance(error, family))


def register_error_handlers(app: Flask) -> None:
    """Render domain errors with their Russian message; hide internal errors' details."""

    @app.errorhandler(errors.DomainError)
    def domain_error(error: errors.DomainError) -> tuple[str, int]:
        code = status_of(error)
        return render_template("error.html", code=code, message=error.text), code

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        messages = {
            400: _(
                "Запрос отклонён: форма устарела или повреждена. Обновите страницу и повторите."
            ),
            403: _("Недостаточно прав для этой страницы."),
            404: _("Страница не найдена."),
            405: _("Метод не поддерживается."),
        }
        return render_template(
            "error.html", code=code, message=messages.get(code, _("Запрос отклонён."))
        ), code

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[str, int]:
        # Log the type only: messages of lower layers may carry personal data.
        log.error("internal error: %s", type(error).__name__)
        return render_template(
            "error.html", code=500, message=_("Внутренняя ошибка. Попробуйте позже.")
        ), 500
