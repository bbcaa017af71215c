"""The teacher's pages through HTTP: the grid, the lesson form saved in one go, corrections
with a reason shown as corrected, late corrections as requests, term marks, bad input."""

from __future__ import annotations

import re

import psycopg
import pytest

from domain import clock
from ejournal.bootstrap import System
from projections.views import grid as grid_view
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, csrf, post, written_since


def grid_url(web: WebSchool, course=None) -> str:
    return f"/journal/{course or web.school.course_id}/1"


def test_teacher_enters_a_lesson_with_marks_and_attendance(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        response = post(
            teacher,
            f"/journal/lessons/{lesson}",
            {
                "topic": "Сложение дробей",
                "homework": "№ 15, 16",
                f"mark-{s.pupils[0]}": "5",
                f"kind-{s.pupils[0]}": "test",
                f"mark-{s.pupils[1]}": "4",
                f"att-{s.pupils[2]}": "Н",
            },
            page=f"/journal/lessons/{lesson}",
        )
    assert response.status_code == 302
    page = teacher.get(grid_url(web)).get_data(as_text=True)
    assert "Смирнов А." in page and "Кузнецова Д." in page
    cells = re.findall(
        r'<span class="mark" data-id="[^"]+" data-v="(\d)" data-t="([^"]+)" title="([^"]+)">', page
    )
    # kind and weight in the title; a kind other than the column's also beside the value
    assert sorted(cells) == [
        ("4", "4", "Ответ на уроке, вес 1"),
        ("5", "5кр", "Контрольная работа, вес 3"),
    ]
    assert '<span class="att">Н</span>' in page
    info = system.journal.queries.lesson(lesson)
    assert info.topic == "Сложение дробей"
    assert sorted(m.value for m in info.marks) == ["4", "5"]


def test_saving_the_page_with_unchanged_attendance_records_no_attendance_event(
    system: System, web: WebSchool
):
    """The page sends every pupil's attendance as shown; the web passes it all and the
    lesson records only what changed."""
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    form = {"topic": "Дроби", f"att-{s.pupils[1]}": "Б", f"att-{s.pupils[2]}": "Н"}
    with clock.travel(at(LESSON_DAY, 16)):
        assert post(teacher, path, form, page=path).status_code == 302
        before = system.journal.recorder.max_notification_id() or 0
        again = post(teacher, path, {**form, "topic": "Сложение дробей"}, page=path)
    assert again.status_code == 302
    assert [t.rpartition(".")[2] for t in written_since(system, before)] == ["TopicChanged"]
    assert system.journal.queries.lesson(lesson).attendance == {s.pupils[1]: "Б", s.pupils[2]: "Н"}


@pytest.mark.parametrize(
    ("field", "value", "label", "message"),
    [
        (
            "mark-{stranger}",
            "5",
            "Обучающийся не из списка урока",
            "Обучающегося нет в списке этого урока.",
        ),
        (
            "att-{stranger}",
            "",
            "Обучающийся не из списка урока",
            "Обучающегося нет в списке этого урока.",
        ),
        ("kind-{pupil}", "x" * 33, "Вид работы: Смирнов А.", "Слишком длинное значение."),
        ("att-{pupil}", "Н" * 33, "Посещаемость: Смирнов А.", "Слишком длинное значение."),
    ],
)
def test_bad_pupil_fields_of_the_lesson_page_are_refused_in_russian(
    system: System, web: WebSchool, field: str, value: str, label: str, message: str
):
    """The message names the field in words — the pupil's name, never an internal id."""
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    key = field.format(stranger=s.other_teacher, pupil=s.pupils[0])
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY, 16)):
        refused = post(teacher, path, {"topic": "Дроби", key: value}, page=path)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f"<b>{label}</b>: {message}" in page
    assert f"<b>{key}" not in page
    assert written_since(system, before) == []


def test_a_bad_mark_saves_nothing_and_keeps_the_input(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LESSON_DAY, 16)):
        response = post(
            teacher,
            f"/journal/lessons/{lesson}",
            {"topic": "Новая тема", f"mark-{s.pupils[0]}": "9", f"mark-{s.pupils[1]}": "4"},
            page=f"/journal/lessons/{lesson}",
        )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "в журнал ничего не записано" in body
    assert 'value="Новая тема"' in body
    assert written_since(system, before) == []


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("", "Длина"),
        ("x" * 201, "Длина"),
        ("<script>alert(1)</script>", "Разметка"),
    ],
)
def test_bad_topics_are_refused_in_russian(system: System, web: WebSchool, topic, message):
    lesson = web.school.hold()
    teacher = client_for(system, web, "teacher")
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LESSON_DAY, 16)):
        response = post(
            teacher, f"/journal/lessons/{lesson}", {"topic": topic}, f"/journal/lessons/{lesson}"
        )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert written_since(system, before) == []


def test_correction_with_reason_is_shown_as_corrected(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        post(
            teacher,
            f"/journal/lessons/{lesson}",
            {"topic": "Дроби", f"mark-{s.pupils[0]}": "3"},
            f"/journal/lessons/{lesson}",
        )
        mark = system.journal.queries.lesson(lesson).marks[0].mark_id
        refused = post(
            teacher,
            f"/journal/lessons/{lesson}/marks/{mark}/correct",
            {"value": "4", "kind": "answer", "reason": ""},
            f"/journal/lessons/{lesson}",
        )
        assert refused.status_code == 422
        done = post(
            teacher,
            f"/journal/lessons/{lesson}/marks/{mark}/correct",
            {"value": "4", "kind": "answer", "reason": "Ошибка при вводе"},
            f"/journal/lessons/{lesson}",
        )
    assert done.status_code == 302
    page = teacher.get(grid_url(web)).get_data(as_text=True)
    found = re.search(
        r'<span class="mark corrected" tabindex="0"[^>]*? title="([^"]+)">4<sup>', page
    )
    assert found, page
    assert "было «3»" in found.group(1) and "Ошибка при вводе" in found.group(1)
    assert "Петрова А. И." in found.group(1)


def test_late_correction_becomes_a_request(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        post(
            teacher,
            f"/journal/lessons/{lesson}",
            {"topic": "Дроби", f"mark-{s.pupils[0]}": "3"},
            f"/journal/lessons/{lesson}",
        )
    mark = system.journal.queries.lesson(lesson).marks[0].mark_id
    with clock.travel(at(LESSON_DAY.replace(day=30), 10)):
        late = post(
            teacher,
            f"/journal/lessons/{lesson}/marks/{mark}/correct",
            {"value": "4", "kind": "answer", "reason": "Пересчёт баллов"},
            f"/journal/lessons/{lesson}",
        )
        assert late.status_code == 422
        assert "запрос на исправление" in late.get_data(as_text=True)
        asked = post(
            teacher,
            f"/journal/lessons/{lesson}/marks/{mark}/request",
            {"value": "4", "kind": "answer", "reason": "Пересчёт баллов"},
            f"/journal/lessons/{lesson}",
        )
    assert asked.status_code == 302
    assert len(system.journal.queries.lesson(lesson).pending_requests) == 1
    assert "ожидает согласования" in teacher.get(f"/journal/lessons/{lesson}").get_data(
        as_text=True
    )


def test_teacher_cannot_open_another_teachers_journal(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    assert teacher.get(grid_url(web, web.school.other_course_id)).status_code == 403
    other_lesson = web.school.hold(course=web.school.other_course_id)
    assert teacher.get(f"/journal/lessons/{other_lesson}").status_code == 403
    tutor = client_for(system, web, "class_teacher")
    assert tutor.get(grid_url(web)).status_code == 200  # own class, all subjects: read
    lesson = web.school.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        refused = post(
            tutor,
            f"/journal/lessons/{lesson}",
            {"topic": "Чужая тема"},
            f"/journal/lessons/{lesson}",
        )
    assert refused.status_code == 403


def test_term_marks_are_set_and_changing_one_needs_a_reason(system: System, web: WebSchool):
    s = web.school
    teacher = client_for(system, web, "teacher")
    url = f"/journal/{s.course_id}/1/term-marks"
    with clock.travel(at(LESSON_DAY.replace(month=10, day=20), 10)):
        assert post(teacher, url, {f"final-{s.pupils[0]}": "5"}, grid_url(web)).status_code == 302
        refused = post(teacher, url, {f"final-{s.pupils[0]}": "4"}, grid_url(web))
        assert refused.status_code == 422
        assert "укажите причину" in refused.get_data(as_text=True)
        changed = post(
            teacher, url, {f"final-{s.pupils[0]}": "4", "reason": "Пересдача работы"}, grid_url(web)
        )
    assert changed.status_code == 302
    assert system.views.reads.journal.term_marks(str(s.course_id), 1)[str(s.pupils[0])].value == "4"


def test_term_marks_of_several_pupils_are_saved_all_or_none(system: System, web: WebSchool):
    """A refused mark (off the scale) among good ones leaves none written: the page that says
    nothing was saved is right (they were once saved one command per pupil)."""
    s = web.school
    teacher = client_for(system, web, "teacher")
    url = f"/journal/{s.course_id}/1/term-marks"
    # Sorted by field name, the refused mark comes last: earlier ones would be written first.
    ordered = sorted(s.pupils[:3], key=str)
    form = {f"final-{ordered[0]}": "5", f"final-{ordered[1]}": "4", f"final-{ordered[2]}": "7"}
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY.replace(month=10, day=20), 10)):
        refused = post(teacher, url, form, grid_url(web))
        assert refused.status_code == 422, refused.get_data(as_text=True)[:500]
        assert written_since(system, before) == []
        assert system.views.reads.journal.term_marks(str(s.course_id), 1) == {}
        form[f"final-{ordered[2]}"] = "3"
        assert post(teacher, url, form, grid_url(web)).status_code == 302
    written = written_since(system, before)
    assert len([t for t in written if t.endswith("TermGrades.TermMarkSet")]) == 3, written
    finals = system.views.reads.journal.term_marks(str(s.course_id), 1)
    assert {p: finals[str(p)].value for p in ordered} == dict(zip(ordered, "543", strict=True))


def test_a_multipart_part_without_a_name_is_refused_not_a_500(system: System, web: WebSchool):
    s = web.school
    teacher = client_for(system, web, "teacher")
    token = csrf(teacher, grid_url(web))
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="final-{s.pupils[0]}"\r\n\r\n5\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY.replace(month=10, day=20), 10)):
        response = teacher.post(
            f"/journal/{s.course_id}/1/term-marks",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    assert response.status_code == 400
    assert "форма устарела или повреждена" in response.get_data(as_text=True)
    assert written_since(system, before) == []


def test_staff_pages_with_pupils_write_the_access_log(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    assert teacher.get(grid_url(web)).status_code == 200
    from projections.views import access_log

    rows = system.views.read(access_log.accesses)
    assert {r.student_id for r in rows} == {str(p) for p in web.school.pupils}
    assert {r.page for r in rows} == {grid_url(web)}
    assert {r.actor for r in rows} == {str(web.school.teacher)}


def test_the_same_lesson_form_sent_again_records_its_mark_once(system: System, web: WebSchool):
    """A browser sends the form again when the answer was lost (the server died after the
    commit): the form's key names its marks, so the mark is not recorded twice; the page
    rendered again after the save carries a new key, so the next mark is a new one."""
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    with clock.travel(at(LESSON_DAY, 16)):
        page = teacher.get(path).get_data(as_text=True)
        key = re.search(r'name="form_key" value="([0-9a-f]{32})"', page)
        assert key is not None
        form = {"topic": "Дроби", "form_key": key.group(1), f"mark-{s.pupils[0]}": "5"}
        assert post(teacher, path, form, page=path).status_code == 302
        assert post(teacher, path, form, page=path).status_code == 302  # sent again
        assert [m.value for m in system.journal.queries.lesson(lesson).marks] == ["5"]
        fresh = re.search(r'name="form_key" value="([0-9a-f]{32})"', teacher.get(path).text)
        assert fresh is not None and fresh.group(1) != key.group(1)
        taken = {**form, f"mark-{s.pupils[0]}": "4"}  # the used key with another mark
        assert post(teacher, path, taken, page=path).status_code == 409
        form["form_key"] = fresh.group(1)
        assert post(teacher, path, form, page=path).status_code == 302
    assert [m.value for m in system.journal.queries.lesson(lesson).marks] == ["5", "5"]


def test_an_unreachable_database_answers_503_to_send_again(
    system: System, web: WebSchool, monkeypatch: pytest.MonkeyPatch
):
    """While the database restarts a page says so (503, ``Retry-After``), not «internal
    error»: the browser or client may send the request again."""
    teacher = client_for(system, web, "teacher")

    def unreachable(*_: object, **__: object) -> None:
        raise psycopg.OperationalError("the database system is shutting down")

    monkeypatch.setattr(system.views, "reader", unreachable)  # every read opens one
    response = teacher.get(grid_url(web))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "База данных временно недоступна" in response.get_data(as_text=True)
    assert "shutting down" not in response.get_data(as_text=True)


def test_the_lesson_form_sets_when_the_homework_is_due_and_refuses_a_day_too_early(
    system: System, web: WebSchool
):
    """ADR 0017: the homework is due at the subject's next lesson unless the teacher sets a
    day; the lesson form sets it, shows it, clears it, and refuses one not after the lesson
    (keeping what was typed, writing nothing)."""
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    due = LESSON_DAY.replace(day=LESSON_DAY.day + 3).isoformat()
    form = {"topic": "Дроби", "homework": "Доклад", "homework_due": due}
    with clock.travel(at(LESSON_DAY, 16)):
        assert post(teacher, path, form, page=path).status_code == 302
        page = teacher.get(path).get_data(as_text=True)
        assert (
            f'name="homework_due" type="date" min="{LESSON_DAY.isoformat()}" value="{due}"' in page
        )
        with system.views.reader() as reader:
            row = reader.get(grid_view.HOMEWORK_DUE, (str(lesson),))
        assert row is not None and row["due"] == due
        before = system.journal.recorder.max_notification_id() or 0
        early = {**form, "homework": "Другое", "homework_due": LESSON_DAY.isoformat()}
        refused = post(teacher, path, early, page=path)
        assert refused.status_code == 422
        text = refused.get_data(as_text=True)
        assert "Срок домашнего задания должен быть позже дня урока." in text
        assert 'value="Другое"' in text and f'value="{LESSON_DAY.isoformat()}"' in text
        assert written_since(system, before) == []
        cleared = post(teacher, path, {**form, "homework_due": ""}, page=path)
        assert cleared.status_code == 302
        with system.views.reader() as reader:
            row = reader.get(grid_view.HOMEWORK_DUE, (str(lesson),))
        assert row is None or not row["due"]
        bad = post(teacher, path, {**form, "homework_due": "31.02"}, page=path)
        assert bad.status_code == 422 and "Дата в формате ГГГГ-ММ-ДД." in bad.get_data(as_text=True)
