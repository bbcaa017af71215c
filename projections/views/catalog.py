"""The catalogue: school years and terms, classes and groups with dated membership, course
journals and their teachers, accounts, and people — whose names and birth dates are kept
sealed under each person's own key and opened only when a page is rendered."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from domain.account import Account
from domain.groups import ActivityGroup, ClassGroup, CourseJournal
from domain.people import Guardian, Student
from domain.school_year import SchoolYear
from projections.schema import Table
from projections.store import Reader, Row, ViewStore
from projections.view import Applied, Handler, Sealer, View, by_event, on

YEARS = Table(
    "v_years",
    (
        ("year_id", "text"),
        ("school", "text"),
        ("year", "text"),
        ("starts", "text"),
        ("ends", "text"),
        ("closed", "int"),
    ),
    ("year_id",),
)
TERMS = Table(
    "v_terms",
    (
        ("year_id", "text"),
        ("number", "int"),
        ("title", "text"),
        ("starts", "text"),
        ("ends", "text"),
        ("closed", "int"),
    ),
    ("year_id", "number"),
)
GROUPS = Table(
    "v_groups",
    (
        ("group_id", "text"),
        ("kind", "text"),
        ("name", "text"),
        ("grade", "int"),
        ("year_id", "text"),
        ("class_teacher_id", "text"),
        ("series", "text"),
    ),
    ("group_id",),
    (("year_id",),),
)
MEMBERS = Table(
    "v_members",
    (("group_id", "text"), ("student_id", "text"), ("since", "text"), ("until", "text")),
    ("group_id", "student_id", "since"),
    (("student_id",),),
)
COURSES = Table(
    "v_course_journals",
    (
        ("course_journal_id", "text"),
        ("group_id", "text"),
        ("group_kind", "text"),
        ("subject", "text"),
        ("scale", "text"),
        ("year_id", "text"),
        ("series", "text"),
    ),
    ("course_journal_id",),
    (("group_id",),),
)
TEACHERS = Table(
    "v_course_teachers",
    (("course_journal_id", "text"), ("teacher_id", "text")),
    ("course_journal_id", "teacher_id"),
    (("teacher_id",),),
)
PERSONS = Table(
    "v_persons", (("person_id", "text"), ("kind", "text"), ("sealed", "blob")), ("person_id",)
)
GUARDIANS = Table(
    "v_guardianship",
    (("student_id", "text"), ("guardian_id", "text"), ("relation", "text")),
    ("student_id", "guardian_id"),
    (("guardian_id",),),
)
ACCOUNTS = Table(
    "v_accounts",
    (("account_id", "text"), ("roles", "text"), ("person_id", "text"), ("locked", "int")),
    ("account_id",),
)

DESTROYED = "данные уничтожены"


def _seal(applied: Applied, person_id: Any, series: str, fields: dict[str, Any]) -> bytes:
    data = json.dumps({k: str(v) for k, v in fields.items()}, ensure_ascii=False).encode()
    return applied.sealer.seal(series, data, str(person_id).encode())


def _person(
    kind: str, names: tuple[str, ...]
) -> Handler[Student.Registered | Student.DetailsCorrected | Guardian.Registered | Account.Created]:
    def handle(
        store: ViewStore,
        e: Student.Registered | Student.DetailsCorrected | Guardian.Registered | Account.Created,
        applied: Applied,
    ) -> None:
        series = getattr(e, "series", None) or f"person/{e.originator_id}"
        sealed = _seal(applied, e.originator_id, series, {n: getattr(e, n, "") for n in names})
        store.upsert(PERSONS, {"person_id": e.originator_id, "kind": kind, "sealed": sealed})

    return handle


def _year(store: ViewStore, e: SchoolYear.Opened, _: Applied) -> None:
    store.upsert(
        YEARS,
        {
            "year_id": e.originator_id,
            "school": e.school,
            "year": e.year,
            "starts": e.starts,
            "ends": e.ends,
            "closed": 0,
        },
    )


def _term(store: ViewStore, e: SchoolYear.TermDefined, _: Applied) -> None:
    store.upsert(
        TERMS,
        {
            "year_id": e.originator_id,
            "number": e.number,
            "title": e.title,
            "starts": e.starts,
            "ends": e.ends,
            "closed": 0,
        },
    )


def _term_closed(closed: int) -> Handler[SchoolYear.TermClosed | SchoolYear.TermReopened]:
    return lambda store, e, _: store.update(TERMS, (e.originator_id, e.number), {"closed": closed})


def _group(kind: str) -> Handler[ClassGroup.Formed | ActivityGroup.Formed]:
    def handle(store: ViewStore, e: ClassGroup.Formed | ActivityGroup.Formed, _: Applied) -> None:
        store.upsert(
            GROUPS,
            {
                "group_id": e.originator_id,
                "kind": kind,
                "name": e.name
                if isinstance(e, ClassGroup.Formed)
                else e.title,  # a name is required
                "grade": getattr(e, "grade", 0),
                "year_id": e.year_id,
                "class_teacher_id": None,
                "series": e.series,
            },
        )

    return handle


def _joined(
    store: ViewStore, e: ClassGroup.StudentEnrolled | ActivityGroup.MemberAdded, _: Applied
) -> None:
    store.upsert(
        MEMBERS,
        {"group_id": e.originator_id, "student_id": e.student_id, "since": e.on, "until": None},
    )


def _left(
    store: ViewStore, e: ClassGroup.StudentWithdrawn | ActivityGroup.MemberRemoved, _: Applied
) -> None:
    for row in store.select(MEMBERS, {"group_id": e.originator_id, "student_id": e.student_id}):
        if row["until"] is None:
            store.update(
                MEMBERS, (row["group_id"], row["student_id"], row["since"]), {"until": e.on}
            )


def _course(store: ViewStore, e: CourseJournal.Opened, _: Applied) -> None:
    store.upsert(
        COURSES,
        {
            "course_journal_id": e.originator_id,
            "group_id": e.group_id,
            "group_kind": e.group_kind,
            "subject": e.subject,
            "scale": e.scale,
            "year_id": e.year_id,
            "series": e.series,
        },
    )


def _account(store: ViewStore, e: Account.Created, applied: Applied) -> None:
    _person("account", ("surname", "name", "patronymic", "login"))(store, e, applied)
    store.upsert(
        ACCOUNTS,
        {
            "account_id": e.originator_id,
            "roles": ",".join(sorted(e.roles)),
            "person_id": e.person_id,
            "locked": 0,
        },
    )


_RoleChange = Account.RoleGranted | Account.RoleRevoked | Account.RoleGrantConfirmed


def _role(grant: bool) -> Handler[_RoleChange]:
    def handle(store: ViewStore, e: _RoleChange, _: Applied) -> None:
        row = store.get(ACCOUNTS, (e.originator_id,))
        if row is not None:
            roles = set(filter(None, row["roles"].split(",")))
            roles = roles | {e.role} if grant else roles - {e.role}
            store.update(ACCOUNTS, (e.originator_id,), {"roles": ",".join(sorted(roles))})

    return handle


VIEW = View(
    name="catalog",
    title="Справочники: годы, периоды, классы, журналы, люди",
    tables=(YEARS, TERMS, GROUPS, MEMBERS, COURSES, TEACHERS, PERSONS, GUARDIANS, ACCOUNTS),
    handlers=by_event(
        on(SchoolYear.Opened, _year),
        on(SchoolYear.TermDefined, _term),
        on(SchoolYear.TermClosed, _term_closed(1)),
        on(SchoolYear.TermReopened, _term_closed(0)),
        on(SchoolYear.Closed, lambda s, e, _: s.update(YEARS, (e.originator_id,), {"closed": 1})),
        on(SchoolYear.Reopened, lambda s, e, _: s.update(YEARS, (e.originator_id,), {"closed": 0})),
        on(ClassGroup.Formed, _group("class")),
        on(
            ClassGroup.ClassTeacherAssigned,
            lambda s, e, _: s.update(
                GROUPS, (e.originator_id,), {"class_teacher_id": e.teacher_id}
            ),
        ),
        on(ClassGroup.StudentEnrolled, _joined),
        on(ClassGroup.StudentWithdrawn, _left),
        on(ActivityGroup.Formed, _group("activity")),
        on(ActivityGroup.MemberAdded, _joined),
        on(ActivityGroup.MemberRemoved, _left),
        on(CourseJournal.Opened, _course),
        on(
            CourseJournal.TeacherAssigned,
            lambda s, e, _: s.upsert(
                TEACHERS, {"course_journal_id": e.originator_id, "teacher_id": e.teacher_id}
            ),
        ),
        on(
            CourseJournal.TeacherUnassigned,
            lambda s, e, _: s.delete(TEACHERS, (e.originator_id, e.teacher_id)),
        ),
        on(Student.Registered, _person("student", ("surname", "name", "patronymic", "birth_date"))),
        on(
            Student.DetailsCorrected,
            _person("student", ("surname", "name", "patronymic", "birth_date")),
        ),
        on(
            Student.GuardianLinked,
            lambda s, e, _: s.upsert(
                GUARDIANS,
                {
                    "student_id": e.originator_id,
                    "guardian_id": e.guardian_id,
                    "relation": e.relation,
                },
            ),
        ),
        on(
            Guardian.Registered,
            _person("guardian", ("surname", "name", "patronymic", "phone", "email")),
        ),
        on(Account.Created, _account),
        on(Account.RoleGranted, _role(grant=True)),
        on(Account.RoleRevoked, _role(grant=False)),
        on(Account.RoleGrantConfirmed, _role(grant=True)),
        on(Account.Locked, lambda s, e, _: s.update(ACCOUNTS, (e.originator_id,), {"locked": 1})),
        on(Account.Unlocked, lambda s, e, _: s.update(ACCOUNTS, (e.originator_id,), {"locked": 0})),
    ),
)


# --- queries -------------------------------------------------------------------------------
def person_fields(reader: Reader, sealer: Sealer, person_id: Any) -> dict[str, str] | None:
    """A person's sealed fields, opened; None when unknown or destroyed."""
    row = reader.get(PERSONS, (str(person_id),))
    if row is None:
        return None
    data = sealer.open(bytes(row["sealed"]), str(person_id).encode())
    return None if data is None else dict(json.loads(data))


def display_name(reader: Reader, sealer: Sealer, person_id: Any, *, short: bool = False) -> str:
    """«Фамилия Имя Отчество» (or «Фамилия И. О.»), or the destroyed-data placeholder."""
    return _formatted(person_fields(reader, sealer, person_id), short)


def display_names(
    reader: Reader, sealer: Sealer, person_ids: Iterable[Any], *, short: bool = False
) -> dict[str, str]:
    """``display_name`` of many people, read in one query per 500 (not one per person)."""
    wanted = sorted({str(p) for p in person_ids})
    rows: dict[str, Row] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows |= {r["person_id"]: r for r in reader.select(PERSONS, within=("person_id", chunk))}
    found = {}
    for person_id in wanted:
        row = rows.get(person_id)
        data = None if row is None else sealer.open(bytes(row["sealed"]), person_id.encode())
        found[person_id] = _formatted(None if data is None else dict(json.loads(data)), short)
    return found


def _formatted(fields: dict[str, str] | None, short: bool) -> str:
    if fields is None:
        return DESTROYED
    surname, name, patronymic = fields["surname"], fields["name"], fields.get("patronymic", "")
    if short:
        initials = f"{name[:1]}." + (f" {patronymic[:1]}." if patronymic else "")
        return f"{surname} {initials}"
    return " ".join(p for p in (surname, name, patronymic) if p)


class Membership:
    """Dated membership of one group, loaded once for a query."""

    def __init__(self, reader: Reader, group_id: Any) -> None:
        self.periods: dict[str, list[tuple[str, str | None]]] = {}
        for row in reader.select(MEMBERS, {"group_id": str(group_id)}):
            self.periods.setdefault(row["student_id"], []).append((row["since"], row["until"]))

    def on(self, student_id: str, day: str) -> bool:
        """True when the pupil belonged to the group on ``day`` (ISO date)."""
        return any(
            since <= day and (until is None or day < until)
            for since, until in self.periods.get(student_id, [])
        )

    def between(self, first: str, last: str) -> list[str]:
        """Pupils who belonged on some day from ``first`` to ``last`` (ISO dates)."""
        return sorted(
            s
            for s, periods in self.periods.items()
            if any(since <= last and (until is None or until > first) for since, until in periods)
        )
