"""Term and year marks that explain themselves, on the pages (issue 18 §2, ADR 0024): the
teacher sets a term mark other than the rounded average only with a reason; the teacher,
the class teacher, the auditor, the parent and the pupil see the marks it was computed from
with kinds and weights, the average, the rounding rule and the version of grading.toml; a
later correction shows beside it and does not rewrite it; the diary shows term and year
marks; a parent who asked for them gets an e-mail about a new term mark."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from flask.testing import FlaskClient

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from ejournal.webapp import secret_key
from tests.school import LESSON_DAY, at
from tests.smtp import smtp_server
from tests.web import WebSchool, client_for, post, written_since
from web.final_explained import APPROVED_VERSION

WHY = "Не сдана зачётная работа четверти"
SET_DAY = date(2025, 10, 20)
FIX = "Пересдача контрольной работы"


def _marked(system: System, web: WebSchool) -> tuple[UUID, tuple[UUID, ...]]:
    """Pupil 0: «5» for an answer (×1) and «3» for a test (×3): (5 + 9) / 4 = 3,50 → «4»."""
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        created = s.journal.entry.record_marks(
            lesson,
            [MarkEntry(s.pupils[0], "5", "answer"), MarkEntry(s.pupils[0], "3", "test")],
            s.teacher,
        ).created
    system.views.catch_up()
    return lesson, created


def _set_term_mark(system: System, web: WebSchool, teacher: FlaskClient) -> str:
    s = web.school
    grid = f"/journal/{s.course_id}/1"
    url = f"{grid}/term-marks"
    p0 = s.pupils[0]
    with clock.travel(at(SET_DAY, 10)):
        assert f'name="why-{p0}"' in teacher.get(grid).get_data(as_text=True)
        before = system.journal.recorder.max_notification_id() or 0
        refused = post(teacher, url, {f"final-{p0}": "3"}, grid)
        assert refused.status_code == 422
        text = refused.get_data(as_text=True)
        assert "отличается от округлённого среднего (3,50 → «4»)" in text
        name = system.views.reads.people.names([str(p0)], short=True)[str(p0)]
        assert f"{name}: Отметка «3» отличается" in text
        assert written_since(system, before) == []
        done = post(teacher, url, {f"final-{p0}": "3", f"why-{p0}": WHY}, grid)
        assert done.status_code == 302
    return f"/journal/{s.course_id}/1/final/{p0}"


def test_the_term_mark_explains_itself_to_every_reader(system: System, web: WebSchool) -> None:
    s = web.school
    _marked(system, web)
    teacher = client_for(system, web, "teacher")
    page_url = _set_term_mark(system, web, teacher)
    grid = teacher.get(f"/journal/{s.course_id}/1").get_data(as_text=True)
    assert f'href="{page_url}"' in grid
    version = system.policies.grading.content_hash
    assert len(version) == 64
    diary_url = f"/diary/{s.pupils[0]}/final/{s.course_id}/1"
    readers = {
        "teacher": page_url,
        "class_teacher": page_url,
        "deputy": page_url,
        "auditor": page_url,
        "parent": diary_url,
        "pupil": diary_url,
    }
    for role, url in readers.items():
        client = teacher if role == "teacher" else client_for(system, web, role)
        with clock.travel(at(SET_DAY, 12)):
            response = client.get(url)
        assert response.status_code == 200, role
        page = response.get_data(as_text=True)
        assert "Контрольная работа" in page and "×3" in page and "Ответ на уроке" in page
        assert "Σ(отметка × вес) / Σ весов = 14 / 4 = <b>3,50</b>" in page, role
        assert "дробная часть от 0,5 и больше — вверх" in page and "<b>4</b>" in page
        assert "отличается от округлённого среднего «4»" in page
        assert f'<dd id="why">{WHY}</dd>' in page
        assert version[:16] in page and f'title="{version}"' in page
    # the approved version containing the hash, once the policy versions name one
    auditor = client_for(system, web, "auditor")
    orders = {version: "утверждены приказом № 12 от 01.09.2025"}
    auditor.application.extensions[APPROVED_VERSION] = orders.get
    named = auditor.get(page_url).get_data(as_text=True)
    assert "— утверждены приказом № 12 от 01.09.2025" in named
    # another family's child, and a teacher of another subject, see nothing of it
    parent = client_for(system, web, "parent")
    assert parent.get(page_url).status_code == 403
    assert s.outsider is not None
    other = f"/diary/{s.outsider}/final/{s.course_id}/1"
    assert parent.get(other).status_code in (403, 404)
    missing = f"/journal/{s.course_id}/1/final/{s.pupils[1]}"
    assert teacher.get(missing).status_code == 404


def test_a_later_correction_shows_beside_the_explanation(system: System, web: WebSchool) -> None:
    s = web.school
    lesson, created = _marked(system, web)
    teacher = client_for(system, web, "teacher")
    page_url = _set_term_mark(system, web, teacher)
    with clock.travel(at(date(2025, 10, 22), 10)):
        s.journal.entry.correct_mark(lesson, created[1], "5", "test", FIX, s.deputy)
    system.views.catch_up()
    auditor = client_for(system, web, "auditor")
    page = auditor.get(page_url).get_data(as_text=True)
    # as of the setting: the test's «3» still counts, 3,50 → «4»
    assert "= 14 / 4 = <b>3,50</b>" in page
    later = re.search(r'<ul id="later">(.*?)</ul>', page, re.S)
    assert later is not None
    assert "после выставления исправлено:" in later[1]
    assert "16.09.2025" in later[1] and "«3» → «5»" in later[1] and FIX in later[1]


def test_the_diary_shows_term_and_year_marks(system: System, web: WebSchool) -> None:
    s = web.school
    _marked(system, web)
    teacher = client_for(system, web, "teacher")
    _set_term_mark(system, web, teacher)
    with clock.travel(at(date(2026, 5, 20), 10)):
        for term in (2, 3, 4):  # a year mark is set from the term marks of every term
            s.journal.grades.set_term_mark(s.course_id, term, s.pupils[0], "3", s.teacher)
        s.journal.grades.set_year_mark(s.course_id, s.pupils[0], "3", s.teacher)
    system.views.catch_up()
    parent = client_for(system, web, "parent")
    with clock.travel(at(SET_DAY, 12)):
        page = parent.get(f"/diary/{s.pupils[0]}?term=1").get_data(as_text=True)
    assert "<th>За четверть</th>" in page and "<th>За год</th>" in page
    term_link = f'href="/diary/{s.pupils[0]}/final/{s.course_id}/1"'
    year_link = f'href="/diary/{s.pupils[0]}/final/{s.course_id}/0"'
    assert term_link in page and year_link in page
    assert f'<small class="note">{WHY}</small>' in page
    year = parent.get(f"/diary/{s.pupils[0]}/final/{s.course_id}/0").get_data(as_text=True)
    assert "Годовая отметка" in year and "четвертная" in year and "<b>3</b>" in year


def test_a_parent_is_mailed_a_new_term_mark(system: System, web: WebSchool) -> None:
    s = web.school
    _marked(system, web)
    parent = client_for(system, web, "parent")
    with clock.travel(at(SET_DAY, 8)):
        form = parent.get("/profile/mail").get_data(as_text=True)
        assert 'name="event_final_mark"' in form
        assert "новая четвертная или годовая отметка" in form
        data = {"email": "elena@example.ru", "event_final_mark": "yes", "consent": "yes"}
        assert post(parent, "/profile/mail", data, "/profile/mail").status_code == 302
    teacher = client_for(system, web, "teacher")
    _set_term_mark(system, web, teacher)
    with smtp_server() as (handler, url):
        settings = MailSettings.from_env({"EJOURNAL_SMTP_URL": url})
        secret = secret_key(system.settings.secret_key_file)
        with clock.travel(at(SET_DAY, 11)):
            tally = Notifier(system, settings, secret).run()
    # the marks of the lesson day are older than the immediate window: only the term mark
    assert tally.sent == 1
    (message,) = handler.accepted
    assert message.recipients == ["elena@example.ru"]
    assert "новая четвертная отметка за 1 четверть: «3»" in message.text
    assert "«3»" in message.html
    with clock.travel(at(SET_DAY, 12)):
        diary = parent.get(f"/diary/{s.pupils[0]}?term=1").get_data(as_text=True)
    assert re.search(r'<small class="mailed">отправлено \d\d\.\d\d \d\d:\d\d</small>', diary)


def test_the_explanation_page_switches_to_english(system: System, web: WebSchool) -> None:
    _marked(system, web)
    teacher = client_for(system, web, "teacher")
    page_url = _set_term_mark(system, web, teacher)
    assert teacher.get("/lang/en").status_code == 302
    page = teacher.get(page_url).get_data(as_text=True)
    assert "Weighted average" in page and "Rounding rule" in page
    assert "Version of the grading rules" in page
