"""The demo seeder builds a realistic school through the application commands.

A small school (2 classes of 6 pupils, 3 weeks of lessons) keeps these tests fast.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from faker.providers.person.ru_RU import Provider as RuNames

from domain import clock, ids, passwords
from domain.account import ROLES
from domain.base import SYSTEM_ACTOR
from domain.journal import Journal
from ejournal import password_strength
from ejournal.demo import DemoSchool, class_names, parse_year, quarters, seed_demo
from ejournal.policyfiles import load_policies

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SMALL: dict[str, Any] = {"classes": 2, "pupils_per_class": 6, "weeks": 3}
TINY: dict[str, Any] = {"classes": 1, "pupils_per_class": 2, "weeks": 1}


def new_journal() -> Journal:
    journal = Journal(load_policies(POLICIES), env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    journal.accounts.strength = password_strength.check  # as the product builds it
    return journal


@pytest.fixture(scope="module")
def demo() -> tuple[Journal, DemoSchool, list[tuple[str, int, int]]]:
    journal = new_journal()
    calls: list[tuple[str, int, int]] = []
    school = seed_demo(journal, progress=lambda *call: calls.append(call), **SMALL)
    return journal, school, calls


def events(journal: Journal, type_name: str = "") -> list[Any]:
    """Every stored event (decoded), optionally only those of one type, in log order."""
    found = journal.recorder.select_notifications(start=1, limit=10**7)
    decoded = [journal.mapper.to_domain_event(n) for n in found]
    return [e for e in decoded if not type_name or type(e).__name__ == type_name]


def test_every_role_has_a_role_based_login_that_authenticates(demo: Any) -> None:
    journal, school, _ = demo
    granted: set[str] = set()
    for role, login, password in school.logins:
        assert re.fullmatch(
            r"(admin|head|deputy|auditor|archivist|(teacher|parent|pupil)\d\d)", login
        )
        assert len(password) >= passwords.MIN_LENGTH
        account = journal.queries.authenticate(login, password)
        assert role in account.roles
        granted |= account.roles
    assert granted == set(ROLES)
    assert len({login for _, login, _ in school.logins}) == len(school.logins)


def test_the_system_actor_creates_the_first_admin_who_creates_the_rest(demo: Any) -> None:
    journal, _, _ = demo
    admin = ids.account_id("admin")
    assert journal.queries.history(admin)[0].actor == SYSTEM_ACTOR
    assert journal.queries.history(ids.account_id("deputy"))[0].actor == admin


def test_parent_account_belongs_to_a_guardian_of_the_pupil_account(demo: Any) -> None:
    journal, _, _ = demo
    for n in ("01", "02"):
        parent = journal.queries.account_by_login(f"parent{n}")
        pupil = journal.queries.account_by_login(f"pupil{n}")
        assert parent.person_id is not None and pupil.person_id is not None
        linked = {
            e.values["guardian_id"]
            for e in journal.queries.history(pupil.person_id)
            if e.type == "GuardianLinked"
        }
        assert parent.person_id in linked
        assert journal.queries.guardian(parent.person_id).full_name == parent.display_name
        assert journal.queries.student(pupil.person_id).full_name == pupil.display_name


def test_classes_have_enrolled_pupils_and_class_teachers(demo: Any) -> None:
    journal, school, _ = demo
    assert list(school.classes) == ["5А", "5Б"]
    for class_id in school.classes.values():
        kinds = Counter(e.type for e in journal.queries.history(class_id))
        assert kinds["StudentEnrolled"] == SMALL["pupils_per_class"]
        assert kinds["ClassTeacherAssigned"] == 1
    assert school.pupils == 12 and 12 <= school.guardians <= 24
    assert len(school.activity_groups) == 2


def test_pupils_have_consistent_names_grade_birth_dates_and_guardians(demo: Any) -> None:
    journal, _, _ = demo
    first_year = parse_year("2025/26")[0].year
    for registered in events(journal, "Registered"):
        if not hasattr(registered, "birth_date"):
            continue  # a guardian
        pupil = journal.queries.student(registered.originator_id)
        male = pupil.name in RuNames.first_names_male
        assert (pupil.patronymic in RuNames.middle_names_male) == male
        assert (pupil.surname in RuNames.last_names_male) == male
        assert date(first_year - 11, 3, 1) <= pupil.birth_date <= date(first_year - 10, 3, 1)
        links = [e for e in journal.queries.history(pupil.id) if e.type == "GuardianLinked"]
        assert 1 <= len(links) <= 2
        assert links[0].values["relation"] == "мать"


def test_lessons_have_topics_attendance_and_marks_of_several_kinds(demo: Any) -> None:
    journal, school, _ = demo
    lessons = [journal.queries.lesson(e.originator_id) for e in events(journal, "Held")]
    assert len(lessons) == school.lessons > 0
    assert all(lesson.topic for lesson in lessons)
    assert {lesson.kind for lesson in lessons} == {"lesson", "extracurricular"}
    marks = [m for lesson in lessons for m in lesson.marks]
    assert len([m for m in marks if m.supersedes is None]) == school.marks
    assert {"answer", "homework", "independent", "dictation"} <= {m.kind for m in marks}
    values = Counter(m.value for m in marks)
    assert values["5"] + values["4"] > 2 * (values["3"] + values["2"]) > 0
    assert sum(1 for lesson in lessons if lesson.marks) > 0.95 * len(lessons)
    codes = Counter(c for lesson in lessons for c in lesson.attendance.values())
    assert codes["Б"] > 0 and set(codes) <= {"Н", "Б", "УП", "ОП"}


def test_events_are_in_time_order_and_lessons_entered_within_the_deadline(demo: Any) -> None:
    journal, _, _ = demo
    stamps = [e.timestamp for e in events(journal)]
    assert stamps == sorted(stamps)
    assert clock.local_datetime(date(2025, 8, 25), 9) <= stamps[0]
    for held in events(journal, "Held"):
        entered = held.timestamp.astimezone(clock.SCHOOL_TZ).date()
        assert 0 <= clock.days_between(held.day, entered) <= 3


def test_history_shows_corrections_with_reasons_and_decided_requests(demo: Any) -> None:
    journal, school, _ = demo
    corrected = {e.originator_id for e in events(journal, "MarkCorrected")}
    history = [h for lesson_id in corrected for h in journal.queries.history(lesson_id)]
    fixes = [h for h in history if h.type == "MarkCorrected"]
    assert all(len(h.reason) >= 5 for h in fixes)
    own = [h for h in fixes if h.values["approver"] is None]
    approved = [h for h in fixes if h.values["request_id"] is not None]
    assert own and approved
    deputy = ids.account_id("deputy")
    assert all(h.values["approver"] == deputy for h in approved)
    assert any(h.type == "CorrectionApproved" and h.actor == deputy for h in history)
    rejected = events(journal, "CorrectionRejected")
    assert len(rejected) == 1 and rejected[0].reason
    assert len(events(journal, "MarkCancelled")) == 1
    assert school.corrections == len(fixes) + 1


def test_progress_is_reported_for_each_stage(demo: Any) -> None:
    _, school, calls = demo
    stages = {stage for stage, _, _ in calls}
    assert {"accounts", "pupils", "lessons"} <= stages
    assert calls[-1][0] == "lessons" and calls[-1][1] == calls[-1][2]
    assert ("pupils", school.pupils, school.pupils) in calls


def test_counts_match_the_event_log(demo: Any) -> None:
    journal, school, _ = demo
    assert school.events == journal.recorder.max_notification_id()
    assert school.teachers == sum(1 for role, _, _ in school.logins if "teacher" in role)


def test_logins_and_passwords_are_deterministic_for_a_seed() -> None:
    first = seed_demo(new_journal(), seed=7, **TINY)
    again = seed_demo(new_journal(), seed=7, **TINY)
    other = seed_demo(new_journal(), seed=8, **TINY)
    assert first.logins == again.logins
    assert [r[:2] for r in other.logins] == [r[:2] for r in first.logins]
    assert [r[2] for r in other.logins] != [r[2] for r in first.logins]


def test_year_quarters_and_class_names() -> None:
    assert parse_year("2025/26") == (date(2025, 9, 1), date(2026, 5, 31))
    assert parse_year("1999/00") == (date(1999, 9, 1), date(2000, 5, 31))
    terms = quarters("2026/27")
    assert terms[0][2:] == (date(2026, 9, 1), date(2026, 10, 26))
    assert terms[2][2] == date(2027, 1, 12)
    for wrong in ("2025/27", "2025", "двадцать пятый"):
        with pytest.raises(ValueError):
            parse_year(wrong)
    assert class_names(8) == ["5А", "5Б", "6А", "6Б", "7А", "7Б", "8А", "8Б"]
    assert class_names(12)[:3] == ["5А", "5Б", "5В"]


def test_a_second_seed_into_the_same_journal_is_refused() -> None:
    journal = new_journal()
    seed_demo(journal, **TINY)
    with pytest.raises(Exception, match="уже"):
        seed_demo(journal, **TINY)
    assert isinstance(journal.queries.account_by_login("admin").id, UUID)
