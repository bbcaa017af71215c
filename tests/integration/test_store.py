"""The journal on a real encrypted store, the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from domain import clock, errors
from domain.base import Redacted
from domain.lesson import MarkEntry
from ejournal.bootstrap import System, build
from ejournal.mapper import MAGIC
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at, build_school


def _all_events(system: System) -> list[object]:
    recorder = system.journal.recorder
    notes = recorder.select_notifications(start=1, limit=10**6)
    return [system.journal.mapper.to_domain_event(n) for n in notes]


def test_correction_keeps_the_original_and_history_survives_a_restart(system: System) -> None:
    school = build_school(system.journal)
    lesson = school.hold()
    j = system.journal
    with clock.travel(at(LESSON_DAY, 14)):
        mark = j.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        ).created[0]
        before = j.queries.lesson(lesson).version
        j.entry.correct_mark(lesson, mark, "4", "answer", "ошибка при вводе", school.teacher)
    system.close()

    with build(system.settings) as again:
        history = again.journal.queries.history(lesson)
        kinds = [(h.type, h.actor, h.reason) for h in history]
        assert ("MarkRecorded", school.teacher, "") in kinds
        assert ("MarkCorrected", school.teacher, "ошибка при вводе") in kinds
        old = again.journal.queries.lesson(lesson, version=before)
        assert [(m.value, m.current) for m in old.marks] == [("5", True)]
        now = again.journal.queries.lesson(lesson)
        assert {(m.value, m.current) for m in now.marks} == {("5", False), ("4", True)}


def test_rejected_command_writes_nothing(system: System) -> None:
    school = build_school(system.journal)
    lesson = school.hold()
    j = system.journal
    count = j.recorder.max_notification_id()
    with clock.travel(at(LESSON_DAY, 14)), pytest.raises(errors.MarkOffScale):
        j.entry.record_marks(
            lesson,
            [
                MarkEntry(school.pupils[0], "5", "answer"),
                MarkEntry(school.pupils[1], "7", "answer"),
            ],
            school.teacher,
        )
    assert j.recorder.max_notification_id() == count


def test_every_stored_state_is_ciphertext_bound_to_its_place(system: System) -> None:
    school = build_school(system.journal)
    j = system.journal
    notes = j.recorder.select_notifications(start=1, limit=10**6)
    assert notes and all(n.state.startswith(MAGIC) for n in notes)
    assert not any("Смирнов".encode() in n.state for n in notes)
    # A ciphertext moved to another event's place fails authentication.
    first, second = notes[0], notes[1]
    moved = StoredEvent(second.originator_id, second.originator_version, second.topic, first.state)
    with pytest.raises(errors.RecordUnauthentic):
        j.mapper.to_domain_event(moved)
    assert j.queries.student(school.pupils[0]).surname == "Смирнов"


def test_destroyed_series_reads_as_redacted_others_normally(system: System) -> None:
    school = build_school(system.journal)
    lesson_5a = school.hold()
    lesson_5b = school.hold(course=school.other_course_id)
    j = system.journal
    system.keyring.destroy("journal/2025-26/5А", certificate_id="АКТ-1")

    history = j.queries.history(lesson_5a)
    assert history and all(h.redacted for h in history)
    assert history[0].values == {"certificate_id": "АКТ-1"}
    assert j.queries.lesson(lesson_5b).topic == "Дроби"
    assert j.queries.student(school.pupils[0]).surname == "Смирнов"
    with pytest.raises(errors.RecordDestroyed):
        j.queries.lesson(lesson_5a)
    # The whole log still decodes: destroyed events are placeholders, not errors.
    events = _all_events(system)
    redacted = [e for e in events if isinstance(e, Redacted)]
    assert redacted and all(e.certificate_id == "АКТ-1" for e in redacted)
    assert len(events) == j.recorder.max_notification_id()


def test_a_destroyed_series_accepts_no_new_events(system: System) -> None:
    school = build_school(system.journal)
    system.keyring.destroy(f"person/{school.pupils[0]}", certificate_id="АКТ-2")
    with pytest.raises(errors.RecordDestroyed):
        system.journal.people.correct_student_details(
            school.pupils[0], "Новая", "Фамилия", "", LESSON_DAY, "смена фамилии", school.admin
        )
    with pytest.raises(errors.RecordDestroyed):
        system.journal.queries.student(school.pupils[0])


@pytest.mark.postgres
def test_a_start_on_postgres_creates_the_event_type_only_when_missing(
    pg_schema: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15, item 8: every start ran eventsourcing's ``CREATE TYPE`` and PostgreSQL
    logged «ERROR: type "stored_event_uuid" already exists»."""
    from eventsourcing.postgres import PostgresApplicationRecorder

    settings = settings_for(tmp_path, pg_schema[1])
    attempted: list[str] = []
    create = PostgresApplicationRecorder.create_table

    def spy(recorder: PostgresApplicationRecorder) -> None:
        attempted.extend(s.as_string() for s in recorder.sql_create_statements)
        create(recorder)

    monkeypatch.setattr(PostgresApplicationRecorder, "create_table", spy)
    with build(settings):
        pass
    assert any("CREATE TYPE" in s for s in attempted)  # a new schema: the type is made
    attempted.clear()
    with build(settings) as system:  # the next start: no CREATE TYPE at all
        assert system.journal.recorder.max_notification_id() is None
    assert attempted and not any("CREATE TYPE" in s for s in attempted), attempted
