"""Disk full and a read-only database, on SQLite: every write is refused whole with a clear
error — a Russian 503 page in the UI, a JSON 503 on the API, a message and exit code 8 on
the command line — nothing is half-written (each acknowledged command is all there, each
refused one left no event; the views equal a replay of the events; the ledger verifies),
and once space returns the very same process writes again, without a restart.

No root tricks: every SQLite connection the system opens is caught at ``sqlite3.connect``;
«the disk is full» is ``PRAGMA max_page_count`` pinned to the file's current size on each
(SQLite then fails exactly as on a full disk: SQLITE_FULL, «database or disk is full»), and
«read-only» is ``PRAGMA query_only`` (SQLITE_READONLY, «attempt to write a readonly
database»)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner

from domain import clock
from ejournal.bootstrap import System, build
from ejournal.cli import main
from ejournal.exitcodes import Exit
from tests.conftest import ROOT, settings_for
from tests.school import LESSON_DAY, at
from tests.views import snapshot
from tests.web import (
    WebSchool,
    api_token,
    bearer,
    build_web_school,
    client_for,
    csrf,
    written_since,
)

REAL_CONNECT = sqlite3.connect
UNLIMITED = 1_073_741_823


class Storage:
    """Every SQLite connection of the process, and the fault applied to all of them."""

    def __init__(self) -> None:
        self.connections: list[sqlite3.Connection] = []
        self.fault = ""

    def connect(self, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = REAL_CONNECT(*args, **kwargs)
        self.connections.append(conn)
        self._apply(conn)
        return conn

    def _apply(self, conn: sqlite3.Connection) -> None:
        if self.fault == "full":
            (pages,) = conn.execute("PRAGMA page_count").fetchone()
            conn.execute(f"PRAGMA max_page_count = {pages}")
        conn.execute(f"PRAGMA query_only = {'ON' if self.fault == 'readonly' else 'OFF'}")
        if not self.fault:
            conn.execute(f"PRAGMA max_page_count = {UNLIMITED}")

    def set(self, fault: str) -> None:
        """``"full"``, ``"readonly"`` or ``""`` (space returns) on every open connection."""
        self.fault = fault
        for conn in self.connections:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed
                self._apply(conn)


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch) -> Storage:
    caught = Storage()
    monkeypatch.setattr(sqlite3, "connect", caught.connect)
    return caught


@pytest.fixture
def world(storage: Storage, tmp_path: Path) -> Iterator[tuple[System, WebSchool]]:
    with build(settings_for(tmp_path)) as system:
        yield system, build_web_school(system.journal)


def events(system: System) -> int:
    return system.journal.recorder.max_notification_id() or 0


class Lessons:
    """Enter lessons through the teacher's form, each a new record with a long homework (so
    that it needs new pages); remembers which were acknowledged."""

    def __init__(self, system: System, web: WebSchool) -> None:
        self.system, self.web = system, web
        self.client = client_for(system, web, "teacher")
        self.url = f"/journal/{web.school.course_id}/lessons"
        self.token = csrf(self.client, f"/journal/{web.school.course_id}/1")
        self.acknowledged: list[str] = []
        self.refused = 0
        self.saved_not_shown = 0
        self.slot = 0

    def enter(self) -> Any:
        day = LESSON_DAY + timedelta(days=self.slot // 8)
        topic = f"Тема {self.slot}"
        form = {
            "day": day.isoformat(),
            "period": str(self.slot % 8 + 1),
            "topic": topic,
            "homework": f"№ {self.slot}: " + "повторить правила; " * 24,
            "csrf_token": self.token,
        }
        self.slot += 1
        before = events(self.system)
        with clock.travel(at(day, 9)):
            response = self.client.post(self.url, data=form)
        written = written_since(self.system, before)
        if response.status_code == 302:
            assert written, "acknowledged but nothing stored"
            lesson = response.headers["Location"].rsplit("/", 1)[1]
            assert self.system.journal.queries.lesson(UUID(lesson)).topic == topic  # all of it
            self.acknowledged.append(lesson)
        elif "Изменения сохранены" in response.get_data(as_text=True):
            # committed just before the views found the disk full: stored whole, said so
            assert response.status_code == 202 and written  # stored: not «retry» (503)
            notes = self.system.journal.recorder.select_notifications(before + 1, 100)
            held = [n for n in notes if n.topic.endswith(".Held")]
            self.acknowledged.append(str(held[0].originator_id))
            self.saved_not_shown += 1
        else:
            assert response.status_code == 503, response.get_data(as_text=True)[:1000]
            assert written == [], f"a refused command wrote {written}"
            self.refused += 1
        return response


def assert_consistent(system: System, lessons: Lessons) -> None:
    """Views equal a replay of the events in memory; the ledger verifies; every
    acknowledged lesson is in the view."""
    system.views.catch_up()
    with system.views.reader() as reader:
        stored = snapshot(reader, system.views.sealer)
    with system.views.reader(as_of=clock.now() + timedelta(days=3650)) as memory:
        replayed = snapshot(memory, system.views.sealer)
    assert stored == replayed
    in_view = {row[0] for row in stored["v_lessons"]}
    assert set(lessons.acknowledged) <= in_view
    verdict = system.ledger.verify()
    assert verdict.ok, verdict


@pytest.fixture
def writing(world: tuple[System, WebSchool]) -> tuple[System, WebSchool, Lessons, Any]:
    """The teacher's form and API client, one lesson entered while the disk is fine."""
    system, web = world
    lessons = Lessons(system, web)
    api = web_api(system, web)
    assert lessons.enter().status_code == 302
    return system, web, lessons, api


def test_a_full_disk_refuses_writes_whole_and_recovers_without_restart(storage, writing):
    system, web, lessons, api = writing
    storage.set("full")
    pages, answers = [], []
    for n in range(40):  # pages already allocated may still take a small write or two
        if not pages or len(pages) < 3:
            response = lessons.enter()
            if response.status_code == 503:
                pages.append(response.get_data(as_text=True))
        if not answers:
            answer = api_lesson(system, web, api, n)
            if answer is not None:
                answers.append(answer)
        if len(pages) >= 3 and answers:
            break
    assert pages, "the full disk never refused a form"
    assert "Нет места для записи" in pages[0] and "ничего не записано" in pages[0]
    assert "Traceback" not in pages[0]
    assert answers, "the full disk never refused an API write"
    assert answers[0]["status"] == "StorageUnavailable"
    assert "нет места" in answers[0]["message"].lower()

    print(  # seen with -s
        f"disk full: {len(lessons.acknowledged)} lessons acknowledged, {lessons.refused} "
        f"refused, {lessons.saved_not_shown} saved but not yet shown"
    )
    storage.set("")  # space returns: the same process writes again
    assert lessons.enter().status_code == 302
    assert_consistent(system, lessons)


def api_lesson(system: System, web: WebSchool, api: Any, n: int) -> dict[str, Any] | None:
    """Enter a lesson through the API: ``None`` when stored whole, the JSON error when
    refused with 503 (and then nothing was written)."""
    day = LESSON_DAY + timedelta(days=7 + n // 8)
    body = {"day": day.isoformat(), "period": n % 8 + 1, "topic": f"API {n}", "homework": "x" * 400}
    before = events(system)
    answer = api.post(f"/api/v1/course-journals/{web.school.course_id}/lessons", json=body)
    written = written_since(system, before)
    if answer.status_code == 201 or answer.get_json().get("status") == "SavedNotShown":
        assert answer.status_code in (201, 202)
        assert written  # stored whole (and, for SavedNotShown, said so though not shown yet)
        return None
    assert answer.status_code == 503, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == "application/json" and written == []
    return dict(answer.get_json())


def web_api(system: System, web: WebSchool) -> Any:
    from ejournal.webapp import web_app

    client = web_app(system, testing=True).test_client()
    token = bearer(api_token(system, web, "teacher"))

    class Api:
        def post(self, path: str, json: Any) -> Any:
            with clock.travel(at(LESSON_DAY, 9)):
                return client.post(path, json=json, headers=token)

    return Api()


def test_a_read_only_database_refuses_writes_and_recovers(storage, writing):
    system, web, lessons, api = writing
    storage.set("readonly")
    page = lessons.enter()
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "База только для чтения" in text and "Traceback" not in text
    assert page.headers["Retry-After"] == "60"
    before = events(system)
    body = {"day": LESSON_DAY.isoformat(), "period": 9, "topic": "API", "homework": ""}
    refused = api.post(f"/api/v1/course-journals/{web.school.course_id}/lessons", json=body)
    assert refused.status_code == 503 and refused.mimetype == "application/json"
    assert refused.get_json()["status"] == "StorageUnavailable"
    assert "только для чтения" in refused.get_json()["message"]
    assert written_since(system, before) == []

    storage.set("")
    assert lessons.enter().status_code == 302
    assert (
        api.post(f"/api/v1/course-journals/{web.school.course_id}/lessons", json=body).status_code
        == 201
    )
    assert lessons.refused == 1
    assert_consistent(system, lessons)


@pytest.mark.parametrize("fault", ["readonly", "full"])
def test_the_command_line_says_so_and_exits_8(storage, world, tmp_path: Path, fault: str):
    system, web = world
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
    }
    # A person issues tokens only for themselves, with their password (issue 14).
    password = web.logins["teacher"][1] + "\n"
    before = events(system)
    storage.set(fault)
    tokens = [
        CliRunner().invoke(
            main,
            ["api-token", "issue", "teacher", "--name", f"cli {n} " * 8],
            env=env,
            input=password,
        )
        for n in range(30)
    ]
    storage.set("")
    refused = [r for r in tokens if r.exit_code != 0]
    assert refused, [r.output for r in tokens]
    for result in refused:
        assert result.exit_code == Exit.STORAGE, result.output
        assert ("только для чтения" if fault == "readonly" else "нет места") in result.output
        assert "Traceback" not in result.output
    issued = [r for r in tokens if r.exit_code == 0]
    assert len(written_since(system, before)) >= len(issued)
    ok = CliRunner().invoke(
        main, ["api-token", "issue", "teacher", "--name", "after"], env=env, input=password
    )
    assert ok.exit_code == 0, ok.output
