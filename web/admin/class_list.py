"""Reading a class list from a CSV file (the format is described in README and on the page).

The first line is the header: «Фамилия;Имя;Отчество;Дата рождения», optionally followed by
the guardian's columns. UTF-8 with or without BOM; «;», «,» or a tab between columns; dates
as ДД.ММ.ГГГГ or ГГГГ-ММ-ДД. Every problem of every row is collected with its line number;
the file is either read whole or refused with the whole list.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime

from domain.enrolment import GuardianDetails, PupilRow, row_problems
from web.admin.forms import EMAIL, NAME, PHONE
from web.forms import MARKUP

PUPIL_COLUMNS = ("Фамилия", "Имя", "Отчество", "Дата рождения")
GUARDIAN_COLUMNS = (
    "Фамилия представителя",
    "Имя представителя",
    "Отчество представителя",
    "Телефон представителя",
    "Эл. почта представителя",
    "Кем приходится",
)
MAX_BYTES = 512 * 1024
MAX_ROWS = 500
MAX_CELL = 100
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d")
NOT_UTF8 = (
    "Файл не в кодировке UTF-8 (первый неверный байт — в строке {line}). Вероятно, он сохранён "
    "в Windows-1251: в Excel выберите «Сохранить как» → «CSV UTF-8», в LibreOffice Calc — "
    "кодировку «Юникод (UTF-8)», и загрузите файл снова."
)

Problems = list[tuple[int, str]]


class ClassListInvalid(Exception):
    """Raised when a class list cannot be imported; ``problems`` is (line, message) for
    every problem found (line 0: the file as a whole)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problems")


def template() -> bytes:
    """The header line of a class list with guardians, as a UTF-8 file with BOM (so that
    Excel opens it in the right encoding)."""
    return ("\ufeff" + ";".join((*PUPIL_COLUMNS, *GUARDIAN_COLUMNS)) + "\r\n").encode()


def read_class_list(data: bytes, on: date) -> list[PupilRow]:
    """The rows of a class list whose pupils are enrolled from ``on``; raises
    ``ClassListInvalid`` listing every problem of every line."""
    text = _decode(data)
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[PupilRow] = []
    problems: Problems = []
    try:
        columns = _header(reader)
        line = reader.line_num
        for cells in reader:
            first, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            row, found = _row(first, cells, columns)
            problems += found
            if row is not None:
                rows.append(row)
    except csv.Error:
        problems.append((reader.line_num, "Нарушены кавычки: проверьте строку."))
    if not rows and not problems:
        problems.append((0, "В файле нет ни одной строки с обучающимся."))
    if len(rows) > MAX_ROWS:
        problems.append((0, f"Не больше {MAX_ROWS} обучающихся в одном файле."))
    problems += row_problems(rows, on)
    if problems:
        raise ClassListInvalid(problems)
    return rows


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ClassListInvalid([(0, "Файл пуст.")])
    if len(data) > MAX_BYTES:
        raise ClassListInvalid([(0, f"Файл больше {MAX_BYTES // 1024} КБ.")])
    if data.startswith(b"PK\x03\x04"):
        raise ClassListInvalid(
            [(0, "Это файл Excel (.xlsx), а нужен CSV: «Сохранить как» → «CSV UTF-8».")]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ClassListInvalid([(0, "Файл в кодировке UTF-16; сохраните его в UTF-8.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ClassListInvalid([(line, NOT_UTF8.format(line=line))]) from None


def _normal(title: str) -> str:
    return " ".join(title.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def _header(reader: Iterator[list[str]]) -> int:
    """Check the header line; return the number of columns (4 or 10)."""
    cells = next(reader, [])
    got = [_normal(c) for c in cells]
    while got and not got[-1]:
        got.pop()
    for columns in (PUPIL_COLUMNS, (*PUPIL_COLUMNS, *GUARDIAN_COLUMNS)):
        if got == [_normal(c) for c in columns]:
            return len(columns)
    expected = ";".join(PUPIL_COLUMNS)
    raise ClassListInvalid(
        [
            (
                1,
                f"Первая строка — заголовок «{expected}» (и, по желанию, шесть столбцов "
                "представителя, как в шаблоне). Скачайте шаблон и заполните его.",
            )
        ]
    )


def _row(line: int, cells: list[str], columns: int) -> tuple[PupilRow | None, Problems]:
    """One row of the file, or its problems."""
    while len(cells) > columns and not cells[-1].strip():
        cells = cells[:-1]  # a trailing separator left by a spreadsheet
    if len(cells) != columns:
        return None, [(line, f"Ожидается столбцов: {columns}, в строке: {len(cells)}.")]
    values = [c.strip() for c in cells]
    titles = (*PUPIL_COLUMNS, *GUARDIAN_COLUMNS)
    problems = [
        (line, message)
        for title, value in zip(titles, values, strict=False)
        if (message := _cell_problem(title, value))
    ]
    born = _date(values[3])
    if born is None and not _cell_problem(PUPIL_COLUMNS[3], values[3]):
        problems.append((line, f"«Дата рождения»: неверная дата «{values[3]}» — нужна ДД.ММ.ГГГГ."))
    guardian = _guardian(values[4:]) if columns > 4 and any(values[4:]) else None
    if guardian is not None and (not guardian.surname or not guardian.name):
        problems.append(
            (line, "Представитель: заполните фамилию и имя (или оставьте пустыми все его столбцы).")
        )
    if problems or born is None:
        return None, problems
    return PupilRow(line, values[0], values[1], values[2], born, guardian), []


def _cell_problem(title: str, value: str) -> str:
    """What is wrong with one cell by itself ("" when nothing)."""
    if MARKUP.search(value):
        return f"«{title}»: разметка и управляющие символы не допускаются."
    if len(value) > MAX_CELL:
        return f"«{title}»: не длиннее {MAX_CELL} символов."
    if title in ("Фамилия", "Имя", "Дата рождения") and not value:
        return f"«{title}»: не заполнено."
    checks = {
        "Фамилия": NAME,
        "Имя": NAME,
        "Отчество": NAME,
        "Фамилия представителя": NAME,
        "Имя представителя": NAME,
        "Отчество представителя": NAME,
        "Кем приходится": NAME,
        "Телефон представителя": PHONE,
        "Эл. почта представителя": EMAIL,
    }
    pattern = checks.get(title)
    if value and pattern is not None and not pattern.fullmatch(value):
        if pattern is NAME:
            return f"«{title}»: только буквы, пробел, дефис и апостроф."
        return f"«{title}»: неверный формат «{value}»."
    return ""


def _date(value: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            found = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if found.year >= 1900 and re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}", value):
            return found
    return None


def _guardian(values: list[str]) -> GuardianDetails:
    surname, name, patronymic, phone, email, relation = values
    return GuardianDetails(surname, name, patronymic, phone, email, relation)
