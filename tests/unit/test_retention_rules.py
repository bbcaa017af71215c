"""The retention rules of the domain: the year's cut-off and re-opening, registration of
series with their class, holds, and the two-person disposition."""

from __future__ import annotations

import dataclasses
from datetime import date
from uuid import UUID

import pytest

from domain import clock, errors, ids
from domain.disposition import DispositionItem
from domain.lesson import MarkEntry
from domain.policies import Policies
from domain.records import RecordSeries
from projections.views import catalog
from tests.school import School, at, build_school
from tests.unit.conftest import Rejects, new_journal, on, stored
from tests.views import memory_views

CLOSE_DAY = date(2026, 6, 30)
JOURNAL_5A = "journal/2025-26/5А"


def close(school: School, **kwargs: object) -> None:
    with on(CLOSE_DAY):
        school.journal.retention.close_school_year(school.year_id, school.deputy, **kwargs)


def archivist(school: School, login: str = "archivist", *roles: str) -> UUID:
    with on(date(2025, 8, 26)):
        account = school.journal.accounts.create_account(
            login, "Архивова", "Анна", "", ["archivist", *roles], "arkhiv-secret-1", school.admin
        ).id
        for role in ("archivist", *roles):  # privileged: the head confirms each
            school.journal.accounts.confirm_role_grant(account, role, school.head)
        return account


def journal_item(cut_off: date = CLOSE_DAY) -> DispositionItem:
    return DispositionItem(
        series=JOURNAL_5A,
        record_class="class-journal",
        action="destroy",
        cut_off=cut_off,
        due_on=date(cut_off.year + 6, 1, 1),  # 5 years from 1 January after the cut-off
        year="2025/26",
        group="5А",
    )


# --- the year's cut-off ------------------------------------------------------------------
def test_the_first_close_records_the_schedule_its_due_dates_follow(school: School):
    assert school.journal.retention.recorded_schedule() is None
    close(school)
    recorded = school.journal.retention.recorded_schedule()
    assert recorded == school.journal.policies.retention.schedule()
    assert recorded["class-journal"]["count_from"] == "january_after_cut_off"
    assert recorded["class-journal"]["period"] == "P5Y"


def test_closing_the_year_is_refused_while_marks_are_missing(school: School, rejects: Rejects):
    with on(CLOSE_DAY), rejects(errors.YearIncomplete) as info:
        school.journal.retention.close_school_year(
            school.year_id, school.deputy, missing=["5А: Смирнов"]
        )
    assert info.value.details["missing"] == ["5А: Смирнов"]


def test_a_forced_close_needs_a_reason_and_records_what_was_missing(
    school: School, rejects: Rejects
):
    with on(CLOSE_DAY), rejects(errors.ReasonRequired):
        school.journal.retention.close_school_year(
            school.year_id, school.deputy, missing=["x"], force=True
        )
    close(school, missing=["a", "b"], force=True, reason="Выбыл до аттестации")
    closed = school.journal.queries.history(school.year_id)[-1]
    assert closed.type == "Closed" and closed.values["missing"] == 2
    assert closed.values["forced"] is True and closed.reason == "Выбыл до аттестации"


def test_only_the_deputy_or_head_closes_the_year(school: School, rejects: Rejects):
    with on(CLOSE_DAY), rejects(errors.RoleRequired):
        school.journal.retention.close_school_year(school.year_id, school.teacher)


def test_a_closed_year_accepts_no_new_event_in_its_series(school: School, rejects: Rejects):
    lesson = school.hold()
    close(school)
    j = school.journal
    with on(date(2026, 7, 1)):
        with rejects(errors.YearClosed):
            j.classes.enrol(school.class_id, school.outsider, date(2026, 7, 1), school.admin)
        with rejects(errors.YearClosed):
            j.classes.assign_teacher(school.course_id, school.other_teacher, school.admin)
        with rejects(errors.YearClosed):
            j.classes.open_course_journal(school.class_id, "История", "five_point", school.admin)
        with rejects(errors.PeriodClosed):
            j.entry.record_marks(
                lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.deputy
            )
        # the people's own series are not the year's
        j.people.correct_student_details(
            school.pupils[0], "Смирнов", "Артём", "", date(2014, 3, 8), "Опечатка", school.admin
        )


def test_a_recorded_reopening_lets_the_series_accept_events_again(school: School, rejects: Rejects):
    close(school)
    j = school.journal
    with on(date(2026, 7, 2)):
        with rejects(errors.OrderNumberRequired):
            j.retention.reopen_school_year(school.year_id, "Исправление ошибки", "", school.deputy)
        with rejects(errors.RoleRequired):
            j.retention.reopen_school_year(
                school.year_id, "Исправление ошибки", "№ 12", school.teacher
            )
        j.retention.reopen_school_year(
            school.year_id, "Исправление ошибки", "№ 12-о", school.deputy
        )
        j.classes.assign_teacher(school.course_id, school.other_teacher, school.admin)
    reopened = j.queries.history(school.year_id)[-1]
    assert reopened.type == "Reopened" and reopened.values["order_no"] == "№ 12-о"
    assert reopened.actor == school.deputy
    with on(date(2026, 7, 2)), rejects(errors.YearNotClosed):
        j.retention.reopen_school_year(school.year_id, "Ещё раз", "№ 13", school.deputy)


# --- series and their classes ------------------------------------------------------------
def test_every_series_is_registered_with_its_class_when_first_used(school: School):
    entry = school.journal.load(RecordSeries, ids.record_series_id(JOURNAL_5A))
    assert (entry.record_class, entry.year_id, entry.year, entry.group) == (
        "class-journal",
        school.year_id,
        "2025/26",
        "5А",
    )
    person = school.journal.load(RecordSeries, ids.record_series_id(f"person/{school.pupils[0]}"))
    assert person.record_class == "personal-data" and person.year_id is None


def test_a_series_whose_class_has_no_schedule_cannot_be_created(policies: Policies):
    classes = {k: v for k, v in policies.retention.classes.items() if k != "class-journal"}
    retention = dataclasses.replace(policies.retention, classes=classes)
    journal = new_journal(dataclasses.replace(policies, retention=retention))
    with pytest.raises(errors.NoRetentionSchedule):
        build_school(journal)
    # nothing of the class was stored: the year and people came before it
    assert not journal.exists(ids.record_series_id(JOURNAL_5A))


# --- holds and the two-person disposition ---------------------------------------------------
@pytest.fixture
def due(school: School) -> School:
    """5А's journal, closed on 30 June 2026: kept through 2031, due from 1 January 2032."""
    close(school)
    clock.set_time(at(date(2032, 1, 2)))
    return school


def test_a_held_series_is_not_proposed(due: School, rejects: Rejects):
    j, who = due.journal, archivist(due)
    hold = j.retention.place_hold("group", "2025-26 5А", "Запрос прокуратуры № 7", due.head).id
    with rejects(errors.SeriesOnHold):
        j.retention.propose_disposition([journal_item()], clock.today(), who)
    j.retention.release_hold(hold, "Проверка завершена", due.head)
    j.retention.propose_disposition([journal_item()], clock.today(), who)


def test_holds_need_an_authorised_role_and_a_reason(due: School, rejects: Rejects):
    j = due.journal
    with rejects(errors.RoleRequired):
        j.retention.place_hold("year", "2025/26", "Проверка", due.teacher)
    with rejects(errors.ReasonRequired):
        j.retention.place_hold("year", "2025/26", "", due.head)
    with rejects(errors.InvalidInput):
        j.retention.place_hold("class", "5А", "Проверка", due.head)
    hold = j.retention.place_hold("year", "2025-26", "Проверка", due.deputy).id
    with rejects(errors.RoleRequired):
        j.retention.release_hold(hold, "Готово", due.teacher)
    j.retention.release_hold(hold, "Готово", due.head)
    with rejects(errors.HoldAlreadyReleased):
        j.retention.release_hold(hold, "Ещё раз", due.head)


def test_a_series_not_yet_due_is_not_proposed(school: School, rejects: Rejects):
    close(school)
    who = archivist(school)
    with on(date(2031, 12, 31)), rejects(errors.SeriesNotDue):
        school.journal.retention.propose_disposition([journal_item()], clock.today(), who)


def test_the_proposer_cannot_approve_and_others_need_the_right(due: School, rejects: Rejects):
    j = due.journal
    who = archivist(due, "archivist", "head")  # holds the right, but proposed it
    second = archivist(due, "archivist2")
    proposal = j.retention.propose_disposition([journal_item()], clock.today(), who).id
    with rejects(errors.DispositionSelfApproval):
        j.retention.approve_disposition(proposal, who, "7", clock.today())
    with rejects(errors.RoleRequired):
        j.retention.approve_disposition(proposal, second, "7", clock.today())
    with rejects(errors.RoleRequired):
        j.retention.approve_disposition(proposal, due.teacher, "7", clock.today())
    j.retention.approve_disposition(proposal, due.deputy, "7", clock.today())
    assert j.retention.disposition(proposal).state == "approved"


def test_every_step_is_an_event_with_its_actor(due: School):
    j, who = due.journal, archivist(due)
    proposal = j.retention.propose_disposition([journal_item()], clock.today(), who).id
    j.retention.reject_disposition(proposal, "Нужна экспертиза", due.head)
    again = j.retention.propose_disposition([journal_item()], clock.today(), who).id
    j.retention.approve_disposition(again, due.head, "7", clock.today())
    j.retention.place_hold("series", JOURNAL_5A, "Судебный запрос", due.head)
    with pytest.raises(errors.SeriesOnHold):
        j.retention.execute_disposition(again, {"certificate_id": str(again)}, who)
    steps = [(e.type, e.actor) for e in j.queries.history(proposal)] + [
        (e.type, e.actor) for e in j.queries.history(again)
    ]
    assert steps == [
        ("Proposed", who),
        ("Rejected", due.head),
        ("Proposed", who),
        ("Approved", due.head),
        ("ExecutionRefused", who),
    ]
    assert j.queries.history(again)[-1].values["held"] == [JOURNAL_5A]


def test_a_series_is_in_one_proposal_at_a_time(due: School, rejects: Rejects):
    j, who = due.journal, archivist(due)
    j.retention.propose_disposition([journal_item()], clock.today(), who)
    with rejects(errors.SeriesNotDue):
        j.retention.propose_disposition([journal_item()], clock.today(), who)


def test_reopening_the_year_stops_an_approved_disposition(due: School):
    j, who = due.journal, archivist(due)
    proposal = j.retention.propose_disposition([journal_item()], clock.today(), who).id
    j.retention.approve_disposition(proposal, due.head, "7", clock.today())
    j.retention.reopen_school_year(due.year_id, "Жалоба родителей", "№ 3", due.deputy)
    before = stored(j)
    with pytest.raises(errors.SeriesNotDue):
        j.retention.execute_disposition(proposal, {"certificate_id": str(proposal)}, who)
    assert stored(j) == before + 1  # the refused attempt, and nothing else
    assert j.retention.disposition(proposal).state == "approved"


@pytest.fixture(autouse=True)
def _real_clock_after() -> object:
    yield
    clock.set_time(None)


def test_the_catalogue_shows_a_reopened_year_open_again(school: School):
    """v_years.closed (the admin's «Учебные годы» page) follows a re-opening, and a second
    close."""
    j = school.journal

    def closed() -> int:
        year = memory_views(j).get(catalog.YEARS, (str(school.year_id),))
        assert year is not None
        return int(year["closed"])

    assert closed() == 0
    close(school)
    assert closed() == 1
    with on(date(2026, 7, 2)):
        j.retention.reopen_school_year(
            school.year_id, "Исправление ошибки", "№ 12-о", school.deputy
        )
    assert closed() == 0
    with on(date(2026, 7, 3)):
        j.retention.close_school_year(school.year_id, school.deputy)
    assert closed() == 1
