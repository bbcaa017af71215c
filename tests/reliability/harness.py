"""The simulated teachers of the load and crash tests, their client-side log of commands, and
the three checks afterwards (every acknowledged command in the event store exactly once,
every view equal to a rebuild, the ledger verifying).

The teachers are the browsers of ``tests/httpload`` (``tests.httpload.client.Session``:
keep-alive HTTP, cookies, CSRF tokens from the forms), signed in with the demo logins, each
on lessons of its own held through the grid's form. A teacher alternates two commands:

* **lesson save** — the whole lesson form with a new mark for one pupil and a homework text
  carrying a marker unique to the command (``rel-<run>-<client>-<n>``). One committed save
  writes exactly one ``TopicChanged`` (the new homework) and one ``MarkRecorded``;
* **correction** — one of the teacher's marks on the lesson page corrected within the own
  window, the reason carrying the marker: one ``MarkCorrected``.

A command is *acknowledged* when the answer was the redirect back to the lesson page (the
server answers after the commit). When no answer came (connection refused or reset, 503), the
teacher sends the same form again until an answer comes: such a command may be stored (the
first attempt committed before the server died) but never twice.
"""

from __future__ import annotations

import html
import random
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from domain import clock
from ejournal.bootstrap import System, build
from ejournal.settings import DatabaseURL, Settings
from ejournal.viewdb import PostgresViewDatabase
from projections import all_views
from projections.processor import Processor
from projections.sqlstore import SQLReader
from tests.conftest import ROOT
from tests.httpload.app import BIN, App
from tests.httpload.client import UUID as UUID_RE
from tests.httpload.client import Response, alert
from tests.httpload.school import (
    Teacher,
    hold_lessons,
    logins_of,
    school_year,
    teachers,
    term_on,
)
from tests.views import snapshot

LESSONS_PER_CLIENT = 3
RETRY_FOR = 120.0  # seconds a teacher keeps re-sending an unanswered command
MARKER = re.compile(r"rel-[0-9a-f]+-\d+-\d+")


@dataclass
class Command:
    """One command as the teacher sent it, and what became of it."""

    marker: str
    kind: str  # "lesson" | "correction"
    lesson_id: str
    attempts: int = 0
    unanswered: int = 0  # attempts without an HTTP answer (or 503): outcome unknown
    status: int = 0  # the final answer's status (0: none came)
    reason: str = ""  # the page's error message of a rejection
    sent: float = 0.0  # time.monotonic() of the first attempt
    answered: float = 0.0  # … and of the final answer (0: none came)

    @property
    def acknowledged(self) -> bool:
        return self.status in (302, 303)


@dataclass
class Client:
    """A simulated teacher: its browser, lessons and log of commands."""

    number: int
    teacher: Teacher
    log: list[Command] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)


class Load:
    """30 teachers saving lesson forms and corrections over HTTP for a bounded time."""

    def __init__(self, app: App, days: list[Any], clients: int, run: str) -> None:
        self.app, self.run = app, run
        year = school_year(clock.today())
        term = term_on(year, days[0])
        staff = teachers(app.port, logins_of(app.folder / "var"), clients, term)
        hold_lessons(staff, LESSONS_PER_CLIENT, term, days)
        self.clients = [Client(k, t, rng=random.Random(k)) for k, t in enumerate(staff)]
        self._values = {f.lesson_id: f.values for t in staff for f in t.lessons}  # the scale
        self.stop = threading.Event()

    @property
    def lessons(self) -> set[str]:
        return {f.lesson_id for c in self.clients for f in c.teacher.lessons}

    @property
    def commands(self) -> list[Command]:
        return [c for client in self.clients for c in client.log]

    def run_for(self, seconds: float, also: threading.Event | None = None) -> None:
        """Every teacher in its own thread, sending commands until ``seconds`` pass (and,
        when given, ``also`` is set)."""
        self.stop.clear()
        threads = [
            threading.Thread(target=self._teach, args=(client,), daemon=True)
            for client in self.clients
        ]
        for thread in threads:
            thread.start()
        self.stop.wait(seconds)
        if also is not None:
            also.wait()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=RETRY_FOR + 60)
            assert not thread.is_alive(), "a simulated teacher hung"

    # --- one teacher -----------------------------------------------------------------------
    def _teach(self, client: Client) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            marker = f"rel-{self.run}-{client.number}-{n}"
            form = client.rng.choice(client.teacher.lessons)
            if n % 3 == 0 and self._correct(client, form.lesson_id, marker):
                continue
            pupil = client.rng.choice(form.pupils)
            homework = replace(form, homework=f"§ {n % 40 + 1}, упр. {n} — {marker}")
            body = homework.with_mark(pupil, client.rng.randrange(len(form.values)))
            self._send(client, Command(marker, "lesson", form.lesson_id), body)

    def _correct(self, client: Client, lesson_id: str, marker: str) -> bool:
        """Correct one of the lesson's marks (False when the page offers none)."""
        page = self._get(client, f"/journal/lessons/{lesson_id}")
        if page is None:
            return False
        actions = re.findall(
            rf'action="(/journal/lessons/{lesson_id}/marks/{UUID_RE}/correct)"', page.text
        )
        if not actions:
            return False
        action = client.rng.choice(actions)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        # The page's form key, as a browser sends it: a form sent again after a lost answer
        # is then recognised and answered as the first was.
        key = re.search(r'name="form_key" value="([0-9a-f]{32})"', page.text)
        # A correction must change the value (the same one is refused): the standing value
        # is the row's second cell.
        mark_id = action.rsplit("/", 2)[-2]
        standing = re.search(rf'<tr id="mark-{mark_id}"><td>[^<]*</td><td>([^ <]+)', page.text)
        values = [v for v in self._values[lesson_id] if not standing or v != standing.group(1)]
        form = [
            ("csrf_token", html.unescape(token.group(1))),
            ("form_key", key.group(1) if key else ""),
            ("value", client.rng.choice(values)),
            ("kind", ""),
            ("reason", f"Ошибка при вводе, {marker}"),
        ]
        command = Command(marker, "correction", lesson_id)
        self._send(client, command, form, action)
        return True

    def _get(self, client: Client, path: str) -> Response | None:
        deadline = time.monotonic() + RETRY_FOR
        while time.monotonic() < deadline:
            page = client.teacher.session.request("GET", path)
            if page.status == 200:
                return page
            time.sleep(0.2)
        return None

    def _send(
        self, client: Client, command: Command, form: list[tuple[str, str]], path: str = ""
    ) -> None:
        """POST until an answer comes (the same form: a browser's «send again»)."""
        path = path or f"/journal/lessons/{command.lesson_id}"
        client.log.append(command)
        deadline = time.monotonic() + RETRY_FOR
        command.sent = time.monotonic()
        while True:
            command.attempts += 1
            answer = client.teacher.session.request("POST", path, form)
            if answer.status not in (0, 503):
                break
            command.unanswered += 1
            if time.monotonic() > deadline:
                return
            time.sleep(0.1 + client.rng.random() * 0.3)
        command.status = answer.status
        command.answered = time.monotonic()
        if answer.status in (302, 303):
            expected = f"/journal/lessons/{command.lesson_id}"
            assert answer.location == expected, (answer.location, expected)
        else:
            command.reason = reason_of(answer)


def reason_of(answer: Response) -> str:
    """A rejection's message without record ids (so that equal reasons count together)."""
    text = alert(answer) or f"(no message; {len(answer.body)} bytes)"
    text = re.sub(rf"(fix-)?{UUID_RE}\s*:?\s*", "", text)
    return text.split(" Исправьте", 1)[0][:160]


# --- the checks ----------------------------------------------------------------------------
@dataclass
class Audit:
    """What the event store holds of the teachers' commands."""

    acknowledged: int = 0
    found: int = 0  # acknowledged commands found
    lost: list[str] = field(default_factory=list)  # acknowledged, not found
    duplicated: list[str] = field(default_factory=list)  # stored more than once
    unanswered: int = 0  # commands that got no answer at least once
    unanswered_stored: int = 0  # of those, in the store exactly once
    rejected: Counter[str] = field(default_factory=Counter)  # "status reason": count
    server_errors: Counter[str] = field(default_factory=Counter)
    stray_marks: int = 0  # MarkRecorded in the test's lessons not from a counted save


def settings_of(app: App) -> Settings:
    """The settings the app's processes run with."""
    return Settings.from_env(app.env)


def stored_markers(system: System, lessons: set[str]) -> tuple[Counter[str], int]:
    """Read the lessons' events through the application (decrypted by its mapper): how often
    each marker is stored, and how many more marks than lesson saves the lessons hold (each
    stored save wrote one ``TopicChanged`` and one ``MarkRecorded``: a surplus mark is a
    save stored twice — a form sent again that recorded its mark again)."""
    stored: Counter[str] = Counter()
    surplus = 0
    for lesson in lessons:
        marks = saves = 0
        for event in system.journal.events.get(UUID(lesson)):
            name = type(event).__name__
            marks += name == "MarkRecorded"
            text = {"TopicChanged": "homework", "MarkCorrected": "reason"}.get(name)
            found = MARKER.findall(getattr(event, text)) if text else []
            stored.update(found)
            saves += len(found) if name == "TopicChanged" else 0
        surplus += max(0, marks - saves)
    return stored, surplus


def audit(system: System, load: Load) -> Audit:
    """Match the stored markers against the teachers' logs."""
    stored, surplus = stored_markers(system, load.lessons)
    result = Audit()
    for command in load.commands:
        count = stored.get(command.marker, 0)
        if count > 1:
            result.duplicated.append(command.marker)
        if command.unanswered:
            result.unanswered += 1
            result.unanswered_stored += count == 1
        if command.acknowledged:
            result.acknowledged += 1
            if count:
                result.found += 1
            else:
                result.lost.append(command.marker)
        elif 500 <= command.status < 600:
            result.server_errors[f"{command.status} {command.kind}: {command.reason}"] += 1
        elif command.status:
            again = " sent again after no answer" if command.unanswered else ""
            result.rejected[f"{command.status} {command.kind}{again}: {command.reason}"] += 1
    result.stray_marks = surplus
    return result


def views_equal_a_rebuild(system: System, server: str, schema: str) -> tuple[bool, int]:
    """Rebuild every view from the whole log into a fresh schema (the worker's own SQL path)
    and compare it with the views the worker kept; (equal, rows compared)."""
    head = system.journal.recorder.max_notification_id() or 0
    positions = system.views.processor.positions()
    assert min(positions.values()) == head, f"the views are behind: {positions} < {head}"
    fresh = f"{schema}_rebuild"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(fresh)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(fresh)))
    db = PostgresViewDatabase(DatabaseURL.parse(f"{server}?schema={fresh}"), max_size=2)
    try:
        sealer = system.views.sealer
        journal = system.journal
        rebuilt = Processor(all_views.ALL, journal.recorder, journal.mapper, db, sealer)
        rebuilt.setup()
        rebuilt.catch_up()
        with system.views.reader() as kept_reader:
            kept = snapshot(kept_reader, sealer)
        with db.read() as cur:
            fresh_rows = snapshot(SQLReader(db, cur), sealer)
    finally:
        db.close()
    return kept == fresh_rows, sum(len(rows) for rows in kept.values())


def ledger_verifies(app: App) -> tuple[bool, str]:
    """``ejournal ledger verify`` as the operator runs it: (exit 0, its output)."""
    done = subprocess.run(
        [str(BIN / "ejournal"), "ledger", "verify"],
        env=app.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def wait_caught_up(system: System, timeout: float = 180.0) -> None:
    """Wait until the worker has applied every stored event."""
    deadline = time.monotonic() + timeout
    while True:
        head = system.journal.recorder.max_notification_id() or 0
        if min(system.views.processor.positions().values()) >= head:
            return
        assert time.monotonic() < deadline, "the worker did not catch up"
        time.sleep(0.2)


def check_all(app: App, server: str, schema: str, load: Load) -> tuple[Audit, bool, int, str]:
    """The worker catches up (the server stopped first); then the three checks."""
    assert app.serve is not None
    app.serve.terminate()
    app.serve.wait(timeout=30)
    with build(settings_of(app)) as system:
        wait_caught_up(system)
        app.stop()
        found = audit(system, load)
        equal, rows = views_equal_a_rebuild(system, server, schema)
    ok, said = ledger_verifies(app)
    assert ok, said
    return found, equal, rows, said


def describe(found: Audit) -> list[str]:
    """The rejections and server errors, one line each, for the test's output."""
    lines = [f"rejected ×{n}: {why}" for why, n in found.rejected.most_common()]
    lines += [f"SERVER ERROR ×{n}: {why}" for why, n in found.server_errors.most_common()]
    return lines


def figures_of(found: Audit, load: Load) -> dict[str, float]:
    """The figures every run reports."""
    commands = load.commands
    return {
        "commands sent": len(commands),
        "HTTP attempts": sum(c.attempts for c in commands),
        "acknowledged": found.acknowledged,
        "found in the event store": found.found,
        "lost": len(found.lost),
        "duplicated": len(found.duplicated) + found.stray_marks,
        "rejected 409": sum(n for k, n in found.rejected.items() if k.startswith("409")),
        "rejected 422": sum(n for k, n in found.rejected.items() if k.startswith("422")),
        "rejected other": sum(
            n for k, n in found.rejected.items() if not k.startswith(("409", "422"))
        ),
        "5xx": sum(found.server_errors.values()),
        "sent again after no answer": found.unanswered,
        "… of them stored exactly once": found.unanswered_stored,
    }
