"""The subject-access report (152-FZ art. 14): everything the school holds about one
pupil — identity, guardians and accounts, classes, marks, attendance, term and year
marks, the history of their own records, who changed or read their data, and how long
each series that mentions them is kept — for a parent's request.

Only rows about the pupil are read (selected by the pupil's id), so nothing of another
pupil can leak in: a lesson's marks of classmates are never read, only this pupil's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from domain.policies import AttendancePolicy, RetentionPolicy
from projections.queries import records_register
from projections.store import Reader
from projections.view import Sealer
from projections.views import access_log, catalog, final_marks, grid, history


class NotAPupil(LookupError):
    """Raised when the id is not a pupil's (or the pupil's data was destroyed)."""


def _subjects(reader: Reader) -> dict[str, tuple[str, str]]:
    """course journal id → (subject, class or group name)."""
    groups = {g["group_id"]: g["name"] for g in reader.select(catalog.GROUPS)}
    return {
        c["course_journal_id"]: (c["subject"], groups.get(c["group_id"], ""))
        for c in reader.select(catalog.COURSES)
    }


def _placed(
    reader: Reader, rows: list[dict[str, Any]], subjects: dict[str, tuple[str, str]]
) -> list[tuple[dict[str, Any], str | None, str]]:
    """Each row with its lesson's day and subject."""
    wanted = {r["lesson_id"] for r in rows}
    lessons = {r["lesson_id"]: r for r in reader.select(grid.LESSONS, within=("lesson_id", wanted))}
    placed = []
    for row in rows:
        lesson = lessons.get(row["lesson_id"], {})
        subject = subjects.get(lesson.get("course_journal_id", ""), ("", ""))[0]
        placed.append((row, lesson.get("day"), subject))
    return placed


def _marks(
    reader: Reader, pupil: str, subjects: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    rows = reader.select(grid.MARKS, {"student_id": pupil})
    found = [
        {
            "day": day,
            "subject": subject,
            "value": m["value"],
            "kind": m["kind"],
            "current": not m["superseded_by"] and not m["cancelled"],
            "reason": m["reason"] or "",
            "recorded_at": m["recorded_at"],
            "author": m["author"],
        }
        for m, day, subject in _placed(reader, rows, subjects)
    ]
    # a corrected mark comes before the one that replaced it, even entered the same instant
    return sorted(found, key=lambda r: (r["day"] or "", r["recorded_at"] or "", r["current"]))


def _attendance(
    reader: Reader, sealer: Sealer, pupil: str, subjects: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    rows = reader.select(grid.ATTENDANCE, {"student_id": pupil})
    # The pupil's own report: every code as recorded, «Б» included (opened with their key).
    codes = grid.Codes(sealer, AttendancePolicy({}), allowed=True)
    found = [
        {"day": day, "subject": subject, "code": code, "reason": reason}
        for a, day, subject in _placed(reader, rows, subjects)
        for code, reason in [codes.opened(a)]
    ]
    return sorted(found, key=lambda r: r["day"] or "")


def _people(reader: Reader, sealer: Sealer, pupil: str) -> dict[str, Any]:
    guardians = []
    for g in reader.select(catalog.GUARDIANS, {"student_id": pupil}):
        fields = catalog.person_fields(reader, sealer, g["guardian_id"]) or {}
        guardians.append({"id": g["guardian_id"], "relation": g["relation"], **fields})
    accounts = []
    for a in reader.select(catalog.ACCOUNTS, {"person_id": pupil}):
        fields = catalog.person_fields(reader, sealer, a["account_id"]) or {}
        accounts.append(
            {"id": a["account_id"], "login": fields.get("login", ""), "roles": a["roles"]}
        )
    return {"guardians": guardians, "accounts": accounts}


def subject_access_report(
    reader: Reader,
    sealer: Sealer,
    policy: RetentionPolicy,
    pupil: str,
    as_of: date,
) -> dict[str, Any]:
    """Everything held about ``pupil`` as plain data (names of staff stay ids)."""
    row = reader.get(catalog.PERSONS, (pupil,))
    identity = catalog.person_fields(reader, sealer, pupil)
    if row is None or row["kind"] != "student" or identity is None:
        raise NotAPupil(f"обучающийся {pupil} не найден или его данные уничтожены")
    subjects = _subjects(reader)
    groups = {g["group_id"]: g for g in reader.select(catalog.GROUPS)}
    years = {y["year_id"]: y["year"] for y in reader.select(catalog.YEARS)}
    classes = [
        {
            "name": groups[m["group_id"]]["name"],
            "kind": groups[m["group_id"]]["kind"],
            "year": years.get(groups[m["group_id"]]["year_id"], ""),
            "since": m["since"],
            "until": m["until"],
        }
        for m in reader.select(catalog.MEMBERS, {"student_id": pupil})
        if m["group_id"] in groups
    ]
    term = [
        {
            "subject": subjects.get(t["course_journal_id"], ("", ""))[0],
            "term": t["term"],
            "value": t["value"],
        }
        for t in reader.select(final_marks.TERM_MARKS, {"student_id": pupil})
    ]
    year = [
        {"subject": subjects.get(y["course_journal_id"], ("", ""))[0], "value": y["value"]}
        for y in reader.select(final_marks.YEAR_MARKS, {"student_id": pupil})
    ]
    own = [
        {
            "time": h.time.isoformat() if h.time else None,
            "actor": h.actor,
            "type": h.type,
            "reason": h.reason,
        }
        for h in history.record_history(reader, sealer, pupil)
    ]
    series = [f"person/{pupil}", *records_register.mentioning(reader, f"person/{pupil}")]
    kept = {
        e.series: e for e in records_register.register(reader, policy, as_of) if e.series in series
    }
    return {
        "pupil_id": pupil,
        "as_of": as_of.isoformat(),
        "identity": identity,
        **_people(reader, sealer, pupil),
        "classes": classes,
        "marks": _marks(reader, pupil, subjects),
        "attendance": _attendance(reader, sealer, pupil, subjects),
        "term_marks": term,
        "year_marks": year,
        "history": own,
        "access_log": [
            {"time": a.at, "actor": a.actor, "page": a.page}
            for a in access_log.accesses(reader, student_id=pupil, limit=1_000_000)
        ],
        "retention": [
            {
                "series": e.series,
                "record_class": e.record_class,
                "state": e.state,
                "cut_off": e.cut_off.isoformat() if e.cut_off else None,
                "due_on": e.due_on.isoformat() if e.due_on else None,
            }
            for e in kept.values()
        ],
    }


def report_pdf(report: dict[str, Any], names: Callable[[str], str]) -> bytes:
    """The report as a printable PDF for the parent."""
    from retention.pdf import Document  # reportlab: only to print

    identity = report["identity"]
    full = " ".join(identity.get(k, "") for k in ("surname", "name", "patronymic")).strip()
    doc = Document("Сведения о персональных данных обучающегося", subject=report["pupil_id"])
    doc.pairs(
        [
            ("Обучающийся", full),
            ("Дата рождения", identity.get("birth_date", "")),
            ("Идентификатор", report["pupil_id"]),
            ("По состоянию на", report["as_of"]),
        ]
    )
    doc.heading("Законные представители и учётные записи")
    doc.table(
        ["Кто", "ФИО", "Телефон", "Эл. почта"],
        [
            [
                g["relation"],
                " ".join(g.get(k, "") for k in ("surname", "name", "patronymic")).strip(),
                g.get("phone", ""),
                g.get("email", ""),
            ]
            for g in report["guardians"]
        ],
        [30, 60, 40, 40],
    )
    doc.heading("Классы и группы")
    doc.table(
        ["Год", "Класс/группа", "С", "По"],
        [[c["year"], c["name"], c["since"], c["until"] or ""] for c in report["classes"]],
        [30, 60, 40, 40],
    )
    doc.heading("Отметки")
    doc.table(
        ["Дата", "Предмет", "Отметка", "Вид", "Действует", "Учитель"],
        [
            [
                m["day"],
                m["subject"],
                m["value"],
                m["kind"],
                "да" if m["current"] else "нет",
                names(m["author"]),
            ]
            for m in report["marks"]
        ],
        [22, 40, 18, 25, 20, 45],
    )
    doc.heading("Посещаемость")
    doc.table(
        ["Дата", "Предмет", "Отметка"],
        [[a["day"], a["subject"], a["code"]] for a in report["attendance"]],
        [40, 80, 50],
    )
    doc.heading("Четвертные и годовые отметки")
    doc.table(
        ["Предмет", "Период", "Отметка"],
        [[t["subject"], str(t["term"]), t["value"]] for t in report["term_marks"]]
        + [[y["subject"], "год", y["value"]] for y in report["year_marks"]],
        [80, 40, 50],
    )
    doc.heading("Кто просматривал данные")
    doc.table(
        ["Время", "Сотрудник", "Страница"],
        [
            [a.get("time", ""), names(str(a.get("actor", ""))), a.get("page", "")]
            for a in report["access_log"]
        ],
        [50, 60, 60],
    )
    doc.heading("Сроки хранения")
    doc.table(
        ["Серия", "Класс документов", "Состояние", "Уничтожается с"],
        [
            [r["series"], r["record_class"], r["state"], r["due_on"] or "—"]
            for r in report["retention"]
        ],
        [60, 45, 30, 35],
    )
    return doc.render()
