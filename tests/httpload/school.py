"""The demo school as its users reach it over HTTP: the current school year, the days a
teacher may still enter, the demo logins, teachers' and diary readers' browsers signed in,
and lessons of their own held through the grid's form.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from ejournal.demo import quarters
from tests.httpload.app import HOST, ROOT
from tests.httpload.client import (
    LessonForm,
    Session,
    SetupError,
    children,
    class_pupils,
    hold_lesson,
    lesson_form,
    own_courses,
    sign_in,
)


def school_year(today: date) -> str:
    """The school year running on ``today`` (from September), e.g. ``"2026/27"``."""
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def entry_days(year: str, today: date, policies: Path = ROOT / "policies") -> list[date]:
    """Days a teacher may still enter marks for (today first), inside a quarter."""
    policy = tomllib.loads((policies / "journal.toml").read_text(encoding="utf-8"))
    deadline = int(policy.get("entry_deadline_days", 0))
    days = [today - timedelta(days=k) for k in range(max(1, deadline))]  # one day of margin
    return [d for d in days if any(s <= d <= e for _, _, s, e in quarters(year))]


class Teacher:
    """A teacher's browser: own course journals, and lessons of its own to mark."""

    def __init__(self, session: Session, courses: list[str]) -> None:
        self.session, self.courses = session, courses
        self.lessons: list[LessonForm] = []
        self.turn = 0


class Reader:
    """A diary reader's browser: a parent (own child) or the deputy head (a class)."""

    def __init__(self, session: Session, pupils: list[str], label: str) -> None:
        self.session, self.pupils, self.label = session, pupils, label
        self.turn = 0


def logins_of(var_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """The demo's logins by role: role → [(login, password)]."""
    rows = json.loads((var_dir / "demo-logins.json").read_text(encoding="utf-8"))
    found: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        found.setdefault(row["role"], []).append((row["login"], row["password"]))
    return found


#: Opens a browser session named so (``Session`` on the app's port unless given).
Opener = Callable[[str], Session]


def teachers(
    port: int,
    logins: dict[str, list[tuple[str, str]]],
    n: int,
    term: int,
    *,
    open_session: Opener | None = None,
    first: int = 0,
) -> list[Teacher]:
    """``n`` teachers' browsers signed in (teacher logins in turn from the ``first``; a
    login keeping no course journal in ``term`` is passed over and another's browser opened
    instead), with their journals. Each sign-in verifies a password at the production scrypt
    cost (≈ 0.4 s of CPU, outside the GIL): the logins sign in at once, each login's
    browsers one after another (no two sign-ins of one account at a time)."""
    accounts = logins.get("teacher", []) + logins.get("class_teacher", [])
    if not accounts:
        raise SetupError("the demo logins hold no teacher")
    opened = open_session or (lambda name: Session(HOST, port, name))
    chosen = [accounts[(first + k) % len(accounts)] for k in range(n)]
    sessions = [opened(f"client {first + k} ({login})") for k, (login, _) in enumerate(chosen)]

    def sign_in_all(login: str) -> None:
        for session, (each, password) in zip(sessions, chosen, strict=True):
            if each == login:
                sign_in(session, login, password)

    with ThreadPoolExecutor(max_workers=len(accounts)) as pool:
        list(pool.map(sign_in_all, dict.fromkeys(login for login, _ in chosen)))
    courses: dict[str, list[str]] = {}
    found = []
    for session, (login, _) in zip(sessions, chosen, strict=True):
        if login not in courses:
            courses[login] = own_courses(session, term)
        if courses[login]:
            found.append(Teacher(session, courses[login]))
    keeping = [(login, password) for login, password in accounts if courses.get(login)]
    if not keeping:
        raise SetupError(f"no teacher keeps a course journal in term {term}")
    for k in range(n - len(found)):  # in place of those who keep none
        login, password = keeping[k % len(keeping)]
        session = opened(f"client {first + n + k} ({login})")
        sign_in(session, login, password)
        found.append(Teacher(session, courses[login]))
    return found


def readers(
    port: int,
    logins: dict[str, list[tuple[str, str]]],
    n: int,
    *,
    open_session: Opener | None = None,
) -> list[Reader]:
    """``n`` diary browsers: every other one a parent (demo parents in turn), the rest the
    deputy head reading a class's diaries."""
    parents, deputy = logins.get("parent", []), logins.get("deputy", [])
    if not deputy:
        raise SetupError("the demo logins hold no deputy head")
    opened = open_session or (lambda name: Session(HOST, port, name))
    found = []
    for k in range(n):
        parent = k % 2 == 0 and bool(parents)
        login, password = parents[(k // 2) % len(parents)] if parent else deputy[0]
        session = opened(f"diary client {k} ({login})")
        sign_in(session, login, password)
        pupils = children(session) if parent else class_pupils(session, k // 2)
        if not pupils:
            raise SetupError(f"{login} may open no diary")
        found.append(Reader(session, pupils, "parent" if parent else "deputy"))
    return found


def hold_lessons(clients: list[Teacher], per_client: int, term: int, days: list[date]) -> None:
    """Give every client ``per_client`` new lessons in its own journals (free slots only)."""
    slots: dict[str, list[tuple[str, int]]] = {}
    for k, client in enumerate(clients):
        for j in range(per_client):
            course = client.courses[(k + j) % len(client.courses)]
            free = slots.setdefault(
                course, [(d.isoformat(), p) for d in days for p in range(1, 13)]
            )
            lesson_id = None
            while lesson_id is None:
                if not free:
                    raise SetupError(f"no free lesson slot left in journal {course}")
                day, period = free.pop(0)
                lesson_id = hold_lesson(client.session, course, term, day, period)
            client.lessons.append(lesson_form(client.session, lesson_id))


def term_on(year: str, day: date) -> int:
    """The number of the quarter ``day`` falls in."""
    return next(n for n, _, s, e in quarters(year) if s <= day <= e)
