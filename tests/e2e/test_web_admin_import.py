"""The CSV import of a class list through HTTP: a good file enrols every pupil; a bad one
lists every bad line and writes nothing; the encoding is checked; the template works."""

from __future__ import annotations

import io
import re
from uuid import UUID

from ejournal.bootstrap import System
from projections.queries import people
from tests.web import WebSchool, client_for, csrf, written_since

HEADER = "Фамилия;Имя;Отчество;Дата рождения"
GUARDIANS = (
    ";Фамилия представителя;Имя представителя;Отчество представителя;"
    "Телефон представителя;Эл. почта представителя;Кем приходится"
)
GOOD = "\n".join(
    [
        HEADER + GUARDIANS,
        "Орлов;Максим;Андреевич;12.04.2014;Орлова;Светлана;Игоревна;+7 900 111-22-33;;мать",
        "Орлова;Вера;Андреевна;2015-06-01;Орлова;Светлана;Игоревна;+7 900 111-22-33;;мать",
        "",
        "Белова;Ксения;;03.11.2014;;;;;;",
    ]
)
BAD = "\n".join(
    [
        HEADER,
        "Зайцев;Павел;Олегович;01.02.2014",  # 2: good
        "Лисицына;;;05.05.2014",  # 3: empty name
        "Волков;Денис;;31.02.2014",  # 4: no such date
        "<b>Медведев</b>;Иван;;01.01.2014",  # 5: markup
        "Зайцев;Павел;Олегович;01.02.2014",  # 6: repeats line 2
        "Ежов;Глеб;01.01.2014",  # 7: three columns
        "Соколов;Илья;;2026-01-01",  # 8: born after the enrolment date
    ]
)


def _upload(client, class_id, data: bytes, on: str = "2025-09-01"):
    page = f"/admin/groups/{class_id}/import"
    return client.post(
        page,
        data={"file": (io.BytesIO(data), "5a.csv"), "on": on, "csrf_token": csrf(client, page)},
        content_type="multipart/form-data",
    )


def _members(system: System, web: WebSchool) -> set[str]:
    periods = system.views.read(people.periods, group_id=str(web.school.class_id))
    return {p.student_id for p in periods if p.until is None}


def test_a_good_file_enrols_every_pupil_with_guardians(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    before = _members(system, web)
    response = _upload(admin, web.school.class_id, GOOD.encode())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "зачислено обучающихся — 3" in page
    for name, born in (("Орлов Максим Андреевич", "12.04.2014"), ("Белова Ксения", "03.11.2014")):
        assert re.search(rf"{name}</a></td>\s*<td>{born}</td><td>01.09.2025</td>", page), name
    new = _members(system, web) - before
    assert len(new) == 3
    guardians = [system.journal.queries.student(UUID(p)).guardians for p in new]
    siblings = [g for g in guardians if g]
    assert len(siblings) == 2 and siblings[0] == siblings[1]  # one mother, registered once
    again = _upload(admin, web.school.class_id, GOOD.encode())
    assert again.status_code == 422
    assert again.get_data(as_text=True).count("уже зачислен в этот класс") == 3


def test_a_bad_file_lists_every_bad_line_and_writes_nothing(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    before = system.journal.recorder.max_notification_id()
    response = _upload(admin, web.school.class_id, BAD.encode())
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    rows = dict(re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td></tr>", body))
    assert sorted(rows, key=int) == ["3", "4", "5", "6", "7", "8"]
    assert "«Имя»: не заполнено" in rows["3"]
    assert "неверная дата «31.02.2014»" in rows["4"]
    assert "разметка" in rows["5"]
    assert "Повторяет строку 2" in rows["6"]
    assert "Ожидается столбцов: 4, в строке: 3" in rows["7"]
    assert "раньше даты зачисления" in rows["8"]
    assert "ошибки в строках 3, 4, 5, 6, 7, 8" in body and "Ни один обучающийся не зачислен" in body
    assert "<b>Медведев</b>" not in body
    assert written_since(system, before) == []


def test_the_encoding_is_checked_and_a_bom_is_accepted(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    before = system.journal.recorder.max_notification_id()
    refused = _upload(admin, web.school.class_id, GOOD.encode("cp1251"))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "не в кодировке UTF-8" in body and "CSV UTF-8" in body
    assert written_since(system, before) == []
    for data, message in (
        (b"", "Файл пуст"),
        (b"PK\x03\x04 zip", "файл Excel"),
        ("Имя;Фамилия\nИван;Иванов".encode(), "Первая строка — заголовок"),
        (HEADER.encode(), "нет ни одной строки"),
    ):
        answer = _upload(admin, web.school.class_id, data)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), message
    assert written_since(system, before) == []
    with_bom = "\ufeff" + GOOD.replace(";", ",")
    assert _upload(admin, web.school.class_id, with_bom.encode()).status_code == 302


def test_the_template_downloads_and_the_form_needs_a_file(system: System, web: WebSchool):
    admin = client_for(system, web, "admin")
    template = admin.get("/admin/class-list-template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    assert template.data.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    page = f"/admin/groups/{web.school.class_id}/import"
    form = admin.get(page).get_data(as_text=True)
    assert "Скачать шаблон" in form and "ДД.ММ.ГГГГ" in form
    missing = admin.post(page, data={"on": "2025-09-01", "csrf_token": csrf(admin, page)})
    assert missing.status_code == 422 and "Выберите файл CSV" in missing.get_data(as_text=True)
    filled = template.data + "Новый;Ученик;;01.01.2014;;;;;;\r\n".encode()
    assert _upload(admin, web.school.class_id, filled).status_code == 302


def test_only_the_admin_imports(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    before = system.journal.recorder.max_notification_id()
    page = f"/admin/groups/{web.school.class_id}/import"
    response = teacher.post(
        page,
        data={
            "file": (io.BytesIO(GOOD.encode()), "5a.csv"),
            "on": "2025-09-01",
            "csrf_token": csrf(teacher, "/"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert written_since(system, before) == []
