"""E-mail notifications on the pages (issue 18): the parent opts in on their own page with
the consent text, a refused form keeps its input and writes nothing, a too young pupil is
told the age; the signed link in the message opts out without signing in (a GET changes
nothing); the diary says «отправлено …» beside the mailed mark; the administrator sees the
delivery record."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from domain import clock
from domain.lesson import MarkEntry
from domain.notifications import consent_id
from ejournal.bootstrap import System
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from ejournal.webapp import secret_key, web_app
from tests.school import LESSON_DAY, at
from tests.smtp import smtp_server
from tests.web import WebSchool, client_for, post, written_since

PAGE = "/profile/mail"
ADDRESS = "elena@example.ru"


def opt_in(parent: FlaskClient, **extra: str) -> object:
    data = {"email": ADDRESS, "event_low_mark": "yes", "digest": "yes", "consent": "yes"}
    return post(parent, PAGE, {**data, **extra}, PAGE)


def test_a_parent_opts_in_with_the_consent_text(system: System, web: WebSchool) -> None:
    parent = client_for(system, web, "parent")
    assert f'href="{PAGE}"' in parent.get("/profile/").get_data(as_text=True)
    teacher = client_for(system, web, "teacher")
    assert f'href="{PAGE}"' not in teacher.get("/profile/").get_data(as_text=True)
    with clock.travel(at(LESSON_DAY, 8)):
        page = parent.get(PAGE).get_data(as_text=True)
        assert "Я даю согласие школе на обработку адреса" in page
        assert "Ежедневная сводка в 18:00" in page
        before = system.journal.recorder.max_notification_id() or 0
        refused = opt_in(parent, consent="", email="elena@bad")
        assert refused.status_code == 422
        text = refused.get_data(as_text=True)
        assert 'value="elena@bad"' in text and "в журнал ничего не записано" in text
        wrong = opt_in(parent, email="не адрес")
        assert wrong.status_code == 422
        assert "Адрес электронной почты указан неверно" in wrong.get_data(as_text=True)
        assert written_since(system, before) == []
        done = opt_in(parent)
        assert done.status_code == 302
        shown = parent.get(PAGE).get_data(as_text=True)
    assert f"письма приходят на {ADDRESS}" in shown
    account = system.journal.queries.account_by_login("parent").id
    events = list(system.journal.repository.event_store.get(consent_id(account)))
    assert [type(e).__name__ for e in events] == ["Started", "ConsentGiven"]
    with clock.travel(at(LESSON_DAY, 9)):
        off = post(parent, f"{PAGE}/off", {}, PAGE)
        assert off.status_code == 302
        assert "Уведомления выключены" in parent.get(PAGE).get_data(as_text=True)
    events = list(system.journal.repository.event_store.get(consent_id(account)))
    assert events[-1].via == "page"


def test_a_young_pupil_is_told_the_age_and_gives_no_consent(system: System, web: WebSchool) -> None:
    pupil = client_for(system, web, "pupil")
    with clock.travel(at(LESSON_DAY, 8)):
        assert "с 14 лет" in pupil.get(PAGE).get_data(as_text=True)
        refused = opt_in(pupil)
    assert refused.status_code == 403
    assert "с 14 лет" in refused.get_data(as_text=True)


def test_the_link_in_the_message_opts_out_and_the_diary_says_sent(
    system: System, web: WebSchool
) -> None:
    s = web.school
    parent = client_for(system, web, "parent")
    with clock.travel(at(LESSON_DAY, 8)):
        assert opt_in(parent).status_code == 302
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 10)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], "2", "test")], s.teacher)
    with smtp_server() as (handler, url):
        settings = MailSettings.from_env({"EJOURNAL_SMTP_URL": url})
        secret = secret_key(system.settings.secret_key_file)
        with clock.travel(at(LESSON_DAY, 11)):
            assert Notifier(system, settings, secret).run().sent == 1
    (message,) = handler.accepted
    assert message.recipients == [ADDRESS]
    with clock.travel(at(LESSON_DAY, 12)):
        diary = parent.get(f"/diary/{s.pupils[0]}").get_data(as_text=True)
    assert re.search(r"отправлено \d\d\.\d\d \d\d:\d\d", diary)
    link = re.search(r"http://127\.0\.0\.1:5000(/mail/unsubscribe/\S+)", message.text)
    assert link is not None
    stranger = web_app(system, testing=True).test_client()  # nobody signed in
    before = system.journal.recorder.max_notification_id() or 0
    confirm = stranger.get(link[1])
    assert confirm.status_code == 200 and "Отписаться" in confirm.get_data(as_text=True)
    assert written_since(system, before) == []  # a GET changes nothing
    assert stranger.post(link[1][:-3] + "AAA").status_code == 404  # not our signature
    with clock.travel(at(LESSON_DAY, 13)):
        done = stranger.post(link[1])  # a mail client's one-click POST: no CSRF token
    assert done.status_code == 200 and "Вы отписались" in done.get_data(as_text=True)
    account = system.journal.queries.account_by_login("parent").id
    events = list(system.journal.repository.event_store.get(consent_id(account)))
    assert (type(events[-1]).__name__, events[-1].via) == ("ConsentWithdrawn", "link")
    admin = client_for(system, web, "admin")
    record = admin.get("/admin/mail").get_data(as_text=True)
    assert "принято сервером" in record and "<code>parent</code>" in record
    assert "сразу, 1 запись дневника" in record
    assert ADDRESS not in record
    assert parent.get("/admin/mail").status_code == 403
