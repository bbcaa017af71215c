"""Reads from a hot standby (``EJOURNAL_READ_DATABASE_URL``, ADR 0028) on a primary and a
streaming standby of our own (``tests.standby``: initdb, pg_basebackup): the diary, the
class reports and the auditor's replays are read from the standby; a person's own writes
stay visible to them (with the standby's replay paused, their page falls back to the
primary while another person's still comes from the standby); the lag on ``/healthz``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from domain import clock
from ejournal.bootstrap import System, build
from ejournal.settings import Settings
from ejournal.viewdb import PostgresViewDatabase
from tests.conftest import ROOT
from tests.school import LESSON_DAY, at
from tests.standby import Pair, primary_and_standby
from tests.web import WebSchool, build_web_school, client_for, post

pytestmark = [pytest.mark.replica, pytest.mark.slow]

TOPIC = "Сравнение дробей (своя запись)"


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_standby() as made:
        yield made


@pytest.fixture
def system(pair: Pair, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    schema = "s_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:40]
    settings = Settings.from_env(
        {
            "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
            "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
            "EJOURNAL_DATABASE_URL": f"{pair.primary.url()}?schema={schema}",
            "EJOURNAL_READ_DATABASE_URL": pair.standby.url(),
        }
    )
    with build(replace(settings, views_mode="inline")) as built:
        yield built
    if pair.standby.query("SELECT pg_is_wal_replay_paused()"):
        pair.standby.query("SELECT pg_wal_replay_resume()")


def _topic_shown(client: FlaskClient, pupil: object) -> bool:
    with clock.travel(at(LESSON_DAY, 18)):
        page = client.get(f"/diary/{pupil}?term=1")
    assert page.status_code == 200
    return TOPIC in page.get_data(as_text=True)


def _marks(page: str) -> list[str]:
    return re.findall(r'<span class="mark"[^>]*>(?:<a [^>]*>)?(\d)', page)


def _save_lesson(client: FlaskClient, web: WebSchool, lesson: object) -> None:
    s = web.school
    with clock.travel(at(LESSON_DAY, 16)):
        saved = post(
            client,
            f"/journal/lessons/{lesson}",
            {"topic": TOPIC, "homework": "№ 14", f"mark-{s.pupils[0]}": "4"},
            page=f"/journal/lessons/{lesson}",
        )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1000]


def test_the_settings_name_the_standby(system: System, pair: Pair) -> None:
    db = system.view_db
    assert isinstance(db, PostgresViewDatabase) and db.has_standby
    assert system.settings.read_database is not None
    assert system.settings.read_database.schema == system.settings.database.schema


def test_own_writes_read_from_the_primary_while_the_standby_lags(
    system: System, pair: Pair
) -> None:
    web = build_web_school(system.journal)
    s = web.school
    lesson = s.hold()
    # The class teacher of 5А also teaches its mathematics: she writes and reads the diary.
    tutor_id = system.journal.queries.account_by_login("tutor").id
    with clock.travel(at(LESSON_DAY, 8)):
        system.journal.classes.assign_teacher(s.course_id, tutor_id, s.admin)
    system.views.catch_up()
    tutor = client_for(system, web, "class_teacher")
    parent = client_for(system, web, "parent")
    auditor = client_for(system, web, "auditor")
    pair.caught_up()
    assert not _topic_shown(tutor, s.pupils[0])

    pair.standby.query("SELECT pg_wal_replay_pause()")
    _save_lesson(tutor, web, lesson)

    # Her own write: the standby has not replayed it within the wait, so the primary answers.
    assert _topic_shown(tutor, s.pupils[0])
    # The parent wrote nothing since: the diary comes from the (paused) standby, which does
    # not have the lesson yet — the proof that the standby serves the diary at all.
    assert not _topic_shown(parent, s.pupils[0])
    # The auditor's replay of the diary as of now is read there too.
    moment = f"{LESSON_DAY.isoformat()}T17:30"  # school time, after the save at 16:00
    with clock.travel(at(LESSON_DAY, 18)):
        replay = auditor.get(f"/audit/as-of/diary/{s.pupils[0]}?at={moment}")
        assert replay.status_code == 200 and TOPIC not in replay.get_data(as_text=True)
        health = auditor.get("/healthz").get_json()
    standby = health["standby"]
    assert standby["reachable"] and standby["replay_paused"] and standby["lag_bytes"] > 0
    # The class journal (a report) is routed the same way: the auditor's from the standby
    # (no mark yet), the tutor's — after her write — from the primary (her mark).
    with clock.travel(at(LESSON_DAY, 18)):
        theirs = auditor.get(f"/classes/{s.class_id}/journal/1").get_data(as_text=True)
        hers = tutor.get(f"/classes/{s.class_id}/journal/1").get_data(as_text=True)
    assert _marks(hers) == ["4"] and _marks(theirs) == []

    pair.standby.query("SELECT pg_wal_replay_resume()")
    pair.caught_up()
    assert _topic_shown(parent, s.pupils[0])
    with clock.travel(at(LESSON_DAY, 18)):
        replay = auditor.get(f"/audit/as-of/diary/{s.pupils[0]}?at={moment}")
        assert TOPIC in replay.get_data(as_text=True)
        health = auditor.get("/healthz").get_json()
    assert not health["standby"]["replay_paused"]
    with clock.travel(at(LESSON_DAY, 18)):
        theirs = auditor.get(f"/classes/{s.class_id}/journal/1").get_data(as_text=True)
    assert _marks(theirs) == ["4"]


def test_a_standby_that_is_down_sends_the_reads_to_the_primary(
    system: System, pair: Pair, tmp_path: Path
) -> None:
    web = build_web_school(system.journal)
    s = web.school
    lesson = s.hold()
    system.views.catch_up()
    settings = system.settings
    assert settings.read_database is not None
    dead = replace(settings.read_database, port="1")  # nothing listens there
    with build(replace(settings, read_database=dead)) as other:
        parent = client_for(other, web, "parent")
        auditor = client_for(other, web, "auditor")
        with clock.travel(at(LESSON_DAY, 18)):
            page = parent.get(f"/diary/{s.pupils[0]}?term=1")
            health = auditor.get("/healthz").get_json()
        assert page.status_code == 200 and "Дроби" in page.get_data(as_text=True)
        assert health["status"] == "ok" and health["standby"]["reachable"] is False
    assert lesson
