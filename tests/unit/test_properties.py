"""Property tests: the lesson's current marks follow a simple model; only scale values pass."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import CorrectionChangesNothing, DomainError, MarkOffScale, NotMarkAuthor
from domain.lesson import MarkEntry
from tests.school import LESSON_DAY, School, build_school
from tests.unit.conftest import expect_rejected, new_journal, on, stored

FAST = settings(max_examples=50, deadline=None)
SCALE = ("1", "2", "3", "4", "5")
KINDS = ("answer", "homework", "test", "dictation")
REASON = "Исправление ошибки"
FIRST_QUARTER_DAYS = 54  # 1 Sep - 24 Oct
PERIODS = 13


@pytest.fixture(scope="module")
def shared(policies) -> School:
    """One school for all examples of this module (each example uses its own lesson)."""
    return build_school(new_journal(policies))


class Lessons:
    """Hands out lessons no example has used yet: new day/period, new course when full."""

    def __init__(self, school: School) -> None:
        self.school = school
        self.counter = itertools.count()
        self.courses: dict[int, object] = {0: school.course_id}

    def next(self) -> tuple[object, date]:
        n = next(self.counter)
        per_course = FIRST_QUARTER_DAYS * PERIODS
        course_no, rest = divmod(n, per_course)
        day = date(2025, 9, 1) + timedelta(days=rest // PERIODS)
        if course_no not in self.courses:
            with on(day, 8):
                j, s = self.school.journal, self.school
                course = j.classes.open_course_journal(
                    s.class_id, f"Предмет {course_no}", "five_point", s.admin
                ).id
                j.classes.assign_teacher(course, s.teacher, s.admin)
            self.courses[course_no] = course
        with on(day, 8):
            lesson = self.school.journal.entry.hold_lesson(
                self.courses[course_no], day, rest % PERIODS, "Тема", "", self.school.teacher
            ).id
        return lesson, day


@pytest.fixture(scope="module")
def lessons(shared) -> Lessons:
    return Lessons(shared)


values = st.sampled_from(SCALE)
kinds = st.sampled_from(KINDS)
actors = st.sampled_from(("teacher", "deputy"))
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("record"),
            actors,
            st.lists(st.tuples(st.integers(0, 2), values, kinds), min_size=1, max_size=3),
        ),
        st.tuples(st.just("correct"), actors, st.integers(0, 20), values, kinds),
        st.tuples(st.just("cancel"), actors, st.integers(0, 20)),
    ),
    max_size=10,
)


def current(journal, lesson, version=None):
    return [
        (m.mark_id, m.student_id, m.value, m.kind, m.author)
        for m in journal.queries.lesson(lesson, version=version).marks
        if m.current
    ]


@FAST
@given(ops=operations)
def test_current_marks_follow_the_model_at_every_version(shared, lessons, ops):
    j = shared.journal
    lesson, day = lessons.next()
    model: dict = {}  # mark id -> (student, value, kind, author), in entry order
    snapshots = {j.queries.lesson(lesson).version: []}
    with on(day, 12):
        for op, who, *args in ops:
            actor = getattr(shared, who)
            if op == "record":
                entries = [MarkEntry(shared.pupils[p], v, k) for p, v, k in args[0]]
                created = j.entry.record_marks(lesson, entries, actor).created
                for mark_id, entry in zip(created, entries, strict=True):
                    model[mark_id] = (entry.student_id, entry.value, entry.kind, actor)
            elif model:
                target = list(model)[args[0] % len(model)]
                student, _, _, author = model[target]
                if who == "teacher" and author != shared.teacher:
                    with expect_rejected(j, NotMarkAuthor):
                        if op == "correct":
                            j.entry.correct_mark(lesson, target, args[1], args[2], REASON, actor)
                        else:
                            j.entry.cancel_mark(lesson, target, REASON, actor)
                    continue
                if op == "correct" and model[target][1:3] == (args[1], args[2]):
                    with expect_rejected(j, CorrectionChangesNothing):  # changes nothing
                        j.entry.correct_mark(lesson, target, args[1], args[2], REASON, actor)
                    continue
                del model[target]
                if op == "correct":
                    new = j.entry.correct_mark(
                        lesson, target, args[1], args[2], REASON, actor
                    ).created[0]
                    model[new] = (student, args[1], args[2], author)
                else:
                    j.entry.cancel_mark(lesson, target, REASON, actor)
            snapshots[j.queries.lesson(lesson).version] = [(i, *m) for i, m in model.items()]

    assert current(j, lesson) == [(i, *m) for i, m in model.items()]
    final = j.queries.lesson(lesson).version
    for version in range(1, final + 1):
        replayed = current(j, lesson, version)  # never raises
        if version in snapshots:
            assert replayed == snapshots[version]


@pytest.fixture(scope="module")
def scale_lesson(shared, policies):
    assert policies.grading.scale("five_point").values == SCALE
    return shared.hold(day=LESSON_DAY, period=0)


near_misses = st.sampled_from(
    ["", " 5", "5 ", "05", "5.0", "+5", "５", "5\n", "6", "0", "-1", "зач", "н/а", "н", "Н"]
)


@FAST
@given(value=st.one_of(values, near_misses, st.text()))
def test_only_values_of_the_scale_are_recorded(shared, scale_lesson, value):
    j = shared.journal
    entry = MarkEntry(shared.pupils[0], value, "answer")
    before = stored(j)
    with on(LESSON_DAY):
        if value in SCALE:
            [mark_id] = j.entry.record_marks(scale_lesson, [entry], shared.teacher).created
            assert stored(j) == before + 1
            assert {m.mark_id: m.value for m in j.queries.lesson(scale_lesson).marks}[
                mark_id
            ] == value
        else:
            with expect_rejected(j, MarkOffScale):
                j.entry.record_marks(scale_lesson, [entry], shared.teacher)


def test_expect_rejected_notices_stored_events(journal, school):
    """The helper the property tests rely on fails when a command did store events."""
    lesson = school.hold()

    def record_then_fail():
        school.journal.entry.record_marks(
            lesson, [MarkEntry(school.pupils[0], "5", "answer")], school.teacher
        )
        raise MarkOffScale()

    with (
        pytest.raises(AssertionError, match="stored events"),
        on(LESSON_DAY),
        expect_rejected(journal, MarkOffScale),
    ):
        record_then_fail()
    with (
        pytest.raises(AssertionError, match="expected MarkOffScale"),
        expect_rejected(journal, MarkOffScale),
    ):
        raise DomainError()
