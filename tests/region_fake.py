"""A regional backend in memory (``web.region.RegionBackend``), for the regional pages'
tests that need no PostgreSQL: the help walk, the language switch, the forms' fuzzing. Codes
and names are checked by the registry's own ``check_school``; every change and every logged
action is kept, so a test sees what a request wrote."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID, uuid4

from werkzeug.test import Client

from ejournal.region import LedgerNote, Listed, RegionError, School, SchoolPage, check_school
from web.region import LedgerFacts, RegionalUser, RegionConfig, RegionRefused, create_region_app

PASSWORDS = {"oblast-admin": "regional_admin", "oblast-audit": "regional_auditor"}
PASSWORD = "region-pass-7"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeUser:
    id: UUID
    login: str
    role: str


@dataclass
class FakeRegion:
    """Schools, sessions, and every write (``writes``) and logged action (``logged``)."""

    schools: dict[str, School] = field(default_factory=dict)
    notes: dict[str, LedgerNote] = field(default_factory=dict)
    sessions: dict[str, FakeUser] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)
    writes: list[tuple[str, ...]] = field(default_factory=list)
    logged: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.users = {login: FakeUser(uuid4(), login, role) for login, role in PASSWORDS.items()}

    def add(self, code: str, name: str, status: str = "active") -> None:
        self.schools[code] = School(code, name, status, f"region_{code}", "main", NOW, NOW)

    # --- RegionBackend ---------------------------------------------------------------
    def sign_in(self, login: str, password: str) -> str | None:
        if login not in self.users or password != PASSWORD:
            return None
        token = secrets.token_urlsafe(16)
        self.sessions[token] = self.users[login]
        return token

    def session(self, token: str) -> RegionalUser | None:
        return self.sessions.get(token)

    def sign_out(self, token: str) -> None:
        self.sessions.pop(token, None)

    def find(self, text: str, status: str, number: int, size: int, ledger: str) -> SchoolPage:
        needle = text.strip().casefold()
        found = [
            s
            for code, s in sorted(self.schools.items())
            if (needle in code or needle in s.name.casefold())
            and status in ("", s.status)
            and ledger in ("", self._state(code))
        ]
        pages = max(1, -(-len(found) // size))
        number = min(max(1, number), pages)
        rows = found[(number - 1) * size : number * size]
        return SchoolPage(
            [Listed(s, self.notes.get(s.code)) for s in rows], number, pages, len(found)
        )

    def _state(self, code: str) -> str:
        note = self.notes.get(code)
        if note is None or not note.verified_at:
            return "unverified"
        return "verified" if note.verified_ok else "failed"

    def summary(self) -> dict[str, int]:
        states = [self._state(code) for code in self.schools]
        statuses = [s.status for s in self.schools.values()]
        return {
            "total": len(self.schools),
            "active": statuses.count("active"),
            "disabled": statuses.count("disabled"),
            "failed": states.count("failed"),
            "unverified": states.count("unverified"),
        }

    def school(self, code: str) -> School:
        if code not in self.schools:
            raise LookupError(code)
        return self.schools[code]

    def check(self, code: str, name: str) -> None:
        try:
            check_school(code, name)
        except RegionError as error:
            kind = "bad_code" if "code" in str(error) else "bad_name"
            raise RegionRefused(kind) from None
        if code in self.schools:
            raise RegionRefused("duplicate")

    def add_school(self, code: str, name: str, by: RegionalUser) -> None:
        self.check(code, name)
        self.add(code, name.strip())
        self.writes.append(("add", code))
        self.logged.append((code, by.login, "школа добавлена"))

    def set_status(self, code: str, status: str, reason: str, by: RegionalUser) -> None:
        self.schools[code] = replace(
            self.school(code), status=status, reason=reason, changed_by=by.login
        )
        self.writes.append(("status", code, status))
        self.logged.append((code, by.login, f"{status}: {reason}"))

    def _facts(self, code: str) -> LedgerFacts:
        self.notes[code] = LedgerNote(NOW, 12, NOW.isoformat(), NOW.isoformat(), True)
        return LedgerFacts(12, 12, 0, "", 1, 12, NOW.isoformat(), NOW.isoformat(), True, 12, "")

    def ledger(self, code: str, by: RegionalUser, download: bool = False) -> LedgerFacts:
        self.logged.append((code, by.login, "download" if download else "ledger"))
        return self._facts(code)

    def verify(self, code: str, by: RegionalUser) -> LedgerFacts:
        self.logged.append((code, by.login, "verify"))
        return self._facts(code)

    def checkpoint(self, code: str, by: RegionalUser) -> tuple[int, str]:
        self.logged.append((code, by.login, "checkpoint"))
        return 12, '{"size": 12}'


def numbered(count: int) -> FakeRegion:
    """A region of ``count`` schools ``sch000``… («Школа № N»; those whose number ends in 7
    disabled) and the active ``gym5`` («Гимназия № 5 имени А. С. Пушкина»)."""
    made = FakeRegion()
    for number in range(count):
        made.add(
            f"sch{number:03d}", f"Школа № {number}", "disabled" if number % 10 == 7 else "active"
        )
    made.add("gym5", "Гимназия № 5 имени А. С. Пушкина")
    return made


def region_app(region: FakeRegion) -> object:
    """The regional app over the fake, in test mode."""
    return create_region_app(
        region, RegionConfig(secret_key=b"k" * 32, cookie_path="/", testing=True)
    )


def signed_in(app: object, login: str | None) -> Client:
    """A client of the regional app, signed in as ``login`` (None: not signed in)."""
    client = Client(app)  # type: ignore[arg-type]
    if login is not None:
        data = {"login": login, "password": PASSWORD, "csrf_token": csrf(client, "/login")}
        answer = client.post("/login", data=data)
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client


def csrf(client: Client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:1000]
    return found.group(1)
