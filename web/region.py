"""The regional pages (ADR 0027): the regional administrator adds, disables (saying why) and
enables schools; the regional auditor reads each school's ledger status, verifies its ledger
and downloads its status and latest checkpoint — nothing else, and no school's pages. The
list of schools is searched (code or name), filtered (active, disabled) and paged in the
registry, so a region of hundreds of schools opens none of them to show it. In Russian and
English (the session's choice, as on a school's pages), with help at ``/region/help/``.

A Flask app of its own, mounted at ``/region/`` by the deployment's dispatcher
(``ejournal.tenants``). What it does goes through a ``RegionBackend``, which also writes each
regional action into the access log of the school it concerns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import wraps
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFProtect

from domain import clock
from web import help_pages
from web.hygiene import safe_next
from web.i18n import LANGUAGES, TRANSLATIONS, select_locale

#: The roles as the access log of a school names them (fixed Russian words: the log is the
#: school's document) and as the pages show them (in the reader's language).
ROLES = {"regional_admin": "региональный администратор", "regional_auditor": "региональный аудитор"}
ROLE_TITLES = {
    "regional_admin": _l("региональный администратор"),
    "regional_auditor": _l("региональный аудитор"),
}
#: How a regional action's entry in a school's access log begins.
REGIONAL_PAGE = "регион: "
#: Schools a page of the list shows, and the longest reason for disabling one.
PAGE_SIZE, REASON_LENGTH = 50, 300
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


class RegionRefused(Exception):
    """Raised by a backend when a regional command is refused: ``kind`` names why
    (``bad_code``, ``duplicate``, ``bad_name``, ``no_checkpoint``, ``not_opened``)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


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

    @property
    def reason(self) -> str:
        """Why it was last disabled or enabled."""

    @property
    def changed_by(self) -> str:
        """Who last disabled or enabled it."""

    @property
    def changed_at(self) -> datetime:
        """When its row last changed."""


class LedgerNoteRow(Protocol):
    """What the regional level last learnt of a school's ledger."""

    @property
    def seen_at(self) -> datetime:
        """When."""

    @property
    def checkpoint_size(self) -> int | None:
        """Events under the latest checkpoint then (None: none yet)."""

    @property
    def checkpoint_time(self) -> str:
        """When that checkpoint was signed (ISO)."""

    @property
    def verified_at(self) -> str:
        """When the ledger was last verified (ISO; empty: never)."""

    @property
    def verified_ok(self) -> bool | None:
        """That verification's verdict."""


class ListedRow(Protocol):
    """One row of the list: the school and its ledger note."""

    @property
    def school(self) -> SchoolRow:
        """The school."""

    @property
    def ledger(self) -> LedgerNoteRow | None:
        """Its ledger note (None: never read by the regional level)."""


class ListPage(Protocol):
    """A page of the list of schools."""

    @property
    def rows(self) -> Sequence[ListedRow]:
        """The page's schools."""

    @property
    def number(self) -> int:
        """The page's number (from 1)."""

    @property
    def pages(self) -> int:
        """How many pages."""

    @property
    def total(self) -> int:
        """How many schools were found."""


@dataclass(frozen=True)
class LedgerFacts:
    """A school's ledger as the regional auditor reads it."""

    sealed: int
    events: int
    unsealed: int
    halt: str
    checkpoints: int
    checkpoint_size: int | None
    checkpoint_time: str
    verified_at: str
    verified_ok: bool | None
    verified_events: int
    problem: str


class RegionBackend(Protocol):
    """What the regional pages use; every school action is logged in that school."""

    def sign_in(self, login: str, password: str) -> str | None:
        """A session token for a right login and password."""

    def session(self, token: str) -> RegionalUser | None:
        """The account of a live session."""

    def sign_out(self, token: str) -> None:
        """End a session."""

    def find(self, text: str, status: str, number: int, size: int, ledger: str) -> ListPage:
        """A page of the schools whose code or name holds ``text``, of ``status`` (empty:
        any), whose ledger was last found ``failed`` or never verified (``unverified``;
        empty: any), by code."""

    def summary(self) -> dict[str, int]:
        """How many schools: ``total``, ``active``, ``disabled``, ``failed`` (the last
        verification found a breach), ``unverified``."""

    def school(self, code: str) -> SchoolRow:
        """One school; ``LookupError`` when there is none."""

    def check(self, code: str, name: str) -> None:
        """``RegionRefused`` when ``add_school`` would refuse the code or name."""

    def add_school(self, code: str, name: str, by: RegionalUser) -> None:
        """Register and open a school; ``RegionRefused`` naming what is wrong."""

    def set_status(self, code: str, status: str, reason: str, by: RegionalUser) -> None:
        """Enable (``active``) or disable a school, saying why."""

    def ledger(self, code: str, by: RegionalUser, download: bool = False) -> LedgerFacts:
        """The school's ledger status (logged in the school as read or downloaded)."""

    def verify(self, code: str, by: RegionalUser) -> LedgerFacts:
        """Verify the school's ledger; the facts then, the verdict among them."""

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
    body = render_template(f"region/{name}", user=g.get("user"), **context)
    return Response(body, status, content_type="text/html; charset=utf-8")


def _school_or_404(code: str) -> SchoolRow:
    try:
        return _backend().school(code)
    except LookupError:
        abort(404)


def refusal(kind: str) -> str:
    """A backend's refusal in the reader's language."""
    texts = {
        "bad_code": _(
            "Неверный код школы: латинская буква, затем до 19 строчных латинских букв, цифр "
            "или «_»."
        ),
        "duplicate": _("Школа с таким кодом уже есть."),
        "bad_name": _("Название школы: от 1 до 300 символов, без управляющих символов."),
        "no_checkpoint": _("У школы ещё нет подписанной контрольной точки."),
        "not_opened": _(
            "Школу не удалось открыть (схема или ключи не созданы); она не добавлена. "
            "Сообщите оператору."
        ),
    }
    return str(texts.get(kind, _("Действие отклонено.")))


def _reason(required: bool) -> tuple[str, str | None]:
    """The form's reason and, when it is wrong, the problem."""
    reason = " ".join(request.form.get("reason", "").split())
    if len(reason) > REASON_LENGTH or not reason.isprintable():
        return reason[:REASON_LENGTH], _("Причина: не длиннее 300 символов.")
    if required and not reason:
        return reason, _("Укажите причину отключения: её увидят в журнале доступа школы.")
    return reason, None


def _listing(status: int = 200, **context: Any) -> ResponseReturnValue:
    """The list of schools for the search in the query string."""
    text = request.args.get("q", "").strip()[:100]
    state = request.args.get("status", "")
    state = state if state in ("active", "disabled") else ""
    ledger = request.args.get("ledger", "")
    ledger = ledger if ledger in ("failed", "unverified") else ""
    number = request.args.get("page", 1, int)
    found = _backend().find(text, state, max(1, min(number, 10**6)), PAGE_SIZE, ledger)
    context.setdefault("form", {})
    chosen = {k: v for k, v in (("q", text), ("status", state), ("ledger", ledger)) if v}
    return _page(
        "schools.html",
        status,
        found=found,
        summary=_backend().summary(),
        query=text,
        state=state,
        ledger=ledger,
        chosen=chosen,
        **context,
    )


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
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        BABEL_DEFAULT_LOCALE="ru",
    )
    app.extensions["region"] = backend
    CSRFProtect(app)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        languages=LANGUAGES,
        get_locale=get_locale,
        roles=ROLE_TITLES,
        help_link=help_pages.region_help_link,
    )

    @app.template_filter("local_time")
    def local_time(moment: datetime | str) -> str:
        """A moment (or ISO text of one) as «ДД.ММ.ГГГГ ЧЧ:ММ» in the deployment's zone."""
        if isinstance(moment, str):
            try:
                moment = datetime.fromisoformat(moment)
            except ValueError:
                return str(moment)
        return moment.astimezone(clock.school_zone()).strftime("%d.%m.%Y %H:%M")

    @app.before_request
    def who() -> None:
        token = session.get("token")
        g.user = _backend().session(token) if isinstance(token, str) else None

    @app.after_request
    def no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.get("/lang/<code>")
    def choose_language(code: str) -> ResponseReturnValue:
        """Switch the pages' language and go back to the page the link was on."""
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(safe_next(request.referrer))

    _guards(app)
    _sign_in_pages(app)
    _admin_pages(app)
    _auditor_pages(app)
    help_pages.register_region(app)
    return app


def _guards(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(_error: Exception) -> ResponseReturnValue:
        return _page("layout.html", 403, problem=_("Недостаточно прав для этого действия."))

    @app.errorhandler(404)
    def missing(_error: Exception) -> ResponseReturnValue:
        return _page("layout.html", 404, problem=_("Страница не найдена."))


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
            return _page("login.html", 401, login=name, problem=_("Неверный логин или пароль."))
        language = session.get("lang")
        session.clear()
        if language in LANGUAGES:
            session["lang"] = language
        session["token"] = token
        return redirect(url_for("schools"))

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        token = session.get("token")
        if isinstance(token, str):
            _backend().sign_out(token)
        session.pop("token", None)
        return redirect(url_for("login"))


def _admin_pages(app: Flask) -> None:
    @app.get("/")
    @_role("regional_admin", "regional_auditor")
    def schools() -> ResponseReturnValue:
        return _listing()

    @app.post("/schools")
    @_role("regional_admin")
    def add() -> ResponseReturnValue:
        """Add a school in two steps: the form is checked and shown for confirmation, then
        added (``confirmed=yes``)."""
        code = request.form.get("code", "").strip()[:40]
        name = " ".join(request.form.get("name", "").split())[:400]
        form = {"code": code, "name": name}
        try:
            _backend().check(code, name)
            if request.form.get("confirmed") != "yes":
                return _page("add_confirm.html", form=form)
            _backend().add_school(code, name, g.user)
        except RegionRefused as error:
            return _listing(422, form=form, problem=refusal(error.kind))
        flash(_("Школа %(code)s добавлена: %(address)s", code=code, address=f"/s/{code}/"), "ok")
        return redirect(url_for("schools", q=code))

    @app.get("/schools/<code>/<any(disable, enable):action>")
    @_role("regional_admin")
    def confirm_status(code: str, action: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        return _page("status_confirm.html", school=school, action=action, reason="")

    @app.post("/schools/<code>/status")
    @_role("regional_admin")
    def status(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        wanted = request.form.get("status", "")
        if wanted not in ("active", "disabled"):
            return _listing(422, problem=_("Неверное состояние."))
        action = "enable" if wanted == "active" else "disable"
        reason, problem = _reason(required=wanted == "disabled")
        if problem:
            return _page(
                "status_confirm.html",
                422,
                school=school,
                action=action,
                reason=reason,
                problem=problem,
            )
        _backend().set_status(code, wanted, reason, g.user)
        done = (
            _("Школа %(code)s включена.", code=code)
            if wanted == "active"
            else _("Школа %(code)s отключена: её страницы и команды не работают.", code=code)
        )
        flash(done, "ok")
        return redirect(url_for("schools", q=code))


def _auditor_pages(app: Flask) -> None:
    @app.get("/schools/<code>/ledger")
    @_role("regional_auditor")
    def ledger(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        return _page("ledger.html", school=school, facts=_backend().ledger(code, g.user))

    @app.get("/schools/<code>/ledger.json")
    @_role("regional_auditor")
    def ledger_download(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        facts = _backend().ledger(code, g.user, download=True)
        text = json.dumps(
            {"school": school.code, "name": school.name, **asdict(facts)},
            ensure_ascii=False,
            indent=2,
        )
        return Response(
            text,
            content_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{code}-ledger-status.json"'},
        )

    @app.post("/schools/<code>/verify")
    @_role("regional_auditor")
    def verify(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        facts = _backend().verify(code, g.user)
        return _page(
            "ledger.html",
            200 if facts.verified_ok else 409,
            school=school,
            facts=facts,
            verified=True,
        )

    @app.get("/schools/<code>/checkpoint")
    @_role("regional_auditor")
    def checkpoint(code: str) -> ResponseReturnValue:
        school = _school_or_404(code)
        try:
            size, text = _backend().checkpoint(code, g.user)
        except RegionRefused as error:
            facts = _backend().ledger(code, g.user)
            return _page(
                "ledger.html", 409, school=school, facts=facts, problem=refusal(error.kind)
            )
        return Response(
            text,
            content_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{code}-checkpoint-{size}.json"'
            },
        )


def regional_actor(page: str) -> str | None:
    """The regional official of an access-log entry («регион: … (региональный аудитор
    login)») in the reader's language, or None for a school's own entry."""
    if not page.startswith(REGIONAL_PAGE):
        return None
    for role, title in ROLES.items():
        marker = f" ({title} "
        at = page.rfind(marker)
        if at != -1 and page.endswith(")"):
            login = page[at + len(marker) : -1]
            return str(
                _("Региональный уровень: %(role)s %(login)s", role=ROLE_TITLES[role], login=login)
            )
    return str(_("Региональный уровень"))
