"""Domain errors → HTTP status codes, in one place. No stack trace reaches a page. A
database that is full or read-only (``projections.storage_errors``) is a 503 with a Russian
message («нет места» / «только для чтения»), as a page or as the API's JSON error.

Under ``/api/`` every error is JSON — ``{"code", "status", "message", "errors"}`` with the
message in Russian — and never an HTML page; elsewhere it is the error page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from domain import errors
from projections.storage_errors import database_unavailable, storage_problem

log = logging.getLogger(__name__)

#: Paths of the JSON API: token authentication only, JSON errors.
API_PREFIX = "/api/"

STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.NotFound, 404),
    (errors.Forbidden, 403),
    (errors.Conflict, 409),
    (errors.DomainError, 422),
]

API_MESSAGES = {
    400: "Неверный запрос.",
    401: "Нужна авторизация: передайте токен в заголовке «Authorization: Bearer <токен>».",
    403: "Недостаточно прав для этого действия.",
    404: "Запись или адрес не найдены.",
    405: "Метод не поддерживается для этого адреса.",
    409: "Запись изменилась или уже существует.",
    413: "Запрос слишком велик: не больше 1 МБ.",
    422: "Данные запроса не прошли проверку.",
    429: "Слишком много запросов. Повторите позже: через столько секунд, сколько указано "
    "в заголовке Retry-After.",
}


class SavedNotShown(Exception):
    """A command was stored, but the views could not take it (the database filled up right
    after): the answer says it is saved — so nobody enters it twice — and not yet shown."""

    def __init__(self, position: int) -> None:
        self.position = position
        super().__init__(f"saved at {position}; views not updated")


def status_of(error: errors.DomainError) -> int:
    """The HTTP status of a domain error (the first family it belongs to)."""
    return next(code for family, code in STATUS if isinstance(error, family))


def is_api() -> bool:
    """True when the current request is to the JSON API."""
    return request.path.startswith(API_PREFIX)


def json_error(
    code: int, status: str, message: str, problems: dict[str, list[str]] | None = None
) -> Response:
    """An API error: HTTP ``code``, a machine-readable ``status`` (the error's name), the
    Russian ``message`` and the problems by field."""
    response = jsonify(
        {"code": code, "status": status, "message": message, "errors": problems or {}}
    )
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ejournal"'
    return response


def _api_http_error(error: HTTPException) -> Response:
    code = error.code or 500
    data: dict[str, Any] = getattr(error, "data", None) or {}
    message = data.get("message") or API_MESSAGES.get(code, "Запрос отклонён.")
    if code == 401 and g.get("token_problem"):
        message = g.token_problem
    response = json_error(code, type(error).__name__, message, data.get("errors"))
    for name, value in error.get_headers():
        if name.lower() != "content-type":  # e.g. Allow on 405
            response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Render domain errors with their Russian message; hide internal errors' details."""

    @app.errorhandler(errors.DomainError)
    def domain_error(error: errors.DomainError) -> ResponseReturnValue:
        code = status_of(error)
        if is_api():
            return json_error(code, type(error).__name__, error.text)
        return render_template("error.html", code=code, message=error.text), code

    @app.errorhandler(SavedNotShown)
    def saved_not_shown(error: SavedNotShown) -> ResponseReturnValue:
        message = _(
            "Изменения сохранены, но показать их пока нельзя: на сервере нет места. "
            "Не вводите их повторно — они появятся, когда место освободится."
        )
        # 202, not 503: the command IS stored, and clients retry a 503 — which would store
        # it twice.
        if is_api():
            return json_error(202, "SavedNotShown", message)
        return render_template("error.html", code=202, message=message), 202

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if is_api():
            return _api_http_error(error)
        code = error.code or 500
        messages = {
            400: _(
                "Запрос отклонён: форма устарела или повреждена. Обновите страницу и повторите."
            ),
            403: _("Недостаточно прав для этой страницы."),
            404: _("Страница не найдена."),
            405: _("Метод не поддерживается."),
            429: _("Слишком много попыток. Повторите позже."),
            413: _(
                "Запрос слишком велик: сервер принимает не больше 1 МБ. "
                "Уменьшите файл (например, разделите список класса на части) и повторите."
            ),
            422: _("Данные запроса не прошли проверку: в тексте есть недопустимые символы."),
        }
        response = Response(
            render_template(
                "error.html", code=code, message=messages.get(code, _("Запрос отклонён."))
            ),
            code,
        )
        for name, value in error.get_headers():
            if name.lower() == "retry-after":  # 429: when to try again
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> ResponseReturnValue:
        problem = storage_problem(error)
        if problem is not None:  # the database is full or read-only: nothing was written
            log.error("storage unavailable (%s): %s", problem.reason, type(error).__name__)
            if is_api():
                response = json_error(503, "StorageUnavailable", problem.text)
            else:
                message = (
                    _("Нет места для записи: изменения не сохранены.")
                    if problem.reason == "full"
                    else _("База только для чтения: изменения не сохранены.")
                )
                response = Response(render_template("error.html", code=503, message=message), 503)
            response.headers["Retry-After"] = "60"
            return response
        if database_unavailable(error):
            return _unavailable(error)
        # Log the type only: messages of lower layers may carry personal data.
        log.error("internal error: %s", type(error).__name__)
        if is_api():
            return json_error(500, "InternalServerError", "Внутренняя ошибка. Попробуйте позже.")
        return render_template(
            "error.html", code=500, message=_("Внутренняя ошибка. Попробуйте позже.")
        ), 500


def _unavailable(error: BaseException) -> ResponseReturnValue:
    """503 with ``Retry-After``: the database is unavailable for the moment."""
    log.warning("database unavailable: %s", type(error).__name__)
    message = _("База данных временно недоступна. Повторите через несколько секунд.")
    if is_api():
        response = json_error(503, "ServiceUnavailable", message)
    else:
        response = Response(render_template("error.html", code=503, message=message), 503)
    response.headers["Retry-After"] = "5"
    return response
