"""Sensitive attendance codes (issue 14, item 8; ``policies/attendance.toml``): «Б» (absent
through illness, health data) is sealed in every view under the pupil's key and shown only
to the roles allowed — here the course teacher, the class teacher, the deputy, the head, the
parent and the pupil — while the auditor sees «УП» (its ``shown_as``) in the grid, the
lesson API, the diary, the attendance report (whose totals stay right) and record history."""

from __future__ import annotations

import sqlite3
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain import clock
from ejournal.bootstrap import System, build
from projections.views import grid
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, api_token, bearer, client_for

ILL = '<span class="att">Б</span>'
COVER = '<span class="att">УП</span>'
QUERY = "first=2025-09-01&last=2025-09-30"


def _ill_day(system: System, web: WebSchool) -> list:
    """Two lessons: pupil 1 ill («Б») at both, pupil 2 absent («Н»), then late («ОП»)."""
    s = web.school
    lessons = []
    for period in (2, 3):
        lesson = s.hold(period=period)
        with clock.travel(at(LESSON_DAY, 16)):
            codes = {s.pupils[1]: "Б", s.pupils[2]: "Н" if period == 2 else "ОП"}
            system.journal.entry.save_lesson_page(lesson, "Дроби", "", [], codes, s.teacher)
        lessons.append(lesson)
    system.views.catch_up()
    return lessons


def test_the_grid_shows_b_only_to_those_allowed(system: System, web: WebSchool):
    _ill_day(system, web)
    path = f"/journal/{web.school.course_id}/1"
    for role in ("teacher", "class_teacher", "deputy", "head"):
        page = client_for(system, web, role).get(path).get_data(as_text=True)
        assert page.count(ILL) == 2 and COVER not in page, role
    page = client_for(system, web, "auditor").get(path).get_data(as_text=True)
    assert ILL not in page and page.count(COVER) == 2
    assert '<span class="att">Н</span>' in page  # other codes as they are


def test_the_lesson_api_and_the_as_of_grid_follow_the_same_rule(system: System, web: WebSchool):
    lesson = _ill_day(system, web)[0]
    client = client_for(system, web, "auditor")  # also a fresh app for the API below

    def codes(role: str) -> set[str]:
        headers = bearer(api_token(system, web, role))
        answer = client.get(f"/api/v1/lessons/{lesson}", headers=headers).get_json()
        return {a["code"] for a in answer["attendance"]}

    assert codes("teacher") == {"Б", "Н"} and codes("auditor") == {"УП", "Н"}
    with clock.travel(at(LESSON_DAY, 18)):
        replay = client.get(f"/audit/as-of/grid/{web.school.course_id}/1?at=2025-09-16T20:00")
    page = replay.get_data(as_text=True)
    assert replay.status_code == 200 and ILL not in page and page.count(COVER) == 2
    head = client_for(system, web, "head")
    with clock.travel(at(LESSON_DAY, 18)):
        replay = head.get(f"/audit/as-of/grid/{web.school.course_id}/1?at=2025-09-16T20:00")
    assert replay.get_data(as_text=True).count(ILL) == 2


def test_the_diary_shows_b_to_the_family_and_staff_allowed_only(system: System, web: WebSchool):
    s = web.school
    _ill_day(system, web)
    with clock.travel(at(LESSON_DAY, 18)):
        system.journal.people.link_guardian(s.pupils[1], web.guardian, "мать", s.admin)
    path = f"/diary/{s.pupils[1]}?term=1"
    with clock.travel(at(LESSON_DAY, 18)):
        for role in ("parent", "class_teacher", "deputy"):
            page = client_for(system, web, role).get(path)
            assert page.status_code == 200, role
            assert '<span class="att"' in page.get_data(as_text=True)
            assert ">Б</span>" in page.get_data(as_text=True), role
        page = client_for(system, web, "auditor").get(path).get_data(as_text=True)
    assert ">Б</span>" not in page and ">УП</span>" in page


def test_the_attendance_report_counts_b_for_those_allowed_and_totals_for_all(
    system: System, web: WebSchool
):
    s = web.school
    _ill_day(system, web)

    def sick_row(role: str) -> dict:
        with clock.travel(at(LESSON_DAY, 18)):
            answer = client_for(system, web, role).get(
                f"/classes/{s.class_id}/attendance.xlsx?{QUERY}"
            )
        rows = list(load_workbook(BytesIO(answer.get_data()))["Посещаемость"].values)
        header = rows[3]
        return {r[1]: dict(zip(header, r, strict=True)) for r in rows[4:]}["Кузнецова Дарья"]

    tutor, auditor = sick_row("class_teacher"), sick_row("auditor")
    assert (tutor["Б"], tutor["УП"], tutor["Пропущено"], tutor["По уважительной"]) == (2, 0, 2, 2)
    assert (auditor["Б"], auditor["УП"]) == (0, 2)
    for column in ("Уроков", "Пропущено", "По уважительной", "Доля пропусков"):
        assert auditor[column] == tutor[column]


def test_record_history_hides_b_and_its_reason_from_the_auditor(system: System, web: WebSchool):
    s = web.school
    lesson = _ill_day(system, web)[0]
    with clock.travel(at(LESSON_DAY, 17)):
        system.journal.entry.correct_attendance(
            lesson, s.pupils[2], "Б", "Справка от врача: ОРВИ", s.teacher
        )
    system.views.catch_up()
    path = f"/audit/records/{lesson}"
    head = client_for(system, web, "head").get(path).get_data(as_text=True)
    assert "Код посещаемости: Б" in head and "ОРВИ" in head
    auditor = client_for(system, web, "auditor").get(path).get_data(as_text=True)
    assert (
        "Код посещаемости: Б" not in auditor
        and "ОРВИ" not in auditor
        and "Код посещаемости: УП" in auditor
    )
    assert "Код посещаемости: Н" in auditor  # the code before the correction: not sensitive


def test_views_hold_no_attendance_code_in_plaintext(system: System, web: WebSchool):
    _ill_day(system, web)
    path = Path(system.settings.database.path)
    with sqlite3.connect(path) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(v_attendance)")]
        assert "code" not in columns and "reason" not in columns
        sealed = db.execute("SELECT sealed FROM v_attendance").fetchall()
        assert len(sealed) == 4 and all(
            len(bytes(r[0])) == len(bytes(sealed[0][0])) for r in sealed
        )
        # the history (before/after of a code) is built in memory on demand, never stored
        found = db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'v_history%'")
        assert found.fetchall() == []
    blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert '"code": "Б"'.encode() not in blob and '"code":"Б"'.encode() not in blob


def test_a_destroyed_pupil_key_leaves_no_code(system: System, web: WebSchool):
    _ill_day(system, web)
    s = web.school
    system.keyring.destroy(f"person/{s.pupils[1]}", "test-certificate")
    with system.views.reading_codes(allowed=True):
        page = system.views.reads.journal.grid(str(s.course_id), 1)
    assert {c for (p, _), c in page.attendance.items() if p == str(s.pupils[1])} == {""}
    assert {c for (p, _), c in page.attendance.items() if p == str(s.pupils[2])} == {"Н", "ОП"}


def test_an_old_plaintext_table_is_dropped_and_rebuilt_sealed(tmp_path: Path):
    """A view table of the previous release (``code`` in plain) is replaced at start-up and
    built again from the log."""
    from tests.web import build_web_school

    with build(settings_for(tmp_path)) as system:
        web = build_web_school(system.journal)
        _ill_day(system, web)
        path = Path(system.settings.database.path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE v_attendance")
        db.execute(
            "CREATE TABLE v_attendance (lesson_id TEXT, student_id TEXT, code TEXT, "
            "marked_at TEXT, marked_by TEXT, corrected INTEGER, reason TEXT, "
            "PRIMARY KEY (lesson_id, student_id))"
        )
        db.execute("INSERT INTO v_attendance VALUES ('l', 's', 'Б', '', '', 0, '')")
    with build(settings_for(tmp_path)) as system:
        system.views.catch_up()
        with sqlite3.connect(path) as db:
            columns = [r[1] for r in db.execute("PRAGMA table_info(v_attendance)")]
            rows = db.execute("SELECT COUNT(*) FROM v_attendance").fetchone()[0]
        assert "code" not in columns and rows == 4
        with system.views.reading_codes(allowed=True):
            page = system.views.reads.journal.grid(str(web.school.course_id), 1)
        assert sorted(page.attendance.values()) == ["Б", "Б", "Н", "ОП"]


@pytest.mark.parametrize("allowed", [True, False])
def test_views_read_outside_a_request_as_not_allowed_by_default(
    system: System, web: WebSchool, allowed: bool
):
    _ill_day(system, web)
    course = str(web.school.course_id)
    default = system.views.reads.journal.grid(course, 1)
    assert sorted(default.attendance.values()) == ["Н", "ОП", "УП", "УП"]
    with system.views.reading_codes(allowed=allowed):
        chosen = system.views.reads.journal.grid(course, 1)
    expected = ["Б", "Б", "Н", "ОП"] if allowed else ["Н", "ОП", "УП", "УП"]
    assert sorted(chosen.attendance.values()) == expected
    assert grid.reading() is None  # the block's choice ends with it
