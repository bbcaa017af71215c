"""Server-side sessions of the pages (ADR 0012): the signed cookie carries a random session id,
and the session lives only while its row in ``ops_sessions`` does (``projections.sessions``).

Sign-in opens a new session with a new id and a new CSRF token (nothing of the anonymous
session survives but the language); logout ends it for good; a password change or reset, a
lock, a role grant or revocation ends all the account's sessions, because each moves the
account's credentials generation (``projections.views.accounts``) past the one the session
was opened at — wherever the command ran (page, CLI). A session also ends after
``idle_minutes`` without requests and ``absolute_hours`` after sign-in, whatever its use.

«Мои сеансы» (``/account/sessions``) lists the person's live sessions — device, address, when
opened, last seen — and ends any of them.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from flask import (
    Blueprint,
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
from flask_login import current_user

from projections.sessions import SessionStore, sid_hash
from web.access import permission
from web.limits import client_address

bp = Blueprint("sessions", __name__, url_prefix="/account")

#: The session cookie's key of the session id.
SID = "_sid"
#: What survives a sign-in or a sign-out of the old session: the language only.
KEPT = ("lang",)


def store() -> SessionStore:
    found: SessionStore = current_app.extensions["ejournal.sessions"]
    return found


def _fresh_cookie() -> None:
    """Empty the cookie session but for the language (a new CSRF token follows)."""
    kept = {k: session[k] for k in KEPT if k in session}
    session.clear()
    session.update(kept)


def start(account_id: str) -> None:
    """Open a server-side session for ``account_id`` (call before ``login_user``)."""
    old = session.get(SID)
    if old:
        store().end(old)
    _fresh_cookie()
    sid = secrets.token_urlsafe(32)
    store().create(sid, account_id, request.headers.get("User-Agent", ""), client_address())
    session[SID] = sid
    g.session_account = account_id


def end() -> None:
    """End this request's session for good and empty the cookie."""
    sid = session.get(SID)
    if sid:
        store().end(sid)
    _fresh_cookie()


def account() -> str | None:
    """The account of this request's live session (checked once per request), or None —
    then the cookie is emptied, so a dead session is not checked again."""
    if "session_account" not in g:
        sid = session.get(SID)
        found = store().check(sid) if isinstance(sid, str) else None
        if found is None and (sid or "_user_id" in session):
            _fresh_cookie()
        g.session_account = found
    result: str | None = g.session_account
    return result


_BROWSERS = (
    ("YaBrowser", "Яндекс Браузер"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str) -> str:
    """«Firefox, Windows» from a User-Agent; the start of it when nothing is recognised."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    found = ", ".join(p for p in (browser, system) if p)
    return found or re.sub(r"\s+", " ", user_agent)[:40] or _("неизвестное устройство")


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@bp.get("/sessions")
@permission("account.self")
def sessions() -> ResponseReturnValue:
    """The person's live sessions, this one first."""
    this = sid_hash(str(session.get(SID, "")))
    rows = [
        {
            "id": s.sid_hash,
            "device": device(s.device),
            "address": s.address,
            "created": _moment(s.created),
            "last_seen": _moment(s.last_seen),
            "current": s.sid_hash == this,
        }
        for s in store().of_account(current_user.id)
    ]
    rows.sort(key=lambda r: not r["current"])
    return render_template("auth/sessions.html", rows=rows)


@bp.post("/sessions/end")
@permission("account.self")
def end_one() -> ResponseReturnValue:
    """End one of the person's sessions (this one signs out)."""
    digest = request.form.get("session", "")[:64]
    if digest == sid_hash(str(session.get(SID, ""))):
        end()
        return redirect(url_for("auth.login"))
    if store().end_hashed(digest, current_user.id):
        flash(_("Сеанс завершён."), "ok")
    return redirect(url_for("sessions.sessions"))


@bp.post("/sessions/end-others")
@permission("account.self")
def end_others() -> ResponseReturnValue:
    """End every session of the person but this one."""
    count = store().end_all(current_user.id, keep=session.get(SID))
    flash(_("Завершено сеансов: %(count)s.", count=count), "ok")
    return redirect(url_for("sessions.sessions"))
