"""E-mail notifications against a real SMTP server in the test process (issue 18, ADR 0023):
opting in and out (consent events with the text's version), immediate messages and the daily
digest with what the diary shows, a 4xx then success, a 5xx recorded, on SQLite and
PostgreSQL. The SIGKILL and two-senders tests: ``tests/e2e/test_notify_processes.py``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import pytest

from domain import clock, errors
from domain.lesson import MarkEntry
from domain.notifications import MailConsent, MailNotAllowed, NothingChosen, consent_id
from ejournal.bootstrap import System
from ejournal.mailer import MailSettings
from ejournal.notify import Notifier
from projections import mail
from tests.school import LESSON_DAY, School, at, build_school
from tests.smtp import Handler, smtp_server

SECRET = b"s" * 32
ADDRESS = "mama@example.ru"


@dataclass
class Family:
    school: School
    parent: UUID
    child: UUID
    other: UUID


class Wall:
    """The senders' clock (leases and back-off), moved by the test."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def family(system: System) -> Family:
    """The small school, a guardian of its first pupil with a parent account."""
    school = build_school(system.journal)
    j, admin = system.journal, school.admin
    with clock.travel(at(date(2025, 8, 26), 10)):
        guardian = j.people.register_guardian(
            "Смирнова", "Ольга", "", "+7 900 000-00-00", ADDRESS, admin
        ).id
        j.people.link_guardian(school.pupils[0], guardian, "мать", admin)
        parent = j.accounts.create_account(
            "mama", "Смирнова", "Ольга", "", ["parent"], "roditel-secret-1", admin, guardian
        ).id
    return Family(school, parent, school.pupils[0], school.pupils[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, str]]:
    with smtp_server() as found:
        yield found


def notifier(system: System, url: str, wall: Wall) -> Notifier:
    settings = MailSettings.from_env(
        {"EJOURNAL_SMTP_URL": url, "EJOURNAL_MAIL_FROM": "journal@school.example"}
    )
    return Notifier(system, settings, SECRET, owner="test", wall=wall)


def lesson_with_news(f: Family) -> tuple[UUID, UUID]:
    """On the lesson day: a «2» for the child, a «5» for another pupil, the child absent
    («Н»). Returns (lesson id, the «2»'s mark id)."""
    s = f.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 10)):
        s.journal.entry.record_marks(
            lesson,
            [MarkEntry(f.child, "2", "test"), MarkEntry(f.other, "5", "test")],
            s.teacher,
        )
        s.journal.entry.mark_attendance(lesson, {f.child: "Н"}, s.teacher)
    mark = s.journal.queries.lesson(lesson)
    two = next(m.mark_id for m in mark.marks if m.student_id == f.child)
    return lesson, two


def subscribe(f: Family, events: list[str], digest: bool) -> None:
    with clock.travel(at(LESSON_DAY, 8)):
        f.school.journal.notifications.subscribe(f.parent, ADDRESS, events, digest, f.parent)


def test_consent_is_an_event_with_its_text_and_only_the_person_gives_it(system: System) -> None:
    f = family(system)
    j = system.journal
    with pytest.raises(errors.Forbidden):
        j.notifications.subscribe(f.parent, ADDRESS, ["low_mark"], False, f.school.admin)
    with pytest.raises(NothingChosen):
        j.notifications.subscribe(f.parent, ADDRESS, [], False, f.parent)
    with pytest.raises(errors.InvalidInput):
        j.notifications.subscribe(f.parent, "not an address", ["low_mark"], False, f.parent)
    with pytest.raises(MailNotAllowed):  # a teacher is no parent
        j.notifications.subscribe(f.school.teacher, ADDRESS, ["low_mark"], False, f.school.teacher)
    subscribe(f, ["low_mark"], True)
    consent = j.load(MailConsent, consent_id(f.parent), readonly=True)
    given = j.repository.event_store.get(consent.id)
    kinds = [type(e).__name__ for e in given]
    assert kinds == ["Started", "ConsentGiven"]
    event = list(j.repository.event_store.get(consent.id))[1]
    policy = j.notifications.policy()
    assert event.text == policy.consent_text and event.version == policy.consent_version
    assert event.email == ADDRESS
    system.views.catch_up()
    shown = system.views.reads.notify.consent(str(f.parent))
    assert shown is not None and shown.active and shown.email == ADDRESS
    assert shown.events == ("low_mark",) and shown.digest


def test_a_pupil_opts_in_only_from_the_policys_age(system: System) -> None:
    f = family(system)
    j, admin = system.journal, f.school.admin
    with clock.travel(at(date(2025, 8, 26), 11)):
        pupil = j.accounts.create_account(
            "artem", "Смирнов", "Артём", "", ["pupil"], "uchenik-secret-1", admin, f.child
        ).id
    with clock.travel(at(LESSON_DAY, 8)), pytest.raises(MailNotAllowed, match="с 14 лет"):
        j.notifications.subscribe(pupil, "artem@example.ru", ["low_mark"], False, pupil)
    with clock.travel(at(date(2028, 3, 7), 8)):  # 14 on 7 March 2028
        j.notifications.subscribe(pupil, "artem@example.ru", ["low_mark"], False, pupil)


def test_immediate_messages_say_what_changed_and_show_no_one_else(
    system: System, smtp: tuple[Handler, str]
) -> None:
    handler, url = smtp
    f = family(system)
    subscribe(f, ["low_mark", "absence"], False)
    _, two = lesson_with_news(f)
    sender = notifier(system, url, Wall())
    with clock.travel(at(LESSON_DAY, 11)):
        tally = sender.run()
        again = sender.run()  # planning again queues nothing twice
    assert (tally.planned, tally.sent) == (2, 2)
    assert (again.planned, again.sent) == (0, 0)
    got = sorted(handler.accepted, key=lambda r: str(r.message["Subject"]))
    assert [r.recipients for r in got] == [[ADDRESS], [ADDRESS]]
    subjects = [str(r.message["Subject"]) for r in got]
    assert subjects == [
        "Электронный дневник: отметка «2»",
        "Электронный дневник: пропуск без уважительной причины",
    ]
    text = got[0].text
    assert "Смирнов А." in text and "16.09, Математика: отметка «2»" in text
    assert f"/diary/{f.child}" in text and "/mail/unsubscribe/" in text
    assert "Кузнецова" not in text + got[0].html and "«5»" not in text  # another pupil
    assert "отметка «2»" in got[0].html and "<a href=" in got[0].html
    assert got[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got[0].message_id.endswith("@school.example>")
    refs = system.views.mail.sent_refs(str(f.parent), str(f.child))
    assert str(two) in refs  # «отправлено …» beside the mark in the diary


def test_the_digest_lists_the_day_after_its_time(system: System, smtp: tuple[Handler, str]) -> None:
    handler, url = smtp
    f = family(system)
    subscribe(f, [], True)
    lesson_with_news(f)
    sender = notifier(system, url, Wall())
    with clock.travel(at(LESSON_DAY, 17)):
        assert sender.run().planned == 0  # before 18:00
    with clock.travel(at(LESSON_DAY, 19)):
        tally = sender.run()
    with clock.travel(at(LESSON_DAY + timedelta(days=1), 19)):
        later = sender.run()  # the next day had nothing new: no message
    assert (tally.planned, tally.sent, later.sent) == (1, 1, 0)
    digest = handler.accepted[0]
    assert str(digest.message["Subject"]) == "Электронный дневник: сводка за 16.09"
    for line in ("отметка «2»", "отмечено «Н»", "домашнее задание: № 12"):
        assert line in digest.text
    assert "«5»" not in digest.text


def test_opting_out_by_the_signed_link_stops_what_is_queued(
    system: System, smtp: tuple[Handler, str]
) -> None:
    handler, url = smtp
    f = family(system)
    subscribe(f, ["low_mark"], False)
    lesson_with_news(f)
    sender = notifier(system, url, Wall())
    with clock.travel(at(LESSON_DAY, 11)):
        system.views.catch_up()
        assert sender.plan() == 1
    token = mail.unsubscribe_token(SECRET, f.parent)
    assert mail.unsubscribe_account(SECRET, token) == f.parent
    assert mail.unsubscribe_account(b"x" * 32, token) is None  # another server's key
    assert mail.unsubscribe_account(SECRET, token[:-2] + "AA") is None
    with clock.travel(
        at(
            LESSON_DAY,
            11,
        )
    ):
        system.journal.notifications.unsubscribe(f.parent, "link", f.parent)
    tally = sender.run()
    assert (tally.sent, tally.dropped) == (0, 1) and handler.accepted == []
    events = list(system.journal.repository.event_store.get(consent_id(f.parent)))
    assert type(events[-1]).__name__ == "ConsentWithdrawn" and events[-1].via == "link"


def test_a_temporary_failure_is_retried_after_the_back_off(
    system: System, smtp: tuple[Handler, str]
) -> None:
    handler, url = smtp
    f = family(system)
    subscribe(f, ["low_mark"], False)
    lesson_with_news(f)
    wall = Wall()
    sender = notifier(system, url, wall)
    handler.answers = ["451 4.3.0 Try again later"]
    with clock.travel(at(LESSON_DAY, 11)):
        first = sender.run()
        wall.t += 30
        early = sender.run()  # within the first back-off (1 minute): nothing
        wall.t += 31
        second = sender.run()
    assert (first.retried, early.sent, second.sent) == (1, 0, 1)
    record = sorted(system.views.mail.record(), key=lambda a: a.attempt)
    assert [(a.attempt, a.code, a.outcome) for a in record] == [(1, 451, "retry"), (2, 250, "sent")]
    assert len({a.message_id for a in record}) == 1  # the same Message-ID both times
    assert len(handler.accepted) == 1


def test_a_permanent_failure_stops_and_is_recorded_without_the_address(
    system: System, smtp: tuple[Handler, str]
) -> None:
    handler, url = smtp
    f = family(system)
    subscribe(f, ["low_mark"], False)
    lesson_with_news(f)
    wall = Wall()
    sender = notifier(system, url, wall)
    handler.answers = [f"550 5.1.1 <{ADDRESS}>: Recipient address rejected"]
    with clock.travel(at(LESSON_DAY, 11)):
        first = sender.run()
        wall.t += 86400
        later = sender.run()
    assert (first.failed, later.sent, later.failed) == (1, 0, 0)
    (attempt,) = system.views.mail.record(state="failed")
    assert attempt.code == 550 and ADDRESS not in attempt.answer and "<адрес>" in attempt.answer
    assert system.views.mail.counts() == {"failed": 1}


def test_no_connection_is_a_temporary_failure(system: System) -> None:
    f = family(system)
    subscribe(f, ["low_mark"], False)
    lesson_with_news(f)
    from tests.smtp import free_port

    sender = notifier(system, f"smtp://127.0.0.1:{free_port()}?starttls=no&timeout=2", Wall())
    with clock.travel(at(LESSON_DAY, 11)):
        tally = sender.run()
    assert (tally.retried, tally.answers) == (1, [0])
    (attempt,) = system.views.mail.record()
    assert attempt.outcome == "retry" and "нет соединения" in attempt.answer


def test_the_worker_sends_after_each_catch_up(system: System, smtp: tuple[Handler, str]) -> None:
    """``ejournal worker`` with ``EJOURNAL_SMTP_URL`` set runs a notify round after each
    catch-up (``run_worker``'s ``tick``; the notifier's own ``tick`` at most every 30 s)."""
    import threading

    from ejournal.worker import run_worker

    handler, url = smtp
    f = family(system)
    subscribe(f, ["low_mark"], False)
    lesson_with_news(f)
    wall = Wall()
    sender = notifier(system, url, wall)
    stop = threading.Event()
    rounds: list[int] = []

    def tick() -> None:
        with clock.travel(at(LESSON_DAY, 11)):
            sender.tick()
            sender.tick()  # within 30 s of the last round: nothing
        rounds.append(len(handler.accepted))
        stop.set()

    run_worker(system, stop, poll=0.01, tick=tick)
    assert rounds == [1]
