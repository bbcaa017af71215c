"""A school with one account per role, and a signed-in test client, for the web tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from flask.testing import FlaskClient

from domain import clock
from tests.school import School, at, build_school
from web.limits import DEFAULTS

PASSWORD = "pass-word-12"

#: Rate limits (``EJOURNAL_RATE_LIMITS``) no fuzzer reaches: fuzzing measures what bad input
#: does, and a 429 would refuse most of it unread (ADR 0012).
UNLIMITED: tuple[tuple[str, int, int], ...] = tuple((name, 10**7, 60) for name in DEFAULTS)


@dataclass
class WebSchool:
    """``tests.school.School`` plus an account for every role; logins by role."""

    school: School
    logins: dict[str, tuple[str, str]]
    guardian: UUID  # guardian of pupils[0], signed in as "parent"
    other_guardian: UUID  # guardian of the outsider in 5Б


def build_web_school(journal: Any) -> WebSchool:
    """Build the test school and add a class teacher, families, an auditor, an archivist."""
    school = build_school(journal)
    j, admin = journal, school.admin
    with clock.travel(at(date(2025, 8, 26), 10)):
        tutor = j.accounts.create_account(
            "tutor", "Классова", "Нина", "", ["teacher", "class_teacher"], PASSWORD, admin
        ).id
        j.classes.assign_class_teacher(school.class_id, tutor, admin)
        guardian = j.people.register_guardian(
            "Смирнова", "Елена", "", "+7 900 000-00-01", "", admin
        ).id
        j.people.link_guardian(school.pupils[0], guardian, "мать", admin)
        other = j.people.register_guardian("Чужая", "Анна", "", "+7 900 000-00-02", "", admin).id
        assert school.outsider is not None
        j.people.link_guardian(school.outsider, other, "мать", admin)
        j.accounts.create_account(
            "parent", "Смирнова", "Елена", "", ["parent"], PASSWORD, admin, person_id=guardian
        )
        j.accounts.create_account(
            "pupil",
            "Смирнов",
            "Артём",
            "",
            ["pupil"],
            PASSWORD,
            admin,
            person_id=school.pupils[0],
        )
        for login, role in (("auditor", "auditor"), ("archivist", "archivist")):
            staff = j.accounts.create_account(
                login, "Сотрудник", login, "", [role], PASSWORD, admin
            ).id
            j.accounts.confirm_role_grant(staff, role, school.head)
    logins = {
        "admin": ("admin", "sysop-secret-1"),
        "teacher": ("teacher", "uchitel-secret-1"),
        "class_teacher": ("tutor", PASSWORD),
        "deputy": ("deputy", "zavuch-secret-1"),
        "head": ("head", "direktor-secret-1"),
        "auditor": ("auditor", PASSWORD),
        "archivist": ("archivist", PASSWORD),
        "parent": ("parent", PASSWORD),
        "pupil": ("pupil", PASSWORD),
    }
    return WebSchool(school, logins, guardian, other)


def csrf(client: FlaskClient, path: str = "/login") -> str:
    """A CSRF token from a page's form."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def sign_in(client: FlaskClient, login: str, password: str) -> None:
    """Sign in through the form; fail the test when refused."""
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def post(client: FlaskClient, path: str, data: dict[str, str], page: str = "/journal/") -> Any:
    """POST a form with a valid CSRF token taken from ``page``."""
    return client.post(path, data={**data, "csrf_token": csrf(client, page)})


def written_since(system: Any, position: int) -> list[str]:
    """Topics of the events stored after ``position``, leaving out the access log (reading
    pupils' data is logged even when a form is refused): its entries, and the register entry
    of the year's access-log series that the first entry of a year brings."""
    notes = system.journal.recorder.select_notifications(position + 1, 100_000)
    found = []
    for note in notes:
        if note.topic.endswith("AccessEntry.Recorded"):
            continue
        if note.topic.endswith("RecordSeries.Registered"):
            event = system.journal.mapper.to_domain_event(note)
            if str(event.record_series).startswith("access-log/"):
                continue
        found.append(note.topic)
    return found


def client_for(system: Any, web: WebSchool, role: str) -> FlaskClient:
    """A test client of a fresh app, signed in as the account of ``role``."""
    from ejournal.webapp import web_app

    client = web_app(system, testing=True).test_client()
    sign_in(client, *web.logins[role])
    return client


def api_token(system: Any, web: WebSchool, role: str) -> str:
    """A fresh bearer token of the account of ``role``, issued by its owner."""
    account = system.journal.queries.account_by_login(web.logins[role][0])
    return str(system.journal.tokens.issue_api_token(account.id, f"tests/{role}", account.id).token)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of an API request."""
    return {"Authorization": f"Bearer {token}"}


def lesson_with_request(system: Any, web: WebSchool) -> tuple[UUID, UUID, UUID]:
    """A lesson of the teacher's journal with a mark and a pending correction request of it:
    (lesson, mark, request); the views caught up."""
    from datetime import timedelta

    from domain.lesson import MarkEntry
    from tests.school import LESSON_DAY

    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        marks = [MarkEntry(s.pupils[0], "3", "answer")]
        system.journal.entry.save_lesson_page(lesson, "Дроби", "", marks, {}, s.teacher)
    mark = system.journal.queries.lesson(lesson).marks[0].mark_id
    with clock.travel(at(LESSON_DAY + timedelta(days=14), 10)):
        system.journal.entry.request_correction(lesson, mark, "4", "answer", "Пересчёт", s.teacher)
    system.views.catch_up()
    return lesson, mark, system.journal.queries.lesson(lesson).pending_requests[0]
