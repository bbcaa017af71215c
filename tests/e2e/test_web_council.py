"""The pedagogical council's decisions through HTTP (deputy head, head): the page lists the
class's pupils with their year's standing and decisions; one form records the decisions
chosen under one protocol; bad input gets a Russian message and nothing is written; the
teacher may not open it; closing the year lists the pupils still without a decision."""

from __future__ import annotations

from datetime import date

from domain import clock
from ejournal.bootstrap import System
from tests.school import at
from tests.web import WebSchool, client_for, post, written_since

COUNCIL_DAY = date(2026, 5, 28)


def _page(web: WebSchool) -> str:
    return f"/classes/{web.school.class_id}/council"


def test_the_deputy_records_decisions_and_the_page_shows_them(system: System, web: WebSchool):
    s = web.school
    deputy = client_for(system, web, "deputy")
    p0, p1, p2 = (str(p) for p in s.pupils)
    with clock.travel(at(COUNCIL_DAY, 16)):
        page = deputy.get(_page(web)).get_data(as_text=True)
        assert "Решения педагогического совета: 5А" in page
        assert page.count("нет решения") >= 3 and "Смирнов Артём" in page
        done = post(
            deputy,
            _page(web),
            {
                f"decision-{p2}": "retained",
                "everyone": "promoted",
                "protocol_no": "7",
                "protocol_date": "2026-05-28",
            },
            _page(web),
        )
        assert done.status_code == 302, done.get_data(as_text=True)
        page = deputy.get(_page(web)).get_data(as_text=True)
    assert "обучающихся: 3" in page
    row = page[page.index(f'id="pupil-{p2}"') :]
    assert "оставлен(а) на повторное обучение" in row[: row.index("</tr>")]
    assert "протокол № 7 от 28.05.2026" in row
    row = page[page.index(f'id="pupil-{p0}"') :]
    assert "переведён(а) в следующий класс" in row[: row.index("</tr>")]
    sheet = system.views.reads.reports.summary_sheet(str(s.class_id))
    assert {p: d.decision for p, d in sheet.decisions.items()} == {
        p0: "promoted",
        p1: "promoted",
        p2: "retained",
    }


def test_bad_input_is_refused_in_russian_and_nothing_is_written(system: System, web: WebSchool):
    deputy = client_for(system, web, "deputy")
    p0 = str(web.school.pupils[0])
    cases = [
        ({f"decision-{p0}": "promoted", "protocol_date": "2026-05-28"}, "Обязательное поле"),
        (
            {f"decision-{p0}": "promoted", "protocol_no": "7", "protocol_date": "28.05"},
            "ГГГГ-ММ-ДД",
        ),
        (
            {f"decision-{p0}": "expelled", "protocol_no": "7", "protocol_date": "2026-05-28"},
            "Выберите решение из списка",
        ),
        ({"protocol_no": "7", "protocol_date": "2026-05-28"}, "хотя бы для одного"),
        (
            {f"decision-{p0}": "promoted", "protocol_no": "7", "protocol_date": "2026-06-30"},
            "не может быть позже сегодняшнего дня",
        ),
    ]
    with clock.travel(at(COUNCIL_DAY, 16)):
        deputy.get(_page(web))
        for data, message in cases:
            position = system.journal.recorder.max_notification_id() or 0
            answer = post(deputy, _page(web), data, _page(web))
            assert answer.status_code == 422, (data, answer.status_code)
            text = answer.get_data(as_text=True)
            assert message in text, (data, message)
            assert "в журнал ничего не записано" in text
            assert written_since(system, position) == []


def test_a_changed_decision_needs_a_reason(system: System, web: WebSchool):
    deputy = client_for(system, web, "deputy")
    p0 = str(web.school.pupils[0])
    form = {f"decision-{p0}": "conditional", "protocol_no": "7", "protocol_date": "2026-05-28"}
    with clock.travel(at(COUNCIL_DAY, 16)):
        assert post(deputy, _page(web), form, _page(web)).status_code == 302
        form[f"decision-{p0}"] = "promoted"
        refused = post(deputy, _page(web), form, _page(web))
        assert refused.status_code == 422
        assert "причин" in refused.get_data(as_text=True).lower()
        form["reason"] = "Задолженность ликвидирована"
        assert post(deputy, _page(web), form, _page(web)).status_code == 302


def test_the_teacher_may_not_open_it_and_a_group_has_none(system: System, web: WebSchool):
    teacher = client_for(system, web, "teacher")
    assert teacher.get(_page(web)).status_code == 403
    deputy = client_for(system, web, "deputy")
    assert deputy.get(f"/classes/{web.school.course_id}/council").status_code == 404


def test_the_close_year_page_lists_pupils_without_a_decision(system: System, web: WebSchool):
    deputy = client_for(system, web, "deputy")
    with clock.travel(at(COUNCIL_DAY, 16)):
        page = deputy.get("/records/year?year=2025/26").get_data(as_text=True)
    assert "Нет решения педагогического совета: 4" in page
    assert "5Б: Чужой Пётр" in page and _page(web) in page
