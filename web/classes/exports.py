"""The reports as XLSX sheets: the same rows the pages show, names opened for the reader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from domain import clock
from projections.queries.attendance import AttendanceLine, AttendanceReport
from projections.queries.completeness import Completeness
from web.classes.xlsx import Sheet, Value


def dmy(iso: str | None) -> str:
    """An ISO date «ГГГГ-ММ-ДД» as «ДД.ММ.ГГГГ» (empty stays empty)."""
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if iso else ""


def moment(iso: str | None) -> str:
    """A stored ISO moment as «ДД.ММ.ГГГГ ЧЧ:ММ» in the school's time zone."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")


def attendance_sheet(
    report: AttendanceReport,
    lines: Sequence[AttendanceLine],
    names: Mapping[str, str],
    codes: list[str],
) -> list[Sheet]:
    """The attendance report: a row per pupil (``lines``, in the class list's order) and
    a total row."""

    def row(number: Value, name: str, line: AttendanceLine) -> list[Value]:
        return [
            number,
            name,
            line.lessons,
            *(line.by_code.get(code, 0) for code in codes),
            line.absent,
            line.excused,
            line.unexcused,
            line.late,
            line.share,
        ]

    rows = [row(n, names[p.student_id or ""], p) for n, p in enumerate(lines, start=1)]
    rows.append(row(None, "Итого по классу", report.total))
    header = [
        "№",
        "Обучающийся",
        "Уроков",
        *codes,
        "Пропущено",
        "По уважительной",
        "Без уважительной",
        "Опозданий",
        "Доля пропусков",
    ]
    heading = [
        f"Посещаемость: {report.group_name}",
        f"Период: {dmy(report.first)} — {dmy(report.last)}",
    ]
    return [Sheet("Посещаемость", heading, header, rows, frozenset({len(header) - 1}))]


def completeness_sheets(
    report: Completeness, names: Mapping[str, str], group_name: str
) -> list[Sheet]:
    """The completeness report: one sheet per kind of finding."""
    heading = [
        f"Контроль заполнения журнала: {group_name}",
        f"Уроки с {dmy(report.first)} по {dmy(report.last)}, на {dmy(report.as_of)}",
    ]
    return [
        Sheet(
            "Уроки без темы",
            heading,
            ["Предмет", "Дата", "Урок №", "Срок внесения истёк"],
            [
                [t.subject, dmy(t.day), t.period, "да" if t.overdue else "нет"]
                for t in report.missing_topics
            ],
        ),
        Sheet(
            "Отметки после срока",
            heading,
            ["Предмет", "Дата урока", "Обучающийся", "Отметка", "Внесена", "Дней", "Кем"],
            [
                [
                    m.subject,
                    dmy(m.day),
                    names[m.student_id],
                    m.value,
                    moment(m.recorded_at),
                    m.days_after,
                    names[m.entered_by],
                ]
                for m in report.late_marks
            ],
        ),
        Sheet(
            "Без отметок",
            heading,
            ["Предмет", "Обучающийся"],
            [[u.subject, names[u.student_id]] for u in report.unmarked],
        ),
        Sheet(
            "Не заполнены",
            [*heading, f"Учебные дни: {', '.join(dmy(d) for d in report.school_days)}"],
            ["Предмет", "Последний урок"],
            [[u.subject, dmy(u.last_lesson) or "уроков нет"] for u in report.unfilled],
        ),
    ]


def people_of(report: Completeness) -> tuple[set[str], set[str]]:
    """(pupils, staff) a completeness report names."""
    pupils = {m.student_id for m in report.late_marks} | {u.student_id for u in report.unmarked}
    return pupils, {m.entered_by for m in report.late_marks}
