"""The Flask web UI. ``create_app`` builds everything; nothing is wired at import time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template

from domain.account import ROLES
from domain.journal import Journal
from web.errors import register_error_handlers


def _demo_logins(path: Path | None) -> list[dict[str, str]]:
    if path is None or not path.exists():
        return []
    try:
        rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [
        {
            "role": ROLES.get(str(r.get("role")), str(r.get("role"))),
            "login": str(r.get("login")),
            "password": str(r.get("password")),
        }
        for r in rows
    ]


def create_app(
    journal: Journal, *, demo_logins: Path | None = None, testing: bool = False
) -> Flask:
    """Build the web application around an already built ``Journal``."""
    app = Flask(__name__)
    app.config.update(TESTING=testing, JSON_AS_ASCII=False)
    app.extensions["journal"] = journal
    register_error_handlers(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.get("/")
    def home() -> str:
        return render_template("home/index.html", logins=_demo_logins(demo_logins))

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"status": "ok", "events": journal.recorder.max_notification_id() or 0}

    return app
