"""Serving a regional deployment (ADR 0027): every school under ``/s/CODE/`` and the
regional pages under ``/region/``, from one WSGI app.

Each school's web app is the one-school app (``ejournal.webapp.web_app``) over that school's
own system (its schema, keys, ledger), built on its first request; the dispatcher moves
``/s/CODE`` from ``PATH_INFO`` to ``SCRIPT_NAME``, so the app's links carry the prefix, and
its session cookie is sent only under ``/s/CODE/``. A school's status is looked up in the
registry at most every ``status_seconds``: a disabled school answers 503 to every request.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from ejournal.bootstrap import System, build
from ejournal.region import (
    ROLES,
    LedgerNote,
    RegionError,
    Registry,
    School,
    SchoolPage,
    check_school,
    school_settings,
)
from ejournal.settings import Settings
from ejournal.webapp import secret_key, web_app
from web.deployment import DISABLED, create_root_app
from web.region import (
    REGIONAL_PAGE,
    LedgerFacts,
    RegionalUser,
    RegionConfig,
    RegionRefused,
    create_region_app,
)

SCHOOL_PATH = re.compile(r"/s/([a-z][a-z0-9_]{0,19})(/.*)?\Z", re.DOTALL)
StartResponse = Callable[..., Any]


class Deployment:
    """The schools of a regional deployment, each system built on first use."""

    def __init__(
        self,
        settings: Settings,
        environ: Mapping[str, str],
        *,
        status_seconds: float = 2.0,
        open_system: Callable[[Settings], System] = build,
    ) -> None:
        self.settings, self.environ = settings, environ
        self.registry = Registry(settings)
        self.status_seconds = status_seconds
        self._open = open_system
        self._systems: dict[str, System] = {}
        #: Every school's row, read in one query at most every ``status_seconds`` (one
        #: short-lived registry connection per process, not one per school and period).
        self._known: dict[str, School] = {}
        self._known_at = -float("inf")
        self._lock = threading.Lock()
        self._reading = threading.Lock()

    def school(self, code: str) -> School | None:
        """The registry's row of ``code`` (the rows are read again after
        ``status_seconds``); None: unknown."""
        if time.monotonic() - self._known_at >= self.status_seconds:
            with self._reading:  # one thread reads; the others wait for its rows
                now = time.monotonic()
                if now - self._known_at >= self.status_seconds:
                    try:
                        self._known = {s.code: s for s in self.registry.schools()}
                    except RegionError:
                        self._known = {}
                    self._known_at = now
        return self._known.get(code)

    def forget(self, code: str) -> None:
        """Look the schools' status up again on the next request."""
        self._known_at = -float("inf")

    def settings_of(self, school: School) -> Settings:
        """The settings of one school."""
        return school_settings(self.settings, school, self.environ)

    def system(self, code: str) -> System:
        """The school's system, built (and its schema made) on first use."""
        with self._lock:
            found = self._systems.get(code)
            if found is None:
                school = self.registry.school(code)
                found = self._open(self.settings_of(school))
                self._systems[code] = found
            return found

    def discard(self, code: str) -> None:
        """Close and forget the school's system (a school withdrawn from the registry)."""
        with self._lock:
            found = self._systems.pop(code, None)
        if found is not None:
            found.close()
        self.forget(code)

    def close(self) -> None:
        """Close every school's system."""
        with self._lock:
            for system in self._systems.values():
                system.close()
            self._systems.clear()


def _log(deployment: Deployment, code: str, by: RegionalUser, what: str) -> None:
    """Record a regional action in the access log of the school it concerns: «регион: what
    (role login)» — the school's access-log page shows such an entry as the regional
    official's (``web.audit_replay``)."""
    system = deployment.system(code)
    who = f" ({ROLES.get(by.role, by.role)} {by.login})"
    page = f"{REGIONAL_PAGE}{what[: 300 - len(REGIONAL_PAGE) - len(who)]}{who}"
    system.journal.access_log.record_access(by.id, page, [])


class RegionalBackend:
    """``web.region.RegionBackend`` over the registry and the schools' systems."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.registry = deployment.registry

    def sign_in(self, login: str, password: str) -> str | None:
        """A session token for a right login and password."""
        return self.registry.sign_in(login, password)

    def session(self, token: str) -> RegionalUser | None:
        """The account of a live session."""
        return self.registry.session(token)

    def sign_out(self, token: str) -> None:
        """End a session."""
        self.registry.sign_out(token)

    def find(self, text: str, status: str, number: int, size: int, ledger: str) -> SchoolPage:
        """A page of the schools whose code or name holds ``text``, of one status, of one
        ledger state (``failed``, ``unverified``; empty: any)."""
        return self.registry.find(text, status, number, size, ledger)

    def summary(self) -> dict[str, int]:
        """How many schools in all, active, disabled, failed and never verified."""
        return self.registry.summary()

    def school(self, code: str) -> School:
        """One school; ``LookupError`` when there is none."""
        try:
            return self.registry.school(code)
        except RegionError as error:
            raise LookupError(str(error)) from None

    def check(self, code: str, name: str) -> None:
        """Refuse (``RegionRefused``) a code or name that ``add_school`` would refuse."""
        try:
            check_school(code, name)
        except RegionError as error:
            raise RegionRefused(_kind(str(error))) from None
        if self.registry.exists():
            try:
                self.registry.school(code)
            except RegionError:
                return
            raise RegionRefused("duplicate")

    def add_school(self, code: str, name: str, by: RegionalUser) -> None:
        """Register a school, open it (its schema and keys made) and log who added it; when
        it cannot be opened its row is withdrawn (nothing half-written)."""
        try:
            school = self.registry.add_school(code, name)
        except RegionError as error:
            raise RegionRefused(_kind(str(error))) from None
        try:
            _log(self.deployment, school.code, by, "школа добавлена")
        except Exception:
            self.registry.withdraw(school.code, school.created_at)
            self.deployment.discard(school.code)
            raise RegionRefused("not_opened") from None

    def set_status(self, code: str, status: str, reason: str, by: RegionalUser) -> None:
        """Enable or disable a school; logged in it first (a disabled school still logs)."""
        what = "школа включена" if status == "active" else "школа отключена"
        _log(self.deployment, code, by, f"{what}: {reason}" if reason else what)
        self.registry.set_status(code, status, reason, by.login)
        self.deployment.forget(code)

    def _facts(self, code: str) -> LedgerFacts:
        system = self.deployment.system(code)
        sealing = system.ledger.status()
        latest = system.ledger.latest()
        checked = system.ledger.last_verification()
        facts = LedgerFacts(
            sealed=sealing.size,
            events=sealing.head,
            unsealed=sealing.unsealed,
            halt=str(sealing.halt) if sealing.halt else "",
            checkpoints=len(system.ledger.checkpoints()),
            checkpoint_size=latest.size if latest else None,
            checkpoint_time=latest.time if latest else "",
            verified_at=checked.time if checked else "",
            verified_ok=checked.ok if checked else None,
            verified_events=checked.events if checked else 0,
            problem=(
                f"{checked.first_bad}: {checked.problem}" if checked and not checked.ok else ""
            ),
        )
        self.registry.note_ledger(
            code,
            LedgerNote(
                datetime.now(UTC),
                facts.checkpoint_size,
                facts.checkpoint_time,
                facts.verified_at,
                facts.verified_ok,
            ),
        )
        return facts

    def ledger(self, code: str, by: RegionalUser, download: bool = False) -> LedgerFacts:
        """The school's ledger status (its page, or its download as JSON)."""
        what = "выгрузка состояния журнала событий" if download else "состояние журнала событий"
        _log(self.deployment, code, by, what)
        return self._facts(code)

    def verify(self, code: str, by: RegionalUser) -> LedgerFacts:
        """Verify the school's ledger and every checkpoint; the verdict is kept in the
        school (its own auditor's status page shows it) and in the regional list."""
        system = self.deployment.system(code)
        _log(self.deployment, code, by, "проверка журнала событий")
        system.ledger.verify_and_record()
        return self._facts(code)

    def checkpoint(self, code: str, by: RegionalUser) -> tuple[int, str]:
        """The school's latest signed checkpoint."""
        system = self.deployment.system(code)
        _log(self.deployment, code, by, "выгрузка контрольной точки")
        latest = system.ledger.latest()
        if latest is None:
            raise RegionRefused("no_checkpoint")
        return latest.size, latest.to_json()


def _kind(text: str) -> str:
    """The kind of a registry refusal (the web words it in the reader's language)."""
    if text.startswith("bad school code"):
        return "bad_code"
    if text.endswith("exists already"):
        return "duplicate"
    if text.startswith("the school's name"):
        return "bad_name"
    return "refused"


def _answer(start_response: StartResponse, status: str, text: str) -> Iterable[bytes]:
    body = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Электронный журнал'
        f"</title></head><body><main>{text}</main></body></html>"
    ).encode()
    start_response(
        status,
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


class Dispatcher:
    """The deployment's WSGI app: ``/s/CODE/…`` to the school, ``/region/…`` to the regional
    pages, ``/healthz`` answers ``ok``; ``/`` (the schools that work, searched and paged), a
    disabled school's 503 and every other address's 404 to the root pages
    (``web.deployment``)."""

    def __init__(self, deployment: Deployment, *, testing: bool = False) -> None:
        self.deployment = deployment
        self.testing = testing
        self._apps: dict[str, Flask] = {}
        self._lock = threading.Lock()
        settings = deployment.settings
        backend = RegionalBackend(deployment)
        self.root = create_root_app(backend, testing=testing)
        self.region = create_region_app(
            backend,
            RegionConfig(
                secret_key=secret_key(settings.secret_key_file),
                secure_cookies=settings.secure_cookies,
                testing=testing,
            ),
        )

    def app(self, code: str) -> Flask:
        """The school's web app, built on its first request."""
        with self._lock:
            found = self._apps.get(code)
        if found is None:
            system = self.deployment.system(code)
            found = web_app(system, testing=self.testing, cookie_path=f"/s/{code}/")
            with self._lock:
                found = self._apps.setdefault(code, found)
        return found

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        script = environ.get("SCRIPT_NAME", "").rstrip("/")
        if path == "/healthz":
            return _answer(start_response, "200 OK", "ok")
        if path == "/region" or path.startswith("/region/"):
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = script + "/region", path[7:] or "/"
            return self.region(environ, start_response)
        return self._school(environ, start_response, path, script)

    def _school(
        self, environ: dict[str, Any], start_response: StartResponse, path: str, script: str
    ) -> Iterable[bytes]:
        matched = SCHOOL_PATH.match(path)
        school = self.deployment.school(matched[1]) if matched else None
        if matched is None or school is None or not school.active:
            if school is not None:  # disabled: the root pages say so (503)
                environ[DISABLED] = school.name
            return self.root(environ, start_response)  # /, a missing school or page (404)
        if not matched[2]:
            start_response("301 Moved Permanently", [("Location", f"{script}/s/{school.code}/")])
            return [b""]
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = f"{script}/s/{school.code}", matched[2]
        return self.app(school.code)(environ, start_response)

    def close(self) -> None:
        """Close every school's system."""
        self.deployment.close()


def regional_app(
    settings: Settings, environ: Mapping[str, str], *, testing: bool = False
) -> Dispatcher:
    """The WSGI app of a regional deployment (``ejournal serve`` without ``--school``), with
    every active school's app built before the first request (a school added later is built
    on its first request)."""
    dispatcher = Dispatcher(Deployment(settings, environ), testing=testing)
    try:
        for school in dispatcher.deployment.registry.schools():
            if school.active:
                dispatcher.app(school.code)
    except BaseException:
        dispatcher.close()
        raise
    return dispatcher


def with_pool(settings: Settings, threads: int) -> Settings:
    """Each school's views pool sized for the server's threads."""
    return replace(settings, view_pool_size=max(2, min(settings.view_pool_size, threads + 4)))
