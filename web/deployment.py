"""The pages of a regional deployment outside its schools and ``/region/`` (ADR 0027, 0033):
``/`` — the schools that work, searched by code or name and paged in the registry as the
regional list is (``web.region``), so a region of hundreds of schools opens none of them to
show it; the 503 page of a disabled school; the 404 page of an address that is no school's;
the 405 page of a form sent to a page that only lists.

A Flask app of its own; the deployment's dispatcher (``ejournal.tenants``) hands it ``/`` and
every ``/s/CODE/…`` whose school is missing or disabled, naming the disabled school in the
WSGI environ (``DISABLED``). No session and no cookie: nobody signs in here. The language is
the one a link chose (``?lang=en``), else the browser's (``Accept-Language``, Russian or
English; Russian when it asks for neither) — unlike a school's pages, which are the school's
document and stay Russian until the reader switches.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from werkzeug.exceptions import MethodNotAllowed

from web.i18n import LANGUAGES, TRANSLATIONS
from web.region import ListPage

#: The WSGI environ key under which the dispatcher names a disabled school.
DISABLED = "ejournal.disabled_school"
#: Schools a page of the list shows.
PAGE_SIZE = 50


class RootBackend(Protocol):
    """What the root pages read: the registry's list (``web.region.RegionBackend.find``)."""

    def find(self, text: str, status: str, number: int, size: int, ledger: str) -> ListPage:
        """A page of the schools whose code or name holds ``text``, of ``status``, by code."""


def root_locale() -> str:
    """The language a link chose (``?lang=``), else the browser's best of Russian and
    English, else Russian."""
    chosen = request.args.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default="ru") or "ru"


def _page(template: str, status: int = 200, **context: Any) -> Response:
    body = render_template(f"root/{template}", **context)
    return Response(body, status, content_type="text/html; charset=utf-8")


def create_root_app(backend: RootBackend, *, testing: bool = False) -> Flask:
    """The root pages over ``backend``."""
    app = Flask(__name__)
    app.config.update(
        TESTING=testing,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        BABEL_DEFAULT_LOCALE="ru",
    )
    Babel(app, locale_selector=root_locale)
    app.jinja_env.globals.update(languages=LANGUAGES, get_locale=get_locale)

    @app.context_processor
    def language_chosen() -> dict[str, Any]:
        """``lang_args``: the ``lang`` a link chose, for the links that keep it."""
        chosen = request.args.get("lang", "")
        return {"lang_args": {"lang": chosen} if chosen in LANGUAGES else {}}

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Vary"] = "Accept-Language"
        return response

    @app.get("/")
    def schools() -> ResponseReturnValue:
        """The schools that work, by code: a search by code or name, 50 a page."""
        text = request.args.get("q", "").strip()[:100]
        number = max(1, min(request.args.get("page", 1, int) or 1, 10**6))
        found = backend.find(text, "active", number, PAGE_SIZE, "")
        lang = request.args.get("lang", "")
        chosen = {k: v for k, v in (("q", text), ("lang", lang if lang in LANGUAGES else "")) if v}
        return _page("schools.html", found=found, query=text, chosen=chosen)

    @app.route("/s/<path:_rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    def school(_rest: str) -> ResponseReturnValue:
        """A school's address: 503 naming it when it is disabled, else 404 (no such school)."""
        name = request.environ.get(DISABLED)
        if not isinstance(name, str):
            abort(404)
        return _page("disabled.html", 503, name=name)

    @app.errorhandler(404)
    def missing(_error: Exception) -> ResponseReturnValue:
        return _page("missing.html", 404)

    @app.errorhandler(405)
    def not_allowed(error: MethodNotAllowed) -> ResponseReturnValue:
        """A form sent to ``/`` (which only lists): the product's page, not Flask's."""
        response = _page("not_allowed.html", 405)
        response.headers["Allow"] = ", ".join(error.valid_methods or ("GET", "HEAD"))
        return response

    return app
