"""Who sees the sensitive attendance codes («Б», health data: 152-FZ art. 10): each request
reads attendance codes as its user may — the roles of ``sensitive_roles`` in
``policies/attendance.toml`` see them (within what ``access.toml`` lets each reach), everyone
else sees the code's ``shown_as`` (``projections.views.grid.Codes``)."""

from __future__ import annotations

import logging

from flask import Flask, g, request
from flask_login import current_user

from web.config import Services

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Open each request's reading of attendance codes, and close it after the request."""
    services: Services = app.extensions["services"]

    @app.before_request
    def read_codes_as_the_user() -> None:
        if request.endpoint == "static":
            return
        allowed = bool(
            current_user.is_authenticated
            and services.policies.attendance.may_see_sensitive(current_user.roles)
        )
        g.attendance_codes = services.views.reading_codes(allowed=allowed)
        g.attendance_codes.__enter__()

    @app.teardown_request
    def stop_reading_codes(error: BaseException | None) -> None:
        reading = g.pop("attendance_codes", None)
        if reading is not None:
            try:
                reading.__exit__(None, None, None)
            except ValueError as failure:  # a token of another context: nothing to undo
                log.warning("ending a request's attendance codes: %s", type(failure).__name__)
