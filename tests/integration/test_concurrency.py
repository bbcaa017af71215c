"""Concurrent writers on one lesson: every command is saved or reported, never lost."""

from __future__ import annotations

import threading

from domain import clock, errors
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, at, build_school

THREADS = 8
COMMANDS_PER_THREAD = 12


def test_parallel_marks_on_one_lesson_are_saved_or_reported(system: System) -> None:
    school = build_school(system.journal)
    lesson = school.hold()
    journal = system.journal
    acknowledged: list[object] = []
    conflicts: list[errors.ConcurrentUpdate] = []
    unexpected: list[BaseException] = []
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()

    def teacher(n: int) -> None:
        clock.set_time(at(LESSON_DAY, 14))
        barrier.wait()
        for i in range(COMMANDS_PER_THREAD):
            pupil = school.pupils[(n + i) % len(school.pupils)]
            try:
                receipt = journal.entry.record_marks(
                    lesson, [MarkEntry(pupil, str(1 + (n + i) % 5), "answer")], school.teacher
                )
            except errors.ConcurrentUpdate as error:
                with lock:
                    conflicts.append(error)
            except BaseException as error:  # reported by the assertion below
                with lock:
                    unexpected.append(error)
            else:
                with lock:
                    acknowledged.extend(receipt.created)

    threads = [threading.Thread(target=teacher, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not unexpected, unexpected
    assert len(acknowledged) + len(conflicts) == THREADS * COMMANDS_PER_THREAD
    stored = [h for h in journal.queries.history(lesson) if h.type == "MarkRecorded"]
    assert sorted(str(h.values["mark_id"]) for h in stored) == sorted(map(str, acknowledged))
    assert len(journal.queries.lesson(lesson).marks) == len(acknowledged)
