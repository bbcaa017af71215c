"""Property: for random valid command sequences, every incrementally maintained view equals
a fresh rebuild and equals the as-of replay at the current time (SQLite, inline views)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import clock, errors
from domain.lesson import MarkEntry
from ejournal.bootstrap import build
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at, build_school
from tests.views import snapshot

OPS = st.lists(
    st.tuples(
        st.sampled_from(["mark", "correct", "cancel", "attend", "topic", "request", "term"]),
        st.integers(0, 2),  # pupil
        st.sampled_from(["1", "2", "3", "4", "5"]),
        st.sampled_from(["answer", "test", "homework"]),
        st.sampled_from(["", "Н", "Б", "УП", "ОП"]),
    ),
    min_size=1,
    max_size=25,
)


def _apply(school, lesson, op, marks: list) -> None:  # type: ignore[no-untyped-def]
    j, teacher = school.journal, school.teacher
    kind, pupil_no, value, mark_kind, code = op
    pupil = school.pupils[pupil_no]
    live = [m.mark_id for m in j.queries.lesson(lesson).marks if m.current]
    if kind == "mark":
        j.entry.record_marks(lesson, [MarkEntry(pupil, value, mark_kind)], teacher)
    elif kind == "correct" and live:
        try:
            j.entry.correct_mark(
                lesson, live[pupil_no % len(live)], value, mark_kind, "исправление", teacher
            )
        except errors.CorrectionChangesNothing:
            return  # refused, nothing written: the views must still equal a rebuild
    elif kind == "cancel" and live:
        j.entry.cancel_mark(lesson, live[pupil_no % len(live)], "ошибочная отметка", teacher)
    elif kind == "attend":
        j.entry.mark_attendance(lesson, {pupil: code}, teacher)
    elif kind == "topic":
        j.entry.change_topic(lesson, f"Тема {value}", f"№ {value}{mark_kind}", teacher)
    elif kind == "request" and live:
        try:
            request = j.entry.request_correction(
                lesson, live[0], value, mark_kind, "пересмотр", teacher
            ).created[0]
        except (errors.PendingRequestExists, errors.CorrectionChangesNothing):
            return
        j.entry.approve_correction(lesson, request, school.deputy)
    elif kind == "term":
        try:
            # a value other than the rounded average is set with its reason (ADR 0024)
            j.grades.set_term_mark(school.course_id, 1, pupil, value, teacher, why="по итогам")
        except errors.AlreadyExists:
            j.grades.set_term_mark(school.course_id, 1, pupil, value, teacher, reason="пересчёт")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_incremental_equals_rebuild_equals_as_of(ops: list) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp, build(settings_for(Path(tmp))) as system:
        school = build_school(system.journal)
        lesson = school.hold()
        with clock.travel(at(LESSON_DAY, 14)):
            for op in ops:
                _apply(school, lesson, op, [])
        views, sealer = system.views, system.views.sealer
        with views.reader() as reader:
            incremental = snapshot(reader, sealer)
        with views.reader(as_of=clock.now()) as memory:
            replayed = snapshot(memory, sealer)
        views.rebuild()
        with views.reader() as reader:
            rebuilt = snapshot(reader, sealer)
        assert incremental == rebuilt
        assert incremental == replayed
