"""Holds and personal data reach the annual archive's volumes: a volume records whom it
names, so a hold on a pupil holds that pupil's printout and summary sheet; a pupil named
only in a kept summary sheet keeps their identity after the journals are destroyed; an
active employee's account is never due; and the personal-data act says where data stays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest

from domain import clock, errors, ids
from ejournal.archiving import archiver
from ejournal.bootstrap import System, build
from projections.queries import records_register as rq
from retention.archive.service import record_volume_mentions
from retention.service import act_stems
from tests.archive_helpers import complete_school, demo_pki, pdf_text
from tests.conftest import settings_for
from tests.school import School, at

ARCHIVE_DAY = at(date(2026, 6, 5), 11)
PRINTOUT_5A = "printout/2025-26/5А"
SUMMARY_5A = "summary/2025-26/5А"
JOURNAL_5A = "journal/2025-26/5А"


@dataclass
class Archived:
    system: System
    school: School
    late: UUID  # enrolled on 21 May: no marks, named only by the class list and volumes
    archivist: UUID
    assistant: UUID  # a second teacher of 5А's course: named only by its journal and printout


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    settings = settings_for(tmp_path_factory.mktemp("volumes"))
    demo_pki(settings)
    with build(settings) as system:
        data = complete_school(system)
        j, s = system.journal, data.school
        with clock.travel(at(date(2026, 5, 21))):
            late = j.people.register_student("Новикова", "Вера", "", date(2014, 2, 2), s.admin).id
            j.classes.enrol(s.class_id, late, date(2026, 5, 21), s.admin)
            archivist = j.accounts.create_account(
                "archivist", "Архивова", "Анна", "", ["archivist"], "arhivarius-secret-1", s.admin
            ).id
            j.accounts.confirm_role_grant(archivist, "archivist", s.head)  # a privileged role
            assistant = j.accounts.create_account(
                "teacher3", "Помощникова", "Ирина", "", ["teacher"], "pomoshnik-secret-3", s.admin
            ).id
            j.classes.assign_teacher(s.course_id, assistant, s.admin)
        with clock.travel(ARCHIVE_DAY):
            archiver(system).close_year(
                s.year_id, s.head, force=True, reason="Ученица прибыла 21.05"
            )
        yield Archived(system, s, late, archivist, assistant)


def entries(a: Archived, day: date) -> dict[str, rq.RegisterEntry]:
    return {e.series: e for e in a.system.records.register(day)}


def test_a_volume_records_the_pupils_and_teachers_it_names(archived: Archived) -> None:
    a = archived
    register = entries(a, date(2027, 1, 1))
    pupils = {str(p) for p in a.school.pupils} | {str(a.late)}
    assert pupils <= register[PRINTOUT_5A].subjects
    assert pupils <= register[SUMMARY_5A].subjects
    assert str(a.school.teacher) in register[PRINTOUT_5A].subjects
    with a.system.views.reader() as reader:
        assert PRINTOUT_5A in rq.mentioning(reader, f"person/{a.late}")
        assert SUMMARY_5A in rq.mentioning(reader, f"person/{a.late}")
    # Already recorded at capture: the upgrade step finds nothing to add.
    assert record_volume_mentions(a.system.journal, a.system.views, a.school.head) == 0


def test_a_hold_on_a_pupil_holds_every_volume_and_file_naming_them(archived: Archived) -> None:
    a, j = archived, archived.system.journal
    hold = j.retention.place_hold(
        "pupil", str(a.late), "Запрос суда по делу № 2-15/2031", a.school.head
    ).id
    try:
        day = date(2032, 1, 2)
        register = entries(a, day)
        for series in (JOURNAL_5A, PRINTOUT_5A, SUMMARY_5A, f"person/{a.late}"):
            assert register[series].holds == (str(hold),), series
        assert register[PRINTOUT_5A].files >= 1  # its signed PDF stays with it
        plan = a.system.records.plan(day)
        assert PRINTOUT_5A in {line.entry.series for line in plan.held}
        assert PRINTOUT_5A not in {line.entry.series for line in plan.executable}
        with clock.travel(at(day)), pytest.raises(errors.SeriesOnHold):
            j.retention.propose_disposition([line.item() for line in plan.held], day, a.archivist)
    finally:
        j.retention.release_hold(hold, "Дело рассмотрено", a.school.head)


def _dispose(a: Archived, day: date, wanted: set[str]) -> dict:
    with clock.travel(at(day)):
        [proposal] = a.system.records.propose(a.archivist, series=sorted(wanted))
        a.system.journal.retention.approve_disposition(proposal, a.school.head, "7", clock.today())
        return a.system.records.execute(proposal, a.archivist)


def test_after_the_journals_go_people_named_in_a_kept_summary_sheet_and_staff_stay(
    archived: Archived,
) -> None:
    a, j = archived, archived.system.journal
    day = date(2032, 1, 2)
    plan = a.system.records.plan(day)
    five_years = {
        line.entry.series
        for line in plan.executable
        if line.record_class.name in ("class-journal", "annual-printout", "extracurricular-journal")
    }
    assert {JOURNAL_5A, PRINTOUT_5A} <= five_years and SUMMARY_5A not in five_years
    _dispose(a, day, five_years)

    after = entries(a, date(2032, 1, 3))
    # Новикова has no marks: only the class list and the volumes named her. The summary
    # sheet that names her is kept until 2052, and so is her identity.
    assert after[f"person/{a.late}"].state == "open"
    for pupil in a.school.pupils:
        assert after[f"person/{pupil}"].state == "open"
    due_people = {
        line.entry.series
        for line in a.system.records.plan(date(2032, 1, 3)).executable
        if line.entry.series.startswith("person/")
    }
    assert f"person/{a.late}" not in due_people
    # The second teacher of 5А: every record naming her is gone, but she still works here.
    teacher = f"person/{a.assistant}"
    with a.system.views.reader() as reader:
        named_by = rq.mentioning(reader, teacher)
    assert {JOURNAL_5A, PRINTOUT_5A} <= set(named_by)
    assert all(after[s].state in rq.DISPOSED for s in named_by), named_by
    assert after[teacher].state == "open" and teacher not in due_people
    # A lock after failed logins (with an end) leaves her active…
    with clock.travel(at(date(2032, 1, 3))):
        j.accounts.lock_account(
            a.assistant, "Подбор пароля", a.school.admin, until=at(date(2032, 1, 4))
        )
    assert entries(a, date(2032, 1, 3))[teacher].state == "open"
    # …locked for good (she left the school), her account is due like anyone's.
    with clock.travel(at(date(2032, 1, 3), 12)):
        j.accounts.unlock_account(a.assistant, a.school.admin)
        j.accounts.lock_account(a.assistant, "Уволена, приказ № 12-к", a.school.admin)
    assert entries(a, date(2032, 1, 3))[teacher].state == "due"


def test_the_personal_data_act_says_where_data_remains(archived: Archived) -> None:
    a = archived
    day = date(2052, 1, 2)
    plan = a.system.records.plan(day)
    summaries = {
        line.entry.series for line in plan.executable if line.record_class.name == "summary-sheet"
    }
    assert SUMMARY_5A in summaries
    _dispose(a, day, summaries)
    person = f"person/{a.late}"
    assert entries(a, date(2052, 1, 3))[person].state == "due"
    certificate = _dispose(a, date(2052, 1, 3), {person})
    [subject] = certificate["personal_data"]
    assert subject["remains"] == []  # every record naming her was destroyed here
    folder = a.system.settings.certificates_dir
    text = " ".join(pdf_text(folder / f"{act_stems(certificate)[1]}.pdf").split())
    assert "Где сведения о субъектах остаются" in text
    assert "уничтожены или переданы в архив" in text
    assert "журналы доступа к" in text and "резервные копии" in text
    assert "реестр" in text and "постоянно" in text
    assert ids.person_series(a.late) == person
