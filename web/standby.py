"""Reads from a hot standby (``EJOURNAL_READ_DATABASE_URL``, ADR 0028).

The pages that only read what the views hold and that many people open at once — the
diaries, the class reports and the auditor's «as of» replays — are served from the standby
(a PostgreSQL physical streaming replica). The choice is made once per request, in the
database layer (``Views.route_reads``), so that it applies to whichever school's schema the
request reads.

Read-your-writes: after a request that may have written (any method but GET, HEAD and
OPTIONS) the primary's WAL position is remembered in the server-side session
(``SessionStore.remember_write``); a page routed to the standby waits, bounded
(``EJOURNAL_REPLICA_WAIT_MS``, 200 ms), for the standby to have replayed that far, and
otherwise reads from the primary. A person thus always sees their own writes; others see
them once the standby has replayed them (its lag is on ``/healthz``).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request, session

from web.config import Services
from web.sessions import SID

log = logging.getLogger(__name__)

#: Blueprints whose pages (GET) read from the standby: the diary and the «as of» replays.
BLUEPRINTS = frozenset({"diary", "replay"})
#: Further pages read from the standby: the class reports.
ENDPOINTS = frozenset(
    {
        "classes.journal_now",
        "classes.journal",
        "classes.attendance",
        "classes.attendance_xlsx",
        "classes.completeness",
        "classes.completeness_xlsx",
    }
)
#: Methods that never write (everything else may: its WAL position is remembered).
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def served_by_standby(endpoint: str | None, method: str) -> bool:
    """Whether a request for ``endpoint`` may be read from the standby."""
    if endpoint is None or method not in ("GET", "HEAD"):
        return False
    return endpoint in ENDPOINTS or endpoint.split(".", 1)[0] in BLUEPRINTS


def _services() -> Services:
    found: Services = current_app.extensions["services"]
    return found


def init_app(app: Flask) -> None:
    """Route the standby's pages there, and remember every possible write's WAL position.
    Call after the request's pinned read transaction is set up (``Views.pinned``)."""

    @app.before_request
    def route_to_standby() -> None:
        views = _services().views
        if not views.has_standby or not served_by_standby(request.endpoint, request.method):
            return
        sid = session.get(SID)
        after = _services().sessions.last_write(sid) if isinstance(sid, str) else None
        views.route_reads(after)

    @app.after_request
    def remember_write(response: Response) -> Response:
        views = _services().views
        sid = session.get(SID)
        if request.method in SAFE or not views.has_standby or not isinstance(sid, str):
            return response
        try:
            _services().sessions.remember_write(sid, views.write_position())
        except Exception as error:  # the answer stands; the next read may come from the primary
            log.warning("the write's WAL position was not remembered: %s", type(error).__name__)
        return response
