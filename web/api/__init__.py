"""The JSON API under ``/api/v1`` (flask-smorest and the marshmallow schemas): course
journals and lessons, marks, attendance, the diary — with the same permissions as the pages
(``policies/access.toml``), for other systems holding a bearer token; its OpenAPI
description at ``/api/v1/openapi.json``.

Authentication is ``Authorization: Bearer <token>`` only (``web.auth.load_token_user``):
the session cookie is not accepted here, so the API needs no CSRF token. Errors are JSON
(``web.errors``). Reads come from the views; writes go through the same application
commands as the pages and answer with the record as it now stands.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify
from flask_smorest import Api

from web.access import public
from web.api import diary, lessons, marks, schemas
from web.auth import login_manager

PREFIX = "/api/v1"
BLUEPRINTS = (lessons.blp, marks.blp, marks.attendance_blp, diary.blp)
DESCRIPTION = """\
API электронного журнала для других систем школы.

**Доступ.** Администратор выпускает токен для учётной записи
(`ejournal api-token issue LOGIN`); запросы передают его в заголовке
`Authorization: Bearer <токен>`. Токен действует с ролями и правами своей учётной записи
(`policies/access.toml`), перестаёт действовать после отзыва или блокировки учётной записи.
Cookie сеанса веб-интерфейса здесь не принимается.

**Ошибки** — JSON `{"code", "status", "message", "errors"}`: `code` — код HTTP, `status` —
имя ошибки (например, `MarkOffScale`), `message` — сообщение на русском языке, `errors` —
замечания по полям. 401 — нет токена или он недействителен, 403 — нет прав, 404 — запись не
найдена, 409 — конфликт с состоянием записи (период закрыт, запись уже есть), 422 — неверные
данные (ничего не записано).
"""


class JsonApi(Api):  # type: ignore[misc]  # flask-smorest ships no types
    """flask-smorest's ``Api`` whose errors ``web.errors`` renders (JSON under ``/api/``,
    pages elsewhere) instead of an app-wide handler of its own."""

    ERROR_SCHEMA = schemas.Error

    def _register_error_handlers(self) -> None:
        """Leave error handling to ``web.errors``."""


def register(app: Flask) -> None:
    """Add the API's blueprints and its OpenAPI description to ``app``."""
    app.config.update(
        API_TITLE="ejournal",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": [{"bearerAuth": []}],
        },
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Russian in JSON
    api = JsonApi(app)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "Токен из `ejournal api-token issue`"},
    )
    csrf = app.extensions["csrf"]
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)  # token authentication only: no cookie, no CSRF
        login_manager.blueprint_login_views[blp.name] = None  # 401, no sign-in redirect

    docs = Blueprint("api", __name__, url_prefix=PREFIX)

    @docs.get("/openapi.json")
    @public
    def openapi() -> Response:
        """The OpenAPI 3 description of the API."""
        return jsonify(api.spec.to_dict())

    app.register_blueprint(docs)
