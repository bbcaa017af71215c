"""Reading a timetable (CSV) and a thematic plan (CSV or XLSX) — the formats are in
docs/operations.md and on the pages.

Timetable: header «Класс;День;Урок;Предмет», a line per weekly lesson («5А;пн;1;Математика»;
the class may be an extracurricular group's title). Thematic plan: header «Номер;Тема;Часы;
Домашнее задание» (the last column may be left out), a line per topic. CSV files as the
class list: UTF-8 with or without BOM, «;», «,» or a tab between columns. Every problem of
every line is collected with its line number; a file is read whole or refused whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID
from zipfile import BadZipFile, ZipFile

from openpyxl import load_workbook

from domain.scheduling import PlanRow, SlotRow, plan_problems, weekday_of
from web.admin.class_list import MAX_BYTES, ClassListInvalid, _decode, _normal
from web.forms import MARKUP

Problems = list[tuple[int, str]]
TIMETABLE_COLUMNS = ("Класс", "День", "Урок", "Предмет")
PLAN_COLUMNS = ("Номер", "Тема", "Часы", "Домашнее задание")
MAX_ROWS = 2000
MAX_CELL = 300
MAX_UNPACKED = 20 * 1024 * 1024  # bytes of an XLSX workbook once unpacked


class FileInvalid(Exception):
    """A timetable or plan file that cannot be read; ``problems`` as (line, message) for
    every problem found (line 0: the file as a whole)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problems")


def _lines(data: bytes) -> list[tuple[int, list[str]]]:
    """The (line number, cells) of a CSV file, the header first; blank lines left out."""
    try:
        text = _decode(data)
    except ClassListInvalid as error:
        raise FileInvalid(error.problems) from None
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    found: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for cells in reader:
            first, line = line + 1, reader.line_num
            if any(c.strip() for c in cells):
                found.append((first, cells))
    except csv.Error:
        raise FileInvalid([(reader.line_num, "Нарушены кавычки: проверьте строку.")]) from None
    return found


def _xlsx_lines(data: bytes) -> list[tuple[int, list[str]]]:
    """The (row number, cells as text) of the first sheet of an XLSX workbook."""
    broken = FileInvalid([(0, "Файл Excel повреждён или это не книга XLSX.")])
    try:
        with ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (BadZipFile, OSError, ValueError):
        raise broken from None
    if unpacked > MAX_UNPACKED:  # a small file that unpacks to a huge one
        raise FileInvalid([(0, "Книга XLSX слишком велика: сохраните в ней только план.")])
    try:
        return _sheet_lines(load_workbook(io.BytesIO(data), read_only=True, data_only=True))
    except Exception:  # any damage of an uploaded workbook gets the same answer
        raise broken from None


def _sheet_lines(book: Any) -> list[tuple[int, list[str]]]:
    found: list[tuple[int, list[str]]] = []
    for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
        cells = ["" if v is None else _cell_text(v) for v in row]
        if any(c.strip() for c in cells):
            found.append((number, cells))
        if len(found) > MAX_ROWS + 1:
            break
    book.close()
    return found


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_header(lines: list[tuple[int, list[str]]], columns: Iterable[str], optional: int) -> int:
    """Check the header; return how many columns the file has."""
    if not lines:
        raise FileInvalid([(0, "Файл пуст.")])
    line, cells = lines[0]
    got = [_normal(c) for c in cells]
    while got and not got[-1]:
        got.pop()
    wanted = [_normal(c) for c in columns]
    for size in range(len(wanted), len(wanted) - optional - 1, -1):
        if got == wanted[:size]:
            return size
    raise FileInvalid([(line, "Первая строка — заголовок: «" + ";".join(columns) + "».")])


def _trimmed(cells: list[str], columns: int) -> list[str]:
    """The cells without the empty ones past ``columns`` (spreadsheets add them)."""
    found = list(cells)
    while len(found) > columns and not found[-1].strip():
        found.pop()
    return found


def _text(cells: list[str], i: int, line: int, title: str, problems: Problems) -> str:
    value = cells[i].strip() if i < len(cells) else ""
    if len(value) > MAX_CELL:
        problems.append((line, f"«{title}»: длиннее {MAX_CELL} символов."))
    elif MARKUP.search(value):
        problems.append((line, f"«{title}»: разметка и управляющие символы не допускаются."))
    return value


def _whole(value: str, line: int, title: str, problems: Problems) -> int:
    if not value.isdigit():
        problems.append((line, f"«{title}»: нужно целое число, а не «{value}»."))
        return 0
    return int(value)


def read_timetable(
    data: bytes, groups: Mapping[str, str], courses: Mapping[tuple[str, str], str]
) -> list[SlotRow]:
    """The lines of a timetable; ``groups`` maps a class (group) name to its id,
    ``courses`` (group id, subject) to the course journal's id. ``FileInvalid`` lists every
    problem of every line."""
    if data.startswith(b"PK\x03\x04"):
        raise FileInvalid(
            [(0, "Это файл Excel (.xlsx), а нужен CSV: «Сохранить как» → «CSV UTF-8».")]
        )
    lines = _lines(data[: MAX_BYTES + 1])
    columns = _check_header(lines, TIMETABLE_COLUMNS, 0)
    problems: Problems = []
    rows: list[SlotRow] = []
    known = {_normal(name): group for name, group in groups.items()}
    for line, raw in lines[1:]:
        before = len(problems)
        cells = _trimmed(raw, columns)
        if len(cells) > columns:
            problems.append((line, f"Лишние столбцы: нужно {columns}."))
        name = _text(cells, 0, line, "Класс", problems)
        day = _text(cells, 1, line, "День", problems)
        period = _whole(_text(cells, 2, line, "Урок", problems), line, "Урок", problems)
        subject = _text(cells, 3, line, "Предмет", problems)
        weekday = weekday_of(day)
        if weekday is None:
            problems.append(
                (
                    line,
                    f"День «{day}»: нужен день недели с понедельника по субботу "
                    "(пн, вт, ср, чт, пт, сб).",
                )
            )
        group = known.get(_normal(name))
        course = None
        if group is None:
            problems.append((line, f"Класса (группы) «{name}» в этом учебном году нет."))
        else:
            course = next(
                (
                    c
                    for (g, s), c in courses.items()
                    if g == group and _normal(s) == _normal(subject)
                ),
                None,
            )
            if course is None:
                problems.append((line, f"У класса «{name}» нет журнала по предмету «{subject}»."))
        if len(problems) == before and course is not None and weekday is not None:
            rows.append(SlotRow(line, UUID(course), weekday, period))
    if len(lines) == 1 and not problems:
        problems.append((0, "В файле нет ни одной строки расписания."))
    if len(lines) - 1 > MAX_ROWS:
        problems.append((0, f"Не больше {MAX_ROWS} строк в одном файле."))
    if problems:
        raise FileInvalid(problems)
    return rows


def read_plan(data: bytes) -> list[PlanRow]:
    """The lines of a thematic plan, CSV or XLSX (told by the content); ``FileInvalid``
    lists every problem of every line."""
    if not data.strip():
        raise FileInvalid([(0, "Файл пуст.")])
    if len(data) > MAX_BYTES:
        raise FileInvalid([(0, f"Файл больше {MAX_BYTES // 1024} КБ.")])
    lines = _xlsx_lines(data) if data.startswith(b"PK\x03\x04") else _lines(data)
    columns = _check_header(lines, PLAN_COLUMNS, 1)
    problems: Problems = []
    rows: list[PlanRow] = []
    bad: set[int] = set()
    for line, raw in lines[1:]:
        before = len(problems)
        cells = _trimmed(raw, columns)
        if len(cells) > columns:
            problems.append((line, f"Лишние столбцы: нужно {columns}."))
        number = _whole(_text(cells, 0, line, "Номер", problems), line, "Номер", problems)
        topic = _text(cells, 1, line, "Тема", problems)
        hours = _whole(_text(cells, 2, line, "Часы", problems), line, "Часы", problems)
        homework = _text(cells, 3, line, "Домашнее задание", problems)
        rows.append(PlanRow(line, number, topic, hours, homework))
        if len(problems) > before:
            bad.add(line)
    problems += [(line, m) for line, m in plan_problems(rows) if line not in bad]
    if len(lines) - 1 > MAX_ROWS:
        problems.append((0, f"Не больше {MAX_ROWS} строк в одном файле."))
    if problems:
        raise FileInvalid(problems)
    return rows
