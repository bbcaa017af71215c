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
from uuid import UUID, uuid4

from flask import (
    Blueprint,
    Request,
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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from domain import errors, passwords
from domain.auth_context import AuthenticatedBy
from domain.service import Receipt
from web import forms, sessions
from web.access import permission, public
from web.admin.forms import PasswordForm, secret
from web.errors import API_PREFIX
from web.limits import SignIn
from web.pages import actor, attempt, saved, services
from web.profile import SIGN_IN_REF, authenticated

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Войдите, чтобы продолжить.")


@dataclass(frozen=True)
class User(UserMixin):  # type: ignore[misc]  # flask-login ships no types
    """The signed-in account."""

    id: str
    login: str
    name: str
    roles: frozenset[str]
    person_id: str | None = None
    #: An administrator set the password: every page leads to ``auth.change_password``.
    must_change_password: bool = False

    def has_any(self, *roles: str) -> bool:
        """True when the user holds one of ``roles``."""
        return bool(self.roles & set(roles))


@login_manager.user_loader  # type: ignore[untyped-decorator]  # flask-login ships no types
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
    authenticated(AuthenticatedBy("session", str(session.get(SIGN_IN_REF, ""))))
    return _user(account)


@login_manager.request_loader  # type: ignore[untyped-decorator]  # flask-login: no types
def load_token_user(req: Request) -> User | None:
    """The account of the API request's ``Authorization: Bearer <token>`` (API only).
    A malformed, unknown or revoked token, or a locked account, gives no user (401)."""
    if not req.path.startswith(API_PREFIX):
        return None
    scheme, _space, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        account, by = current_app.extensions["services"].journal.tokens.identify_token(
            token.strip()
        )
    except errors.DomainError as error:
        g.token_problem = error.text
        return None
    authenticated(by)
    return _user(account)


def _user(account: Any) -> User:
    person = str(account.person_id) if account.person_id else None
    return User(
        str(account.id),
        account.login,
        account.display_name,
        account.roles,
        person,
        getattr(account, "must_change_password", False),
    )


def _open_session(account: Any) -> None:
    """Open a new server-side session for ``account`` in this browser (a new session id and
    CSRF token) and sign it in."""
    sessions.start(str(account.id))
    session[SIGN_IN_REF] = uuid4().hex  # names this sign-in in the events it causes
    login_user(_user(account))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    """The sign-in form."""
    if request.method == "GET":
        return render_template("auth/login.html", login="")
    login_name = request.form.get("login", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    signing_in = SignIn(login_name)
    admitted = signing_in.admit()  # 429 when over a limit
    journal = current_app.extensions["services"].journal
    try:
        # The password is checked whatever the lock, so that every refusal takes as long.
        account = journal.queries.authenticate(login_name, password)
    except (errors.WrongPassword, errors.AccountLocked, errors.InvalidInput):
        account = None
    if account is None or not admitted:
        signing_in.failed(counted=admitted)
        flash(
            _(
                "Неверный логин или пароль. После пяти неудачных попыток вход с этого адреса "
                "приостанавливается на 15 минут; заблокированную учётную запись "
                "разблокирует администратор."
            ),
            "error",
        )
        return render_template("auth/login.html", login=login_name), 401
    signing_in.succeeded()
    _open_session(account)
    if account.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(url_for("home"))


@bp.post("/logout")
@permission("account.self")
def logout() -> ResponseReturnValue:
    """Sign out: the server-side session ends for good."""
    logout_user()
    sessions.end()
    return redirect(url_for("auth.login"))


class OwnPasswordForm(PasswordForm):
    """One's own new password (twice) and the current one."""

    current = secret()


#: The fields of the password page, for the list of problems above the form.
PASSWORD_LABELS = {
    "current": _l("Текущий пароль"),
    "password": _l("Новый пароль"),
    "password2": _l("Новый пароль ещё раз"),
}


def _password_page(problems: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "auth/password.html",
        form=request.form,
        problems=problems or {},
        labels=PASSWORD_LABELS,
        min_length=passwords.MIN_LENGTH,
    ), status


@bp.route("/password", methods=["GET", "POST"])
@permission("account.self")
def change_password() -> ResponseReturnValue:
    """Change one's own password: the current one, and the new one twice (at least 12
    characters, not the login or one's name, not easy to guess: the message says which).
    The change moves the account's credentials generation (``projections.views.accounts``),
    which ends every session of the account (``web.sessions``, ADR 0012) but this browser's:
    it goes on in a new session."""
    if request.method == "GET":
        return _password_page()

    def command() -> Receipt:
        data = forms.parse(OwnPasswordForm(), request.form)
        me = actor()
        journal = services().journal
        receipt: Receipt = journal.accounts.change_own_password(
            me, data["current"], data["password"]
        )
        # The change ended every session of the account, this one too; once the views hold
        # the new generation, this browser goes on in a new session (ASVS V3.3.3).
        saved(receipt)
        _open_session(journal.queries.account(me))
        return receipt

    return attempt(command, _password_page, _("Пароль изменён."), url_for("home"))


def current() -> User:
    """The signed-in user (pages are protected by ``web.access.permission``)."""
    user = current_user._get_current_object()
    assert isinstance(user, User)
    return user
