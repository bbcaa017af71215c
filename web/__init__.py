"""The Flask web UI. ``create_app`` builds everything; nothing is wired at import time."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from domain import clock
from domain.account import ROLES
from web import (
    access,
    admin,
    api,
    audit,
    audit_replay,
    auth,
    classes,
    codes,
    diary,
    final_explained,
    help_pages,
    hygiene,
    i18n,
    journal,
    limits,
    notify,
    profile,
    records,
    regulations,
    sessions,
    standby,
    timetable,
    words,
)
from web.config import Services, WebConfig
from web.errors import API_PREFIX, register_error_handlers

__all__ = ["Services", "WebConfig", "create_app"]

#: The areas of the app: (permission, endpoint, title, what it holds) — the header links and
#: the start page show those the signed-in user may open.
AREAS = (
    (
        "journal.view",
        "journal.index",
        _l("Журнал"),
        _l("уроки сегодня, журналы предметов, отметки, посещаемость, исправления"),
    ),
    (
        "classes.view",
        "classes.index",
        _l("Классы"),
        _l("журнал класса по всем предметам, отчёты о посещаемости и заполнении"),
    ),
    (
        "corrections.approve",
        "classes.approvals",
        _l("Согласования"),
        _l("запросы учителей на исправление отметок"),
    ),
    (
        "timetable.manage",
        "timetable.index",
        _l("Расписание"),
        _l("звонки, каникулы, недельное расписание, замены, тематические планы"),
    ),
    ("diary.view", "diary.index", _l("Дневник"), _l("отметки, пропуски и домашние задания")),
    (
        "admin.accounts",
        "admin.index",
        _l("Администрирование"),
        _l("учётные записи, учебный год, классы, предметы, зачисление"),
    ),
    (
        "records.view",
        "records.register",
        _l("Реестр дел"),
        _l("сроки хранения, удержания, уничтожение и передача"),
    ),
    (
        "policies.approve",
        "regulations.index",
        _l("Правила и положения"),
        _l("редакции правил, утверждение приказом, положения школы в PDF/A"),
    ),
    (
        "audit.ledger",
        "audit.ledger_status",
        _l("Аудит"),
        _l("целостность журнала, история записей, журнал на дату, журнал доступа"),
    ),
)

log = logging.getLogger(__name__)


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


def _server_sessions(app: Flask, services: Services, config: WebConfig) -> None:
    """Sessions and rate-limit counters in the views' database (ADR 0012), made by the
    composition root (``Services.sessions``, ``Services.counters``)."""
    app.extensions["ejournal.sessions"] = services.sessions
    limits.init_app(app, services.counters, limits.limits_from(config.rate_limits))


def _register_pages(app: Flask) -> None:
    """Every blueprint, the API and the error pages."""
    for blueprint in (
        auth.bp,
        sessions.bp,
        audit.bp,
        audit_replay.bp,
        journal.bp,
        diary.bp,
        classes.bp,
        admin.bp,
        records.bp,
        timetable.bp,
        regulations.bp,
    ):
        app.register_blueprint(blueprint)
    profile.register(app)
    notify.register(app)
    help_pages.register(app)
    api.register(app)
    register_error_handlers(app)


def _approved_by(services: Services, sha256: str) -> str | None:
    """«утверждены приказом № … от …» of the approved policies whose ``grading.toml`` has
    this SHA-256 (ADR 0025), or None."""
    version = services.reads.policies.approval_for_hash(sha256)
    if version is None or version.order_date is None:
        return None
    return f"утверждены приказом № {version.order_no} от {version.order_date:%d.%m.%Y}"


def create_app(services: Services, config: WebConfig) -> Flask:
    """Build the web application around already built services."""
    app = Flask(__name__)
    app.config.update(
        TESTING=config.testing,
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_PATH=config.cookie_path,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        # The CSRF token lives in the session and is replaced at sign-in and sign-out; it
        # expires with the session's absolute lifetime at the latest.
        WTF_CSRF_TIME_LIMIT=config.absolute_hours * 3600,
        EJOURNAL_SCHOOL=config.school,
        EJOURNAL_REFRESH_MARGIN_DAYS=config.refresh_margin_days,
    )
    app.extensions["services"] = services
    app.extensions[final_explained.APPROVED_VERSION] = lambda sha256: _approved_by(services, sha256)
    hygiene.init_app(app, secure_cookies=config.secure_cookies)  # before anything reads a body
    CSRFProtect(app)
    i18n.init_app(app)
    words.install(app)
    auth.login_manager.init_app(app)
    codes.init_app(app)
    _register_pages(app)

    @app.template_filter("school_time")
    def school_time(moment: datetime | str) -> str:
        """A moment (or a view's ISO text of one) as «ДД.ММ.ГГГГ ЧЧ:ММ» in the school's
        time zone."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment.astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")

    @app.template_filter("school_time_input")
    def school_time_input(moment: datetime) -> str:
        """A moment as a datetime-local input's value in the school's time zone."""
        return moment.astimezone(clock.SCHOOL_TZ).strftime("%Y-%m-%dT%H:%M")

    @app.context_processor
    def rules_in_force() -> dict[str, Any]:
        """The approved version of the policies (every signed-in page names it) and, for
        the head and the administrator, whether the running policies are not approved."""
        if not current_user.is_authenticated or request.path.startswith(API_PREFIX):
            return {}
        try:
            version = services.reads.policies.in_force()
            warn = (
                services.documents is not None
                and (access.scope("policies.approve") or access.scope("admin.accounts"))
                and services.documents.running_differs()
            )
        except Exception as failure:  # the database is down: the 503 page renders without
            log.warning("rules in force not shown: %s", type(failure).__name__)
            return {}
        return {"rules_in_force": version, "rules_unapproved": bool(warn)}

    @app.context_processor
    def permissions() -> dict[str, Any]:
        return {
            "can": lambda code: access.scope(code) is not None,
            "areas": [
                a for a in AREAS if a[1] in app.view_functions and access.scope(a[0]) is not None
            ],
        }

    @app.before_request
    def nameless_fields() -> None:
        """A multipart part without a name is a damaged form (werkzeug keys it ``None``,
        which no page expects): refuse it whole, as a form that failed its CSRF check."""
        if request.mimetype == "multipart/form-data" and (
            None in request.form or None in request.files
        ):
            abort(400)

    @app.before_request
    def one_read_transaction() -> None:
        """The page's reads share one view-database transaction (see ``Views.pinned``)."""
        g.pinned_reads = services.views.pinned()
        g.pinned_reads.__enter__()

    @app.teardown_request
    def end_read_transaction(error: BaseException | None) -> None:
        pinned = g.pop("pinned_reads", None)
        if pinned is not None:
            try:
                pinned.__exit__(None, None, None)
            except Exception as failure:
                log.warning(
                    "ending a request's read transaction failed: %s", type(failure).__name__
                )

    standby.init_app(app)  # after the pinned read transaction: it routes its reads

    @app.before_request
    def idle_timeout() -> None:
        if not request.path.startswith(API_PREFIX):  # the API uses no session
            session.permanent = True  # the session expires after idle_minutes without requests

    _server_sessions(app, services, config)

    @app.get("/")
    @access.public
    def home() -> str:
        return render_template("home/index.html", logins=_demo_logins(config.demo_logins))

    # A route naming a permission that access.toml lacks refuses the start (exit 4), not
    # every request to it (500).
    access.check_declared(app, services.policies.access.permissions, (a[0] for a in AREAS))
    return app
