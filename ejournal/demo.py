"""A realistic demo school, seeded through the journal's application commands only.

``seed_demo`` opens a school year with four quarters, creates staff accounts with role-based
logins, forms classes, registers pupils and their guardians (Faker, ru_RU), opens a course
journal per subject of each class and two extracurricular groups, draws a weekly timetable
and has the deputy head enter it (bells, public holidays, weekly patterns, a thematic plan per
course journal, a few substitutions: ADR 0019), and then plays school life in time order,
every school day from 1 September up to the moment of seeding (weekends, public holidays and
the holidays between quarters skipped): the lessons the timetable schedules, held on their
day with the plan's topic and homework (a substitute holds theirs), attendance and marks;
corrections within the author's own window; late corrections requested by the teacher and
approved (or rejected) by the deputy head the next day, and two requests still waiting; term
marks of every quarter already over. Every event is stamped by a travelled clock, never later
than the moment of seeding, so the notification log is in time order and today's grid is
filled.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from itertools import count
from typing import Protocol
from uuid import UUID

from faker import Faker
from faker.providers.person.ru_RU import Provider as RuNames

from domain import clock, errors, ids, passwords
from domain.base import SYSTEM_ACTOR
from domain.explain import Input, explain
from domain.journal import Journal
from domain.lesson import MarkEntry
from domain.scheduling import PlanRow
from domain.timetable import Bell
from ejournal import password_strength

Progress = Callable[[str, int, int], None]
Action = Callable[[], None]
SCHOOL = "demo"
FIRST_GRADE, LAST_GRADE = 5, 9
LETTERS = "АБВГ"
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

#: Subject: weekly hours in grades 5–9 (after the federal basic curriculum, ФОП ООО), the
#: whole-class work every other week, the homework (p: paragraph, a and b: numbers).
SUBJECTS: dict[str, tuple[tuple[int, ...], str, str]] = {
    "Русский язык": ((5, 6, 4, 3, 3), "dictation", "§ {p}, упр. {a}"),
    "Литература": ((3, 3, 2, 2, 3), "independent", "Прочитать с. {a}–{b}, вопросы 1–3"),
    "Математика": ((5, 5, 6, 6, 6), "independent", "§ {p}, № {a}, {b}"),
    "Английский язык": ((3, 3, 3, 3, 3), "independent", "Учебник с. {b}, упр. {p}"),
    "История": ((2, 2, 2, 2, 2), "independent", "§ {p}, вопросы после параграфа"),
    "География": ((1, 1, 2, 2, 2), "practical", "§ {p}, контурная карта"),
    "Биология": ((1, 1, 1, 2, 2), "practical", "§ {p}, ответить на вопросы"),
    "Физика": ((0, 0, 2, 2, 3), "practical", "§ {p}, упр. {p} (1–3)"),
    "Информатика": ((1, 1, 1, 1, 1), "practical", "§ {p}, задания в рабочей тетради"),
    "Физическая культура": ((2, 2, 2, 2, 2), "practical", ""),
}
#: Teachers per department in a full school; each takes a contiguous share of the classes.
DEPARTMENTS = (
    (("Русский язык", "Литература"), 3),
    (("Математика",), 2),
    (("Английский язык",), 2),
    (("История",), 1),
    (("География", "Биология"), 1),
    (("Физика", "Информатика"), 1),
    (("Физическая культура",), 1),
)
#: Topics for grades 5–6 and 7–9 (one list when both are the same).
TOPICS: dict[str, tuple[str, ...]] = {
    "Русский язык": (
        "Повторение изученного в начальной школе; Звуки и буквы; Орфограммы в корне слова; "
        "Состав слова; Имя существительное; Словосочетание и предложение; Однородные члены",
        "Причастие; Причастный оборот; Деепричастный оборот; Наречие; Не с разными частями "
        "речи; Виды связи в словосочетании; Обособленные члены предложения",
    ),
    "Литература": (
        "Мифы Древней Греции; Русские народные сказки; М. Ю. Лермонтов. «Бородино»; "
        "Н. В. Гоголь. «Ночь перед Рождеством»; И. С. Тургенев. «Муму»",
        "«Повесть временных лет»; А. С. Пушкин. «Полтава»; Н. В. Гоголь. «Тарас Бульба»; "
        "И. С. Тургенев. «Бирюк»; А. С. Пушкин. «Капитанская дочка»",
    ),
    "Математика": (
        "Натуральные числа и шкалы; Сложение и вычитание натуральных чисел; Умножение и "
        "деление; Уравнения; Признаки делимости; Обыкновенные дроби; Десятичные дроби",
        "Выражения и их преобразования; Линейное уравнение; Функции и графики; Степень с "
        "натуральным показателем; Многочлены; Признаки равенства треугольников",
    ),
    "Английский язык": (
        "My family; My school day; Present Simple; Free time and hobbies; My home; Food",
        "Past Simple; Travelling; Present Perfect; Sports and health; Great Britain",
    ),
    "История": (
        "Первобытные люди; Древний Египет; Древняя Месопотамия; Древняя Греция; Древний Рим",
        "Великие географические открытия; Россия в XVI веке; Смутное время; Эпоха Петра I",
    ),
    "География": (
        "Что изучает география; План местности; Географические координаты; Литосфера",
        "Материки и океаны; Климат и природные зоны; Россия на карте мира; Рельеф России",
    ),
    "Биология": (
        "Биология — наука о живой природе; Клетка — единица живого; Ткани растений; Лист",
        "Многообразие животных; Простейшие; Черви; Членистоногие; Хордовые. Рыбы",
    ),
    "Физика": (
        "Физика и её роль в познании мира; Строение вещества; Механическое движение; "
        "Скорость; Масса и плотность; Сила тяжести; Давление",
    ),
    "Информатика": (
        "Информация вокруг нас; Компьютер; Файлы и папки; Текстовый редактор; Алгоритмы",
        "Двоичный код; Единицы измерения информации; Системы счисления; Ветвление и циклы",
    ),
    "Физическая культура": (
        "Техника безопасности; Бег на 30 м; Прыжок в длину с места; "
        "Челночный бег 3×10 м; Кросс 1000 м; Баскетбол; Волейбол",
    ),
    "Робототехника": (
        "Знакомство с конструктором; Моторы и датчики; Первая программа; "
        "Движение по линии; Проект «Робот-сортировщик»",
    ),
    "Шахматы": (
        "Ходы фигур; Шах, мат и пат; Рокировка; Дебютные принципы; Вилка и связка; "
        "Эндшпиль: король и пешка",
    ),
}
CORE = frozenset({"Русский язык", "Математика", "Английский язык"})
WORK_TITLES = {
    "test": "Контрольная работа",
    "dictation": "Контрольный диктант",
    "independent": "Самостоятельная работа",
    "practical": "Практическая работа",
}
#: Clubs: code, title, scale, kind of marks, weekday, whose (first) teacher leads it, size.
CLUBS = (
    ("robotics", "Робототехника", "pass_fail", "project", 2, "Информатика", 12),
    ("chess", "Шахматы", "five_point", "practical", 3, "История", 10),
)
PERIODS = {
    1: (8, 30),
    2: (9, 25),
    3: (10, 20),
    4: (11, 20),
    5: (12, 20),
    6: (13, 15),
    7: (14, 10),
    8: (15, 0),
}
#: Quarters as (year offset, month, day) of the first and the last day.
QUARTERS = (
    ((0, 9, 1), (0, 10, 26)),
    ((0, 11, 5), (0, 12, 28)),
    ((1, 1, 12), (1, 3, 22)),
    ((1, 4, 1), (1, 5, 26)),
)
HOLIDAY_TITLES = {
    (11, 4): "День народного единства",
    (2, 23): "День защитника Отечества",
    (3, 8): "Международный женский день",
    (5, 1): "Праздник Весны и Труда",
    (5, 9): "День Победы",
}
HOLIDAYS = frozenset(HOLIDAY_TITLES)
SUBSTITUTE_REASON = "Замена на время болезни учителя"
VALUES = ("5", "4", "3", "2")
WEIGHTS = ((70, 25, 5, 0), (30, 45, 20, 5), (10, 35, 40, 15))  # strong, average, weak pupils
OWN_REASONS = (
    "Ошибка при вводе: отметка выставлена не в ту графу",
    "Опечатка при вводе отметки",
    "Работа перепроверена: ошибка в подсчёте баллов",
)
REQUEST_REASON = "Повторная проверка работы по заявлению родителей: ошибка в подсчёте баллов"
REJECT_REASON = "Оснований нет: работа перепроверена, отметка обоснована"
CANCEL_REASON = "Отметка выставлена ошибочно: обучающийся не отвечал на этом уроке"
#: The state final attestation (ОГЭ): two exams for everyone, two of the pupil's choice.
#: The reasons a teacher gives for a term and a year mark set above the rounded average
#: (ADR 0024): the first pupil of the first class (the demo family's) gets one of each, so
#: that a visitor sees an explanation with a reason («расчёт» beside the mark).
TERM_WHY = "Учтён проект по теме четверти, защищённый на школьной научно-практической конференции"
YEAR_WHY = (
    "Учтено призовое место в муниципальном этапе олимпиады по предмету "
    "(решение методического объединения, протокол № 5)"
)
EXAMS = ("Русский язык", "Математика")
EXAM_ELECTIVES = ("Литература", "Английский язык", "История", "География", "Биология", "Физика")
EXAM_WEIGHTS = ((60, 35, 5), (25, 55, 20), (10, 40, 50))  # «5», «4», «3» by ability
#: The pedagogical council's protocols: (number, decision) of the end of the year and of
#: the graduation of the classes with exams.
COUNCIL = ("7", "promoted")
GRADUATION = ("9", "graduated")
_WIVES = dict(zip(RuNames.last_names_male, RuNames.last_names_female, strict=True))
_HUSBANDS = {woman: man for man, woman in _WIVES.items()}


@dataclass(frozen=True)
class DemoSchool:
    """What ``seed_demo`` created: ids to start from, the demo logins and the counts."""

    year_id: UUID
    classes: dict[str, UUID] = field(hash=False)
    activity_groups: dict[str, UUID] = field(hash=False)
    logins: list[tuple[str, str, str]] = field(hash=False)  # (role, login, password)
    pupils: int
    guardians: int
    teachers: int
    lessons: int
    marks: int
    corrections: int
    events: int
    #: (account, pupil, moment): where «что нового» of the family accounts starts, so that
    #: the last school days are news to them (``SeenPositions.visit`` after the rebuild).
    read_up_to: list[tuple[UUID, UUID, datetime]] = field(hash=False, default_factory=list)
    #: The end of a year held to its last day: year, exam marks and council decisions.
    year_marks: int = 0
    exam_marks: int = 0
    decisions: int = 0


@dataclass
class _Course:
    id: UUID
    subject: str
    group: str  # class name or club title
    grade: int  # 0 for an extracurricular group
    hours: int
    teacher: UUID
    pupils: list[UUID]
    scale: str = "five_point"
    kind: str = "answer"  # of the marks of an ordinary lesson


@dataclass(frozen=True)
class _Lesson:
    course: _Course
    day: date
    period: int
    number: int  # 0-based within its course journal
    substitute: UUID | None = None  # who holds it instead of the course's teacher


def parse_year(year: str) -> tuple[date, date]:
    """``"2025/26"`` → (1 September 2025, 31 May 2026)."""
    first, _, second = year.partition("/")
    if not (first.isdigit() and second.isdigit() and int(second) == (int(first) + 1) % 100):
        raise ValueError(f"Учебный год в виде «2025/26», получено «{year}».")
    return date(int(first), 9, 1), date(int(first) + 1, 5, 31)


def quarters(year: str) -> list[tuple[int, str, date, date]]:
    """The four quarters of ``year`` with the usual holidays between them."""
    start = parse_year(year)[0].year
    return [
        (n, f"{n} четверть", date(start + a[0], a[1], a[2]), date(start + b[0], b[1], b[2]))
        for n, (a, b) in enumerate(QUARTERS, 1)
    ]


def school_days(year: str, weeks: int | None = None, until: date | None = None) -> list[date]:
    """Weekdays of the first ``weeks`` calendar weeks (all of the year when None) that fall in
    a quarter, not a holiday, and not after ``until``."""
    first, last = parse_year(year)
    monday = first - timedelta(days=first.weekday())
    terms = quarters(year)
    span = weeks * 7 if weeks is not None else (last - monday).days + 1
    days = (monday + timedelta(days=n) for n in range(span))
    return [
        d
        for d in days
        if d.weekday() < 5
        and first <= d <= (until or last)
        and (d.month, d.day) not in HOLIDAYS
        and any(s <= d <= e for _, _, s, e in terms)
    ]


def demo_password(seed: int, login: str, names: Sequence[str] = ()) -> str:
    """The demo password of ``login``: deterministic for a seed, 13 characters, one that
    the product's password rules accept for that login and name."""
    rng = random.Random(f"{seed}/{login}")  # noqa: S311 (demo data, reproducible on purpose)
    while True:  # the rare draw that the strength check would refuse is drawn again
        password = "demo-" + "".join(rng.choice(ALPHABET) for _ in range(8))
        try:
            passwords.check_password(password, login, names, password_strength.check)
        except errors.WeakPassword:
            continue
        return password


def class_names(classes: int) -> list[str]:
    """``8`` → 5А 5Б 6А 6Б 7А 7Б 8А 8Б (two letters a grade, more when the school is big)."""
    per_grade = max(2, math.ceil(classes / (LAST_GRADE - FIRST_GRADE + 1)))
    if not 1 <= classes <= len(LETTERS) * (LAST_GRADE - FIRST_GRADE + 1):
        raise ValueError("Число классов: от 1 до 20.")
    return [f"{FIRST_GRADE + i // per_grade}{LETTERS[i % per_grade]}" for i in range(classes)]


def _father(patronymic: str) -> str | None:
    """The father's first name behind a patronymic, when it is plain to recover."""
    male = patronymic[:-3] + "вич" if patronymic.endswith("вна") else patronymic
    for ending, tail in (
        ("ьевич", "ий"),
        ("еевич", "ей"),
        ("иевич", "ий"),
        ("аевич", "ай"),
        ("ович", ""),
    ):
        if male.endswith(ending) and male[: -len(ending)] + tail in RuNames.first_names_male:
            return male[: -len(ending)] + tail
    return None


def plan_staff(names: list[str]) -> tuple[list[tuple[tuple[str, ...], list[str]]], dict[int, str]]:
    """Teachers as (subjects, classes): each department's classes split in contiguous
    shares; and the class each class teacher (by index) leads, chosen by most hours."""
    plan: list[tuple[tuple[str, ...], list[str]]] = []
    for subjects, size in DEPARTMENTS:
        taught = [c for c in names if any(_hours(s, c) for s in subjects)]
        n = min(size, len(taught))
        plan += [
            (subjects, taught[i * len(taught) // n : (i + 1) * len(taught) // n]) for i in range(n)
        ]
    tutors: dict[int, str] = {}
    for name in names:
        free = [i for i, (_, cls) in enumerate(plan) if name in cls and i not in tutors]
        if free:
            tutors[max(free, key=lambda i: sum(_hours(s, name) for s in plan[i][0]))] = name
    return plan, tutors


def demo_profile(head: tuple[str, str, str]) -> dict[str, str]:
    """The demo school's details (fictional; OGRN and INN with valid check digits)."""
    return {
        "full_name": "Муниципальное бюджетное общеобразовательное учреждение "
        "«Средняя общеобразовательная школа № 1» (демонстрационная)",
        "short_name": "МБОУ СОШ № 1 (демо)",
        "address": "123456, г. Энск, ул. Школьная, д. 1",
        "head_name": " ".join(p for p in head if p),
        "head_position": "Директор",
        "ogrn": "1027700123450",
        "inn": "7701234560",
    }


def seed_demo(
    journal: Journal,
    *,
    year: str = "2025/26",
    seed: int = 2025,
    progress: Progress | None = None,
    classes: int = 8,
    pupils_per_class: int = 25,
    weeks: int | None = None,
    school: str = SCHOOL,
    catch_up: Callable[[], object] | None = None,
) -> DemoSchool:
    """Seed a demo school into ``journal`` through its application commands (``school``:
    the school's code, EJOURNAL_SCHOOL or ``--school``: part of its school year's id).
    ``catch_up`` brings the views up to date before term and year marks are set: they are
    computed from the marks the views hold (ADR 0024), when the views are not updated
    after every command.

    Lessons are held every school day of the first ``weeks`` weeks (None: of the whole year),
    up to the moment of seeding (``clock.now()``): nothing is stamped later. The same
    ``seed`` and moment give the same logins, passwords, names and marks. ``progress(stage,
    done, total)`` is called now and then. Returns what was created and how much of it."""
    if pupils_per_class < 1 or (weeks is not None and weeks < 1):
        raise ValueError("Нужен хотя бы один ученик в классе и одна неделя уроков.")
    seeder = _Seeder(journal, year, seed, progress or (lambda *_: None), school)
    seeder.catch_up = catch_up or (lambda: None)
    return seeder.run(class_names(classes), pupils_per_class, weeks)


class _Seeder:
    """One seeding run: the random sources, the travelled clock and what was created."""

    def __init__(
        self, journal: Journal, year: str, seed: int, progress: Progress, school: str = SCHOOL
    ) -> None:
        self.j, self.year, self.seed, self.progress = journal, year, seed, progress
        self.school = school
        self.rng = random.Random(seed)  # noqa: S311 (demo data, reproducible on purpose)
        self.fake = Faker("ru_RU")
        self.fake.seed_instance(seed)
        self.queue: list[tuple[datetime, int, Action]] = []
        self.order = count()
        self.now = clock.now()
        #: Nothing later than an hour before the moment of seeding: the entries of the last
        #: lessons and their few minutes of clicks stay in the past.
        self.horizon = self.now - timedelta(hours=1)
        self.tally: Counter[str] = Counter()
        self.logins: list[tuple[str, str, str]] = []
        self.classes: dict[str, UUID] = {}
        self.groups: dict[str, UUID] = {}
        self.pupils: dict[str, list[UUID]] = {}
        self.names: dict[UUID, tuple[str, str, str]] = {}
        self.guardian: dict[UUID, UUID] = {}  # pupil → the first guardian linked
        self.ability: dict[UUID, int] = {}
        self.absent: dict[tuple[UUID, date], str] = {}
        self.courses: list[_Course] = []
        self.club_slots: list[tuple[int, int, _Course]] = []
        self.admin = self.deputy = SYSTEM_ACTOR
        self.year_id = ids.school_year_id(school, year)
        self.totals = {"accounts": 5, "pupils": 0}
        #: (course, term, pupil) → (value, weight) of each mark entered: the term marks.
        self.term_marks: dict[tuple[UUID, int, UUID], list[tuple[int, int]]] = {}
        self.family: list[tuple[UUID, UUID]] = []  # (account, pupil) of the family logins
        #: (course, day, period) → the teacher who holds that lesson instead («замена»).
        self.substitutes: dict[tuple[UUID, date, int], UUID] = {}
        self.year_marks: dict[tuple[UUID, UUID], str] = {}  # (course, pupil) → year mark
        #: (course, term, pupil) → the term mark set.
        self.term_set: dict[tuple[UUID, int, UUID], str] = {}
        #: The (course, term, pupil) of the term mark and the (course, pupil) of the year
        #: mark set above the rounded average with a reason (``TERM_WHY``, ``YEAR_WHY``).
        self.raised_term: tuple[UUID, int, UUID] | None = None
        self.raised_year: tuple[UUID, UUID] | None = None
        self.catch_up: Callable[[], object] = lambda: None
        self.exam_marks: dict[tuple[UUID, UUID], str] = {}  # (course, pupil) → exam mark

    def run(self, names: list[str], per_class: int, weeks: int | None) -> DemoSchool:
        """Seed everything in time order and report."""
        before = self.j.recorder.max_notification_id() or 0
        first, last = parse_year(self.year)
        days = school_days(self.year, weeks, until=clock.local_date(self.horizon))
        with clock.travel(clock.local_datetime(first - timedelta(days=7), 9)):
            self.now = clock.now()
            self._staff_and_year(first, last)
            self._form_classes(names)
            plan, tutors = plan_staff(names)
            self.totals = {
                "accounts": 5 + len(plan) + 2 * min(2, len(names)),
                "pupils": len(names) * per_class,
            }
            teachers = self._teachers(plan, tutors)
            for name in names:
                self._pupils(name, per_class)
            self._courses(teachers)
            self._clubs(teachers, days)
            self._family_accounts(names)
            self._absences(days)
            self._record_timetable(self._timetable(names))
            self._schedule_lessons(days)
            self._schedule_year_end(days)
            self._drain("lessons")
        read_up_to = [
            (account, pupil, clock.local_datetime(days[-4], 20))
            for account, pupil in self.family
            if len(days) > 4
        ]
        return DemoSchool(
            self.year_id,
            dict(self.classes),
            dict(self.groups),
            list(self.logins),
            pupils=len(self.ability),
            guardians=self.tally["guardians"],
            teachers=len(set(teachers.values())),
            lessons=self.tally["lessons"],
            marks=self.tally["marks"],
            corrections=self.tally["corrections"],
            events=(self.j.recorder.max_notification_id() or 0) - before,
            read_up_to=read_up_to,
            year_marks=self.tally["year_marks"],
            exam_marks=self.tally["exam_marks"],
            decisions=self.tally["decisions"],
        )

    # --- clock ---------------------------------------------------------------------------
    def _at(self, moment: datetime) -> None:
        self.now = max(moment, self.now)
        clock.set_time(self.now)

    def _tick(self, low: int = 5, high: int = 20) -> None:
        self._at(self.now + timedelta(seconds=self.rng.randint(low, high)))

    def _later(self, days: int, hours: tuple[int, int]) -> datetime:
        day = self.now.astimezone(clock.SCHOOL_TZ).date() + timedelta(days=days)
        return clock.local_datetime(day, self.rng.randint(*hours), self.rng.randint(0, 59))

    def _schedule(self, moment: datetime, action: Action) -> None:
        heapq.heappush(self.queue, (moment, next(self.order), action))

    def _drain(self, stage: str) -> None:
        done = 0
        while self.queue:
            moment, _, action = heapq.heappop(self.queue)
            if moment > self.horizon:
                continue  # a decision or a correction still to come
            self._at(moment)
            action()
            done += 1
            if done % 50 == 0:
                self.progress(stage, done, done + len(self.queue))
        self.progress(stage, done, done)  # what lies past the horizon is not done

    # --- people and accounts -------------------------------------------------------------
    def _person(self, male: bool) -> tuple[str, str, str]:
        f = self.fake
        if male:
            return f.last_name_male(), f.first_name_male(), f.middle_name_male()
        return f.last_name_female(), f.first_name_female(), f.middle_name_female()

    def _account(
        self,
        role: str,
        login: str,
        roles: list[str],
        person: tuple[str, str, str] | None = None,
        person_id: UUID | None = None,
        by: UUID | None = None,
    ) -> UUID:
        actor = by if by is not None else (self.admin if self.logins else SYSTEM_ACTOR)
        surname, name, patronymic = person or self._person(self.rng.random() < 0.3)
        password = demo_password(self.seed, login, (surname, name, patronymic))
        account = self.j.accounts.create_account(
            login, surname, name, patronymic, roles, password, actor, person_id=person_id
        ).id
        self.logins.append((role, login, password))
        self.progress("accounts", len(self.logins), self.totals["accounts"])
        self._tick(30, 120)
        return account

    def _staff_and_year(self, first: date, last: date) -> None:
        self.admin = self._account("admin", "admin", ["admin"])
        # The operator appoints the head; the privileged roles the administrator grants take
        # effect when the head — a second person — confirms them (policies/access.toml).
        person = self._person(self.rng.random() < 0.3)  # as ``_account`` would draw it
        head = self._account("head", "head", ["head"], person, by=SYSTEM_ACTOR)
        for role in ("deputy", "auditor", "archivist"):
            staff = self._account(role, role, [role])
            self.j.accounts.confirm_role_grant(staff, role, head)
        self.j.profile.set_profile(self.school, demo_profile(person), self.admin)
        self.deputy = ids.account_id("deputy")
        self.j.school.open_school_year(self.school, self.year, first, last, self.admin)
        for number, title, starts, ends in quarters(self.year):
            self._tick()
            self.j.school.define_term(self.year_id, number, title, starts, ends, self.admin)

    def _form_classes(self, names: list[str]) -> None:
        for name in names:
            self.classes[name] = self.j.classes.form_class(
                self.year_id, name, int(name[:-1]), self.admin
            ).id
            self._tick()

    def _teachers(
        self, plan: list[tuple[tuple[str, ...], list[str]]], tutors: dict[int, str]
    ) -> dict[tuple[str, str], UUID]:
        """Create the teachers (some class teachers); return who teaches (class, subject)."""
        teaches: dict[tuple[str, str], UUID] = {}
        for i, (subjects, taught) in enumerate(plan):
            role = "class_teacher" if i in tutors else "teacher"
            teacher = self._account(role, f"teacher{i + 1:02d}", sorted({"teacher", role}))
            teaches |= {(c, s): teacher for c in taught for s in subjects}
            if i in tutors:
                self.j.classes.assign_class_teacher(self.classes[tutors[i]], teacher, self.admin)
        return teaches

    def _pupils(self, name: str, size: int) -> None:
        grade, first = int(name[:-1]), parse_year(self.year)[0]
        born_from = date(first.year - grade - 6, 3, 1)  # 6½–7½ years old in the first grade
        self.pupils[name] = []
        for _ in range(size):
            male = self.rng.random() < 0.5
            person = self._person(male)
            birth = born_from + timedelta(days=self.rng.randrange(365))
            pupil = self.j.people.register_student(*person, birth, self.admin).id
            self.names[pupil] = person
            self.ability[pupil] = self.rng.choices((0, 1, 2), (35, 45, 20))[0]
            self._tick()
            self._guardians(pupil, male, person)
            self.j.classes.enrol(self.classes[name], pupil, first, self.admin)
            self.pupils[name].append(pupil)
            self._tick()
            self.progress("pupils", len(self.ability), self.totals["pupils"])

    def _guardians(self, pupil: UUID, male: bool, person: tuple[str, str, str]) -> None:
        surname, _, patronymic = person
        man = surname if male else _HUSBANDS.get(surname, surname)
        woman = _WIVES.get(man, surname)
        family = [("мать", (woman, self.fake.first_name_female(), self.fake.middle_name_female()))]
        if self.rng.random() < 0.7:
            father = _father(patronymic)
            family.append(
                ("отец", (man, father, self.fake.middle_name_male()))
                if father
                else (
                    "бабушка",
                    (woman, self.fake.first_name_female(), self.fake.middle_name_female()),
                )
            )
        for relation, (s, n, p) in family:
            guardian = self.j.people.register_guardian(
                s, n, p, self.fake.phone_number(), self.fake.free_email(), self.admin
            ).id
            self._tick()
            self.j.people.link_guardian(pupil, guardian, relation, self.admin)
            self.names[guardian] = (s, n, p)
            self.guardian.setdefault(pupil, guardian)
            self.tally["guardians"] += 1
            self._tick()

    def _family_accounts(self, names: list[str]) -> None:
        """A parent and a pupil account for the first pupil of the first two classes."""
        for i, name in enumerate(names[:2], 1):
            pupil = self.pupils[name][0]
            guardian = self.guardian[pupil]
            parent = self._account(
                "parent", f"parent{i:02d}", ["parent"], self.names[guardian], person_id=guardian
            )
            own = self._account(
                "pupil", f"pupil{i:02d}", ["pupil"], self.names[pupil], person_id=pupil
            )
            self.family += [(parent, pupil), (own, pupil)]

    # --- course journals and timetable ---------------------------------------------------
    def _courses(self, teaches: dict[tuple[str, str], UUID]) -> None:
        for name, class_id in self.classes.items():
            for subject in SUBJECTS:
                if not _hours(subject, name):
                    continue
                course = self.j.classes.open_course_journal(
                    class_id, subject, "five_point", self.admin
                ).id
                self.j.classes.assign_teacher(course, teaches[name, subject], self.admin)
                self.courses.append(
                    _Course(
                        course,
                        subject,
                        name,
                        int(name[:-1]),
                        _hours(subject, name),
                        teaches[name, subject],
                        self.pupils[name],
                    )
                )
                self._tick()

    def _clubs(self, teaches: dict[tuple[str, str], UUID], days: list[date]) -> None:
        everyone = [p for name in self.classes for p in self.pupils[name]]
        starts = club_start(days)
        for code, title, scale, kind, weekday, subject, size in CLUBS:
            group = self.j.classes.form_activity_group(self.year_id, code, title, self.admin).id
            course = self.j.classes.open_course_journal(group, title, scale, self.admin).id
            teacher = next(t for (_, s), t in teaches.items() if s == subject)
            self.j.classes.assign_teacher(course, teacher, self.admin)
            members = sorted(
                self.rng.sample(everyone, min(size, len(everyone))), key=everyone.index
            )
            for pupil in members:
                self.j.classes.add_member(group, pupil, starts, self.admin)
                self._tick()
            self.groups[title] = group
            club = _Course(course, title, title, 0, 1, teacher, members, scale, kind)
            self.courses.append(club)
            self.club_slots.append((weekday, 8, club))

    def _timetable(self, names: list[str]) -> list[tuple[int, int, _Course]]:
        """Weekly (weekday, period, course) slots: no class and no teacher in two places."""
        slots: list[tuple[int, int, _Course]] = []
        busy: set[tuple[int, int, UUID]] = set()
        for name in names:
            own = [c for c in self.courses if c.group == name]
            taken: set[tuple[int, int]] = set()
            subjects: list[list[str]] = [[] for _ in range(5)]
            for course in sorted(own, key=lambda c: -c.hours):
                for _ in range(course.hours):
                    days = sorted(
                        range(5),
                        key=lambda d: (
                            subjects[d].count(course.subject),
                            len(subjects[d]),
                            self.rng.random(),
                        ),
                    )
                    day, period = next(
                        (d, p)
                        for d in days
                        for p in range(1, 8)
                        if (d, p) not in taken and (d, p, course.teacher) not in busy
                    )
                    taken.add((day, period))
                    busy.add((day, period, course.teacher))
                    subjects[day].append(course.subject)
                    slots.append((day, period, course))
        return slots + self.club_slots

    # --- the timetable and the thematic plans (ADR 0019) ----------------------------------
    def _record_timetable(self, slots: list[tuple[int, int, _Course]]) -> None:
        """The deputy head enters the bell schedule, the public holidays, each course
        journal's weekly pattern and its thematic plan (a topic per lesson of the year),
        and a few substitutions (``SUBSTITUTIONS``) of lessons up to the next school day."""
        t, deputy = self.j.timetable, self.deputy
        t.set_bells(self.year_id, bells(), deputy)
        for day, title in public_holidays(self.year):
            self._tick()
            t.declare_days_off(self.year_id, day, day, title, deputy)
        first, clubs = parse_year(self.year)[0], club_start(school_days(self.year))
        for course in self.courses:
            own = [(w, p) for w, p, c in slots if c is course]
            t.set_pattern(course.id, first if course.grade else clubs, own, deputy)
            self._tick()
        for course in self.courses:
            count = len(t.scheduled(course.id))
            t.import_plan(course.id, thematic_plan(course, count), deputy)
            self.progress("timetable", len(self.courses), len(self.courses))
            self._tick(30, 90)
        self._substitutions(slots)

    def _substitutions(self, slots: list[tuple[int, int, _Course]]) -> None:
        """A teacher off sick: another teacher free at that time holds their lessons of
        one day — a day of the last two weeks and the next school day (not yet held)."""
        today = clock.local_date(self.horizon)
        past = [d for d in school_days(self.year) if d < today]
        upcoming = [d for d in school_days(self.year) if d >= today][:1]
        picked = past[-10:-9] + upcoming
        busy = {(w, p, c.teacher) for w, p, c in slots}
        teachers = sorted({c.teacher for c in self.courses}, key=str)
        for day in picked:
            teaching = sorted(
                {c.teacher for w, _, c in slots if w == day.weekday() and c.grade}, key=str
            )
            if not teaching:
                continue
            sick = self.rng.choice(teaching)
            for weekday, period, course in slots:
                if course.teacher != sick or weekday != day.weekday() or not course.grade:
                    continue
                free = [x for x in teachers if (weekday, period, x) not in busy and x != sick]
                if not free:
                    continue
                substitute = self.rng.choice(free)
                busy.add((weekday, period, substitute))
                moment = min(self.horizon, clock.local_datetime(day - timedelta(days=1), 15))
                self._schedule(moment, partial(self._substitute, course, day, period, substitute))
                self.substitutes[course.id, day, period] = substitute

    def _substitute(self, course: _Course, day: date, period: int, teacher: UUID) -> None:
        """The deputy head assigns the substitute the day before."""
        self.j.timetable.assign_substitute(
            course.id, day, period, teacher, SUBSTITUTE_REASON, self.deputy
        )

    def _from_timetable(self, days: list[date]) -> list[_Lesson]:
        """The lessons the timetable schedules on ``days``, by day, period and course."""
        wanted, order = set(days), {c.id: i for i, c in enumerate(self.courses)}
        found = [
            _Lesson(c, s.day, s.period, s.number, self.substitutes.get((c.id, s.day, s.period)))
            for c in self.courses
            for s in self.j.timetable.scheduled(c.id)
            if s.day in wanted
        ]
        return sorted(found, key=lambda x: (x.day, x.period, order[x.course.id]))

    # --- school life ---------------------------------------------------------------------
    def _absences(self, days: list[date]) -> None:
        draw_absences(self.rng, self.ability, days, self.absent)

    def _schedule_lessons(self, days: list[date]) -> None:
        """Every lesson the journal's timetable schedules on ``days``, entered when over."""
        lessons, moments = [], []
        for lesson in self._from_timetable(days):
            day, period = lesson.day, lesson.period
            moment = self._entry_moment(day, period)
            if moment > self.horizon:  # not entered yet: right after the lesson, if over
                moment = self._lesson_end(day, period) + timedelta(minutes=self.rng.randint(1, 9))
                if moment > self.horizon:
                    continue
            lessons.append(lesson)
            moments.append(moment)
        fixes = self._plan_fixes(lessons, days)
        for i, (lesson, moment) in enumerate(zip(lessons, moments, strict=True)):
            self._schedule(moment, partial(self._enter, lesson, fixes.get(i, "")))
        self._schedule_term_marks(lessons, moments, days)

    def _plan_fixes(self, lessons: list[_Lesson], days: list[date]) -> dict[int, str]:
        """Own corrections, decided requests spread over the lessons, and two requests still
        waiting for the deputy head (of lessons two weeks before the last day)."""
        candidates = [i for i, x in enumerate(lessons) if x.course.grade]
        kinds = ["own"] * max(3, len(candidates) // 150) + ["approve"] * 3 + ["reject", "cancel"]
        self.rng.shuffle(kinds)
        span = max(1, int(len(candidates) * 0.8) // (len(kinds) + 1))
        fixes = {
            candidates[min(len(candidates) - 1, span * (i + 1))]: kind
            for i, kind in enumerate(kinds)
            if candidates
        }
        if days:
            cutoff = days[-1] - timedelta(days=14)
            waiting = [i for i in candidates if lessons[i].day <= cutoff and i not in fixes]
            fixes |= {i: "pending" for i in waiting[-60::30]}
        return fixes

    def _schedule_term_marks(
        self, lessons: list[_Lesson], moments: list[datetime], days: list[date]
    ) -> None:
        """Term marks of every quarter over (before today, its last school day seeded), set
        by each teacher once the quarter's last lesson is entered."""
        today = clock.local_date(self.horizon)
        for number, _, starts, ends in quarters(self.year):
            entered = [m for x, m in zip(lessons, moments, strict=True) if starts <= x.day <= ends]
            last = max(d for d in school_days(self.year) if starts <= d <= ends)
            if not days or ends >= today or last > days[-1] or not entered:
                continue
            moment = max(entered)
            for course in self.courses:
                if course.grade:
                    moment += timedelta(minutes=self.rng.randint(2, 30))
                    self._schedule(min(moment, self.horizon), partial(self._term, course, number))

    def _term(self, course: _Course, term: int) -> None:
        """The teacher sets the term marks: the weighted average, half up; «н/а» without
        marks — and once, for the demo family's pupil, a mark above it with a reason."""
        self.catch_up()
        port = self.j.final_inputs  # the marks as they stand, corrections included
        found = port.term_inputs(course.id, term) if port is not None else None
        marks, whys = [], {}
        for pupil in course.pupils:
            value = self._term_value(course, term, pupil, found)
            if self.raised_term is None and self._raises(pupil, value):
                value, whys[pupil] = str(int(value) + 1), TERM_WHY
                self.raised_term = (course.id, term, pupil)
            self.term_set[course.id, term, pupil] = value
            marks.append((pupil, value, ""))
        self.j.grades.set_term_marks(course.id, term, marks, course.teacher, whys)
        self.tally["term_marks"] += len(marks)
        self._tick(30, 90)

    def _raises(self, pupil: UUID, value: str) -> bool:
        """True for the demo family's pupil (the first of the first class) with a «3» or
        «4» due: the mark the teacher sets one higher, with a reason."""
        first = next(iter(self.pupils.values()), [])
        return bool(first) and pupil == first[0] and value in ("3", "4")

    def _term_value(
        self,
        course: _Course,
        term: int,
        pupil: UUID,
        found: Mapping[UUID, Sequence[Input]] | None = None,
    ) -> str:
        """The weighted average of the term's marks, half up; «н/а» without marks. With
        ``found`` (the marks as the views hold them), as the journal computes it."""
        if found is not None:
            grading = self.j.policies.grading
            return explain(grading, "five_point", found.get(pupil, ())).rounded or "н/а"
        got = self.term_marks.get((course.id, term, pupil), [])
        weight = sum(w for _, w in got)
        average = sum(v * w for v, w in got) / weight if weight else 0.0
        return str(min(5, max(2, math.floor(average + 0.5)))) if weight else "н/а"

    @staticmethod
    def _lesson_end(day: date, period: int) -> datetime:
        return clock.local_datetime(day, *PERIODS[period]) + timedelta(minutes=45)

    def _entry_moment(self, day: date, period: int) -> datetime:
        """Mostly right after the lesson or that evening; sometimes a day or two later."""
        end = self._lesson_end(day, period)
        r = self.rng.random()
        if r < 0.55:
            return end + timedelta(minutes=self.rng.randint(1, 9))
        if r < 0.9:
            return clock.local_datetime(day, self.rng.randint(16, 21), self.rng.randint(0, 59))
        later = day + timedelta(days=1 if r < 0.98 else 2)
        return clock.local_datetime(later, self.rng.randint(18, 22), self.rng.randint(0, 59))

    def _enter(self, lesson: _Lesson, fix: str) -> None:
        """The teacher opens the lesson, then saves the page: attendance and marks."""
        course = lesson.course
        teacher = lesson.substitute or course.teacher
        topic, homework = topic_of(course, lesson.number), homework_of(course, lesson.number)
        # held from the timetable: the topic and homework are the thematic plan's
        lesson_id = self.j.timetable.hold_scheduled(
            course.id, lesson.day, lesson.period, teacher
        ).id
        self._tick(60, 240)
        attendance = self._attendance(course, lesson)
        marks = self._marks(course, lesson.number, attendance)
        receipt = self.j.entry.save_lesson_page(
            lesson_id, topic, homework, marks, attendance, teacher
        )
        self.tally.update(lessons=1, marks=len(marks))
        term = self._term_of(lesson.day)
        if course.grade and term:
            grading = self.j.policies.grading
            for mark in marks:
                self.term_marks.setdefault((course.id, term, mark.student_id), []).append(
                    (int(mark.value), grading.kind(mark.kind).weight)
                )
        if fix and marks and lesson.substitute is None:
            i = self.rng.randrange(len(marks))
            self._plan_fix(fix, lesson_id, course, marks[i], receipt.created[i])

    def _attendance(self, course: _Course, lesson: _Lesson) -> dict[UUID, str]:
        codes = {}
        late = 0.03 if lesson.period == 1 else 0.008
        for pupil in course.pupils:
            r = self.rng.random()
            code = self.absent.get((pupil, lesson.day)) or (
                "Н" if r < 0.004 else "ОП" if r < late else ""
            )
            if code:
                codes[pupil] = code
        return codes

    def _marks(self, course: _Course, number: int, attendance: dict[UUID, str]) -> list[MarkEntry]:
        present = [p for p in course.pupils if attendance.get(p, "ОП") == "ОП"]
        work = work_of(course, number)
        if work:
            return [self._mark(course, p, work) for p in present]
        chosen = self.rng.sample(present, min(len(present), self.rng.randint(2, 4)))
        entries = [self._mark(course, p, course.kind) for p in chosen]
        if course.grade and homework_of(course, number) and self.rng.random() < 0.4:
            others = [p for p in present if p not in chosen]
            entries += [
                self._mark(course, p, "homework")
                for p in self.rng.sample(others, min(len(others), 2))
            ]
        return entries

    def _mark(self, course: _Course, pupil: UUID, kind: str) -> MarkEntry:
        if course.scale == "pass_fail":
            return MarkEntry(pupil, "незач" if self.rng.random() < 0.08 else "зач", kind)
        return MarkEntry(pupil, self.rng.choices(VALUES, WEIGHTS[self.ability[pupil]])[0], kind)

    def _term_of(self, day: date) -> int:
        return next((n for n, _, s, e in quarters(self.year) if s <= day <= e), 0)

    # --- the end of the year -------------------------------------------------------------
    def _schedule_year_end(self, days: list[date]) -> None:
        """A year held to its last school day ends as a school ends it: the year marks two
        days after the last quarter, the pedagogical council's decisions on the classes
        without exams the day after; in grades with exams (``[exams]`` of
        ``policies/grading.toml``) the exam marks in June (entered by the deputy head), the
        final marks and the council's decision to graduate. What would come after the moment
        of seeding is not done (a year still under way gets none of it)."""
        every = school_days(self.year)
        if not days or days[-1] != every[-1]:
            return
        last = every[-1]
        exams = self.j.policies.grading.exam_grades
        moment = clock.local_datetime(last + timedelta(days=2), 14)
        for course in (c for c in self.courses if c.grade):
            moment += timedelta(minutes=self.rng.randint(2, 15))
            self._schedule(moment, partial(self._year_marks, course))
        council = max(last + timedelta(days=3), clock.local_date(moment) + timedelta(days=1))
        graduation = date(last.year, 6, 25)
        for n, name in enumerate(self.classes):
            if int(name[:-1]) in exams:
                results = clock.local_datetime(date(last.year, 6, 20), 10, n)
                self._schedule(results, partial(self._exams, name))
                finals = clock.local_datetime(date(last.year, 6, 22), 11, n)
                self._schedule(finals, partial(self._finals, name))
                moment, protocol = clock.local_datetime(graduation, 15, n), GRADUATION
            else:
                moment, protocol = clock.local_datetime(council, 15, n), COUNCIL
            self._schedule(moment, partial(self._decide, name, *protocol, moment.date()))

    def _year_marks(self, course: _Course) -> None:
        """The teacher sets the year marks: the mean of the term marks set, half up — and
        once, for the demo family's pupil, a mark above it with a reason."""
        self.catch_up()
        for pupil in course.pupils:
            terms = [
                self.term_set.get((course.id, n, pupil)) or self._term_value(course, n, pupil)
                for n, *_ in quarters(self.year)
            ]
            numbers = [int(v) for v in terms if v.isdigit()]
            value = str(math.floor(sum(numbers) / len(numbers) + 0.5)) if numbers else "н/а"
            why = ""
            if self.raised_year is None and self._raises(pupil, value):
                value, why = str(int(value) + 1), YEAR_WHY
                self.raised_year = (course.id, pupil)
            self.year_marks[course.id, pupil] = value
            self.j.grades.set_year_mark(course.id, pupil, value, course.teacher, why=why)
            self.tally["year_marks"] += 1
        self._tick(30, 90)

    def _exams(self, name: str) -> None:
        """The deputy head enters the results of the state final attestation (ОГЭ): Russian
        and mathematics for everyone and two subjects of each pupil's choice."""
        own = {c.subject: c for c in self.courses if c.group == name}
        electives = [s for s in EXAM_ELECTIVES if s in own]
        for pupil in self.pupils[name]:
            chosen = [s for s in EXAMS if s in own]
            chosen += self.rng.sample(electives, min(2, len(electives)))
            for subject in chosen:
                value = self.rng.choices(("5", "4", "3"), EXAM_WEIGHTS[self.ability[pupil]])[0]
                self.exam_marks[own[subject].id, pupil] = value
                self.j.grades.set_result_mark("exam", own[subject].id, pupil, value, self.deputy)
                self.tally["exam_marks"] += 1
            self._tick()

    def _finals(self, name: str) -> None:
        """Each teacher sets the final marks: the mean of the year and exam marks, half up
        (the year mark where the pupil sat no exam in the subject)."""
        for course in (c for c in self.courses if c.group == name):
            for pupil in course.pupils:
                year = self.year_marks.get((course.id, pupil), "н/а")
                exam = self.exam_marks.get((course.id, pupil))
                marks = [int(v) for v in (year, exam) if v and v.isdigit()]
                value = str(math.floor(sum(marks) / len(marks) + 0.5)) if exam else year
                self.j.grades.set_result_mark("final", course.id, pupil, value, course.teacher)
            self._tick(30, 90)

    def _decide(self, name: str, number: str, decision: str, day: date) -> None:
        """The deputy head records the council's decisions under its protocol: promoted,
        or promoted on condition with a «2» or «н/а» among the year marks (a pupil of a
        graduating class graduates)."""
        owed = {p for (c, p), v in self.year_marks.items() if v in ("2", "н/а")}
        decisions = [
            (pupil, "conditional" if decision == "promoted" and pupil in owed else decision)
            for pupil in self.pupils[name]
        ]
        self.j.grades.record_decisions(self.classes[name], decisions, number, day, self.deputy)
        self.tally["decisions"] += len(decisions)
        self._tick(60, 180)

    # --- corrections ---------------------------------------------------------------------
    def _plan_fix(
        self, fix: str, lesson_id: UUID, course: _Course, mark: MarkEntry, mark_id: UUID
    ) -> None:
        value, teacher, j = changed(mark.value), course.teacher, self.j

        def own() -> None:
            reason = self.rng.choice(OWN_REASONS)
            j.entry.correct_mark(lesson_id, mark_id, value, mark.kind, reason, teacher)
            self.tally["corrections"] += 1

        def cancel() -> None:
            j.entry.cancel_mark(lesson_id, mark_id, CANCEL_REASON, teacher)
            self.tally["corrections"] += 1

        def request() -> None:
            request_id = j.entry.request_correction(
                lesson_id, mark_id, value, mark.kind, REQUEST_REASON, teacher
            ).created[0]
            self._schedule(self._later(1, (9, 13)), lambda: decide(request_id))

        def decide(request_id: UUID) -> None:
            if fix == "approve":
                j.entry.approve_correction(lesson_id, request_id, self.deputy)
                self.tally["corrections"] += 1
            else:
                j.entry.reject_correction(lesson_id, request_id, REJECT_REASON, self.deputy)

        def waiting() -> None:  # the deputy head has not decided yet
            j.entry.request_correction(
                lesson_id, mark_id, value, mark.kind, REQUEST_REASON, teacher
            )

        if fix == "pending":
            self._schedule(self._later(self.rng.randint(9, 12), (15, 19)), waiting)
        elif fix in ("own", "cancel"):
            self._schedule(
                self._later(self.rng.randint(1, 4), (16, 20)), own if fix == "own" else cancel
            )
        else:
            self._schedule(self._later(self.rng.randint(9, 12), (15, 19)), request)


def club_start(days: list[date]) -> date:
    """Clubs begin on the Monday of the second week of school."""
    first = days[0] if days else date.min
    return first + timedelta(days=7 - first.weekday()) if days else first


def _hours(subject: str, class_name: str) -> int:
    return SUBJECTS[subject][0][int(class_name[:-1]) - FIRST_GRADE]


def draw_absences(
    rng: random.Random,
    pupils: Iterable[UUID],
    days: list[date],
    absent: dict[tuple[UUID, date], str],
    bouts: int = 1,
) -> None:
    """Bouts of illness (Б) and excused days away (УП), the same in every lesson: up to
    ``bouts`` chances of each per pupil, added to ``absent``."""
    for pupil in pupils:
        for _ in range(bouts):
            if days and rng.random() < 0.3:
                start = rng.randrange(len(days))
                for day in days[start : start + rng.randint(2, 6)]:
                    absent[pupil, day] = "Б"
            if days and rng.random() < 0.08:
                absent.setdefault((pupil, rng.choice(days)), "УП")


class Taught(Protocol):
    """What the lesson generators read of a course (the demo's and the benchmark's)."""

    @property
    def subject(self) -> str: ...
    @property
    def grade(self) -> int: ...  # 0 for an extracurricular group
    @property
    def hours(self) -> int: ...


def work_of(course: Taught, number: int) -> str:
    """The whole-class work of a lesson, or "" for an ordinary lesson."""
    cadence = max(2 * course.hours, 4)
    if not course.grade or (number + 1) % cadence:
        return ""
    if course.subject in CORE and (number + 1) % (2 * cadence) == 0:
        return "test"
    return SUBJECTS[course.subject][1]


def topic_of(course: Taught, number: int) -> str:
    bands = TOPICS[course.subject]
    topics = bands[min(len(bands) - 1, int(course.grade > 6)) if course.grade else 0].split("; ")
    topic = topics[number // max(1, course.hours) % len(topics)]
    work = work_of(course, number)
    return f"{WORK_TITLES[work]} по теме «{topic}»" if work else topic


def homework_of(course: Taught, number: int) -> str:
    template = SUBJECTS[course.subject][2] if course.grade else ""
    return template.format(p=number // 2 + 1, a=10 + 3 * number, b=12 + 3 * number)


def bells() -> list[Bell]:
    """The bell schedule of ``PERIODS``: 45-minute lessons."""
    return [
        Bell(n, f"{h:02d}:{m:02d}", f"{(h * 60 + m + 45) // 60:02d}:{(h * 60 + m + 45) % 60:02d}")
        for n, (h, m) in PERIODS.items()
    ]


def public_holidays(year: str) -> list[tuple[date, str]]:
    """The public holidays of ``HOLIDAYS`` in ``year``, with their names."""
    start = parse_year(year)[0].year
    return sorted(
        (date(start if month >= 9 else start + 1, month, day), HOLIDAY_TITLES[month, day])
        for month, day in HOLIDAYS
    )


def thematic_plan(course: Taught, count: int) -> list[PlanRow]:
    """A thematic plan of ``count`` lessons: the demo's topic and homework of each."""
    return [
        PlanRow(n + 2, n + 1, topic_of(course, n), 1, homework_of(course, n)) for n in range(count)
    ]


def changed(value: str) -> str:
    """Another value of the same scale (a correction's new mark)."""
    if value in ("зач", "незач"):
        return "зач" if value == "незач" else "незач"
    return "4" if value == "5" else str(int(value) + 1)
