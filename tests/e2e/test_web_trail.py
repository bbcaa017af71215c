"""The auditor's trail (issue 17 item 8): every mark in the grid, the class journal and a
staff member's view of a diary links to its history; the history is found by the mark's id,
in Russian words with the pupil's name and times in the school's time zone; a proof of an
event no checkpoint covers yet says so in Russian."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

import pytest

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from ejournal.settings import Settings, SettingsError
from projections.views.history import HistoryRow
from tests.school import LESSON_DAY, at
from tests.web import WebSchool, client_for
from web import audit
from web.trail import EVENTS, Words

RAW = ("MarkRecorded", "MarkCorrected", "Lesson.", "+00:00", "student_id", "T11:")


def _marks(system: System, web: WebSchool) -> tuple[UUID, UUID, UUID]:
    """A lesson of 16.09.2025 with a mark «3» (test) entered at 14:00 Moscow time and
    corrected to «4» at 14:30: (lesson, first mark, correcting mark)."""
    s = web.school
    lesson = s.hold()
    with clock.travel(at(LESSON_DAY, 14)):
        first = system.journal.entry.record_marks(
            lesson, [MarkEntry(s.pupils[0], "3", "test")], s.teacher
        ).created[0]
    with clock.travel(at(LESSON_DAY, 14) + timedelta(minutes=30)):
        system.journal.entry.correct_mark(lesson, first, "4", "test", "пересчёт баллов", s.teacher)
    system.views.catch_up()
    second = next(m.mark_id for m in system.journal.queries.lesson(lesson).marks if m.current)
    return lesson, first, second


def test_a_mark_links_to_its_history_for_an_auditor_and_not_for_a_teacher(
    system: System, web: WebSchool
) -> None:
    _, _, second = _marks(system, web)
    s = web.school
    link = f'href="/audit/marks/{second}"'
    auditor = client_for(system, web, "auditor")
    for path in (
        f"/journal/{s.course_id}/1",
        f"/classes/{s.class_id}/journal/1",
        f"/diary/{s.pupils[0]}?week=2025-09-15",
        f"/diary/{s.pupils[0]}?term=1",
    ):
        page = auditor.get(path)
        assert page.status_code == 200, path
        assert link in page.get_data(as_text=True), path
    teacher = client_for(system, web, "teacher")
    grid = teacher.get(f"/journal/{s.course_id}/1").get_data(as_text=True)
    assert "/audit/marks/" not in grid
    parent = client_for(system, web, "parent")
    assert "/audit/marks/" not in parent.get(f"/diary/{s.pupils[0]}").get_data(as_text=True)
    assert teacher.get(f"/audit/marks/{second}").status_code == 403


def test_a_marks_history_by_its_id_in_russian_with_the_pupil_and_school_time(
    system: System, web: WebSchool
) -> None:
    lesson, first, second = _marks(system, web)
    auditor = client_for(system, web, "auditor")
    page = auditor.get(f"/audit/marks/{second}").get_data(as_text=True)
    assert "Отметка выставлена: 3 (контрольная работа)" in page
    assert (
        "Исправлена: 3 (контрольная работа) → 4 (контрольная работа), причина: пересчёт баллов"
        in page
    )
    name = system.views.reads.people.name(str(web.school.pupils[0]), short=True)
    assert f"Обучающийся: {name}" in page
    assert "Урок: 16.09.2025, 2-й урок" in page
    assert "16.09.2025 14:00" in page and "16.09.2025 14:30" in page  # Moscow, not 11:00 UTC
    assert [raw for raw in RAW if raw in page] == []
    # The same trail from the first mark of the chain; the lesson's id gives the whole lesson.
    assert auditor.get(f"/audit/marks/{first}").get_data(as_text=True).count("<tr>") == page.count(
        "<tr>"
    )
    assert auditor.get(f"/audit/marks/{lesson}").status_code == 404
    found = auditor.get(f"/audit/records?id={second}")
    assert found.headers["Location"].endswith(f"/audit/marks/{second}")
    # Seeing the pupil's name is an access to personal data.
    log = system.views.reads.audit.accesses(student_id=str(web.school.pupils[0]))
    assert any(r.page.startswith(f"/audit/marks/{second}") for r in log)


def test_the_school_time_zone_is_a_setting(system: System, web: WebSchool) -> None:
    _, _, second = _marks(system, web)
    assert Settings.from_env({}).timezone == "Europe/Moscow"
    with pytest.raises(SettingsError, match="EJOURNAL_TIMEZONE"):
        Settings.from_env({"EJOURNAL_TIMEZONE": "Mars/Olympus"})
    auditor = client_for(system, web, "auditor")
    clock.set_school_zone("Asia/Yekaterinburg")
    try:
        page = auditor.get(f"/audit/marks/{second}").get_data(as_text=True)
    finally:
        clock.set_school_zone(clock.DEFAULT_ZONE)
    assert "16.09.2025 16:00" in page and "16.09.2025 14:00" not in page


def test_a_proof_of_an_event_not_yet_under_a_checkpoint_says_so_in_russian(
    system: System, web: WebSchool
) -> None:
    _, _, second = _marks(system, web)
    auditor = client_for(system, web, "auditor")
    auditor.application.config["EJOURNAL_PROOF_WAIT"] = 0
    page = auditor.get(f"/audit/marks/{second}").get_data(as_text=True)
    position = re.findall(r"/audit/proof/(\d+)\.json", page)[-1]
    early = auditor.get(f"/audit/proof/{position}.json")
    assert early.status_code == 409
    text = early.get_data(as_text=True)
    assert f"Событие № {position} ещё не вошло в подписанную контрольную точку" in text
    assert "error" not in early.headers["Content-Type"] and "html" in early.headers["Content-Type"]
    missing = auditor.get("/audit/proof/999999.json")
    assert missing.status_code == 404 and "События № 999999 нет." in missing.get_data(as_text=True)
    system.ledger.checkpoint()
    proof = auditor.get(f"/audit/proof/{position}.json").get_json()
    assert proof["position"] == int(position)


def _row(type_: str, **values: object) -> HistoryRow:
    return HistoryRow(
        position=1,
        version=1,
        time=None,
        actor=None,
        type=type_,
        reason="",
        values=dict(values),
        before={},
        after={},
        aggregate="Lesson",
    )


def test_pupil_names_only_to_those_allowed_and_no_event_class_names(system: System) -> None:
    grading = system.journal.policies.grading
    hidden = Words(name=lambda _: "Смирнов А.", grading=grading, pupils=False)
    shown = Words(name=lambda _: "Смирнов А.", grading=grading, pupils=True)
    row = _row("MarkRecorded", student_id="p-1", value="5", kind="test")
    assert hidden.summary(row) == "Отметка выставлена: 5 (контрольная работа)"
    assert ("Обучающийся", "обучающийся (имя скрыто)") in hidden.details(row)
    assert ("Обучающийся", "Смирнов А.") in shown.details(row)
    # A newer event no list knows is «Изменение записи», never its class name.
    assert shown.summary(_row("SomethingNew", x=1)) == "Изменение записи"
    assert all(
        not re.search(r"[A-Za-z]", str(title)) or "API" in str(title) for title in EVENTS.values()
    )


def test_a_proof_waits_for_the_checkpoint_that_covers_its_event(
    system: System, web: WebSchool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, second = _marks(system, web)
    auditor = client_for(system, web, "auditor")
    page = auditor.get(f"/audit/marks/{second}").get_data(as_text=True)
    position = int(re.findall(r"/audit/proof/(\d+)\.json", page)[-1])
    waits: list[float] = []

    def checkpoint_meanwhile(seconds: float) -> None:  # the worker signs while the page waits
        waits.append(seconds)
        system.ledger.checkpoint()

    monkeypatch.setattr(audit.time, "sleep", checkpoint_meanwhile)
    proof = auditor.get(f"/audit/proof/{position}.json")
    assert proof.status_code == 200 and proof.get_json()["position"] == position
    assert len(waits) == 1
