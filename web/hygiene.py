"""Web hygiene in one place (issue 14, item 7; ``docs/security.md``): redirect targets taken
from a request stay on this site (``safe_next``); a request body over ``MAX_BODY_BYTES`` is
refused (413) before it is read; a lone surrogate in a JSON, form or query string is 422, and
a number in a path too large for any column is 404 (``BoundedInt``), never a 500; every
answer but a static file says ``Cache-Control: no-store``; the Content-Security-Policy
forbids ``<base>`` and forms posting elsewhere; HSTS when the cookies are ``Secure``; and
``/healthz`` tells anonymous callers only «ok» or «unavailable».
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from werkzeug.routing import IntegerConverter

from web import access
from web.config import Services
from web.errors import API_PREFIX

#: The largest request body read at all (the class-list CSV is capped at 512 KB, a form at a
#: few KB): above it the answer is 413 from the ``Content-Length`` alone.
MAX_BODY_BYTES = 1024 * 1024

#: The largest integer a path may carry: what fits a signed 64-bit column (SQLite's
#: INTEGER, PostgreSQL's bigint). Larger numbers name nothing: 404.
MAX_PATH_INT = 2**63 - 1

CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)
HSTS = "max-age=31536000"


def safe_next(url: str | None, default: str = "/") -> str:
    """``url`` as a path of this site (with its query), or ``default`` when it would leave
    the site: another host or scheme, a scheme-relative ``//host`` or ``/\\host`` (browsers
    read a backslash as a slash), control characters (browsers drop tabs and new lines, so
    ``/\\t/host`` becomes ``//host``). An absolute URL of this very host keeps its path."""
    # Under a path prefix (a school of a regional deployment, ADR 0027) only paths under
    # the prefix are of this site.
    root = request.script_root
    if root and default == "/":
        default = root + "/"
    if not url or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return default
    parts = urlsplit(url)
    if (parts.scheme or parts.netloc) and (
        parts.scheme not in ("http", "https") or parts.netloc != request.host
    ):
        return default
    path = parts.path
    if not path.startswith("/") or path[1:2] in ("/", "\\") or "\\" in path:
        return default
    if root and not path.startswith(root + "/"):
        return default
    return path + (f"?{parts.query}" if parts.query else "")


class BoundedInt(IntegerConverter):
    """``<int:…>`` that matches only numbers a database column can hold (404 above)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_PATH_INT)
        super().__init__(map, *args, **kwargs)


def bounded_int(text: str | None, default: int) -> int:
    """A query argument's integer; ``default`` when missing, malformed or out of range."""
    try:
        value = int(text or "")
    except ValueError:
        return default
    return value if 0 <= value <= MAX_PATH_INT else default


def surrogate_at(value: Any, path: str = "") -> str | None:
    """Where a string in ``value`` (JSON: objects, arrays) holds a lone surrogate — which no
    database and no UTF-8 page can take — as ``"marks.0.value"`` (``"_schema"`` at the top
    or for an object's key); ``None`` when nowhere."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "_schema"
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and surrogate_at(key) is not None:
            return path or "_schema"
        found = surrogate_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


log = logging.getLogger(__name__)


@access.public
def healthz() -> tuple[dict[str, object], int]:
    """«ok» (200) or «unavailable» (503) to anyone — whether the event store answers; the
    event count, the views' lag and the ledger's sealing (where it is halted, if it is) only
    to a signed-in holder of ``ops.health`` (``policies/access.toml``: the administrator and
    the auditor), and, with a hot standby configured, its replay lag (ADR 0028)."""
    services: Services = current_app.extensions["services"]
    try:
        events = services.journal.recorder.max_notification_id() or 0
    except Exception as error:
        log.warning("health check: the event store does not answer: %s", type(error).__name__)
        return {"status": "unavailable"}, 503
    if access.scope("ops.health") is None:
        return {"status": "ok"}, 200
    lag = max((v.lag for v in services.views.status()), default=0)
    sealing = services.ledger.status()
    halt = sealing.halt
    ledger = {
        "sealed": sealing.size,
        "unsealed": sealing.unsealed,
        "halted_at": None if halt is None else halt.position,
        "problem": None if halt is None else halt.problem,
    }
    answer: dict[str, object] = {
        "status": "ok",
        "events": events,
        "views_lag": lag,
        "ledger": ledger,
    }
    standby = services.views.standby_lag()
    if standby is not None:  # EJOURNAL_READ_DATABASE_URL (ADR 0028)
        answer["standby"] = {
            "reachable": standby.reachable,
            "lag_bytes": standby.lag_bytes,
            "lag_seconds": standby.lag_seconds,
            "replay_paused": standby.replay_paused,
            "problem": standby.problem or None,
        }
    return answer, 200


def init_app(app: Flask, *, secure_cookies: bool) -> None:
    """Install the converter, the size cap and the checks before and after every request.
    Call before registering blueprints (their rules take the converter when added)."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.url_map.converters["int"] = BoundedInt
    app.add_url_rule("/healthz", view_func=healthz, methods=["GET"])

    @app.before_request
    def refuse_large_bodies() -> None:
        """413 from the declared length alone, before anything reads the body (werkzeug's
        own cap also stops a body sent without a length once it grows past the limit)."""
        if (request.content_length or 0) > MAX_BODY_BYTES:
            abort(413)

    @app.before_request
    def refuse_lone_surrogates() -> None:
        """422 for a lone surrogate in a page's query or form. werkzeug decodes them from
        bytes, replacing what is not UTF-8, so none should arrive; this guards any other
        decoder. The API checks its JSON body where it parses it (``web.api.parser``): a
        ``"\\ud800"`` escape there is the one way a lone surrogate gets in."""
        if request.path.startswith(API_PREFIX):
            return
        if surrogate_at(list(request.args.values())) is not None or (
            request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and surrogate_at(list(request.form.values())) is not None
        ):
            abort(422)

    @app.after_request
    def hygiene_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if secure_cookies:
            response.headers["Strict-Transport-Security"] = HSTS
        if request.endpoint != "static":
            # Signed-in pages, API answers and downloads hold personal data: never kept by
            # the browser or a proxy (a shared school computer's back button included).
            response.headers["Cache-Control"] = "no-store"
        return response
