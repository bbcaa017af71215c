"""Sign-in and sign-out (Flask-Login over the server-side sessions of ``web.sessions``).

A refused sign-in — unknown login, wrong password, a locked account, or a login refused from
this address after five failures (``web.limits``) — gets one answer: the same status, page and
message, after the same password-hashing work. Too many attempts from one address, or failures
of one login from everywhere, answer 429 with ``Retry-After``. Failed sign-ins write no
events: an anonymous flood cannot lock an account for everyone (ADR 0012).

The pages use the session cookie; the JSON API (``/api/``) uses bearer tokens only and
ignores the session, so a page open in a browser cannot be made to call the API for its user
(no CSRF on the API, because a browser never sends the token by itself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    Request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from domain import errors
from web import sessions
from web.access import permission, public
from web.errors import API_PREFIX
from web.limits import SignIn

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Войдите, чтобы продолжить.")


@dataclass(frozen=True)
class User(UserMixin):  # type: ignore[misc]
    """The signed-in account."""

    id: str
    login: str
    name: str
    roles: frozenset[str]
    person_id: str | None = None

    def has_any(self, *roles: str) -> bool:
        """True when the user holds one of ``roles``."""
        return bool(self.roles & set(roles))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the user on each request: only through a live server-side session
    (``web.sessions``); a locked or removed account is signed out. The API does not accept
    the session (see ``load_token_user``)."""
    if request.path.startswith(API_PREFIX):
        return None
    if sessions.account() != user_id:
        return None
    journal = current_app.extensions["services"].journal
    try:
        account = journal.queries.account(UUID(user_id))
    except (ValueError, errors.DomainError):
        return None
    if account.locked:
        return None
    return _user(account)


@login_manager.request_loader
def load_token_user(req: Request) -> User | None:
    """The account of the API request's ``Authorization: Bearer <token>`` (API only).
    A malformed, unknown or revoked token, or a locked account, gives no user (401)."""
    if not req.path.startswith(API_PREFIX):
        return None
    scheme, _space, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        account = current_app.extensions["services"].journal.tokens.authenticate_token(
            token.strip()
        )
    except errors.DomainError as error:
        g.token_problem = error.text
        return None
    return _user(account)


def _user(account: Any) -> User:
    person = str(account.person_id) if account.person_id else None
    return User(str(account.id), account.login, account.display_name, account.roles, person)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    """The sign-in form."""
    if request.method == "GET":
        return render_template("auth/login.html", login="")
    login_name = request.form.get("login", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    attempt = SignIn(login_name)
    admitted = attempt.admit()  # 429 when over a limit
    journal = current_app.extensions["services"].journal
    try:
        # The password is checked whatever the lock, so that every refusal takes as long.
        account = journal.queries.authenticate(login_name, password)
    except (errors.WrongPassword, errors.AccountLocked, errors.InvalidInput):
        account = None
    if account is None or not admitted:
        attempt.failed(counted=admitted)
        flash(
            _(
                "Неверный логин или пароль. После пяти неудачных попыток вход с этого адреса "
                "приостанавливается на 15 минут; заблокированную учётную запись "
                "разблокирует администратор."
            ),
            "error",
        )
        return render_template("auth/login.html", login=login_name), 401
    attempt.succeeded()
    sessions.start(str(account.id))
    login_user(_user(account))
    return redirect(url_for("home"))


@bp.post("/logout")
@permission("account.self")
def logout() -> ResponseReturnValue:
    """Sign out: the server-side session ends for good."""
    logout_user()
    sessions.end()
    return redirect(url_for("auth.login"))


def current() -> User:
    """The signed-in user (pages are protected by ``web.access.permission``)."""
    user = current_user._get_current_object()
    assert isinstance(user, User)
    return user
