"""The web pages on PostgreSQL, where a request's reads share one connection and one
read-only transaction (``Views.pinned``): pages, a save and the page after it, and a
connection lost between requests (PostgreSQL restarted) costing no failed page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from domain import clock
from ejournal.bootstrap import System, build
from ejournal.viewdb import PostgresViewDatabase
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, build_web_school, client_for, post

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_system(tmp_path: Path, pg_schema: tuple[str, str]) -> Iterator[System]:
    _, url = pg_schema
    settings = replace(settings_for(tmp_path, url), views_mode="inline")
    with build(settings) as built:
        yield built


@pytest.fixture
def pg_web(pg_system: System) -> WebSchool:
    return build_web_school(pg_system.journal)


def test_pages_and_a_save_on_postgresql(pg_system: System, pg_web: WebSchool) -> None:
    s = pg_web.school
    lesson = s.hold()
    teacher = client_for(pg_system, pg_web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        saved = post(
            teacher,
            f"/journal/lessons/{lesson}",
            {"topic": "Дроби", "homework": "№ 1", f"mark-{s.pupils[0]}": "5"},
            page=f"/journal/lessons/{lesson}",
        )
        assert saved.status_code == 302
        page = teacher.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Урок сохранён" in page  # the page after the save shows it (read-your-writes)
    grid = teacher.get(f"/journal/{s.course_id}/1").get_data(as_text=True)
    assert re.findall(r'<span class="mark"[^>]* data-v="(\d)"', grid) == ["5"]
    parent = client_for(pg_system, pg_web, "parent")
    diary = parent.get(f"/diary/{s.pupils[0]}?term=1")
    assert diary.status_code == 200 and "Дроби" in diary.get_data(as_text=True)
    assert parent.get(f"/diary/{s.pupils[1]}?term=1").status_code == 403  # not their child


def test_what_is_new_positions_on_postgresql(pg_system: System, pg_web: WebSchool) -> None:
    """The «что нового» ops table on PostgreSQL: first visit, news shown, seen at the next
    visit of another client, and the week with a homework due."""
    s = pg_web.school
    phone, laptop = client_for(pg_system, pg_web, "parent"), client_for(pg_system, pg_web, "parent")
    diary = f"/diary/{s.pupils[0]}"
    with clock.travel(at(LESSON_DAY, 8)):
        assert "первый визит" in phone.get(diary).get_data(as_text=True)
    s.hold()
    with clock.travel(at(LESSON_DAY, 18)):
        page = phone.get(diary).get_data(as_text=True)
    assert "задание: № 12" in page and "Дроби" in page
    with clock.travel(at(LESSON_DAY, 19)):
        assert "Ничего нового" in laptop.get(diary).get_data(as_text=True)


def _backends(db: PostgresViewDatabase) -> list[int]:
    """The backend pids of every connection the views' pool holds (all taken, then back)."""
    taken = []
    try:
        while len(taken) < db.pool.get_stats().get("pool_size", 1):
            taken.append(db.pool.getconn(timeout=1))
    except Exception:
        pass
    pids = [conn.info.backend_pid for conn in taken]
    for conn in taken:
        db.pool.putconn(conn)
    return pids


def test_connections_lost_between_requests_cost_no_failed_page(
    pg_system: System, pg_web: WebSchool, pg_schema: tuple[str, str]
) -> None:
    teacher = client_for(pg_system, pg_web, "teacher")
    url = f"/journal/{pg_web.school.course_id}/1"
    assert teacher.get(url).status_code == 200
    db = pg_system.view_db
    assert isinstance(db, PostgresViewDatabase)
    pids = _backends(db)
    assert pids
    with psycopg.connect(pg_schema[0], autocommit=True) as admin:
        for pid in pids:  # as a restart of PostgreSQL would (each gone before the next page)
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    for _ in range(3):
        assert teacher.get(url).status_code == 200


def test_ledger_verify_inside_a_request_that_already_read_views(pg_system: System) -> None:
    """Verify sets its own isolation level: inside a request's shared read transaction, after
    a view was read, it must take a transaction of its own rather than fail."""
    pg_system.views.catch_up()
    with pg_system.views.pinned():
        pg_system.views.status()  # a view read opens the request's transaction
        with pg_system.views.reader() as reader:
            assert reader is not None
        assert pg_system.ledger.verify().ok


def test_the_views_pool_has_the_configured_size(tmp_path: Path, pg_schema: tuple[str, str]) -> None:
    settings = replace(settings_for(tmp_path, pg_schema[1]), view_pool_size=24)
    with build(settings) as system:
        assert isinstance(system.view_db, PostgresViewDatabase)
        assert system.view_db.pool.max_size == 24
