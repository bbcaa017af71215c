"""The JSON API through HTTP: each resource with its roles (a teacher's token on their own
journal and on another's, a parent's on their child's diary and on another's), bearer tokens
(revoked, locked, malformed, a session cookie instead), writes through the commands with
read-your-writes, and domain errors as JSON in Russian."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from domain import clock, ids
from domain.api_tokens import digest_of
from domain.lesson import MarkEntry
from ejournal.bootstrap import System, build
from ejournal.webapp import web_app
from projections.views import access_log
from tests.conftest import settings_for
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, api_token, bearer, build_web_school, sign_in, written_since

API = "/api/v1"


class Api:
    """A test client sending a role's bearer token with every request."""

    def __init__(self, system: System, token: str) -> None:
        self.client: FlaskClient = web_app(system, testing=True).test_client()
        self.headers = bearer(token)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(API + path, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.client.post(API + path, json=body, headers=self.headers, **kwargs)


def api(system: System, web: WebSchool, role: str) -> Api:
    return Api(system, api_token(system, web, role))


def is_json_error(response: Any, code: int) -> dict[str, Any]:
    assert response.status_code == code, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code
    assert any("а" <= ch <= "я" for ch in body["message"].lower()), body  # Russian
    return dict(body)


# --- lessons -----------------------------------------------------------------------------
def test_teacher_token_lists_and_reads_own_journal_only(system: System, web: WebSchool):
    s = web.school
    own, foreign = s.hold(), s.hold(course=s.other_course_id)
    teacher = api(system, web, "teacher")
    journals = teacher.get("/course-journals").get_json()
    assert [j["course_journal_id"] for j in journals] == [str(s.course_id)]
    listed = teacher.get(f"/course-journals/{s.course_id}/terms/1/lessons").get_json()
    assert [x["lesson_id"] for x in listed["lessons"]] == [str(own)]
    assert listed["term"]["starts"] == "2025-09-01"
    lesson = teacher.get(f"/lessons/{own}").get_json()
    assert lesson["topic"] == "Дроби" and lesson["day"] == LESSON_DAY.isoformat()
    assert {p["name"] for p in lesson["pupils"]} == {"Смирнов А.", "Кузнецова Д.", "Попов И."}
    is_json_error(teacher.get(f"/course-journals/{s.other_course_id}/terms/1/lessons"), 403)
    is_json_error(teacher.get(f"/lessons/{foreign}"), 403)
    is_json_error(teacher.get(f"/course-journals/{s.course_id}/terms/9/lessons"), 404)
    deputy = api(system, web, "deputy")  # "all" scope: another's journal, unknown ids 404
    assert deputy.get(f"/lessons/{foreign}").status_code == 200
    is_json_error(deputy.get(f"/lessons/{s.pupils[0]}"), 404)


def test_teacher_enters_a_lesson_and_reads_it_back(system: System, web: WebSchool):
    s = web.school
    teacher = api(system, web, "teacher")
    body = {"day": "2025-09-17", "period": 3, "topic": "Сравнение дробей", "homework": "№ 20"}
    with clock.travel(at(date(2025, 9, 17), 9)):
        created = teacher.post(f"/course-journals/{s.course_id}/lessons", body)
        again = teacher.post(f"/course-journals/{s.course_id}/lessons", body)
        other = teacher.post(f"/course-journals/{s.other_course_id}/lessons", body)
    assert created.status_code == 201, created.get_json()
    lesson = created.get_json()
    assert created.headers["Location"].endswith(f"{API}/lessons/{lesson['lesson_id']}")
    assert (lesson["topic"], lesson["homework"], lesson["period"]) == (
        "Сравнение дробей",
        "№ 20",
        3,
    )
    assert teacher.get(f"/lessons/{lesson['lesson_id']}").get_json() == lesson
    assert is_json_error(again, 409)["status"] == "AlreadyExists"
    is_json_error(other, 403)


# --- marks, corrections, attendance ------------------------------------------------------
def test_marks_are_recorded_and_shown_at_once(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = api(system, web, "teacher")
    marks = [
        {"student_id": str(s.pupils[0]), "value": "5", "kind": "test"},
        {"student_id": str(s.pupils[1]), "value": "4"},
    ]
    with clock.travel(at(LESSON_DAY, 16)):
        response = teacher.post(f"/lessons/{lesson}/marks", {"marks": marks})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    shown = {
        m["mark_id"]: (m["student_id"], m["value"], m["kind"]) for m in body["lesson"]["marks"]
    }
    assert [shown[i] for i in body["created"]] == [
        (str(s.pupils[0]), "5", "test"),
        (str(s.pupils[1]), "4", "answer"),  # the policy's default kind
    ]
    assert sorted(m.value for m in system.journal.queries.lesson(lesson).marks) == ["4", "5"]
    other = s.hold(course=s.other_course_id)
    with clock.travel(at(LESSON_DAY, 16)):
        refused = teacher.post(f"/lessons/{other}/marks", {"marks": marks[:1]})
    is_json_error(refused, 403)


def test_marks_sent_again_with_their_request_key_are_recorded_once(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = api(system, web, "teacher")
    body = {
        "marks": [
            {"student_id": str(s.pupils[0]), "value": "5"},
            {"student_id": str(s.pupils[0]), "value": "4", "kind": "test"},  # two for one pupil
        ],
        "request_key": "nightly-import-2025-09-16",
    }
    with clock.travel(at(LESSON_DAY, 16)):
        first = teacher.post(f"/lessons/{lesson}/marks", body)
        again = teacher.post(f"/lessons/{lesson}/marks", body)  # the first answer was lost
        assert first.status_code == again.status_code == 201, again.get_json()
        assert again.get_json()["created"] == first.get_json()["created"]
        assert sorted(m.value for m in system.journal.queries.lesson(lesson).marks) == ["4", "5"]
        other = {**body, "marks": [{"student_id": str(s.pupils[0]), "value": "2"}]}
        is_json_error(teacher.post(f"/lessons/{lesson}/marks", other), 409)
        fresh = teacher.post(f"/lessons/{lesson}/marks", {**body, "request_key": "x" * 16})
        assert fresh.status_code == 201  # a new key is a new request
        assert len(system.journal.queries.lesson(lesson).marks) == 4
        is_json_error(teacher.post(f"/lessons/{lesson}/marks", {**body, "request_key": "a b"}), 422)


def test_correct_cancel_and_request_with_reasons(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = api(system, web, "teacher")
    entries = [MarkEntry(p, "3", "answer") for p in s.pupils[:3]]
    with clock.travel(at(LESSON_DAY, 16)):
        first, second, third = s.journal.entry.record_marks(lesson, entries, s.teacher).created
        fixed = teacher.post(
            f"/lessons/{lesson}/marks/{first}/correction", {"value": "4", "reason": "Ошибка ввода"}
        )
        cancelled = teacher.post(
            f"/lessons/{lesson}/marks/{second}/cancellation", {"reason": "Не тот ученик"}
        )
        no_reason = teacher.post(f"/lessons/{lesson}/marks/{third}/correction", {"value": "4"})
    assert fixed.status_code == 201 and cancelled.status_code == 200
    marks = {m["mark_id"]: m for m in cancelled.get_json()["lesson"]["marks"]}
    (new,) = fixed.get_json()["created"]
    assert str(second) not in marks and str(first) not in marks
    assert marks[new] | {"changed_at": None} == marks[new] | {
        "value": "4",
        "corrected": True,
        "previous": "3",
        "reason": "Ошибка ввода",
        "changed_by": str(s.teacher),
        "changed_at": None,
    }
    assert is_json_error(no_reason, 422)["errors"] == {"reason": ["Обязательное поле."]}
    late = at(date(2025, 10, 20), 10)  # past the own-correction window
    with clock.travel(late):
        refused = teacher.post(
            f"/lessons/{lesson}/marks/{third}/correction", {"value": "5", "reason": "Пересдача"}
        )
        requested = teacher.post(
            f"/lessons/{lesson}/marks/{third}/correction-requests",
            {"value": "5", "reason": "Пересдача"},
        )
    assert is_json_error(refused, 422)["status"] == "CorrectionNeedsApproval"
    assert requested.status_code == 201
    pending = {
        m["mark_id"]: m["correction_pending"] for m in requested.get_json()["lesson"]["marks"]
    }
    assert pending[str(third)] is True
    unknown = teacher.post(f"/lessons/{lesson}/marks/{lesson}/cancellation", {"reason": "Нет"})
    assert is_json_error(unknown, 404)["status"] == "MarkNotFound"


def test_attendance_is_marked_and_bad_codes_refused(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    teacher = api(system, web, "teacher")
    with clock.travel(at(LESSON_DAY, 16)):
        done = teacher.post(
            f"/lessons/{lesson}/attendance",
            {"attendance": [{"student_id": str(s.pupils[2]), "code": "Н"}]},
        )
        before = system.journal.recorder.max_notification_id()
        bad = teacher.post(
            f"/lessons/{lesson}/attendance",
            {
                "attendance": [
                    {"student_id": str(s.pupils[0]), "code": "Б"},
                    {"student_id": str(s.pupils[1]), "code": "Х"},
                ]
            },
        )
        outsider = teacher.post(
            f"/lessons/{lesson}/attendance",
            {"attendance": [{"student_id": str(s.outsider), "code": "Н"}]},
        )
    assert done.status_code == 200
    assert done.get_json()["attendance"] == [{"student_id": str(s.pupils[2]), "code": "Н"}]
    assert is_json_error(bad, 422)["status"] == "UnknownAttendanceCode"
    assert is_json_error(outsider, 422)["status"] == "NotEnrolled"
    assert written_since(system, before) == []


# --- diary -------------------------------------------------------------------------------
def test_parent_token_reads_only_their_childs_diary(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 16)):
        s.journal.entry.record_marks(lesson, [MarkEntry(s.pupils[0], "5", "test")], s.teacher)
    parent = api(system, web, "parent")
    with clock.travel(at(LESSON_DAY, 18)):
        diary = parent.get(f"/students/{s.pupils[0]}/diary?term=1&since=2025-09-16T08:00")
        classmate = parent.get(f"/students/{s.pupils[1]}/diary")
        outsider = parent.get(f"/students/{s.outsider}/diary")
        journal = parent.get(f"/lessons/{lesson}")
    assert diary.status_code == 200, diary.get_json()
    body = diary.get_json()
    assert body["name"] == "Смирнов Артём" and body["term"]["number"] == 1
    (subject,) = body["subjects"]
    assert subject["subject"] == "Математика" and subject["average"] == 5.0
    assert [(m["value"], m["kind_title"]) for m in subject["marks"]] == [
        ("5", "Контрольная работа")
    ]
    assert [(n["what"], n["value"]) for n in body["news"]] == [("homework", "№ 12"), ("mark", "5")]
    for refused in (classmate, outsider, journal):
        is_json_error(refused, 403)
    assert system.views.read(access_log.accesses) == []  # a family's reading is not logged
    pupil = api(system, web, "pupil")
    assert pupil.get(f"/students/{s.pupils[0]}/diary").status_code == 200
    is_json_error(pupil.get(f"/students/{s.pupils[1]}/diary"), 403)


def test_the_week_through_the_api_lists_homework_on_its_due_day(system: System, web: WebSchool):
    """A lesson entered with a due date for its homework; the parent's week lists it on that
    day; a due date not after the lesson is refused with a Russian message."""
    s = web.school
    teacher, parent = api(system, web, "teacher"), api(system, web, "parent")
    lessons = f"/course-journals/{s.course_id}/lessons"
    body = {"day": "2025-09-16", "period": 3, "topic": "Дроби", "homework": "Доклад"}
    with clock.travel(at(LESSON_DAY, 10)):
        early = teacher.post(lessons, {**body, "homework_due": "2025-09-16"})
        made = teacher.post(lessons, {**body, "homework_due": "2025-09-19"})
    assert "позже дня урока" in is_json_error(early, 422)["message"]
    assert made.status_code == 201, made.get_json()
    with clock.travel(at(LESSON_DAY, 18)):
        week = parent.get(f"/students/{s.pupils[0]}/diary/week?day=2025-09-18")
        other = parent.get(f"/students/{s.pupils[1]}/diary/week")
    assert week.status_code == 200, week.get_json()
    found = week.get_json()
    assert found["monday"] == "2025-09-15" and len(found["days"]) == 6
    tuesday, friday = found["days"][1], found["days"][4]
    assert [(x["topic"], x["due"], x["due_estimated"]) for x in tuesday["lessons"]] == [
        ("Дроби", "2025-09-19", False)
    ]
    assert [(h["homework"], h["set_on"]) for h in friday["due"]] == [("Доклад", "2025-09-16")]
    is_json_error(other, 403)


def test_staff_reading_through_the_api_is_access_logged(system: System, web: WebSchool):
    s = web.school
    lesson = s.hold()
    api(system, web, "teacher").get(f"/lessons/{lesson}")
    api(system, web, "deputy").get(f"/students/{s.pupils[1]}/diary")
    rows = system.views.read(access_log.accesses)
    seen = {(r.actor, r.page, r.student_id) for r in rows}
    assert (str(s.teacher), f"{API}/lessons/{lesson}", str(s.pupils[2])) in seen
    assert (str(s.deputy), f"{API}/students/{s.pupils[1]}/diary", str(s.pupils[1])) in seen


# --- tokens ------------------------------------------------------------------------------
def test_revoked_and_locked_tokens_get_401(system: System, web: WebSchool):
    s = web.school
    teacher_token, deputy_token = (
        api_token(system, web, "teacher"),
        api_token(system, web, "deputy"),
    )
    teacher, deputy = Api(system, teacher_token), Api(system, deputy_token)
    assert teacher.get("/course-journals").status_code == 200
    token_id = ids.api_token_id(digest_of(teacher_token))
    system.journal.tokens.revoke_api_token(token_id, "утечка", s.admin)
    assert "отозван" in is_json_error(teacher.get("/course-journals"), 401)["message"]
    assert deputy.get("/course-journals").status_code == 200
    system.journal.accounts.lock_account(s.deputy, "увольнение", s.admin)
    assert "заблокирована" in is_json_error(deputy.get("/course-journals"), 401)["message"]
    system.journal.accounts.unlock_account(s.deputy, s.admin)
    assert deputy.get("/course-journals").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ejt_" + "A" * 43,  # the right shape, never issued
        "Bearer not-a-token",
        "Basic dGVhY2hlcjp0ZWFjaGVyLXBhc3MtMQ==",
    ],
)
def test_missing_or_bad_authorization_gets_401(system: System, web: WebSchool, header):
    client = web_app(system, testing=True).test_client()
    response = client.get(
        f"{API}/course-journals", headers={"Authorization": header} if header else {}
    )
    is_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_session_cookie_is_not_accepted_by_the_api_nor_a_token_by_pages(
    system: System, web: WebSchool
):
    client = web_app(system, testing=True).test_client()
    sign_in(client, *web.logins["teacher"])
    assert client.get("/journal/").status_code == 200
    is_json_error(client.get(f"{API}/course-journals"), 401)
    lesson = web.school.hold()
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LESSON_DAY, 16)):
        response = client.post(f"{API}/lessons/{lesson}/marks", json={"marks": []})
    is_json_error(response, 401)
    assert written_since(system, before) == []
    stranger = web_app(system, testing=True).test_client()
    page = stranger.get("/journal/", headers=bearer(api_token(system, web, "teacher")))
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_person_issues_only_their_own_token_and_only_the_digest_is_kept(
    system: System, web: WebSchool
):
    from domain import errors

    s = web.school
    before = system.journal.recorder.max_notification_id()
    with pytest.raises(errors.TokenForAnotherPerson):
        system.journal.tokens.issue_api_token(s.teacher, "чужой", s.admin)
    with pytest.raises(errors.TokenForAnotherPerson):
        system.journal.tokens.issue_api_token(s.teacher, "чужой", s.deputy)
    assert written_since(system, before) == []
    issued = system.journal.tokens.issue_api_token(s.teacher, "портал", s.teacher)
    assert system.journal.tokens.authenticate_token(issued.token).id == s.teacher
    stored = system.journal.recorder.select_notifications(issued.position, 1)[0].state
    assert issued.token.encode() not in stored  # encrypted, and only the digest inside
    (event,) = [e for e in system.journal.queries.history(issued.id) if e.type == "Issued"]
    assert issued.token not in str(event.values) and len(event.values["digest"]) == 64
    (shown,) = system.views.reads.audit.history(str(issued.id))  # what the auditor's pages show
    assert "digest" not in shown.values and shown.values["name"] == "портал"
    with pytest.raises(errors.InvalidToken):
        system.journal.tokens.authenticate_token(issued.token[:-1] + "x")


# --- bad input: 422, JSON, Russian, nothing written --------------------------------------
@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, WebSchool, Any]]:
    """One school for the tests that must write nothing: (system, web, a lesson)."""
    with build(settings_for(tmp_path_factory.mktemp("api"))) as system:
        web = build_web_school(system.journal)
        yield system, web, web.school.hold()


PUPIL = "{pupil}"
GOOD_MARK = '{"student_id": "{pupil}", "value": "5"}'
BAD_MARKS = [
    ('{"marks": [', "json"),  # not JSON
    ('{"marks": NaN}', "json"),  # not JSON either
    (b'{"marks": "\xff"}', "json"),  # not UTF-8
    ('{"marks": [' + GOOD_MARK + '], "marks": []}', "marks"),  # a key twice
    ('{"marks": [{"student_id": "{pupil}", "value": "5", "value": "2"}]}', "value"),
    ('{"marks": [{"student_id": 1, "value": 5}]}', "marks.0.student_id"),  # wrong types
    ('{"marks": [{"student_id": "{pupil}", "value": 5}]}', "marks.0.value"),
    ('{"marks": "5"}', "marks"),
    ('{"marks": null}', "marks"),
    ('{"marks": []}', "marks"),
    ('{"marks": [5]}', "marks.0._schema"),
    ("[1, 2]", "_schema"),
    ("", "marks"),  # no body
    ('{"marks": [' + GOOD_MARK + '], "extra": 1}', "extra"),  # unknown fields
    ('{"marks": [{"student_id": "{pupil}", "value": "5", "weight": 3}]}', "marks.0.weight"),
    ('{"marks": [{"student_id": "{pupil}", "value": "<b>5</b>"}]}', "marks.0.value"),
    ('{"marks": [{"student_id": "{pupil}", "value": "' + "5" * 9 + '"}]}', "marks.0.value"),
]


@pytest.mark.parametrize(("raw", "field"), BAD_MARKS)
def test_bad_marks_input_is_422_in_russian_and_writes_nothing(shared, raw, field):
    system, web, lesson = shared
    s = web.school
    teacher = api(system, web, "teacher")
    data = raw.replace(PUPIL, str(s.pupils[0])) if isinstance(raw, str) else raw
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(LESSON_DAY, 16)):
        response = teacher.client.post(
            f"{API}/lessons/{lesson}/marks",
            data=data,
            content_type="application/json",
            headers=teacher.headers,
        )
    body = is_json_error(response, 422)
    assert field in body["errors"], body
    assert all(_russian(m) for ms in body["errors"].values() for m in ms), body
    assert written_since(system, before) == []


def _russian(text: str) -> bool:
    return any("а" <= ch <= "я" for ch in text.lower())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": "3"}, "period"),
        ({"period": True}, "period"),
        ({"period": 2.5}, "period"),
        ({"period": 13}, "period"),
        ({"day": "17.09.2025"}, "day"),
        ({"topic": ""}, "topic"),
        ({"topic": "<script>alert(1)</script>"}, "topic"),
        ({"homework": "x" * 501}, "homework"),
        ({"lesson_id": "00000000-0000-0000-0000-000000000000"}, "lesson_id"),
    ],
)
def test_bad_lesson_input_is_422(shared, change, field):
    system, web, _ = shared
    teacher = api(system, web, "teacher")
    body = {"day": "2025-09-17", "period": 3, "topic": "Тема", **change}
    before = system.journal.recorder.max_notification_id()
    with clock.travel(at(date(2025, 9, 17), 9)):
        response = teacher.post(f"/course-journals/{web.school.course_id}/lessons", body)
    assert field in is_json_error(response, 422)["errors"]
    assert written_since(system, before) == []


def test_form_data_and_bad_queries_are_422(shared):
    system, web, lesson = shared
    s = web.school
    teacher, parent = api(system, web, "teacher"), api(system, web, "parent")
    form = teacher.client.post(
        f"{API}/lessons/{lesson}/marks", data={"marks": "5"}, headers=teacher.headers
    )
    assert "json" in is_json_error(form, 422)["errors"]
    diary = f"/students/{s.pupils[0]}/diary"
    assert "term" in is_json_error(parent.get(diary + "?term=1&term=2"), 422)["errors"]
    assert "term" in is_json_error(parent.get(diary + "?term=first"), 422)["errors"]
    assert "since" in is_json_error(parent.get(diary + "?since=вчера"), 422)["errors"]


def test_errors_are_json_never_html_nor_a_trace(system: System, web: WebSchool, monkeypatch):
    teacher = api(system, web, "teacher")
    is_json_error(teacher.get("/no-such-thing"), 404)
    gone = teacher.client.delete(f"{API}/course-journals", headers=teacher.headers)
    assert "GET" in is_json_error(gone, 405)["message"] + gone.headers["Allow"]
    import web.api.lessons as resource

    def explode(_lesson_id: Any) -> None:
        raise RuntimeError("Смирнов Артём secret")

    monkeypatch.setattr(resource, "lesson_detail", explode)
    crashed = teacher.get(f"/lessons/{web.school.hold()}")
    body = is_json_error(crashed, 500)
    assert "Смирнов" not in crashed.get_data(as_text=True) and "Traceback" not in str(body)
