"""Languages of the UI: Russian first, English available (Flask-Babel).

Message ids are the Russian texts themselves, so a missing translation still shows Russian.
The Russian catalogue holds only the plural forms (``ngettext``: «1 год», «2 года», «5 лет»);
every other Russian message is its own id.
The choice is kept in the session; without one the UI is Russian whatever the browser
prefers — the journal is a Russian school's document. Domain error messages stay Russian.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale

from web.access import public
from web.hygiene import safe_next

LANGUAGES = {"ru": "Русский", "en": "English"}
TRANSLATIONS = Path(__file__).parent / "translations"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The session's language, else Russian."""
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "ru"


@bp.get("/lang/<code>")
@public
def choose(code: str) -> ResponseReturnValue:
    """Switch the UI language and go back to the page the link was on."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.referrer))


def init_app(app: Flask) -> None:
    """Install Babel and the language switch."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_LOCALE"] = "ru"
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
