"""Reading timetable (CSV) and thematic plan (CSV, XLSX) files: every problem of every line
named in Russian, or the rows (web/timetable_files.py)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from web.timetable_files import FileInvalid, read_plan, read_timetable

GROUPS = {"5А": "g5a", "Робототехника": "robots"}
COURSES = {
    ("g5a", "Математика"): "00000000-0000-0000-0000-000000000001",
    ("robots", "Робототехника"): "00000000-0000-0000-0000-000000000002",
}


def problems(call) -> dict[int, list[str]]:
    with pytest.raises(FileInvalid) as refused:
        call()
    found: dict[int, list[str]] = {}
    for line, message in refused.value.problems:
        found.setdefault(line, []).append(message)
    return found


def test_a_timetable_file_gives_a_row_per_weekly_lesson():
    text = (
        "\ufeffКласс;День;Урок;Предмет;;\n5а;Понедельник;1;математика;;\n"
        "Робототехника;ср;8;Робототехника\n"
    )
    rows = read_timetable(text.encode(), GROUPS, COURSES)
    assert [(r.line, str(r.course_journal_id)[-1], r.weekday, r.period) for r in rows] == [
        (2, "1", 0, 1),
        (3, "2", 2, 8),
    ]


def test_every_bad_line_of_a_timetable_is_named():
    text = "Класс,День,Урок,Предмет\n5Я,пн,1,Математика\n5А,вс,x,Химия\n5А,пт,2,Математика,лишнее\n"
    found = problems(lambda: read_timetable(text.encode(), GROUPS, COURSES))
    assert set(found) == {2, 3, 4}
    assert any("«5Я»" in m for m in found[2])
    assert len(found[3]) == 3  # the day, the period and the subject
    assert any("Лишние столбцы" in m for m in found[4])


def test_a_timetable_needs_its_header_and_csv():
    assert 1 in problems(lambda: read_timetable("5А;пн;1;Математика\n".encode(), GROUPS, COURSES))
    assert 0 in problems(lambda: read_timetable(b"PK\x03\x04junk", GROUPS, COURSES))


def test_a_plan_from_csv_names_every_bad_line():
    text = "Номер;Тема;Часы\n1;Дроби;2\n3;;0\nдва;Проценты;1\n4;<b>Тема</b>;1\n"
    found = problems(lambda: read_plan(text.encode()))
    assert set(found) == {3, 4, 5}
    assert {"Не указана тема."} <= set(found[3])
    assert any("должен быть 2" in m for m in found[3])
    assert any("«два»" in m for m in found[4])
    assert any("разметка" in m for m in found[5])


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_plan_from_xlsx_reads_numbers_and_names_bad_rows():
    header = ["Номер", "Тема", "Часы", "Домашнее задание"]
    rows = read_plan(_xlsx([header, [1, "Дроби", 2.0, "§ 1"], [2, "Проценты", 1, None]]))
    assert [(r.number, r.topic, r.hours, r.homework) for r in rows] == [
        (1, "Дроби", 2, "§ 1"),
        (2, "Проценты", 1, ""),
    ]
    found = problems(lambda: read_plan(_xlsx([header, [1, "Дроби", 21, ""], [2, "Проценты", -1]])))
    assert set(found) == {2, 3}


def test_a_damaged_workbook_is_refused_as_a_whole():
    assert problems(lambda: read_plan(b"PK\x03\x04not a workbook at all")) == {
        0: ["Файл Excel повреждён или это не книга XLSX."]
    }
