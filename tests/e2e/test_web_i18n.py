"""Russian first, English available: the UI is Russian whatever the browser prefers, the
language switch turns it English for the session, and the catalogues are complete and
compiled (every message of the templates and code has an English translation)."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from ejournal.webapp import web_app
from tests.conftest import ROOT
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, post

TRANSLATIONS = ROOT / "web" / "translations"


def test_russian_by_default_even_for_an_english_browser(system: System):
    client = web_app(system, testing=True).test_client()
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    body = page.get_data(as_text=True)
    assert '<html lang="ru">' in body and "<h1>Вход</h1>" in body


def test_the_switch_turns_the_session_english(system: System, web: WebSchool):
    client = client_for(system, web, "teacher")
    back = client.get("/lang/en", headers={"Referer": "http://localhost/journal/?x=1"})
    assert back.status_code == 302 and back.headers["Location"] == "/journal/?x=1"
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in home
    assert "Areas open to you:" in home and ">Sign out<" in home and ">Journal<" in home
    forbidden = client.get("/audit/").get_data(as_text=True)
    assert "You are not allowed to open this page." in forbidden
    client.get("/lang/ru")
    assert "Разделы, доступные вам:" in client.get("/").get_data(as_text=True)


def test_the_switch_never_redirects_off_site(system: System):
    client = web_app(system, testing=True).test_client()
    back = client.get("/lang/en", headers={"Referer": "https://evil.example/phish"})
    assert (
        back.headers["Location"] == "/"
    )  # another site's page: home (tests/e2e/test_web_hygiene.py)
    assert client.get("/lang/xx").status_code == 302  # unknown language: ignored


def test_every_message_is_translated_and_compiled(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            str(ROOT / "web"),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    po = read_po((TRANSLATIONS / "en/LC_MESSAGES/messages.po").open("rb"))
    translated = {m.id: _tuple(m.string) for m in po if m.id and _full(m.string) and not m.fuzzy}
    assert sorted(map(str, wanted - set(translated))) == [], "run pybabel update and translate"
    compiled = read_mo(io.BytesIO((TRANSLATIONS / "en/LC_MESSAGES/messages.mo").read_bytes()))
    assert {_tuple(m.id): _tuple(m.string) for m in compiled if m.id} == translated, (
        "run pybabel compile"
    )


def _tuple(value: Any) -> Any:
    """A plural message's id or forms as a tuple (the .mo reader gives lists)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _full(value: Any) -> bool:
    """A translation, every plural form of it given."""
    return all(value) if isinstance(value, list | tuple) else bool(value)


def _switch(client, lang: str) -> None:
    assert client.get(f"/lang/{lang}").status_code == 302


def test_the_administrators_pages_switch_to_english_and_back(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    _switch(admin, "en")
    page = admin.get("/admin/accounts").get_data(as_text=True)
    assert "<h1>Accounts</h1>" in page
    assert ">Initial password (at least 12 characters)<" in page
    refused = post(
        admin,
        "/admin/accounts",
        {
            "login": "no.roles",
            "surname": "Безролев",
            "name": "Иван",
            "password": "x" * 9,
            "password2": "x" * 9,
        },
        "/admin/accounts",
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Tick at least one role." in body
    assert "<h1>Administration</h1>" in admin.get("/admin/").get_data(as_text=True)
    _switch(admin, "ru")
    page = admin.get("/admin/accounts").get_data(as_text=True)
    assert "<h1>Учётные записи</h1>" in page
    assert ">Начальный пароль (не короче 12 символов)<" in page


def test_the_class_pages_switch_to_english_and_back(system: System, web: WebSchool):
    tutor = client_for(system, web, "class_teacher")
    attendance = f"/classes/{web.school.class_id}/attendance"
    _switch(tutor, "en")
    page = tutor.get(attendance).get_data(as_text=True)
    assert "<h1>Attendance: " in page and "<label>From <input" in page
    refused = tutor.get(attendance + "?first=2026-10-01&last=2026-09-01")
    assert refused.status_code == 422
    assert "The period starts after it ends." in refused.get_data(as_text=True)
    assert "<h1>Classes and groups</h1>" in tutor.get("/classes/").get_data(as_text=True)
    _switch(tutor, "ru")
    page = tutor.get(attendance).get_data(as_text=True)
    assert "<h1>Посещаемость: " in page and "<label>С <input" in page


def test_the_records_pages_switch_to_english_and_back(system: System, web: WebSchool):
    archivist = client_for(system, web, "archivist")
    _switch(archivist, "en")
    page = archivist.get("/records/holds").get_data(as_text=True)
    assert "<h1>Destruction holds</h1>" in page and "<label>Scope <select" in page
    register = archivist.get("/records/").get_data(as_text=True)
    assert "<h1>Records register</h1>" in register and "<label>Records class <select" in register
    _switch(archivist, "ru")
    page = archivist.get("/records/holds").get_data(as_text=True)
    assert "<h1>Приостановки уничтожения</h1>" in page and "<label>Область <select" in page


def test_the_teachers_journal_switches_to_english_and_back(system: System, web: WebSchool):
    lesson = web.school.hold()
    page_url = f"/journal/lessons/{lesson}"
    teacher = client_for(system, web, "teacher")
    _switch(teacher, "en")
    page = teacher.get(page_url).get_data(as_text=True)
    assert "<h1>Lesson " in page and '<label for="topic">Lesson topic</label>' in page
    with clock.travel(at(LESSON_DAY, 16)):
        assert post(teacher, page_url, {"topic": "Дроби"}, page_url).status_code == 302
    assert "Lesson saved." in teacher.get(page_url).get_data(as_text=True)
    grid = teacher.get(f"/journal/{web.school.course_id}/1").get_data(as_text=True)
    assert "<label>Lesson no. <input" in grid and '<th class="final">Term</th>' in grid
    assert "<h1>Journal</h1>" in teacher.get("/journal/").get_data(as_text=True)
    _switch(teacher, "ru")
    page = teacher.get(page_url).get_data(as_text=True)
    assert "<h1>Урок " in page and '<label for="topic">Тема урока</label>' in page


def test_the_diary_switches_to_english_and_back(system: System, web: WebSchool):
    s = web.school
    diary = f"/diary/{s.pupils[0]}?term=1"
    parent = client_for(system, web, "parent")
    _switch(parent, "en")
    with clock.travel(at(LESSON_DAY, 12)):
        page = parent.get(diary).get_data(as_text=True)
    assert "<h1>Diary: " in page and "This is your first visit" in page
    lesson = s.hold(LESSON_DAY, 2)
    with clock.travel(at(LESSON_DAY, 16)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], "5", "test")], s.teacher)
    system.views.catch_up()
    with clock.travel(at(LESSON_DAY, 18)):
        page = parent.get(diary).get_data(as_text=True)
    assert "new mark <b>5</b>" in page and "<th>Average mark</th>" in page
    _switch(parent, "ru")
    with clock.travel(at(LESSON_DAY, 19)):
        page = parent.get(diary).get_data(as_text=True)
    assert "<h1>Дневник: " in page and "<th>Средний балл</th>" in page


def test_the_auditors_pages_switch_to_english_and_back(system: System, web: WebSchool):
    auditor = client_for(system, web, "auditor")
    _switch(auditor, "en")
    ledger = {"h1": "The journal's integrity ledger", "label": "Record history (identifier)"}
    _assert_ledger_page(auditor.get("/audit/").get_data(as_text=True), ledger)
    verified = post(auditor, "/audit/ledger/verify", {}, "/audit/")
    assert verified.status_code == 302
    assert "Verification passed: " in auditor.get("/audit/").get_data(as_text=True)
    refused = auditor.get("/audit/as-of/diary/" + str(web.school.pupils[0]) + "?at=вчера")
    assert refused.status_code == 422
    assert "Enter the date and time as YYYY-MM-DD HH:MM." in refused.get_data(as_text=True)
    log = auditor.get("/audit/access-log").get_data(as_text=True)
    assert (
        "<h1>Access log of personal data</h1>" in log
        and "<label>Pupil's or staff member's name <input" in log
    )
    _switch(auditor, "ru")
    ledger = {"h1": "Реестр целостности журнала", "label": "История записи (идентификатор)"}
    _assert_ledger_page(auditor.get("/audit/").get_data(as_text=True), ledger)


def _assert_ledger_page(page: str, texts: dict[str, str]) -> None:
    assert f"<h1>{texts['h1']}</h1>" in page
    assert f'<label for="record">{texts["label"]}</label>' in page


def test_every_plural_message_has_its_three_russian_forms():
    """Russian ids are their own translations except plurals: «1 год», «2 года», «5 лет»
    come from the Russian catalogue, which must give all three forms of each."""
    po = read_po((TRANSLATIONS / "ru/LC_MESSAGES/messages.po").open("rb"))
    plurals = [m for m in po if isinstance(m.id, tuple)]
    assert plurals
    missing = [m.id[0] for m in plurals if len(m.string) != 3 or not all(m.string) or m.fuzzy]
    assert missing == [], "give the Russian forms (one, few, many) in ru/messages.po"
    compiled = read_mo(io.BytesIO((TRANSLATIONS / "ru/LC_MESSAGES/messages.mo").read_bytes()))
    assert {_tuple(m.id): _tuple(m.string) for m in compiled if isinstance(m.id, list)} == {
        m.id: _tuple(m.string) for m in plurals
    }, "run pybabel compile"
