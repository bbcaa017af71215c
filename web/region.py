"""The regional pages (ADR 0027): the regional administrator adds, disables and enables
schools; the regional auditor reads each school's ledger status, verifies its ledger and
downloads its latest checkpoint — nothing else, and no school's pages.

A Flask app of its own, mounted at ``/region/`` by the deployment's dispatcher
(``ejournal.tenants``). What it does goes through a ``RegionBackend``, which also writes each
regional action into the access log of the school it concerns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

ROLES = {"regional_admin": "региональный администратор", "regional_auditor": "региональный аудитор"}
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


class RegionRefused(Exception):
    """Raised by a backend when a regional command is refused; the text is shown."""


class RegionalUser(Protocol):
    """A signed-in regional account."""

    @property
    def id(self) -> UUID:
        """The account's id (the actor of its entries in a school's access log)."""

    @property
    def login(self) -> str:
        """The login."""

    @property
    def role(self) -> str:
        """``regional_admin`` or ``regional_auditor``."""


class SchoolRow(Protocol):
    """A school as the regional pages list it."""

    @property
    def code(self) -> str:
        """The code (``/s/CODE/``)."""

    @property
    def name(self) -> str:
        """The name."""

    @property
    def status(self) -> str:
        """``active`` or ``disabled``."""

    @property
    def cluster(self) -> str:
        """The PostgreSQL cluster it lives on."""


class RegionBackend(Protocol):
    """What the regional pages use; every school action is logged in that school."""

    def sign_in(self, login: str, password: str) -> str | None:
        """A session token for a right login and password."""

    def session(self, token: str) -> RegionalUser | None:
        """The account of a live session."""

    def sign_out(self, token: str) -> None:
        """End a session."""

    def schools(self) -> Sequence[SchoolRow]:
        """Every school."""

    def school(self, code: str) -> SchoolRow:
        """One school; ``LookupError`` when there is none."""

    def add_school(self, code: str, name: str, by: RegionalUser) -> None:
        """Register and open a school; ``RegionRefused`` naming what is wrong."""

    def set_status(self, code: str, status: str, by: RegionalUser) -> None:
        """Enable (``active``) or disable a school."""

    def ledger_status(self, code: str, by: RegionalUser) -> list[tuple[str, str]]:
        """The school's ledger status as (label, value) lines."""

    def verify(self, code: str, by: RegionalUser) -> tuple[bool, str]:
        """Verify the school's ledger: (passed, the verdict's text)."""

    def checkpoint(self, code: str, by: RegionalUser) -> tuple[int, str]:
        """The school's latest signed checkpoint: (size, JSON)."""


@dataclass(frozen=True)
class RegionConfig:
    """Settings of the regional app."""

    secret_key: bytes
    cookie_path: str = "/region/"
    secure_cookies: bool = False
    testing: bool = False


def _backend() -> RegionBackend:
    return cast(RegionBackend, current_app.extensions["region"])


def _role(*roles: str) -> Callable[[F], F]:
    """Only a signed-in regional account of one of ``roles`` (403 for the other role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if g.user is None:
                return redirect(url_for("login"))
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def _page(name: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    body = render_template(f"region/{name}", user=g.get("user"), roles=ROLES, **context)
    return Response(body, status, content_type="text/html; charset=utf-8")


def _school_or_404(code: str) -> SchoolRow:
    try:
        return _backend().school(code)
    except LookupError:
        abort(404)


def create_region_app(backend: RegionBackend, config: RegionConfig) -> Flask:
    """The regional app over ``backend``."""
    app = Flask(__name__)
    app.config.update(
        TESTING=config.testing,
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="ejournal_region",
        SESSION_COOKIE_PATH=config.cookie_path,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
    )
    app.extensions["region"] = backend
    CSRFProtect(app)

    @app.before_request
    def who() -> None:
        token = session.get("token")
        g.user = _backend().session(token) if isinstance(token, str) else None

    @app.after_request
    def no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    _guards(app)
    _sign_in_pages(app)
    _admin_pages(app)
    _auditor_pages(app)
    return app


def _guards(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(_: Exception) -> ResponseReturnValue:
        return _page("layout.html", 403, problem="Недостаточно прав для этого действия.")

    @app.errorhandler(404)
    def missing(_: Exception) -> ResponseReturnValue:
        return _page("layout.html", 404, problem="Страница не найдена.")


def _sign_in_pages(app: Flask) -> None:
    @app.get("/login")
    def login() -> ResponseReturnValue:
        return _page("login.html")

    @app.post("/login")
    def login_post() -> ResponseReturnValue:
        name = request.form.get("login", "")[:100]
        token = _backend().sign_in(name, request.form.get("password", "")[:1000])
        if token is None:
            g.user = None
            return _page("login.html", 401, login=name, problem="Неверный логин или пароль.")
        session.clear()
        session["token"] = token
        return redirect(url_for("schools"))

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        token = session.get("token")
        if isinstance(token, str):
            _backend().sign_out(token)
        session.clear()
        return redirect(url_for("login"))


def _admin_pages(app: Flask) -> None:
    @app.get("/")
    @_role("regional_admin", "regional_auditor")
    def schools() -> ResponseReturnValue:
        return _page("schools.html", schools=_backend().schools(), form={})

    @app.post("/schools")
    @_role("regional_admin")
    def add() -> ResponseReturnValue:
        code = request.form.get("code", "").strip()[:40]
        name = request.form.get("name", "").strip()[:400]
        try:
            _backend().add_school(code, name, g.user)
        except RegionRefused as error:
            form = {"code": code, "name": name}
            return _page(
                "schools.html", 422, schools=_backend().schools(), form=form, problem=str(error)
            )
        return redirect(url_for("schools"))

    @app.post("/schools/<code>/status")
    @_role("regional_admin")
    def status(code: str) -> ResponseReturnValue:
        _school_or_404(code)
        wanted = request.form.get("status", "")
        if wanted not in ("active", "disabled"):
            return _page(
                "schools.html",
                422,
                schools=_backend().schools(),
                form={},
                problem="Неверное состояние.",
            )
        _backend().set_status(code, wanted, g.user)
        return redirect(url_for("schools"))


def _auditor_pages(app: Flask) -> None:
    @app.get("/schools/<code>/ledger")
    @_role("regional_auditor")
    def ledger(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        return _page("ledger.html", school=school, lines=_backend().ledger_status(code, g.user))

    @app.post("/schools/<code>/verify")
    @_role("regional_auditor")
    def verify(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        verdict = _backend().verify(code, g.user)
        lines = _backend().ledger_status(code, g.user)
        return _page(
            "ledger.html", 200 if verdict[0] else 409, school=school, lines=lines, verdict=verdict
        )

    @app.get("/schools/<code>/checkpoint")
    @_role("regional_auditor")
    def checkpoint(code: str) -> ResponseReturnValue:
        _school_or_404(code)
        try:
            size, text = _backend().checkpoint(code, g.user)
        except RegionRefused as error:
            school = _school_or_404(code)
            lines = _backend().ledger_status(code, g.user)
            return _page("ledger.html", 409, school=school, lines=lines, problem=str(error))
        return Response(
            text,
            content_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{code}-checkpoint-{size}.json"'
            },
        )
