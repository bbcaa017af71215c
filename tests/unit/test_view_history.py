"""The record-history view: every event with actor, time, reason and before/after values,
sealed under the record's series key."""

from __future__ import annotations

import json
from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain import clock
from domain.base import Redacted
from domain.ids import person_series
from domain.lesson import MarkEntry
from projections.store import MemoryStore
from projections.view import Applied
from projections.views import catalog, grid, history
from projections.views.history import CANCELLED, mark_history, record_history
from tests.school import LESSON_DAY
from tests.unit.conftest import on
from tests.views import PlainSealer, processor

REASON = "Ошибка при вводе"


def build(journal, sealer=None):
    """The catalogue, grid and history views in memory; returns (store, sealer)."""
    sealer = sealer or PlainSealer()
    store, _ = processor(journal, sealer).build_in_memory((catalog.VIEW, grid.VIEW, history.VIEW))
    return store, sealer


@pytest.fixture
def marked(school):
    """A lesson with a mark «3» by the teacher for the first pupil: (lesson, mark)."""
    lesson = school.hold()
    with on(LESSON_DAY):
        receipt = school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "3", "answer")], school.teacher
        )
    return lesson, receipt.created[0]


def test_record_correct_cancel_chain_shows_exact_before_and_after(school, marked):
    lesson, old = marked
    j = school.journal
    with on(LESSON_DAY, 16):
        new = j.entry.correct_mark(lesson, old, "4", "test", REASON, school.teacher).created[0]
    with on(LESSON_DAY, 17):
        j.entry.cancel_mark(lesson, new, "Работа не засчитана", school.teacher)
    store, sealer = build(j)

    rows = record_history(store, sealer, lesson)
    assert [r.type for r in rows] == ["Held", "MarkRecorded", "MarkCorrected", "MarkCancelled"]
    assert {r.aggregate for r in rows} == {"Lesson"}
    _, recorded, corrected, cancelled = rows
    assert recorded.values["value"] == "3" and (recorded.before, recorded.after) == ({}, {})
    assert corrected.before == {"value": "3", "kind": "answer"}
    assert corrected.after == {"value": "4", "kind": "test"}
    assert (corrected.reason, corrected.actor) == (REASON, str(school.teacher))
    assert corrected.values["supersedes"] == str(old)
    assert cancelled.before == {"value": "4", "kind": "test"}
    assert cancelled.after == {"value": CANCELLED}
    assert cancelled.reason == "Работа не засчитана"
    assert [r.time for r in rows[1:]] == [clock.local_datetime(LESSON_DAY, h) for h in (15, 16, 17)]

    chain = mark_history(store, sealer, old)
    assert [r.type for r in chain] == ["MarkRecorded", "MarkCorrected", "MarkCancelled"]
    assert mark_history(store, sealer, new) == chain
    assert mark_history(store, sealer, uuid4()) == []


def test_request_and_approval_show_requester_approver_and_reason(school, marked):
    lesson, old = marked
    j = school.journal
    with on(LESSON_DAY + timedelta(days=10)):
        req = j.entry.request_correction(
            lesson, old, "5", "answer", REASON, school.teacher
        ).created[0]
    with on(LESSON_DAY + timedelta(days=11)):
        j.entry.approve_correction(lesson, req, school.deputy)
    store, sealer = build(j)

    chain = mark_history(store, sealer, old)
    assert [r.type for r in chain] == [
        "MarkRecorded",
        "CorrectionRequested",
        "CorrectionApproved",
        "MarkCorrected",
    ]
    _, requested, approved, corrected = chain
    assert (requested.actor, requested.reason) == (str(school.teacher), REASON)
    assert approved.actor == str(school.deputy)
    assert corrected.actor == str(school.teacher)
    assert corrected.values["approver"] == str(school.deputy)
    assert corrected.values["request_id"] == str(req)
    assert (corrected.before, corrected.after) == (
        {"value": "3", "kind": "answer"},
        {"value": "5", "kind": "answer"},
    )


def test_attendance_topic_and_term_marks_have_before_and_after(school):
    lesson = school.hold()
    pupil = school.pupils[0]
    j = school.journal
    with on(LESSON_DAY):
        j.entry.mark_attendance(lesson, {pupil: "Н"}, school.teacher)
        j.entry.change_topic(lesson, "Десятичные дроби", "№ 14", school.teacher)
        j.grades.set_term_mark(school.course_id, 1, pupil, "4", school.teacher)
    with on(LESSON_DAY, 16):
        j.entry.correct_attendance(lesson, pupil, "УП", "Справка от врача", school.teacher)
        j.grades.set_term_mark(school.course_id, 1, pupil, "5", school.teacher, reason=REASON)
    store, sealer = build(j)

    rows = {r.type: r for r in record_history(store, sealer, lesson)}
    assert (rows["AttendanceMarked"].before, rows["AttendanceMarked"].after) == (
        {"code": ""},
        {"code": "Н"},
    )
    assert (rows["AttendanceCorrected"].before, rows["AttendanceCorrected"].after) == (
        {"code": "Н"},
        {"code": "УП"},
    )
    assert rows["TopicChanged"].before == {"topic": "Дроби", "homework": "№ 12"}
    assert rows["TopicChanged"].after == {"topic": "Десятичные дроби", "homework": "№ 14"}

    grades = [r for r in store.rows(history.HISTORY).values() if r["aggregate"] == "TermGrades"]
    term = record_history(store, sealer, grades[0]["originator_id"])
    assert [r.type for r in term] == ["Opened", "TermMarkSet", "TermMarkCorrected"]
    assert (term[2].before, term[2].after, term[2].reason) == (
        {"value": "4"},
        {"value": "5"},
        REASON,
    )


def test_details_corrected_shows_names_before_and_after_and_keeps_them_sealed(school):
    pupil = school.pupils[0]
    with on(date(2025, 9, 20)):
        school.journal.people.correct_student_details(
            pupil,
            "Смирнова-Ли",
            "Артём",
            "Олегович",
            date(2014, 3, 8),
            "Смена фамилии",
            school.admin,
        )
    store, sealer = build(school.journal)

    rows = record_history(store, sealer, pupil)
    assert [r.type for r in rows] == ["Registered", "DetailsCorrected"]
    corrected = rows[1]
    assert corrected.before == {
        "surname": "Смирнов",
        "name": "Артём",
        "patronymic": "",
        "birth_date": "2014-03-07",
    }
    assert corrected.after == {
        "surname": "Смирнова-Ли",
        "name": "Артём",
        "patronymic": "Олегович",
        "birth_date": "2014-03-08",
    }
    assert corrected.reason == "Смена фамилии"
    for table in history.VIEW.tables:
        for row in store.rows(table).values():
            text = json.dumps([v for v in row.values() if isinstance(v, str)], ensure_ascii=False)
            assert "Смирнов" not in text and "Олегович" not in text and "2014-03" not in text


def test_role_changes_show_role_sets_and_no_password_hash(school):
    with on(date(2025, 9, 20)):
        school.journal.accounts.grant_role(school.teacher, "deputy", school.admin)
        school.journal.accounts.confirm_role_grant(school.teacher, "deputy", school.head)
        school.journal.accounts.revoke_role(school.teacher, "teacher", school.admin)
    store, sealer = build(school.journal)

    created, requested, granted, revoked = record_history(store, sealer, school.teacher)
    assert requested.type == "RoleGrantRequested" and requested.values["role"] == "deputy"
    assert granted.type == "RoleGrantConfirmed"
    assert "password_hash" not in created.values and created.values["login"] == "teacher"
    assert (granted.before, granted.after) == (
        {"roles": ["teacher"]},
        {"roles": ["deputy", "teacher"]},
    )
    assert (revoked.before, revoked.after) == (
        {"roles": ["deputy", "teacher"]},
        {"roles": ["deputy"]},
    )


def test_destroyed_series_gives_redacted_rows_while_other_records_open(school, marked):
    lesson, _ = marked
    pupil, other = school.pupils[0], school.pupils[1]
    store, sealer = build(school.journal)
    sealer.destroyed.add(person_series(pupil))

    rows = record_history(store, sealer, pupil)
    assert rows and all(r.redacted for r in rows)
    assert all((r.values, r.before, r.after, r.reason) == ({}, {}, {}, "") for r in rows)
    assert rows[0].type == "Registered" and rows[0].actor == str(school.admin)
    assert not any(r.redacted for r in record_history(store, sealer, other))
    assert record_history(store, sealer, other)[0].values["surname"] == "Кузнецова"
    assert not any(r.redacted for r in record_history(store, sealer, lesson))


def test_redacted_event_keeps_type_version_and_certificate():
    store, sealer = MemoryStore(), PlainSealer()
    record = uuid4()
    event = Redacted(
        originator_id=record,
        originator_version=3,
        timestamp=clock.now(),
        original_topic="domain.lesson:Lesson.MarkCorrected",
        key_id=uuid4(),
        certificate_id="АКТ-2031-07",
    )
    history.VIEW.apply(store, event, Applied(42, sealer))

    [row] = record_history(store, sealer, record)
    assert (row.position, row.version, row.type, row.aggregate) == (
        42,
        3,
        "MarkCorrected",
        "Lesson",
    )
    assert row.redacted and row.certificate_id == "АКТ-2031-07"
    assert (row.values, row.before, row.after, row.time, row.actor) == ({}, {}, {}, None, None)


def test_lesson_history_equals_the_event_store_history(school, marked):
    lesson, old = marked
    j = school.journal
    with on(LESSON_DAY, 16):
        j.entry.mark_attendance(lesson, {school.pupils[1]: "Б"}, school.teacher)
        new = j.entry.correct_mark(lesson, old, "4", "answer", REASON, school.teacher).created[0]
        j.entry.change_topic(lesson, "Проценты", "", school.teacher)
    with on(LESSON_DAY + timedelta(days=10)):
        req = j.entry.request_correction(lesson, new, "", "answer", REASON, school.teacher).created[
            0
        ]
    with on(LESSON_DAY + timedelta(days=11)):
        j.entry.reject_correction(lesson, req, "Отметка верна", school.deputy)
    store, sealer = build(j)

    expected = [
        (e.version, e.time, str(e.actor), e.type, e.reason, json.loads(history._dumps(e.values)))
        for e in j.queries.history(lesson)
    ]
    got = [
        (r.version, r.time, r.actor, r.type, r.reason, r.values)
        for r in record_history(store, sealer, lesson)
    ]
    assert got == expected
