"""The data sets of the benchmarks, and the schemas they live in.

1. ``SchoolGenerator``: a school over several years — at least 1,000,000 events with the
   defaults (20 classes of 30 pupils, grades 5–9, six school years up to 27 November 2026,
   lessons with topics, homework, attendance and marks, term and year marks, corrections,
   withdrawals) — written by building the domain aggregates directly (through the commands
   it would take about half an hour) and saving a few thousand events per transaction, with
   ``domain.clock`` travelling so every event has a realistic time. Topics, homework, the
   whole-class work and the marks' values come from ``ejournal.demo``'s generators. The
   projections and ledger benchmarks measure on it; ``prepare`` reuses a kept schema.
2. ``BenchSchool`` and ``LessonSupply``: one class of 30 pupils built through the commands,
   and lessons held for it on valid dates — what the grid-save measurements write to.
3. Reading the log back: ``batches``, ``fetch_only``, ``scan_decoding`` (the raw scans) and
   ``SliceRecorder`` (the log seen up to an event).

``python -m bench.dataset --drop SCHEMA`` drops a kept data set (``make bench`` shares one
between the projections and the ledger benchmarks).
"""

from __future__ import annotations

import argparse
import functools
import heapq
import itertools
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import psycopg
from faker import Faker
from psycopg import sql

from bench import common
from bench.common import drop_schema, server_url, with_schema
from domain import clock, ids
from domain.account import Account
from domain.base import SYSTEM_ACTOR, Aggregate
from domain.grades import TermGrades, YearGrades
from domain.groups import ActivityGroup, ClassGroup, CourseJournal
from domain.journal import Journal
from domain.lesson import Lesson, MarkEntry
from domain.passwords import hash_password
from domain.people import Guardian, Student
from domain.rules import Actor, EntryContext
from domain.school_year import SchoolYear
from ejournal import demo
from ejournal.bootstrap import System, build
from ejournal.settings import DatabaseURL, Settings
from ejournal.viewdb import PostgresViewDatabase

META = "bench_projections_meta"
#: Bump when the generator changes: a kept schema of another version is regenerated.
GENERATOR = "3"
MIN_EVENTS = 1_000_000

SCHOOL = "bench"
P = TypeVar("P", Student, Guardian)
TODAY = date(2026, 11, 28)  # the data set ends the day before
LETTERS = "АБВГДЕ"
GRADES = range(5, 10)
SUBJECTS = demo.SUBJECTS  # subject: (weekly hours in grades 5–9, class work, homework)
TEACHER_HOURS = 24  # weekly hours of one teacher: sets the size of each department
FLUSH_EVENTS = 3000  # events per transaction while generating
GRID_LESSONS = 50  # the grid measured: 30 pupils × about this many lessons
OWN_REASON = "Опечатка при вводе отметки"
REQUEST_REASON = "Повторная проверка работы по заявлению родителей"
REJECT_REASON = "Оснований нет: работа перепроверена, отметка обоснована"
CANCEL_REASON = "Отметка выставлена ошибочно: обучающийся не отвечал на этом уроке"
ATTENDANCE_REASON = "Справка из медицинского учреждения представлена позже"
WITHDRAW_REASON = "Переезд в другой город"
REOPEN_REASON = "Исправление четвертных отметок по решению педагогического совета"

#: The one-class school of the write-path benchmarks.
YEAR = "2025/26"
CLASS_SUBJECTS = (
    "Математика",
    "Русский язык",
    "Литература",
    "История",
    "Биология",
    "География",
    "Английский язык",
    "Информатика",
)
SURNAMES = ("Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов")
NAMES = ("Артём", "Илья", "Михаил", "Егор", "Иван")
SINGLE_MARKS_PER_LESSON = 5  # single-mark commands per lesson (the lesson grows 1 → 6 events)
HOLD_CHUNK = 50  # lessons held (untimed) between timed stretches


# --- the million-event school ---------------------------------------------------------------------
def local(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC moment of a school-local wall time."""
    return clock.local_datetime(day, hour, minute)


def class_group(year_id: UUID, year: str, name: str, grade: int, actor: UUID) -> ClassGroup:
    """A class of ``year``, in its journal's series."""
    return ClassGroup(
        year_id=year_id,
        year=year,
        name=name,
        grade=grade,
        series=ids.journal_series(year, name),
        actor=actor,
    )


def course_journal(
    group: ClassGroup | ActivityGroup, subject: str, actor: UUID, scale: str = "five_point"
) -> CourseJournal:
    """A course journal of a class or an extracurricular group, in the group's series."""
    return CourseJournal(
        group_id=group.id,
        group_kind="class" if isinstance(group, ClassGroup) else "activity",
        subject=subject,
        scale=scale,
        year_id=group.year_id,
        series=group.series,
        actor=actor,
    )


@dataclass
class Course:
    """One course journal of a year, with what the generator needs to write its lessons."""

    id: UUID
    subject: str
    group: ClassGroup | ActivityGroup
    grade: int  # 0 for an extracurricular group
    hours: int
    teacher: UUID
    scale: str = "five_point"
    kind: str = "answer"
    taught: int = 0  # lessons held so far
    journal: CourseJournal | None = None


@dataclass
class Stats:
    """What the generator made."""

    events: int = 0
    lessons: int = 0
    marks: int = 0
    corrections: int = 0
    pupils: int = 0
    years: list[str] = field(default_factory=list)
    grid: dict[tuple[UUID, int], int] = field(default_factory=dict)  # (course, term): lessons
    courses: dict[UUID, tuple[str, str, str]] = field(default_factory=dict)  # year, class, subject
    diary: tuple[UUID, UUID] | None = None  # a pupil of an «А» class, the last year


class SchoolGenerator:
    """Writes a school's years into ``system.journal`` by building aggregates directly.

    Commands would load several aggregates per lesson; here each aggregate stays in memory
    for as long as something may still happen to it, and many are saved per transaction.
    Every event is triggered through the aggregate's own methods (rules included, under an
    ``EntryContext`` built by hand), at the moment ``domain.clock`` is set to, and the
    moments are drained in time order, so the notification log reads like a real school's.
    """

    def __init__(
        self,
        system: System,
        *,
        years: int,
        classes_per_grade: int,
        pupils_per_class: int,
        seed: int,
        progress: Callable[[str], None],
    ) -> None:
        self.system = system
        self.journal = system.journal
        self.policies = system.policies
        self.years = years
        self.letters = LETTERS[:classes_per_grade]
        self.size = pupils_per_class
        self.rng = random.Random(seed)
        self.fake = Faker("ru_RU")
        self.fake.seed_instance(seed)
        self.progress = progress
        self.stats = Stats()
        self.dirty: dict[UUID, Aggregate] = {}
        self.pending = 0
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.started = time.perf_counter()
        self.reported = 0
        self.password = hash_password("bench-password")
        self.ability: dict[UUID, int] = {}
        self.students: dict[UUID, Student] = {}
        self.kinds = {k: v.weight for k, v in self.policies.grading.kinds.items()}
        self.closed: set[int] = set()  # terms of the current year that are closed
        self.year: SchoolYear | None = None

    # --- saving ----------------------------------------------------------------------------
    def touch(self, aggregate: Aggregate, events: int = 1) -> None:
        """Remember an aggregate with new events; save a batch when enough are pending."""
        self.dirty[aggregate.id] = aggregate
        self.pending += events
        if self.pending >= FLUSH_EVENTS:
            self.flush()

    def flush(self) -> None:
        """Save every aggregate with pending events in one transaction."""
        if not self.dirty:
            return
        aggregates = list(self.dirty.values())
        self.dirty.clear()
        self.pending = 0
        recordings = self.journal.save(*aggregates)
        self.stats.events += len(recordings)
        if self.stats.events - self.reported >= 100_000:
            self.reported = self.stats.events
            rate = self.stats.events / (time.perf_counter() - self.started)
            self.progress(f"{self.stats.events:>10,} events  ({rate:,.0f}/s)")

    def at(self, moment: datetime) -> None:
        """Move the clock (events are stamped with it)."""
        clock.set_time(moment)

    def schedule(self, moment: datetime, action: Callable[[], None]) -> None:
        """Run ``action`` at ``moment`` (actions run in time order)."""
        heapq.heappush(self.queue, (moment, next(self.order), action))

    def drain(self, until: datetime) -> None:
        """Run every scheduled action up to ``until``; later ones are dropped."""
        while self.queue:
            moment, _, action = heapq.heappop(self.queue)
            if moment > until:
                continue
            self.at(moment)
            action()

    # --- the whole run ---------------------------------------------------------------------
    def run(self) -> Stats:
        """Generate every year, in time order; return what was made."""
        last_start = TODAY.year if TODAY.month >= 9 else TODAY.year - 1
        cutoff = local(TODAY - timedelta(days=1), 22)
        try:
            self.at(local(date(last_start - self.years + 1, 8, 20), 10))
            self.staff()
            cohorts: dict[str, list[UUID]] = {}
            for start in range(last_start - self.years + 1, last_start + 1):
                year = f"{start}/{(start + 1) % 100:02d}"
                self.stats.years.append(year)
                cohorts = self.school_year(year, cohorts, cutoff)
            self.flush()
        finally:
            clock.set_time(None)
        return self.stats

    # --- people ----------------------------------------------------------------------------
    def person(self, male: bool) -> tuple[str, str, str]:
        f = self.fake
        if male:
            return f.last_name_male(), f.first_name_male(), f.middle_name_male()
        return f.last_name_female(), f.first_name_female(), f.middle_name_female()

    def account(self, login: str, roles: list[str], actor: UUID) -> UUID:
        surname, name, patronymic = self.person(self.rng.random() < 0.3)
        account = Account(
            login=login,
            surname=surname,
            name=name,
            patronymic=patronymic,
            roles=sorted(roles),
            password_hash=self.password,
            person_id=None,
            series=ids.person_series(ids.account_id(login)),
            actor=actor,
        )
        self.touch(account)
        return account.id

    def staff(self) -> None:
        """The administrator, head, deputy and enough teachers for every subject."""
        self.admin = self.account("admin", ["admin"], SYSTEM_ACTOR)
        self.head = self.account("head", ["head"], self.admin)
        self.deputy = self.account("deputy", ["deputy"], self.admin)
        self.account("auditor", ["auditor"], self.admin)
        self.teachers: dict[str, list[UUID]] = {}
        classes = len(self.letters) * len(GRADES)
        n = 0
        for subjects, _ in demo.DEPARTMENTS:
            hours = sum(SUBJECTS[s][0][g - 5] for s in subjects for g in GRADES)
            size = max(1, math.ceil(hours * classes / len(GRADES) / TEACHER_HOURS))
            team = []
            for _ in range(size):
                n += 1
                team.append(self.account(f"teacher{n:02d}", ["teacher"], self.admin))
            for subject in subjects:
                self.teachers[subject] = team

    def teacher_for(self, subject: str, index: int, classes: int) -> UUID:
        """Each teacher of a department takes a contiguous share of the classes."""
        team = self.teachers[subject]
        return team[index * len(team) // classes]

    def register(self, kind: type[P], male: bool, details: Callable[[], dict[str, Any]]) -> P:
        """A new pupil or guardian with Faker's names, then ``details()``."""
        names: dict[str, Any] = dict(
            zip(("surname", "name", "patronymic"), self.person(male), strict=True)
        )
        person_id = uuid4()
        series = ids.person_series(person_id)
        return kind(id=person_id, **names, **details(), series=series, actor=self.admin)

    def student(self, first_day: date, grade: int) -> UUID:
        """Register a pupil with one or two guardians."""
        male = self.rng.random() < 0.5
        born = date(first_day.year - grade - 6, 3, 1) + timedelta(days=self.rng.randrange(365))
        pupil = self.register(Student, male, lambda: {"birth_date": born})
        for relation in ("мать", "отец")[: 1 + (self.rng.random() < 0.7)]:
            guardian = self.register(
                Guardian,
                relation == "отец",
                lambda: {"phone": self.fake.phone_number(), "email": self.fake.free_email()},
            )
            self.touch(guardian)
            pupil.link_guardian(guardian.id, relation, self.admin)
        self.touch(pupil, 3)
        student_id = pupil.id
        self.students[student_id] = pupil
        self.ability[student_id] = self.rng.choices((0, 1, 2), (35, 45, 20))[0]
        self.stats.pupils += 1
        return student_id

    # --- one school year -------------------------------------------------------------------
    def school_year(
        self, year: str, cohorts: dict[str, list[UUID]], cutoff: datetime
    ) -> dict[str, list[UUID]]:
        """Open the year, move the pupils up a grade, play the year; the new cohorts."""
        first, last = demo.parse_year(year)
        terms = demo.quarters(year)
        self.closed = set()
        self.at(local(first - timedelta(days=10), 10))
        school_year = SchoolYear(
            school=SCHOOL,
            year=year,
            starts=first,
            ends=last,
            series=ids.year_series(year),
            actor=self.admin,
        )
        for number, title, starts, ends in terms:
            school_year.define_term(number, title, starts, ends, self.admin)
        self.year = school_year
        self.touch(school_year, 5)
        names = [f"{g}{letter}" for g in GRADES for letter in self.letters]
        classes: dict[str, ClassGroup] = {}
        members: dict[str, list[UUID]] = {}
        courses: list[Course] = []
        for index, name in enumerate(names):
            grade = int(name[:-1])
            group = class_group(school_year.id, year, name, grade, self.admin)
            group.assign_class_teacher(
                self.teacher_for("Математика", index, len(names)), self.admin
            )
            previous = cohorts.get(f"{grade - 1}{name[-1]}")
            pupils = previous or [self.student(first, grade) for _ in range(self.size)]
            for pupil in pupils:
                group.enrol(pupil, first, self.admin)
            self.touch(group, 2 + len(pupils))
            classes[name], members[name] = group, list(pupils)
            for subject, (hours, _, _) in SUBJECTS.items():
                if hours[grade - 5]:
                    courses.append(
                        self.course(
                            group, subject, grade, hours[grade - 5], index, len(names), year
                        )
                    )
        self.stats.diary = (members[names[2 * len(self.letters)]][0], school_year.id)
        clubs = self.clubs(year, school_year, members, first)
        self.sums: dict[tuple[UUID, int, UUID], list[int]] = {}
        self.timetable(year, courses, clubs, terms, cutoff)
        self.movements(year, classes, members, terms)
        self.finals(year, school_year, classes, courses, terms)
        self.drain(cutoff)
        self.flush()
        self.progress(f"{year}: {self.stats.events:,} events so far")
        cohorts = {}
        for name, group in classes.items():
            now = self.current(group)
            cohorts[name] = [p for p in group.members if p in now]
        return cohorts

    @staticmethod
    def current(group: ClassGroup | ActivityGroup) -> set[UUID]:
        """Pupils who belong to the group now (not withdrawn)."""
        return {s for s, periods in group.members.items() if periods[-1][1] is None}

    def course(
        self,
        group: ClassGroup,
        subject: str,
        grade: int,
        hours: int,
        index: int,
        classes: int,
        year: str,
    ) -> Course:
        teacher = self.teacher_for(subject, index, classes)
        journal = course_journal(group, subject, self.admin)
        journal.assign_teacher(teacher, self.admin)
        self.touch(journal, 2)
        self.stats.courses[journal.id] = (year, group.name, subject)
        return Course(journal.id, subject, group, grade, hours, teacher, journal=journal)

    def clubs(
        self, year: str, school_year: SchoolYear, members: dict[str, list[UUID]], first: date
    ) -> list[Course]:
        """Two extracurricular groups of pupils from several classes, weekly sessions."""
        everyone = [p for pupils in members.values() for p in pupils]
        found = []
        for code, title, scale, kind, _, subject, size in demo.CLUBS:
            group = ActivityGroup(
                year_id=school_year.id,
                year=year,
                code=code,
                title=title,
                series=ids.extracurricular_series(year, code),
                actor=self.admin,
            )
            starts = first + timedelta(days=14)
            chosen = self.rng.sample(everyone, min(len(everyone), size * 2))
            for pupil in chosen:
                group.add_member(pupil, starts, self.admin)
            journal = course_journal(group, title, self.admin, scale)
            teacher = self.teachers[subject][0]
            journal.assign_teacher(teacher, self.admin)
            self.touch(group, 1 + len(chosen))
            self.touch(journal, 2)
            found.append(Course(journal.id, title, group, 0, 1, teacher, scale, kind, 0, journal))
        return found

    def timetable(
        self,
        year: str,
        courses: list[Course],
        clubs: list[Course],
        terms: list[tuple[int, str, date, date]],
        cutoff: datetime,
    ) -> None:
        """A weekly timetable per class; every lesson of the year scheduled at its entry."""
        slots: list[tuple[int, int, Course]] = []
        by_group: dict[UUID, list[Course]] = {}
        for course in courses:
            by_group.setdefault(course.group.id, []).append(course)
        for own in by_group.values():
            taken: dict[int, int] = dict.fromkeys(range(5), 0)
            seen: dict[tuple[int, str], int] = {}
            for course in sorted(own, key=lambda c: -c.hours):
                for _ in range(course.hours):
                    day = min(
                        range(5),
                        key=lambda d: (
                            seen.get((d, course.subject), 0),
                            taken[d],
                            self.rng.random(),
                        ),
                    )
                    taken[day] += 1
                    seen[day, course.subject] = seen.get((day, course.subject), 0) + 1
                    slots.append((day, taken[day], course))
        slots += [(1 + i, 8, club) for i, club in enumerate(clubs)]
        year_days = [d for d in demo.school_days(year, 40) if d < TODAY]
        self.absences(courses, year_days)
        for held in year_days:
            for weekday, period, course in slots:
                if weekday != held.weekday():
                    continue
                if not course.grade and held < year_days[0] + timedelta(days=14):
                    continue
                moment = self.entry_moment(held, period)
                if moment > cutoff:
                    moment = cutoff - timedelta(minutes=self.rng.randint(1, 600))
                number = course.taught
                course.taught += 1
                term = next((n for n, _, s, e in terms if s <= held <= e), 0)
                self.schedule(moment, self.lesson_action(course, held, period, number, term))

    def entry_moment(self, day: date, period: int) -> datetime:
        """Right after the lesson, that evening, or a day or two later (within 3 days)."""
        hour, minute = demo.PERIODS[period]
        end = local(day, hour, minute) + timedelta(minutes=45)
        r = self.rng.random()
        if r < 0.55:
            return end + timedelta(minutes=self.rng.randint(1, 9))
        if r < 0.9:
            return local(day, self.rng.randint(16, 21), self.rng.randint(0, 59))
        later = day + timedelta(days=1 if r < 0.98 else 2)
        return local(later, self.rng.randint(18, 22), self.rng.randint(0, 59))

    def absences(self, courses: list[Course], days: list[date]) -> None:
        """Bouts of illness (Б) and excused days (УП), the same in every lesson of a day."""
        self.absent: dict[tuple[UUID, date], str] = {}
        pupils = {p for c in courses for p in c.group.members}
        demo.draw_absences(self.rng, pupils, days, self.absent, bouts=4)

    # --- lessons ---------------------------------------------------------------------------
    def context(
        self, course: Course, actor: UUID, roles: frozenset[str], day: date
    ) -> EntryContext:
        """The facts the entry rules need, as the commands would gather them."""
        assert self.year is not None
        term = next((n for n, t in self.year.terms.items() if t.starts <= day <= t.ends), 0)
        return EntryContext(
            actor=Actor(actor, roles),
            policies=self.policies,
            teachers=frozenset({course.teacher}),
            scale=course.scale,
            locked=term in self.closed,
            enrolled=frozenset(course.group.members_on(day)),
            now=clock.now(),
        )

    def lesson_action(
        self, course: Course, day: date, period: int, number: int, term: int
    ) -> Callable[[], None]:
        def enter() -> None:
            self.lesson(course, day, period, number, term)

        return enter

    def lesson(self, course: Course, day: date, period: int, number: int, term: int) -> None:
        """Hold the lesson, then save its page: attendance and marks."""
        topic, homework = demo.topic_of(course, number), demo.homework_of(course, number)
        lesson = Lesson(
            course_journal_id=course.id,
            day=day,
            period=period,
            kind="lesson" if course.grade else "extracurricular",
            topic=topic,
            homework=homework,
            series=course.group.series,
            actor=course.teacher,
        )
        self.at(clock.now() + timedelta(seconds=self.rng.randint(60, 240)))
        ctx = self.context(course, course.teacher, frozenset({"teacher"}), day)
        codes = {}
        late = 0.03 if period == 1 else 0.008
        for pupil in ctx.enrolled:
            code = self.absent.get((pupil, day))
            if code is None:
                r = self.rng.random()
                code = "Н" if r < 0.004 else "ОП" if r < late else ""
            if code:
                codes[pupil] = code
        lesson.mark_attendance(ctx, codes)
        present = sorted(p for p in ctx.enrolled if codes.get(p, "ОП") == "ОП")
        entries = self.marks(course, number, present, homework)
        mark_ids = lesson.record_marks(ctx, entries) if entries else []
        self.touch(lesson, 1 + len(codes) + len(entries))
        self.stats.lessons += 1
        self.stats.marks += len(entries)
        if term and course.grade:
            key = (course.id, term)
            self.stats.grid[key] = self.stats.grid.get(key, 0) + 1
        for entry in entries:
            course_sums = self.sums.setdefault((course.id, term, entry.student_id), [0, 0])
            if entry.value.isdigit():
                course_sums[0] += int(entry.value) * self.kinds[entry.kind]
                course_sums[1] += self.kinds[entry.kind]
        self.afterwards(lesson, course, day, entries, mark_ids, codes)

    def marks(
        self, course: Course, number: int, present: list[UUID], homework: str
    ) -> list[MarkEntry]:
        """Whole-class work every few lessons; otherwise a few answers and homework."""
        work = demo.work_of(course, number)
        if work:
            return [self.mark(course, p, work) for p in present]
        chosen = self.rng.sample(present, min(len(present), self.rng.randint(2, 4)))
        entries = [self.mark(course, p, course.kind) for p in chosen]
        if course.grade and homework and self.rng.random() < 0.4:
            others = [p for p in present if p not in chosen]
            entries += [
                self.mark(course, p, "homework")
                for p in self.rng.sample(others, min(2, len(others)))
            ]
        return entries

    def mark(self, course: Course, pupil: UUID, kind: str) -> MarkEntry:
        if course.scale == "pass_fail":
            return MarkEntry(pupil, "незач" if self.rng.random() < 0.08 else "зач", kind)
        weights = demo.WEIGHTS[self.ability.get(pupil, 1)]
        return MarkEntry(pupil, self.rng.choices(demo.VALUES, weights)[0], kind)

    def afterwards(
        self,
        lesson: Lesson,
        course: Course,
        day: date,
        entries: list[MarkEntry],
        mark_ids: list[UUID],
        codes: dict[UUID, str],
    ) -> None:
        """Now and then: a topic changed, an attendance or a mark corrected, a request."""
        r = self.rng.random()
        teacher = frozenset({"teacher"})
        when = clock.now()

        def later(days: int, hours: tuple[int, int]) -> datetime:
            moment = when.astimezone(clock.SCHOOL_TZ).date() + timedelta(days=days)
            return local(moment, self.rng.randint(*hours), self.rng.randint(0, 59))

        def run(
            action: Callable[[EntryContext], object], actor: UUID, roles: frozenset[str]
        ) -> Callable[[], None]:
            def go() -> None:
                ctx = self.context(course, actor, roles, day)
                if ctx.locked:
                    return
                action(ctx)
                self.touch(lesson, 2)

            return go

        if r < 0.01:
            self.schedule(
                later(1, (16, 20)),
                run(
                    lambda c: lesson.change_topic(
                        c, lesson.topic + " (продолжение)", lesson.homework
                    ),
                    course.teacher,
                    teacher,
                ),
            )
        elif r < 0.013 and codes:
            pupil = next(iter(codes))
            self.schedule(
                later(1, (9, 12)),
                run(
                    lambda c: lesson.correct_attendance(c, pupil, "УП", ATTENDANCE_REASON),
                    course.teacher,
                    teacher,
                ),
            )
        if not mark_ids or course.scale != "five_point":
            return
        i = self.rng.randrange(len(mark_ids))
        mark_id, value = mark_ids[i], demo.changed(entries[i].value)
        kind = entries[i].kind
        r = self.rng.random()
        if r < 0.006:
            self.stats.corrections += 1
            self.schedule(
                later(self.rng.randint(1, 4), (16, 20)),
                run(
                    lambda c: lesson.correct_mark(c, mark_id, value, kind, OWN_REASON),
                    course.teacher,
                    teacher,
                ),
            )
        elif r < 0.007:
            self.stats.corrections += 1
            self.schedule(
                later(self.rng.randint(1, 4), (16, 20)),
                run(
                    lambda c: lesson.cancel_mark(c, mark_id, CANCEL_REASON), course.teacher, teacher
                ),
            )
        elif r < 0.0095:
            self.stats.corrections += 1
            approve = self.rng.random() < 0.8
            moment = later(self.rng.randint(9, 12), (15, 19))

            def request(c: EntryContext) -> None:
                request_id = lesson.request_correction(c, mark_id, value, kind, REQUEST_REASON)

                def decide(d: EntryContext) -> None:
                    if approve:
                        lesson.approve_correction(d, request_id)
                    else:
                        lesson.reject_correction(d, request_id, REJECT_REASON)

                decided = moment + timedelta(hours=18)
                self.schedule(decided, run(decide, self.deputy, frozenset({"deputy"})))

            self.schedule(moment, run(request, course.teacher, teacher))

    # --- the year's other events -----------------------------------------------------------
    def movements(
        self,
        year: str,
        classes: dict[str, ClassGroup],
        members: dict[str, list[UUID]],
        terms: list[tuple[int, str, date, date]],
    ) -> None:
        """A few pupils leave during the year and others arrive (never in the «А» classes,
        whose grids are measured); a pupil's details corrected now and then."""
        first_term, third_term = terms[0], terms[2]
        movable = [n for n in classes if not n.endswith("А")]
        for name in self.rng.sample(movable, min(len(movable), 3)):
            group = classes[name]
            leaving = self.rng.choice(members[name])
            on = third_term[2] + timedelta(days=self.rng.randint(0, 40))
            while on.weekday() > 4:
                on += timedelta(days=1)

            def move(group: ClassGroup = group, leaving: UUID = leaving, on: date = on) -> None:
                group.withdraw(leaving, on, WITHDRAW_REASON, self.admin)
                newcomer = self.student(on, group.grade)
                group.enrol(newcomer, on, self.admin)
                self.touch(group, 2)

            self.schedule(local(on - timedelta(days=3), 11), move)
        for _ in range(4):
            pupil_id = self.rng.choice([p for pupils in members.values() for p in pupils])
            moment = local(first_term[2] + timedelta(days=self.rng.randint(10, 200)), 12)

            def correct(pupil_id: UUID = pupil_id) -> None:
                pupil = self.students[pupil_id]
                pupil.correct_details(
                    pupil.surname + "а" if pupil.surname.endswith("ов") else pupil.surname,
                    pupil.name,
                    pupil.patronymic,
                    pupil.birth_date,
                    "Исправление по свидетельству о рождении",
                    self.admin,
                    min_reason=self.policies.journal.min_reason_length,
                )
                self.touch(pupil)

            self.schedule(moment, correct)

    def finals(
        self,
        year: str,
        school_year: SchoolYear,
        classes: dict[str, ClassGroup],
        courses: list[Course],
        terms: list[tuple[int, str, date, date]],
    ) -> None:
        """Term marks at each term's end, the term closed, one term re-opened and closed
        again; year marks, the last term and the year closed in June."""

        def term_marks(number: int, starts: date, ends: date) -> None:
            for course in courses:
                grades = TermGrades(
                    course_journal_id=course.id,
                    term=number,
                    series=course.group.series,
                    actor=course.teacher,
                )
                ctx = self.final_context(course, course.group.members_between(starts, ends))
                for pupil in sorted(ctx.enrolled):
                    grades.set_mark(ctx, pupil, self.final(course.id, number, pupil))
                self.touch(grades, 1 + len(ctx.enrolled))

        def close(number: int) -> None:
            school_year.close_term(number, self.deputy)
            self.closed.add(number)
            self.touch(school_year)

        def reopen() -> None:
            school_year.reopen_term(
                1, REOPEN_REASON, "17-о", self.head, min_reason=10, order_required=True
            )
            self.closed.discard(1)
            self.touch(school_year)

        def year_marks() -> None:
            first, last = school_year.starts, school_year.ends
            by_group: dict[UUID, list[Course]] = {}
            for course in courses:
                by_group.setdefault(course.group.id, []).append(course)
            for group in classes.values():
                grades = YearGrades(
                    group_id=group.id,
                    year_id=school_year.id,
                    series=ids.summary_series(year, group.name),
                    actor=self.admin,
                )
                count = 1
                for course in by_group[group.id]:
                    ctx = self.final_context(course, group.members_between(first, last))
                    for pupil in sorted(self.current(group)):
                        grades.set_mark(ctx, course.id, pupil, self.final(course.id, 0, pupil))
                        count += 1
                self.touch(grades, count)

        def close_year() -> None:
            school_year.close(self.admin)
            self.touch(school_year)

        for number, _, starts, ends in terms:
            self.schedule(local(ends, 15), functools.partial(term_marks, number, starts, ends))
            self.schedule(local(ends + timedelta(days=3), 10), functools.partial(close, number))
        self.schedule(local(terms[1][2] + timedelta(days=2), 11), reopen)
        self.schedule(local(terms[1][2] + timedelta(days=9), 11), lambda: close(1))
        self.schedule(local(school_year.ends - timedelta(days=2), 16), year_marks)
        self.schedule(local(school_year.ends + timedelta(days=20), 12), close_year)

    def final_context(self, course: Course, enrolled: Iterable[UUID]) -> EntryContext:
        """The facts a course's teacher sets term or year marks under (the term open)."""
        return EntryContext(
            actor=Actor(course.teacher, frozenset({"teacher"})),
            policies=self.policies,
            teachers=frozenset({course.teacher}),
            scale=course.scale,
            locked=False,
            enrolled=frozenset(enrolled),
            now=clock.now(),
        )

    def final(self, course_id: UUID, term: int, pupil: UUID) -> str:
        """A term mark from the weighted average (term 0: the year, from all terms)."""
        if term:
            total, weights = self.sums.get((course_id, term, pupil), (0, 0))
        else:
            parts = [self.sums.get((course_id, t, pupil), (0, 0)) for t in range(1, 5)]
            total, weights = sum(p[0] for p in parts), sum(p[1] for p in parts)
        if not weights:
            return "н/а"
        return str(min(5, max(2, round(total / weights))))


# --- the schema -----------------------------------------------------------------------------------
@dataclass
class DataSet:
    """The generated school in its schema, and what the measurements need from it."""

    schema: str
    events: int
    generated_in: float
    reused: bool
    description: str
    grid: tuple[str, int, int, str]  # course journal id, term, lessons, "2025/26 7А Математика"
    diary: tuple[str, str]  # student id, school year id
    mix: str  # the most frequent event types


def settings_for(server: str, schema: str, folder: Path) -> Settings:
    """Settings on ``schema``, views kept by a worker (not inline), keys under ``folder``."""
    return common.settings(
        folder / "var",
        with_schema(server, schema),
        EJOURNAL_MASTER_KEY_FILE=str(folder / "master.key"),
        EJOURNAL_VIEWS="worker",
        EJOURNAL_SCHOOL=SCHOOL,
    )


def read_meta(server: str, schema: str) -> dict[str, str]:
    """What the generator noted in a kept schema (empty when there is none)."""
    with psycopg.connect(server) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (schema, META),
        ).fetchone()
        if not found:
            return {}
        rows = conn.execute(
            sql.SQL("SELECT key, value FROM {}").format(sql.Identifier(schema, META))
        ).fetchall()
    return dict(rows)


def write_meta(server: str, schema: str, meta: dict[str, str]) -> None:
    """Note what was generated (and the master key: this schema is benchmark data only)."""
    table = sql.Identifier(schema, META)
    with psycopg.connect(server) as conn:
        conn.execute(sql.SQL("CREATE TABLE {} (key TEXT PRIMARY KEY, value TEXT)").format(table))
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s)").format(table),
                list(meta.items()),
            )


def event_mix(system: System) -> tuple[int, str]:
    """How many events of each type the log holds; (total, the most frequent ones)."""
    recorder: Any = system.journal.recorder
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    with psycopg.connect(system.settings.database.conninfo()) as conn:
        rows = conn.execute(
            sql.SQL("SELECT topic, count(*) FROM {} GROUP BY topic ORDER BY 2 DESC").format(table)
        ).fetchall()
    total = sum(n for _, n in rows)
    names = [f"{topic.split(':')[-1]} {n / total:.0%}" for topic, n in rows[:6]]
    return total, ", ".join(names) + f", {len(rows) - 6} more types"


def pick_grid(stats: Stats) -> tuple[UUID, int, int, str]:
    """The «А»-class course journal and term whose grid is nearest 30 × 50 (latest year)."""
    candidates = []
    for (course, term), lessons in stats.grid.items():
        year, group, subject = stats.courses[course]
        if group.endswith("А"):
            candidates.append((abs(lessons - GRID_LESSONS), -stats.years.index(year), course, term))
    _, _, course, term = min(candidates)
    year, group, subject = stats.courses[course]
    return course, term, stats.grid[course, term], f"{year} {group} {subject}, term {term}"


def prepare(args: argparse.Namespace, server: str, folder: Path) -> DataSet:
    """Reuse the kept schema when it is complete; otherwise generate the school."""
    schema = args.schema
    meta = read_meta(server, schema) if args.keep else {}
    if meta.get("generator") == GENERATOR and int(meta.get("events", 0)) >= args.min_events:
        (folder / "master.key").write_text(meta["master_key"] + "\n")
        (folder / "master.key").chmod(0o600)
        print(f"reusing schema {schema} (generated {meta['generated_at']})")
        reused = True
    else:
        if meta or read_meta(server, schema):
            print(f"schema {schema} exists: dropped and generated afresh (--keep reuses it)")
        reused = False
        drop_schema(server, schema)
        meta = generate(args, server, schema, folder)
        write_meta(server, schema, meta)
    course, term, lessons, label = meta["grid"].split("|")
    student, year = meta["diary"].split("|")
    return DataSet(
        schema,
        int(meta["events"]),
        float(meta["generated_in"]),
        reused,
        meta["description"],
        (course, int(term), int(lessons), label),
        (student, year),
        meta["mix"],
    )


def generate(args: argparse.Namespace, server: str, schema: str, folder: Path) -> dict[str, str]:
    """Generate the school into a fresh ``schema``; the notes to keep beside it."""
    print(
        f"generating {args.years} school years, {len(GRADES) * args.classes_per_grade} classes "
        f"of {args.pupils} pupils into schema {schema} (several minutes)…"
    )
    started = time.perf_counter()
    with build(settings_for(server, schema, folder)) as system:
        generator = SchoolGenerator(
            system,
            years=args.years,
            classes_per_grade=args.classes_per_grade,
            pupils_per_class=args.pupils,
            seed=args.seed,
            progress=lambda line: print(f"   {line}", flush=True),
        )
        stats = generator.run()
        generated_in = time.perf_counter() - started
        total, mix = event_mix(system)
    course, term, lessons, label = pick_grid(stats)
    assert stats.diary is not None
    description = (
        f"{stats.years[0]}–{stats.years[-1]} (the last year up to {TODAY - timedelta(days=1)}), "
        f"{len(GRADES) * args.classes_per_grade} classes a year, {stats.pupils:,} pupils, "
        f"{stats.lessons:,} lessons, {stats.marks:,} marks, {stats.corrections:,} mark "
        "corrections"
    )
    print(f"generated {total:,} events in {generated_in:.0f} s ({total / generated_in:,.0f}/s)")
    if total < args.min_events:
        print(f"   note: fewer than {args.min_events:,} events; add --years or --classes-per-grade")
    return {
        "generator": GENERATOR,
        "events": str(total),
        "generated_in": f"{generated_in:.1f}",
        "generated_at": time.strftime("%Y-%m-%d %H:%M"),
        "description": description,
        "grid": f"{course}|{term}|{lessons}|{label}",
        "diary": f"{stats.diary[0]}|{stats.diary[1]}",
        "mix": mix,
        "master_key": (folder / "master.key").read_text().strip(),
    }


# --- reading the log back -------------------------------------------------------------------------
def batches(recorder: Any, head: int, size: int, start: int = 1) -> Iterator[Sequence[Any]]:
    """The log from ``start`` to ``head`` in batches, as the processor reads it."""
    while True:
        notes = recorder.select_notifications(start=start, limit=size, stop=head)
        if not notes:
            return
        yield notes
        start = notes[-1].id + 1


def fetch_only(system: System, head: int, size: int) -> tuple[int, str]:
    """Raw read of the notification log, no decoding."""
    count = 0
    for notes in batches(system.journal.recorder, head, size):
        count += len(notes)
    return count, ""


def scan_decoding(system: System, head: int, size: int) -> tuple[int, str]:
    """Raw read with ``mapper.to_domain_event`` (decrypt + decode) of every event."""
    decode = system.journal.mapper.to_domain_event
    count = 0
    for notes in batches(system.journal.recorder, head, size):
        for note in notes:
            decode(note)
        count += len(notes)
    return count, ""


class SliceRecorder:
    """The recorder seen through a window: the log ends at event ``last``."""

    def __init__(self, recorder: Any, last: int) -> None:
        self.recorder, self.last = recorder, last

    def max_notification_id(self) -> int:
        return self.last

    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None, **kwargs: Any
    ) -> Sequence[Any]:
        stop = self.last if stop is None else min(stop, self.last)
        found: Sequence[Any] = self.recorder.select_notifications(
            start=start, limit=limit, stop=stop, **kwargs
        )
        return found


# --- one class, through the commands (the write-path benchmarks' school) --------------------------
def school_days() -> Iterator[date]:
    """Every weekday of every quarter."""
    for _, _, starts, ends in demo.quarters(YEAR):
        day = starts
        while day <= ends:
            if day.weekday() < 5:
                yield day
            day += timedelta(days=1)


@dataclass
class BenchSchool:
    """One class of 30 pupils, its teacher, and course journals opened as lessons run out."""

    journal: Journal
    admin: UUID
    teacher: UUID
    year_id: UUID
    class_id: UUID
    pupils: list[UUID]

    @classmethod
    def build(cls, journal: Journal) -> BenchSchool:
        """Open the year with its quarters, a teacher, class 5А with 30 enrolled pupils."""
        with clock.travel(local(date(2025, 8, 25), 10)):
            admin = journal.accounts.create_account(
                "admin", "Админов", "Админ", "", ["admin"], "sysop-secret-1", SYSTEM_ACTOR
            ).id
            year_id = journal.school.open_school_year(
                "bench", YEAR, date(2025, 9, 1), date(2026, 5, 31), admin
            ).id
            for number, title, starts, ends in demo.quarters(YEAR):
                journal.school.define_term(year_id, number, title, starts, ends, admin)
            teacher = journal.accounts.create_account(
                "teacher", "Петрова", "Анна", "Ивановна", ["teacher"], "uchitel-secret-1", admin
            ).id
            class_id = journal.classes.form_class(year_id, "5А", 5, admin).id
            pupils = []
            for i in range(common.PUPILS):
                surname = f"{SURNAMES[i % len(SURNAMES)]}-{i + 1}"
                born = date(2014, 1, 1) + timedelta(days=11 * i)
                pupil = journal.people.register_student(
                    surname, NAMES[i % len(NAMES)], "", born, admin
                ).id
                journal.classes.enrol(class_id, pupil, date(2025, 9, 1), admin)
                pupils.append(pupil)
        return cls(journal, admin, teacher, year_id, class_id, pupils)

    def open_course(self, n: int) -> UUID:
        """Open the ``n``-th subject's journal for the class, kept by the teacher."""
        subject = CLASS_SUBJECTS[n] if n < len(CLASS_SUBJECTS) else f"Предмет {n + 1}"
        with clock.travel(local(date(2025, 8, 26), 10)):
            course = self.journal.classes.open_course_journal(
                self.class_id, subject, "five_point", self.admin
            ).id
            self.journal.classes.assign_teacher(course, self.teacher, self.admin)
        return course


class LessonSupply:
    """Holds lessons on valid dates (periods 1–7 of every school weekday, subject after
    subject) and hands them out; holding is not timed."""

    def __init__(self, school: BenchSchool) -> None:
        self.school = school
        self._slots = self._all_slots()

    def _all_slots(self) -> Iterator[tuple[UUID, date, int]]:
        for n in itertools.count():
            course = self.school.open_course(n)
            for day in school_days():
                for period in range(1, 8):
                    yield course, day, period

    def hold(self, count: int) -> list[tuple[UUID, date]]:
        """Hold ``count`` more lessons (at 9:00 on their day); their ids and days."""
        held = []
        for course, day, period in itertools.islice(self._slots, count):
            with clock.travel(local(day, 9)):
                receipt = self.school.journal.entry.hold_lesson(
                    course, day, period, "Дроби", "№ 12", self.school.teacher
                )
            held.append((receipt.id, day))
        return held


def time_commands(
    supply: LessonSupply,
    seconds: float,
    per_lesson: int,
    command: Callable[[UUID, int], object],
    warmup: int = 5,
) -> common.Commands:
    """Run ``command(lesson_id, k)`` for k < ``per_lesson`` on fresh lessons, each at 15:00
    on the lesson's day (within the entry deadline), until ``seconds`` of command time."""
    result = common.Commands()
    try:
        for lesson_id, day in supply.hold(warmup):
            clock.set_time(local(day, 15))
            for k in range(per_lesson):
                command(lesson_id, k)
        while result.spent < seconds:
            lessons = supply.hold(max(1, HOLD_CHUNK // per_lesson))
            for lesson_id, day in lessons:
                clock.set_time(local(day, 15))
                for k in range(per_lesson):
                    cpu = time.process_time()
                    started = time.perf_counter()
                    command(lesson_id, k)
                    took = time.perf_counter() - started
                    result.cpu += time.process_time() - cpu
                    result.durations.append(took)
                    result.spent += took
                    result.count += 1
    finally:
        clock.set_time(None)
    return result


# --- options --------------------------------------------------------------------------------------
def arguments(parser: argparse.ArgumentParser, schema: str) -> None:
    """The options of the million-event data set (``--quick``: one year of five classes)."""
    parser.add_argument("--schema", default=schema, help=f"({schema})")
    parser.add_argument(
        "--keep",
        "--reuse",
        action="store_true",
        help="reuse the schema when it already holds a complete data set; keep it afterwards",
    )
    parser.add_argument("--years", type=int, default=6, help="school years to generate (6)")
    parser.add_argument("--classes-per-grade", type=int, default=4, choices=range(1, 7))
    parser.add_argument("--pupils", type=int, default=30, help="per class (30)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--min-events", type=int, default=MIN_EVENTS, help=argparse.SUPPRESS)


@contextmanager
def scratch_views(server: str, schema: str) -> Iterator[PostgresViewDatabase]:
    """A view database in a fresh ``schema``, dropped afterwards (profiles write there)."""
    common.create_schema(server, schema)
    db = PostgresViewDatabase(DatabaseURL.parse(with_schema(server, schema)))
    try:
        yield db
    finally:
        db.close()
        drop_schema(server, schema)


def load(args: argparse.Namespace, server: str, folder: Path) -> DataSet:
    """``prepare`` the data set and print what it is."""
    data = prepare(args, server, folder)
    how = "reused; generated" if data.reused else "generated"
    print(
        f"data set: schema {data.schema}, {data.events:,} events ({how} in "
        f"{data.generated_in:.0f} s, {data.events / data.generated_in:,.0f} events/s)"
    )
    print(f"   {data.description}")
    print(f"   event types: {data.mix}")
    return data


@contextmanager
def workspace(args: argparse.Namespace, server: str, name: str, keep: bool) -> Iterator[Path]:
    """A temporary folder (keys of the data set); on the way out it is removed, and the data
    set's schema dropped unless ``keep``."""
    folder = Path(tempfile.mkdtemp(prefix=f"ejournal-bench-{name}-"))
    try:
        yield folder
    finally:
        if not keep:
            drop_schema(server, args.schema)
        shutil.rmtree(folder, ignore_errors=True)


def quick(args: argparse.Namespace) -> None:
    """``--quick``: one school year of five classes, whatever the data set's size."""
    common.quick(args, years=1, classes_per_grade=1, min_events=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Drop a kept data set (--keep).")
    parser.add_argument("--drop", metavar="SCHEMA", required=True)
    parser.add_argument(
        "--pg-url", default=os.environ.get(common.PG_URL_VAR) or common.DEFAULT_PG_URL
    )
    args = parser.parse_args(argv)
    server = server_url(args.pg_url)
    drop_schema(server, args.drop)
    print(f"schema {args.drop} dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
