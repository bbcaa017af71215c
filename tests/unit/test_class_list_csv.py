"""Reading a class list from CSV: delimiters, BOM, blank lines, quoting, every problem with
its line number (no I/O: the parser works on bytes)."""

from __future__ import annotations

from datetime import date

import pytest

from web.admin.class_list import ClassListInvalid, read_class_list, template

ON = date(2025, 9, 1)
HEADER = "Фамилия;Имя;Отчество;Дата рождения"


def problems(text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(ClassListInvalid) as info:
        read_class_list(data, ON)
    return info.value.problems


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_any_of_three_delimiters_with_or_without_bom(sep: str):
    text = f"{HEADER}\nИванов;Иван;Иванович;07.03.2014\r\nПетрова;Анна;;2014-11-30\n".replace(
        ";", sep
    )
    for data in (text.encode(), ("\ufeff" + text).encode()):
        rows = read_class_list(data, ON)
        assert [(r.line, r.surname, r.patronymic, r.birth_date) for r in rows] == [
            (2, "Иванов", "Иванович", date(2014, 3, 7)),
            (3, "Петрова", "", date(2014, 11, 30)),
        ]


def test_blank_lines_quotes_and_trailing_separators_are_tolerated():
    text = (
        f'{HEADER};\n\n"Иванова-Петрова";"Анна Мария";;07.03.2014;\n;;;\nО\'Нил;Шон;;01.01.2014\n'
    )
    rows = read_class_list(text.encode(), ON)
    assert [(r.line, r.surname, r.name) for r in rows] == [
        (3, "Иванова-Петрова", "Анна Мария"),
        (5, "О'Нил", "Шон"),
    ]


def test_header_names_are_matched_loosely_but_must_be_there():
    loose = "фамилия ; ИМЯ;Отчество;Дата  рождения\nИванов;Иван;;07.03.2014"
    assert len(read_class_list(loose.encode(), ON)) == 1
    assert problems("Иванов;Иван;;07.03.2014\nПетров;Пётр;;01.01.2014")[0][0] == 1


def test_every_bad_line_is_reported_with_its_number():
    text = "\n".join(
        [
            HEADER,
            "Иванов;Иван;;07.03.2014",
            ";Иван;;07.03.2014",
            "Петров;Пётр;;7 марта",
            "Сидоров;Сидор;;01.01.1850",
            "Смит2;John;;01.01.2014",
            "Кузнецов;Кузьма;;01.01.2014;лишнее",
            "иванов;ИВАН;;07.03.2014",
            "Новиков;Лев;;02.09.2025",
            "Орлов;Олег;;01.01.2014\x07",
            "Юрьев;" + "Ю" * 101 + ";;01.01.2014",
        ]
    )
    found = problems(text)
    assert [line for line, _ in found] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    messages = dict(found)
    assert "«Фамилия»: не заполнено" in messages[3]
    assert "неверная дата «7 марта»" in messages[4]
    assert "неверная дата «01.01.1850»" in messages[5]
    assert "только буквы" in messages[6]
    assert "Ожидается столбцов: 4, в строке: 5" in messages[7]
    assert "Повторяет строку 2" in messages[8]
    assert "раньше даты зачисления" in messages[9]
    assert "управляющие символы" in messages[10]
    assert "не длиннее 100" in messages[11]


def test_guardian_columns_need_a_name_when_any_is_filled():
    text = template().decode("utf-8-sig") + "\n".join(
        [
            "Иванов;Иван;;07.03.2014;Иванова;Мария;;+7 900 000-00-00;m@example.ru;мать",
            "Петров;Пётр;;07.03.2014;;;;+7 900 000-00-01;;отец",
            "Сидоров;Иван;;07.03.2014;Сидорова;Анна;;звонить вечером;;мать",
            "Орлов;Олег;;07.03.2014;;;;;;",
        ]
    )
    found = problems(text)
    assert [line for line, _ in found] == [3, 4]
    assert "Представитель: заполните фамилию и имя" in found[0][1]
    assert "«Телефон представителя»: неверный формат" in found[1][1]


def test_encoding_and_file_level_problems():
    cp1251 = f"{HEADER}\nИванов;Иван;;07.03.2014".encode("cp1251")
    ((line, message),) = problems(cp1251)
    assert line == 1 and "не в кодировке UTF-8" in message
    mixed = f"{HEADER}\nИванов;Иван;;07.03.2014\n".encode() + "Петров;Пётр;;07.03.2014".encode(
        "cp1251"
    )
    assert problems(mixed)[0][0] == 3
    assert "UTF-16" in problems(f"{HEADER}\n".encode("utf-16"))[0][1]
    assert problems(b"   \n") == [(0, "Файл пуст.")]
    assert "нет ни одной строки" in problems(HEADER)[0][1]
    big = (HEADER + "\n" + "Иванов;Иван;;07.03.2014\n" * 30_000).encode()
    assert "больше" in problems(big)[0][1]
    assert "кавычки" in problems(f'{HEADER}\n"Иванов;Иван;;07.03.2014')[0][1]
