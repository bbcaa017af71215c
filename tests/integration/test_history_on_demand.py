"""The records' history built on demand from each record's own events (ADR 0029) gives what
the stored history view gave — the view built from the whole log, which equalled the
incremental one — for every record and every mark of a seeded school, now and as of earlier
moments; the old tables are dropped; and a rebuild of the views does not stop reads."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System, build
from ejournal.settings import Settings
from projections import all_views
from projections.processor import TRACKING
from projections.store import MemoryStore
from projections.views import catalog, history
from tests.school import LESSON_DAY, School, at, build_school


@dataclass
class Seeded:
    """What ``_seed`` made."""

    school: School
    lesson_5a: UUID
    lesson_5b: UUID
    mark: UUID
    archivist: UUID


def _seed(system: System) -> Seeded:
    """The test school with every kind of before/after the history shows: a topic changed,
    marks recorded, corrected by the teacher and through a request approved, one
    cancelled; attendance marked and corrected («Б»); a term mark set and corrected; a
    pupil's names corrected; a role granted, confirmed and revoked; a guardian linked."""
    j = system.journal
    school = build_school(j)
    with clock.travel(at(date(2025, 8, 25), 11)):
        archivist = j.accounts.create_account(
            "archivist", "Архивова", "Анна", "", ["archivist"], "arkhiv-secret-1", school.admin
        ).id
        j.accounts.confirm_role_grant(archivist, "archivist", school.head)
        guardian = j.people.register_guardian(
            "Смирнова", "Ольга", "", "+7 900 000-00-01", "o.smirnova@example.ru", school.admin
        ).id
        j.people.link_guardian(school.pupils[0], guardian, "мать", school.admin)
    lesson_5a, lesson_5b = school.hold(), school.hold(course=school.other_course_id)
    with clock.travel(at(LESSON_DAY, 10)):
        j.entry.change_topic(lesson_5a, "Сложение дробей", "№ 1", school.teacher)
        marks = j.entry.record_marks(
            lesson_5a,
            [MarkEntry(p, v, "answer") for p, v in zip(school.pupils, "543", strict=True)],
            school.teacher,
        ).created
        fixed = j.entry.correct_mark(
            lesson_5a, marks[2], "4", "answer", "Ошибка при вводе", school.teacher
        ).created[0]
        j.entry.cancel_mark(lesson_5a, fixed, "Работа не засчитана", school.teacher)
        j.entry.record_marks(
            lesson_5b, [MarkEntry(school.outsider, "5", "answer")], school.other_teacher
        )  # type: ignore[list-item]
        j.entry.mark_attendance(lesson_5a, {school.pupils[1]: "Н"}, school.teacher)
        j.grades.set_term_mark(school.course_id, 1, school.pupils[0], "4", school.teacher)
    with clock.travel(at(LESSON_DAY, 16)):
        j.entry.correct_attendance(
            lesson_5a, school.pupils[1], "Б", "Справка из поликлиники", school.teacher
        )
        j.grades.set_term_mark(
            school.course_id, 1, school.pupils[0], "5", school.teacher, reason="Пересчёт"
        )
    with clock.travel(at(LESSON_DAY + timedelta(days=10), 11)):
        request = j.entry.request_correction(
            lesson_5a, marks[1], "5", "answer", "Повторная проверка работы", school.teacher
        ).created[0]
    with clock.travel(at(LESSON_DAY + timedelta(days=11), 11)):
        j.entry.approve_correction(lesson_5a, request, school.deputy)
    with clock.travel(at(LESSON_DAY + timedelta(days=12), 11)):
        j.people.correct_student_details(
            school.pupils[2],
            "Иванова",
            "Мария",
            "Петровна",
            date(2014, 3, 8),
            "Ошибка в фамилии",
            school.admin,
        )
        j.accounts.revoke_role(archivist, "archivist", school.admin)
    system.views.catch_up()
    return Seeded(school, lesson_5a, lesson_5b, marks[0], archivist)


def _stored_view(system: System, until: Any = None) -> MemoryStore:
    """The history view as it was kept: built by the views' processor from the whole log."""
    memory, _ = system.views.processor.build_in_memory((history.VIEW,), until=until)
    return memory


def _records(memory: MemoryStore) -> list[str]:
    return sorted({r["originator_id"] for r in memory.rows(history.HISTORY).values()})


def _frame(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "sealed"}  # a seal's nonce is new each time


@pytest.fixture
def seeded(backend_settings: Settings) -> Any:
    with build(backend_settings) as system:
        yield system, _seed(system)


def test_every_record_and_mark_reads_as_the_stored_view_did(seeded: Any) -> None:
    system, made = seeded
    old = _stored_view(system)
    records = _records(old)
    assert len(records) > 20  # accounts, people, lessons, grades, the year, the disposition…
    audit = system.views.reads.audit
    with system.views.reading_codes(allowed=True):
        for record in records:
            expected = history.record_history(old, system.views.sealer, record)
            assert audit.history(record) == expected, record
        marks = sorted(old.rows(history.MARKS))
        assert len(marks) >= 6
        for (mark,) in marks:
            expected = history.mark_history(old, system.views.sealer, mark)
            assert expected and audit.mark_history(mark) == expected, mark
    kinds = {(r.aggregate, r.type) for rec in records for r in audit.history(rec)}
    assert {
        ("Lesson", "CorrectionApproved"),
        ("Lesson", "MarkCancelled"),
        ("Lesson", "AttendanceCorrected"),
        ("TermGrades", "TermMarkCorrected"),
        ("Student", "DetailsCorrected"),
        ("Account", "RoleRevoked"),
    } <= kinds
    # the plain frames (what the personal-data act lists) too, for many records at once
    with system.views.reader() as reader:
        found = reader.select(history.HISTORY, within=("originator_id", records))
    assert [_frame(r) for r in found] == [_frame(r) for r in old.select(history.HISTORY)]
    lesson = audit.history(str(made.lesson_5a))
    assert [r.type for r in lesson][:3] == ["Held", "TopicChanged", "MarkRecorded"]


def test_as_of_any_moment_reads_as_the_replayed_view_did(seeded: Any) -> None:
    system, made = seeded
    school = made.school
    picked = [str(made.lesson_5a), str(school.pupils[2]), str(made.archivist)]
    moments = [
        at(LESSON_DAY, 9) + timedelta(minutes=1),  # held, nothing else yet
        at(LESSON_DAY, 12),  # marked, absent, the term mark set; not yet «Б» nor corrected
        at(LESSON_DAY + timedelta(days=10), 12),  # the request made, not yet approved
        at(LESSON_DAY + timedelta(days=13), 12),
    ]
    with system.views.reading_codes(allowed=True):
        for moment in moments:
            old = _stored_view(system, until=moment)
            for record in picked + [r for r in _records(old) if r not in picked][:5]:
                expected = history.record_history(old, system.views.sealer, record)
                found = system.views.reads.audit.history(record, as_of=moment)
                assert found == expected, (moment, record)
    early = system.views.reads.audit.history(str(made.lesson_5a), as_of=moments[0])
    assert [r.type for r in early] == ["Held"]


def test_a_mark_entered_after_the_reader_opened_is_found_and_unknown_ids_are_empty(
    seeded: Any,
) -> None:
    system, made = seeded
    school = made.school
    with clock.travel(at(LESSON_DAY + timedelta(days=1), 9)):
        created = system.journal.entry.record_marks(
            made.lesson_5b, [MarkEntry(school.outsider, "3", "test")], school.other_teacher
        ).created  # type: ignore[list-item]
    system.views.catch_up()
    rows = system.views.reads.audit.mark_history(str(created[0]))
    assert [r.type for r in rows] == ["MarkRecorded"] and rows[0].values["value"] == "3"
    assert system.views.reads.audit.history("00000000-0000-0000-0000-000000000000") == []
    assert system.views.reads.audit.history("not-a-uuid") == []
    assert system.views.reads.audit.mark_history(str(made.lesson_5a)) == []


def test_a_query_that_names_no_record_is_refused(seeded: Any) -> None:
    system, _ = seeded
    with system.views.reader() as reader, pytest.raises(ValueError, match="per record"):
        reader.select(history.HISTORY, {"type": "MarkRecorded"})
    with system.views.reader() as reader:  # the other views read as before
        assert reader.select(catalog.YEARS)


def test_the_kept_history_tables_are_dropped_on_start(backend_settings: Settings) -> None:
    with build(backend_settings) as system, system.view_db.transaction() as cur:
        for table in history.VIEW.tables:
            cur.execute(f"CREATE TABLE {table.name} (originator_id TEXT, sealed TEXT)")
            cur.execute(f"INSERT INTO {table.name} VALUES ('x', 'Иванова')")
        cur.execute(f"INSERT INTO {TRACKING} (view, position) VALUES ('history', 7)")
    with build(backend_settings) as system, system.view_db.read() as cur:
        for table in history.VIEW.tables:
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = %s"
                if system.view_db.dialect == "postgres"
                else f"SELECT COUNT(*) FROM sqlite_master WHERE name = {system.view_db.param}",
                (table.name,),
            )
            assert cur.fetchone()[0] == 0, table.name
        cur.execute(f"SELECT view FROM {TRACKING}")
        assert "history" not in {r[0] for r in cur.fetchall()}
    assert history.VIEW in all_views.RETIRED


def test_reads_are_served_from_the_old_rows_while_a_rebuild_swaps_them_in(seeded: Any) -> None:
    """The rebuild's swap (DELETE + bulk load in one transaction) holds no lock a reader
    waits for: a read on another connection, made while the swap is under way, returns the
    rows as they were. (A reader that had to wait would wait for the swap, which waits for
    it here: the thread would not finish.)"""
    system, made = seeded
    db = system.view_db
    before = system.views.counts()
    grid_before = system.views.reads.journal.grid(str(made.school.course_id), 1)
    loaded: list[str] = []
    seen: dict[str, Any] = {}
    original = db.bulk_load

    def read_meanwhile() -> None:
        seen["counts"] = system.views.counts()
        seen["grid"] = system.views.reads.journal.grid(str(made.school.course_id), 1)

    def bulk_load(cur: Any, table: Any, rows: Any) -> None:
        original(cur, table, rows)
        loaded.append(table.name)
        if table.name == "v_marks":  # deleted and loaded again, not yet committed
            reader = threading.Thread(target=read_meanwhile)
            reader.start()
            reader.join(timeout=60)
            seen["finished"] = not reader.is_alive()

    db.bulk_load = bulk_load  # type: ignore[method-assign]
    try:
        system.views.rebuild([v.name for v in system.views.processor.views])
    finally:
        db.bulk_load = original  # type: ignore[method-assign]
    assert "v_marks" in loaded and seen.get("finished") is True
    assert seen["counts"] == before
    assert seen["grid"] == grid_before
    assert system.views.counts() == before
