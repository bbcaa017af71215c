"""Corrections and deadlines through HTTP (issue 17, item 4): a correction to the same value
is refused, a refused form keeps what was entered, a form sent again after a lost answer is
answered as the first, and a lesson past the entry deadline is read-only with a late-entry
request to the deputy head — requested, approved, then entered."""

from __future__ import annotations

import re
from datetime import timedelta

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for, post, written_since

REASON = "Ошибка при вводе"
KEY = "0123456789abcdef0123456789abcdef"
LATE = LESSON_DAY + timedelta(days=10)  # the entry deadline (3 days) has passed
APPROVALS = "/classes/approvals"


def _marked(system: System, web: WebSchool, value: str = "3") -> tuple:
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        system.journal.entry.save_lesson_page(
            lesson, "Дроби", "", [MarkEntry(s.pupils[0], value, "answer")], {}, s.teacher
        )
    return lesson, system.journal.queries.lesson(lesson).marks[0].mark_id


def _row(page: str, mark) -> str:
    """The correction row of ``mark`` on the lesson page."""
    start = page.index(f'<tr id="mark-{mark}">')
    return page[start : page.index("</tr>", start)]


def test_correction_to_the_same_value_is_refused_in_words(system: System, web: WebSchool):
    lesson, mark = _marked(system, web)
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY, 17)):
        refused = post(
            teacher,
            f"{path}/marks/{mark}/correct",
            {"value": "3", "kind": "answer", "reason": REASON, "form_key": KEY},
            path,
        )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Отметка уже «3» этого вида работы" in page
    assert "Исправление отметки: Смирнов А." in page  # named by the pupil…
    assert f"fix-{mark}" not in page and str(mark) + ":" not in page  # …not by an id
    assert written_since(system, before) == []
    assert "было «3», стало «3»" not in teacher.get(f"/journal/{web.school.course_id}/1").get_data(
        as_text=True
    )


def test_refused_correction_keeps_what_was_entered(system: System, web: WebSchool):
    lesson, mark = _marked(system, web)
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    with clock.travel(at(LESSON_DAY, 17)):
        refused = post(
            teacher,
            f"{path}/marks/{mark}/correct",
            {"value": "5", "kind": "test", "reason": "", "form_key": KEY},
            path,
        )
    assert refused.status_code == 422
    row = _row(refused.get_data(as_text=True), mark)
    assert "<option selected>5</option>" in row  # not the standing «3»
    assert "<option selected>3</option>" not in row
    assert re.search(r'<option value="test" selected>', row)
    assert "введённое сохранено в форме" in refused.get_data(as_text=True)

    with clock.travel(at(LESSON_DAY, 17)):  # «cancel» chosen stays chosen too
        refused = post(teacher, f"{path}/marks/{mark}/correct", {"value": "", "reason": "x"}, path)
    row = _row(refused.get_data(as_text=True), mark)
    assert '<option value="" selected>' in row


def test_refused_lesson_form_keeps_what_was_entered(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    with clock.travel(at(LESSON_DAY, 16)):
        refused = post(
            teacher,
            path,
            {
                "topic": "Новая тема",
                f"mark-{s.pupils[0]}": "4",
                f"kind-{s.pupils[0]}": "test",
                f"att-{s.pupils[1]}": "Н",
                f"mark-{s.pupils[2]}": "7",  # off the scale
            },
            path,
        )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'value="Новая тема"' in page
    select = page[page.index(f'name="mark-{s.pupils[0]}"') :]
    assert select[: select.index("</select>")].count("<option selected>4</option>") == 1
    kind = page[page.index(f'name="kind-{s.pupils[0]}"') :]
    assert '<option value="test" selected>' in kind[: kind.index("</select>")]
    att = page[page.index(f'name="att-{s.pupils[1]}"') :]
    assert '<option value="Н" selected ' in att[: att.index("</select>")]


def test_correction_sent_again_is_answered_as_the_first(system: System, web: WebSchool):
    lesson, mark = _marked(system, web)
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    form = {"value": "4", "kind": "answer", "reason": REASON, "form_key": KEY}
    before = system.journal.recorder.max_notification_id() or 0
    with clock.travel(at(LESSON_DAY, 17)):
        first = post(teacher, f"{path}/marks/{mark}/correct", form, path)
        again = post(teacher, f"{path}/marks/{mark}/correct", form, path)  # answer was lost
    assert first.status_code == again.status_code == 302
    assert "Отметка исправлена." in teacher.get(path).get_data(as_text=True)
    written = [t.rpartition(".")[2] for t in written_since(system, before)]
    assert written.count("MarkCorrected") == 1
    with clock.travel(at(LESSON_DAY, 17)):  # the same key with another value: a conflict
        other = post(teacher, f"{path}/marks/{mark}/correct", {**form, "value": "5"}, path)
    assert other.status_code == 409
    assert "уже отправлена с другими данными" in other.get_data(as_text=True)


def test_correction_request_sent_again_is_answered_as_the_first(system: System, web: WebSchool):
    lesson, mark = _marked(system, web)
    teacher = client_for(system, web, "teacher")
    path = f"/journal/lessons/{lesson}"
    form = {"value": "4", "kind": "answer", "reason": REASON, "form_key": KEY}
    with clock.travel(at(LESSON_DAY + timedelta(days=14), 10)):
        first = post(teacher, f"{path}/marks/{mark}/request", form, path)
        again = post(teacher, f"{path}/marks/{mark}/request", form, path)
    assert first.status_code == again.status_code == 302
    assert len(system.journal.queries.lesson(lesson).pending_requests) == 1


def test_lesson_past_the_deadline_is_read_only_with_a_request(system: System, web: WebSchool):
    lesson, mark = _marked(system, web)
    with clock.travel(at(LESSON_DAY, 16)):
        system.journal.entry.mark_attendance(
            lesson, {web.school.pupils[1]: "Б"}, web.school.teacher
        )
    teacher = client_for(system, web, "teacher")
    with clock.travel(at(LESSON_DAY + timedelta(days=14), 10)):
        page = teacher.get(f"/journal/lessons/{lesson}").get_data(as_text=True)
    assert "Срок внесения записей за этот урок истёк" in page
    assert 'name="mark-' not in page and 'name="att-' not in page
    assert "Сохранить урок" not in page
    assert 'id="topic" name="topic"' in page and "disabled" in page
    # the code read-only, its meaning on it and in the legend
    assert '<abbr title="Б — отсутствовал по болезни">Б</abbr>' in page
    assert "«Б» — отсутствовал по болезни" in page
    # past the own correction window too: only a request is offered, no «Исправить»
    assert ">Исправить</button>" not in page
    assert ">Запросить исправление</button>" in _row(page, mark)
    assert "Запросить разрешение на внесение записей" in page
    # within the deadline the same lesson is open
    with clock.travel(at(LESSON_DAY, 17)):
        page = teacher.get(f"/journal/lessons/{lesson}").get_data(as_text=True)
    assert 'name="mark-' in page and ">Исправить</button>" in page
    assert "Запросить разрешение" not in page


def test_late_entry_request_approved_then_entered(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = client_for(system, web, "teacher")
    deputy = client_for(system, web, "deputy")
    path = f"/journal/lessons/{lesson}"
    form = {"reason": "Была на курсах", "form_key": KEY}
    with clock.travel(at(LATE, 10)):
        refused = post(teacher, f"{path}/late-entry", {"reason": "", "form_key": KEY}, path)
        assert refused.status_code == 422
        asked = post(teacher, f"{path}/late-entry", form, path)
        again = post(teacher, f"{path}/late-entry", form, path)  # answer lost: sent again
        assert asked.status_code == again.status_code == 302
        page = teacher.get(path).get_data(as_text=True)
        assert "ожидает решения заместителя директора" in page
        assert 'name="mark-' not in page

        queue = deputy.get(APPROVALS).get_data(as_text=True)
        row = queue[queue.index('<tr id="late-') :]
        row = row[: row.index("</tr>")]
        for shown in ("Петрова А. И.", "5А, Математика", "16.09.2025", "Была на курсах"):
            assert shown in row
        request_id = re.search(r'<tr id="late-([0-9a-f-]{36})"', queue).group(1)
        done = post(deputy, f"{APPROVALS}/late/{request_id}", {"decision": "approve"}, APPROVALS)
        assert done.status_code == 302
        decided = deputy.get(APPROVALS).get_data(as_text=True)
        assert "разрешено до 28.09.2025" in decided

        page = teacher.get(path).get_data(as_text=True)
        assert "разрешено до 28.09.2025 включительно" in page
        assert 'name="mark-' in page
        saved = post(teacher, path, {"topic": "Дроби", f"mark-{s.pupils[0]}": "5"}, path)
    assert saved.status_code == 302
    assert [m.value for m in system.journal.queries.lesson(lesson).marks] == ["5"]
    history = [e.type for e in system.journal.queries.history(lesson)]
    assert history.count("LateEntryRequested") == 1
    # after the window the lesson is read-only again
    with clock.travel(at(LATE + timedelta(days=3), 10)):
        page = teacher.get(path).get_data(as_text=True)
    assert 'name="mark-' not in page and "Запросить разрешение" in page


def test_rejected_late_entry_request_says_why(system: System, web: WebSchool):
    lesson = web.school.hold()
    teacher = client_for(system, web, "teacher")
    deputy = client_for(system, web, "deputy")
    path = f"/journal/lessons/{lesson}"
    with clock.travel(at(LATE, 10)):
        post(teacher, f"{path}/late-entry", {"reason": "Была на курсах"}, path)
        queue = deputy.get(APPROVALS).get_data(as_text=True)
        request_id = re.search(r'<tr id="late-([0-9a-f-]{36})"', queue).group(1)
        missing = post(deputy, f"{APPROVALS}/late/{request_id}", {"decision": "reject"}, APPROVALS)
        assert missing.status_code == 422
        assert "Причина отказа" in missing.get_data(as_text=True)
        done = post(
            deputy,
            f"{APPROVALS}/late/{request_id}",
            {"decision": "reject", "reason": "Оценки уже выставлены"},
            APPROVALS,
        )
        assert done.status_code == 302
        page = teacher.get(path).get_data(as_text=True)
    assert "Прежний запрос отклонён: Оценки уже выставлены" in page
    assert 'name="mark-' not in page


def test_waiting_requests_link_to_their_lessons_decided_ones_name_them(
    system: System, web: WebSchool
):
    """Both queues of the approvals page: a request waiting for a decision links to its
    lesson; a decided one names the lesson without a link, with the decision and its time."""
    s, entry = web.school, system.journal.entry
    lessons = [s.hold(period=p) for p in (1, 2, 3, 4)]
    marked = lessons[:2]
    with clock.travel(at(LESSON_DAY, 16)):
        for lesson in marked:
            entry.save_lesson_page(
                lesson, "Дроби", "", [MarkEntry(s.pupils[0], "3", "answer")], {}, s.teacher
            )
    with clock.travel(at(LATE, 10)):
        corrections = [
            entry.request_correction(
                lesson,
                system.journal.queries.lesson(lesson).marks[0].mark_id,
                "4",
                "answer",
                "Пересчёт баллов",
                s.teacher,
            ).created[0]
            for lesson in marked
        ]
        late = [
            entry.request_late_entry(x, "Была на курсах", s.teacher).created[0] for x in lessons[2:]
        ]
    with clock.travel(at(LATE, 12)):
        entry.approve_correction(marked[0], corrections[0], s.deputy)
        entry.approve_late_entry(lessons[2], late[0], s.deputy)
        page = client_for(system, web, "deputy").get(APPROVALS).get_data(as_text=True)

    def row(text: str, after: int = 0) -> str:
        """The table row holding ``text`` (the first one past ``after``)."""
        found = page.index(text, after)
        return page[page.rindex("<tr", 0, found) : page.index("</tr>", found)]

    waiting = ((f'id="req-{corrections[1]}"', marked[1]), (f'id="late-{late[1]}"', lessons[3]))
    for start, lesson in waiting:
        assert f'href="/journal/lessons/{lesson}"' in row(start)
    for lesson in (marked[0], lessons[2]):
        assert f"/journal/lessons/{lesson}" not in page
    decisions = page.index("Последние решения")
    for period, decision in ((3, "разрешено до 28.09.2025"), (1, "согласовано")):
        decided = row(f"5А, Математика<br>16.09.2025, {period}-й урок", decisions)
        assert decision in decided and "<small>" in decided
