"""``ClassGroup`` (a class, «5А») and ``ActivityGroup`` (an extracurricular group).

Membership is dated: a pupil belongs to a group from the enrolment date up to and including
the day before withdrawal, so a mark is checked against the membership on the lesson's date.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate, require_reason


class _Membership:
    """Dated membership periods shared by classes and extracurricular groups."""

    members: dict[UUID, list[list[date | None]]]

    def is_member(self, student_id: UUID, day: date) -> bool:
        """True when ``student_id`` belongs to the group on ``day``."""
        for start, end in self.members.get(student_id, []):
            assert start is not None
            if start <= day and (end is None or day < end):
                return True
        return False

    def members_on(self, day: date) -> set[UUID]:
        """Every pupil who belongs to the group on ``day``."""
        return {s for s in self.members if self.is_member(s, day)}

    def members_between(self, first: date, last: date) -> set[UUID]:
        """Every pupil who belonged to the group on some day from ``first`` to ``last``."""
        found = set()
        for student, periods in self.members.items():
            for start, end in periods:
                assert start is not None
                if start <= last and (end is None or end > first):
                    found.add(student)
        return found

    def _check_can_join(self, student_id: UUID, on: date) -> None:
        periods = self.members.get(student_id, [])
        if periods and periods[-1][1] is None:
            raise errors.AlreadyExists("Обучающийся уже состоит в этом классе (группе).")
        if periods and periods[-1][1] is not None and on < periods[-1][1]:
            raise errors.InvalidInput("Дата зачисления раньше даты прошлого выбытия.")

    def _check_can_leave(self, student_id: UUID, on: date) -> None:
        periods = self.members.get(student_id, [])
        if not periods or periods[-1][1] is not None:
            raise errors.NotEnrolled("Обучающийся не состоит в этом классе (группе).")
        start = periods[-1][0]
        assert start is not None
        if on <= start:
            raise errors.InvalidInput("Дата выбытия должна быть позже даты зачисления.")

    def _join(self, student_id: UUID, on: date) -> None:
        self.members.setdefault(student_id, []).append([on, None])

    def _leave(self, student_id: UUID, on: date) -> None:
        self.members[student_id][-1][1] = on


class ClassGroup(_Membership, Aggregate):
    """A class of pupils in a school year."""

    @staticmethod
    def create_id(year_id: UUID, name: str, **_: object) -> UUID:
        return ids.class_group_id(year_id, name)

    class Formed(Aggregate.Created):
        year_id: UUID
        year: str
        name: str
        grade: int
        series: str
        actor: UUID

    @event(Formed)
    def __init__(
        self, year_id: UUID, year: str, name: str, grade: int, series: str, actor: UUID
    ) -> None:
        self.year_id, self.year, self.name, self.grade = year_id, year, name, grade
        self.series = series
        self.class_teacher_id: UUID | None = None
        self.members = {}

    def assign_class_teacher(self, teacher_id: UUID, actor: UUID) -> None:
        """Make ``teacher_id`` the class teacher («классный руководитель»)."""
        if teacher_id != self.class_teacher_id:
            self._class_teacher_assigned(teacher_id=teacher_id, actor=actor)

    def enrol(self, student_id: UUID, on: date, actor: UUID) -> None:
        """Enrol a pupil from ``on``."""
        self._check_can_join(student_id, on)
        self._student_enrolled(student_id=student_id, on=on, actor=actor)

    def withdraw(self, student_id: UUID, on: date, reason: str, actor: UUID) -> None:
        """Withdraw a pupil; ``on`` is the first day the pupil no longer belongs."""
        self._check_can_leave(student_id, on)
        self._student_withdrawn(
            student_id=student_id, on=on, reason=require_reason(reason, 3), actor=actor
        )

    class ClassTeacherAssigned(Aggregate.Event):
        teacher_id: UUID
        actor: UUID

    @event(ClassTeacherAssigned)
    def _class_teacher_assigned(self, teacher_id: UUID, actor: UUID) -> None:
        self.class_teacher_id = teacher_id

    class StudentEnrolled(Aggregate.Event):
        student_id: UUID
        on: date
        actor: UUID

    @event(StudentEnrolled)
    def _student_enrolled(self, student_id: UUID, on: date, actor: UUID) -> None:
        self._join(student_id, on)

    class StudentWithdrawn(Aggregate.Event):
        student_id: UUID
        on: date
        reason: str
        actor: UUID

    @event(StudentWithdrawn)
    def _student_withdrawn(self, student_id: UUID, on: date, reason: str, actor: UUID) -> None:
        self._leave(student_id, on)


class ActivityGroup(_Membership, Aggregate):
    """An extracurricular group («внеурочная деятельность»); pupils may come from any class."""

    @staticmethod
    def create_id(year_id: UUID, code: str, **_: object) -> UUID:
        return ids.activity_group_id(year_id, code)

    class Formed(Aggregate.Created):
        year_id: UUID
        year: str
        code: str
        title: str
        series: str
        actor: UUID

    @event(Formed)
    def __init__(
        self, year_id: UUID, year: str, code: str, title: str, series: str, actor: UUID
    ) -> None:
        self.year_id, self.year, self.code, self.title = year_id, year, code, title
        self.name = title
        self.series = series
        self.members = {}

    def add_member(self, student_id: UUID, on: date, actor: UUID) -> None:
        """Add a pupil to the group from ``on``."""
        self._check_can_join(student_id, on)
        self._member_added(student_id=student_id, on=on, actor=actor)

    def remove_member(self, student_id: UUID, on: date, reason: str, actor: UUID) -> None:
        """Remove a pupil; ``on`` is the first day the pupil no longer attends."""
        self._check_can_leave(student_id, on)
        self._member_removed(
            student_id=student_id, on=on, reason=require_reason(reason, 3), actor=actor
        )

    class MemberAdded(Aggregate.Event):
        student_id: UUID
        on: date
        actor: UUID

    @event(MemberAdded)
    def _member_added(self, student_id: UUID, on: date, actor: UUID) -> None:
        self._join(student_id, on)

    class MemberRemoved(Aggregate.Event):
        student_id: UUID
        on: date
        reason: str
        actor: UUID

    @event(MemberRemoved)
    def _member_removed(self, student_id: UUID, on: date, reason: str, actor: UUID) -> None:
        self._leave(student_id, on)


class CourseJournal(Aggregate):
    """One subject of one class (or one extracurricular group) for one school year."""

    @staticmethod
    def create_id(group_id: UUID, subject: str, year_id: UUID, **_: object) -> UUID:
        return ids.course_journal_id(group_id, subject, year_id)

    class Opened(Aggregate.Created):
        group_id: UUID
        group_kind: str
        subject: str
        scale: str
        year_id: UUID
        series: str
        actor: UUID

    @event(Opened)
    def __init__(
        self,
        group_id: UUID,
        group_kind: str,
        subject: str,
        scale: str,
        year_id: UUID,
        series: str,
        actor: UUID,
    ) -> None:
        self.group_id, self.group_kind = group_id, group_kind
        self.subject, self.scale, self.year_id = subject, scale, year_id
        self.series = series
        self.teachers: set[UUID] = set()

    @property
    def lesson_kind(self) -> str:
        """``extracurricular`` for an activity group's journal, else ``lesson``."""
        return "extracurricular" if self.group_kind == "activity" else "lesson"

    def assign_teacher(self, teacher_id: UUID, actor: UUID) -> None:
        """Let ``teacher_id`` keep this journal (several teachers may share one)."""
        if teacher_id not in self.teachers:
            self._teacher_assigned(teacher_id=teacher_id, actor=actor)

    def unassign_teacher(self, teacher_id: UUID, actor: UUID) -> None:
        """Stop ``teacher_id`` from keeping this journal."""
        if teacher_id in self.teachers:
            self._teacher_unassigned(teacher_id=teacher_id, actor=actor)

    class TeacherAssigned(Aggregate.Event):
        teacher_id: UUID
        actor: UUID

    @event(TeacherAssigned)
    def _teacher_assigned(self, teacher_id: UUID, actor: UUID) -> None:
        self.teachers.add(teacher_id)

    class TeacherUnassigned(Aggregate.Event):
        teacher_id: UUID
        actor: UUID

    @event(TeacherUnassigned)
    def _teacher_unassigned(self, teacher_id: UUID, actor: UUID) -> None:
        self.teachers.discard(teacher_id)
