"""The class teacher's and deputy head's area through HTTP: the approval queue (approve,
reject with a reason, never one's own), the class journal and who may open it, closing and
re-opening a term, the attendance and completeness reports and their XLSX files, bad input."""

from __future__ import annotations

import re
import uuid
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from domain import clock, ids
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from projections.views import access_log
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, post, written_since

LATE = date(2025, 9, 30)  # past the author's 7-day correction window for LESSON_DAY
APPROVALS = "/classes/approvals"
CORRECTED = r'<span class="mark corrected" tabindex="0"[^>]*? title="([^"]+)">{}<sup>\*</sup>'


def _marked_lesson(system: System, web: WebSchool, value: str = "3", teacher=None) -> tuple:
    """A lesson of 5А mathematics with ``value`` for the first pupil; (lesson, mark)."""
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        system.journal.entry.save_lesson_page(
            lesson, "Дроби", "", [MarkEntry(s.pupils[0], value, "answer")], {}, teacher or s.teacher
        )
    return lesson, system.journal.queries.lesson(lesson).marks[0].mark_id


def _request(system: System, web: WebSchool, by=None) -> tuple:
    """A late correction request 3 → 4 by ``by`` (the teacher); (lesson, mark, request)."""
    lesson, mark = _marked_lesson(system, web, teacher=by)
    with clock.travel(at(LATE, 10)):
        system.journal.entry.request_correction(
            lesson, mark, "4", "answer", "Пересчёт баллов", by or web.school.teacher
        )
    system.views.catch_up()
    return lesson, mark, system.journal.queries.lesson(lesson).pending_requests[0]


def test_deputy_approves_a_late_correction_and_the_grid_shows_it(system, web):
    s = web.school
    teacher = client_for(system, web, "teacher")
    lesson, mark = _marked_lesson(system, web)
    with clock.travel(at(LATE, 10)):
        asked = post(
            teacher,
            f"/journal/lessons/{lesson}/marks/{mark}/request",
            {"value": "4", "kind": "answer", "reason": "Пересчёт баллов"},
            f"/journal/lessons/{lesson}",
        )
    assert asked.status_code == 302
    deputy = client_for(system, web, "deputy")
    with clock.travel(at(LATE, 12)):
        queue = deputy.get(APPROVALS)
        page = queue.get_data(as_text=True)
        assert queue.status_code == 200
        for shown in (
            "Смирнов А.",
            "5А, Математика",
            "16.09.2025",
            "Пересчёт баллов",
            "Петрова А. И.",
        ):
            assert shown in page
        row = page[page.index('<tr id="req-') :]
        assert '<span class="mark">3</span> → <span class="mark">4</span>' in row
        request_id = system.journal.queries.lesson(lesson).pending_requests[0]
        done = post(deputy, f"{APPROVALS}/{request_id}", {"decision": "approve"}, APPROVALS)
    assert done.status_code == 302
    assert "согласовано" in deputy.get(APPROVALS).get_data(as_text=True)
    grid = teacher.get(f"/journal/{s.course_id}/1").get_data(as_text=True)
    found = re.search(CORRECTED.format("4"), grid)
    assert found, grid
    assert "было «3»" in found.group(1) and "Пересчёт баллов" in found.group(1)
    assert "согласовал(а): Завучева М." in found.group(1)
    journal = deputy.get(f"/classes/{s.class_id}/journal/1").get_data(as_text=True)
    found = re.search(CORRECTED.format("4"), journal)
    assert found, journal
    assert "Петрова А. И." in found.group(1) and "согласовал(а): Завучева М." in found.group(1)
    info = system.journal.queries.lesson(lesson)
    assert info.pending_requests == ()
    assert sorted(m.value for m in info.marks if m.current) == ["4"]


def test_reject_needs_a_reason_and_leaves_the_mark(system, web):
    lesson, _, request_id = _request(system, web)
    deputy = client_for(system, web, "deputy")
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LATE, 12)):
        refused = post(deputy, f"{APPROVALS}/{request_id}", {"decision": "reject"}, APPROVALS)
        assert refused.status_code == 422
        assert "Укажите причину отказа" in refused.get_data(as_text=True)
        markup = post(
            deputy,
            f"{APPROVALS}/{request_id}",
            {"decision": "reject", "reason": "<b>нет</b>"},
            APPROVALS,
        )
        assert markup.status_code == 422
        assert "Разметка" in markup.get_data(as_text=True)
        assert "<b>нет</b>" not in markup.get_data(as_text=True)
        assert written_since(system, before) == []
        done = post(
            deputy,
            f"{APPROVALS}/{request_id}",
            {"decision": "reject", "reason": "Работа оценена верно"},
            APPROVALS,
        )
    assert done.status_code == 302
    info = system.journal.queries.lesson(lesson)
    assert info.pending_requests == ()
    assert [m.value for m in info.marks if m.current] == ["3"]
    assert "отклонено: Работа оценена верно" in deputy.get(APPROVALS).get_data(as_text=True)


def test_an_approver_cannot_decide_their_own_request(system, web):
    s = web.school
    with clock.travel(at(date(2025, 8, 26), 10)):
        system.journal.classes.assign_teacher(s.course_id, s.deputy, s.admin)
    lesson, _, request_id = _request(system, web, by=s.deputy)
    deputy = client_for(system, web, "deputy")
    assert "Ваш запрос: решает другой" in deputy.get(APPROVALS).get_data(as_text=True)
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LATE, 12)):
        refused = post(deputy, f"{APPROVALS}/{request_id}", {"decision": "approve"}, APPROVALS)
    assert refused.status_code == 403
    assert "Нельзя подтвердить собственный запрос" in refused.get_data(as_text=True)
    assert written_since(system, before) == []
    head = client_for(system, web, "head")
    with clock.travel(at(LATE, 12)):
        done = post(head, f"{APPROVALS}/{request_id}", {"decision": "approve"}, APPROVALS)
    assert done.status_code == 302
    assert system.journal.queries.lesson(lesson).pending_requests == ()


def test_a_decision_without_the_csrf_token_is_refused(system, web):
    lesson, _, request_id = _request(system, web)
    deputy = client_for(system, web, "deputy")
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LATE, 12)):
        refused = deputy.post(f"{APPROVALS}/{request_id}", data={"decision": "approve"})
    assert refused.status_code == 400
    assert written_since(system, before) == []
    assert system.journal.queries.lesson(lesson).pending_requests == (request_id,)


def test_unknown_request_is_404_and_a_missing_decision_422(system, web):
    _, _, request_id = _request(system, web)
    deputy = client_for(system, web, "deputy")
    with clock.travel(at(LATE, 12)):
        assert (
            post(deputy, f"{APPROVALS}/{uuid.uuid4()}", {"decision": "approve"}).status_code == 404
        )
        bad = post(deputy, f"{APPROVALS}/{request_id}", {"decision": "maybe"}, APPROVALS)
    assert bad.status_code == 422
    assert "Выберите значение из списка" in bad.get_data(as_text=True)
    assert client_for(system, web, "teacher").get(APPROVALS).status_code == 403
    assert client_for(system, web, "class_teacher").get(APPROVALS).status_code == 403


def test_class_teacher_opens_own_class_only(system, web):
    s = web.school
    lesson, mark = _marked_lesson(system, web)
    with clock.travel(at(LESSON_DAY, 17)):
        system.journal.entry.correct_mark(
            lesson, mark, "5", "answer", "Ошибка при вводе", s.teacher
        )
    system.views.catch_up()
    tutor = client_for(system, web, "class_teacher")
    index = tutor.get("/classes/").get_data(as_text=True)
    assert f"/classes/{s.class_id}/journal/" in index
    assert str(s.other_class_id) not in index
    own = tutor.get(f"/classes/{s.class_id}/journal/1")
    assert own.status_code == 200
    page = own.get_data(as_text=True)
    found = re.search(CORRECTED.format("5"), page)
    assert found, page
    assert "было «3»" in found.group(1) and "Ошибка при вводе" in found.group(1)
    assert "Петрова А. И." in found.group(1) and "16.09.2025 17:00" in found.group(1)
    with clock.travel(at(date(2025, 11, 10), 10)):
        now = tutor.get(f"/classes/{s.class_id}/journal")
    assert now.status_code == 302 and now.location.endswith(f"/classes/{s.class_id}/journal/2")
    for path in (
        "journal",
        "journal/1",
        "attendance",
        "completeness",
        "attendance.xlsx",
        "completeness.xlsx",
    ):
        assert tutor.get(f"/classes/{s.other_class_id}/{path}").status_code == 403, path
    assert tutor.get(f"/classes/{s.class_id}/journal/9").status_code == 404
    deputy = client_for(system, web, "deputy")
    assert str(s.other_class_id) in deputy.get("/classes/").get_data(as_text=True)
    assert deputy.get(f"/classes/{uuid.uuid4()}/journal/1").status_code == 404
    assert client_for(system, web, "teacher").get("/classes/").status_code == 403
    assert (
        client_for(system, web, "parent").get(f"/classes/{s.class_id}/journal/1").status_code == 403
    )
    rows = system.views.read(access_log.accesses, actor=str(s.teacher))
    assert rows == []  # the teacher saw no page of this area
    pages = {r.page for r in system.views.read(access_log.accesses)}
    assert f"/classes/{s.class_id}/journal/1" in pages


def test_closed_term_refuses_entries_until_reopened_with_reason_and_order(system, web):
    s = web.school
    lesson = s.hold()
    deputy = client_for(system, web, "deputy")
    teacher = client_for(system, web, "teacher")
    close_url = f"/classes/terms/{s.year_id}/1/close"
    reopen_url = f"/classes/terms/{s.year_id}/1/reopen"
    form = {"topic": "Дроби", f"mark-{s.pupils[0]}": "5"}
    with clock.travel(at(LESSON_DAY, 16)):
        unconfirmed = post(deputy, close_url, {}, "/classes/terms")
        assert unconfirmed.status_code == 422
        assert "Подтвердите закрытие" in unconfirmed.get_data(as_text=True)
        assert post(deputy, close_url, {"confirm": "yes"}, "/classes/terms").status_code == 302
        assert "закрыт" in deputy.get("/classes/terms").get_data(as_text=True)
        lesson_page = f"/journal/lessons/{lesson}"
        refused = post(teacher, lesson_page, form, lesson_page)
        assert refused.status_code == 409
        assert "Учебный период закрыт" in refused.get_data(as_text=True)
        before = system.journal.recorder.max_notification_id()
        for data, status, message in (
            ({"reason": "", "order_no": "П-12"}, 422, "Длина"),
            ({"reason": "<script>x</script>", "order_no": "П-12"}, 422, "Разметка"),
            ({"reason": "Исправление ошибок", "order_no": ""}, 422, "номер приказа"),
        ):
            bad = post(deputy, reopen_url, data, "/classes/terms")
            assert bad.status_code == status, data
            assert message in bad.get_data(as_text=True)
        assert written_since(system, before) == []
        again = post(
            deputy,
            reopen_url,
            {"reason": "Исправление ошибок в отметках", "order_no": "П-12"},
            "/classes/terms",
        )
        assert again.status_code == 302
        log = deputy.get("/classes/terms").get_data(as_text=True)
        assert "Исправление ошибок в отметках" in log and "П-12" in log and "Завучева М." in log
        assert post(teacher, lesson_page, form, lesson_page).status_code == 302
    assert [m.value for m in system.journal.queries.lesson(lesson).marks] == ["5"]
    assert post(teacher, close_url, {"confirm": "yes"}).status_code == 403
    assert (
        post(deputy, f"/classes/terms/{uuid.uuid4()}/1/close", {"confirm": "yes"}).status_code
        == 404
    )
    assert (
        post(deputy, f"/classes/terms/{s.year_id}/9/close", {"confirm": "yes"}).status_code == 404
    )


def _attendance_day(system: System, web: WebSchool) -> None:
    s = web.school
    for period in (2, 3):
        lesson = s.hold(period=period)
        with clock.travel(at(LESSON_DAY, 16)):
            codes = {s.pupils[1]: "Б", s.pupils[2]: "Н" if period == 2 else "ОП"}
            system.journal.entry.save_lesson_page(lesson, "Дроби", "", [], codes, s.teacher)


def _book(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "no-store"
    return load_workbook(BytesIO(response.get_data()))


def test_attendance_report_and_its_xlsx(system, web):
    s = web.school
    _attendance_day(system, web)
    tutor = client_for(system, web, "class_teacher")
    query = "first=2025-09-01&last=2025-09-30"
    with clock.travel(at(LESSON_DAY, 18)):
        page = tutor.get(f"/classes/{s.class_id}/attendance?{query}").get_data(as_text=True)
        assert "Кузнецова Дарья" in page and "Итого по классу" in page
        response = tutor.get(f"/classes/{s.class_id}/attendance.xlsx?{query}")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = _book(response)["Посещаемость"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Посещаемость: 5А"
    assert rows[1][0] == "Период: 01.09.2025 — 30.09.2025"
    header = rows[3]
    assert header[:3] == ["№", "Обучающийся", "Уроков"] and header[-1] == "Доля пропусков"
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in rows[4:]}
    assert list(by_name) == ["Кузнецова Дарья", "Попов Илья", "Смирнов Артём", "Итого по классу"]
    sick = by_name["Кузнецова Дарья"]
    assert (sick["Уроков"], sick["Б"], sick["Пропущено"], sick["По уважительной"]) == (2, 2, 2, 2)
    assert by_name["Попов Илья"]["Н"] == 1 and by_name["Попов Илья"]["Опозданий"] == 1
    assert by_name["Попов Илья"]["Доля пропусков"] == 0.5
    assert by_name["Итого по классу"]["Пропущено"] == 3
    assert by_name["Итого по классу"]["Уроков"] == 6
    logged = system.views.read(access_log.accesses, actor=str(ids.account_id("tutor")))
    xlsx = {(r.page, r.student_id) for r in logged if r.page.endswith(".xlsx")}
    assert xlsx == {(f"/classes/{s.class_id}/attendance.xlsx", str(p)) for p in s.pupils}


def test_completeness_report_and_its_xlsx(system, web):
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        system.journal.entry.change_topic(lesson, "", "", s.teacher)
    late = s.hold(day=date(2025, 9, 17))
    with clock.travel(at(date(2025, 9, 26), 10)):
        system.journal.entry.record_marks(late, [MarkEntry(s.pupils[0], "4", "answer")], s.deputy)
    deputy = client_for(system, web, "deputy")
    query = "first=2025-09-01&last=2025-09-30&days=3"
    with clock.travel(at(date(2025, 9, 26), 12)):
        page = deputy.get(f"/classes/{s.class_id}/completeness?{query}").get_data(as_text=True)
        assert "Уроки без темы (1)" in page and "Отметки, внесённые после срока (1)" in page
        book = _book(deputy.get(f"/classes/{s.class_id}/completeness.xlsx?{query}"))
    assert book.sheetnames == [
        "Уроки без темы",
        "Отметки после срока",
        "Без отметок",
        "Не заполнены",
    ]
    topics = list(book["Уроки без темы"].iter_rows(min_row=4, values_only=True))
    assert topics == [
        ("Предмет", "Дата", "Урок №", "Срок внесения истёк"),
        ("Математика", "16.09.2025", 2, "да"),
    ]
    marks = list(book["Отметки после срока"].iter_rows(min_row=5, values_only=True))
    assert marks == [
        ("Математика", "17.09.2025", "Смирнов Артём", "4", "26.09.2025 10:00", 9, "Завучева Мария")
    ]
    unmarked = {r[1] for r in book["Без отметок"].iter_rows(min_row=5, values_only=True)}
    assert unmarked == {"Кузнецова Дарья", "Попов Илья"}
    unfilled = list(book["Не заполнены"].iter_rows(min_row=6, values_only=True))
    assert unfilled == [("Математика", "17.09.2025")]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("first=2025-13-01&last=2025-09-30", "Дата в формате ГГГГ-ММ-ДД"),
        ("first=2025-09-30&last=2025-09-01", "Начало периода позже его конца"),
        ("first=2024-09-01&last=2025-12-30", "не длиннее учебного года"),
        ("first=2025-09-01&last=<b>", "Дата в формате"),
        ("first=2025-09-01&first=2025-09-02&last=2025-09-30", "несколько раз"),
    ],
)
@pytest.mark.parametrize("report", ["attendance", "attendance.xlsx", "completeness.xlsx"])
def test_bad_report_periods_are_422_in_russian(system, web, query, message, report):
    s = web.school
    deputy = client_for(system, web, "deputy")
    before = system.journal.recorder.max_notification_id()
    response = deputy.get(f"/classes/{s.class_id}/{report}?{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert message in body
    if "<b>" in query:
        assert 'value="&lt;b&gt;"' in body
    assert system.journal.recorder.max_notification_id() == before  # not even the access log


def test_bad_completeness_days_are_422(system, web):
    deputy = client_for(system, web, "deputy")
    response = deputy.get(f"/classes/{web.school.class_id}/completeness?days=0")
    assert response.status_code == 422
    assert "Число от 1 до 30" in response.get_data(as_text=True)
