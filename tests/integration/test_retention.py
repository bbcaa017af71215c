"""Retention on both backends: due dates under time travel, holds, and what an execution
leaves behind — unreadable records, no view rows, no plaintext in a database dump or the
archive folder, a ledger that still verifies, untouched neighbours and an exact
certificate."""

from __future__ import annotations

import subprocess
from datetime import date
from uuid import UUID

import pytest

from domain import clock, errors
from domain.lesson import Lesson
from ejournal.bootstrap import System
from projections.views import catalog, grid
from projections.views import history as history_view
from tests.retention_school import (
    FILE_5A,
    FILE_5B,
    JOURNAL_5A,
    JOURNAL_5B,
    REASON_5A,
    SUMMARY_5A,
    TOPIC_5A,
    TOPIC_5B,
    History,
    make_history,
    person,
)
from tests.school import at


def states(system: System, day: date) -> dict[str, str]:
    return {e.series: e.state for e in system.records.register(day)}


def dispose(system: System, h: History, day: date, *series: str) -> dict:
    """Propose ``series`` on ``day`` (the archivist), approve (the head), execute."""
    with clock.travel(at(day)):
        [proposal] = system.records.propose(h.archivist, series=series)
        system.journal.retention.approve_disposition(proposal, h.school.head, "7", clock.today())
        return system.records.execute(proposal, h.archivist)


@pytest.fixture
def h(system: System) -> History:
    return make_history(system)


def test_a_journal_is_due_five_years_after_cut_off_and_a_summary_sheet_after_25(
    system: System, h: History
) -> None:
    assert states(system, date(2031, 12, 31))[JOURNAL_5A] == "closed"
    assert states(system, date(2032, 1, 1))[JOURNAL_5A] == "due"
    assert states(system, date(2032, 1, 1))[SUMMARY_5A] == "closed"
    assert states(system, date(2051, 12, 31))[SUMMARY_5A] == "closed"
    assert states(system, date(2052, 1, 1))[SUMMARY_5A] == "due"
    due = {line.entry.series for line in system.records.plan(date(2032, 1, 1)).executable}
    assert due == {JOURNAL_5A, JOURNAL_5B}


def test_a_pupils_identity_is_kept_while_any_record_of_theirs_is(system: System, h: History):
    pupil = person(h.school.pupils[0])
    dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    assert system.keyring.store.by_series(pupil).wrapped is not None
    later = states(system, date(2050, 1, 1))
    assert later[pupil] == "open" and later[JOURNAL_5A] == "destroyed"
    assert system.journal.queries.student(h.school.pupils[0]).surname == "Смирнов"
    planned = {line.entry.series for line in system.records.plan(date(2052, 1, 1)).executable}
    assert pupil not in planned and SUMMARY_5A in planned

    dispose(system, h, date(2052, 1, 2), SUMMARY_5A)
    planned = {line.entry.series for line in system.records.plan(date(2052, 1, 3)).executable}
    assert pupil in planned
    assert person(h.school.outsider) not in planned  # 5Б's records are all still kept
    assert person(h.guardian) not in planned  # kept while the pupil's identity is
    certificate = dispose(system, h, date(2052, 1, 3), pupil)
    assert certificate["personal_data"][0]["kind"] == "Student"
    with pytest.raises(errors.RecordDestroyed):
        system.journal.queries.student(h.school.pupils[0])
    planned = {line.entry.series for line in system.records.plan(date(2052, 1, 4)).executable}
    assert person(h.guardian) in planned


def test_a_held_series_is_never_executable_and_executing_it_is_refused_and_recorded(
    system: System, h: History
) -> None:
    j, records = system.journal, system.records
    with clock.travel(at(date(2032, 1, 2))):
        hold = j.retention.place_hold(
            "pupil", str(h.school.pupils[1]), "Запрос суда № 5", h.school.head
        ).id
        plan = records.plan()
        assert [line.entry.series for line in plan.held] == [JOURNAL_5A]
        assert [line.entry.series for line in plan.executable] == [JOURNAL_5B]
        with pytest.raises(errors.NothingToPropose):
            records.propose(h.archivist, series=[JOURNAL_5A])
        j.retention.release_hold(hold, "Дело закрыто", h.school.head)
        [proposal] = records.propose(h.archivist, series=[JOURNAL_5A])
        j.retention.approve_disposition(proposal, h.school.deputy, "7", clock.today())
        j.retention.place_hold("series", JOURNAL_5A, "Проверка прокуратуры", h.school.head)
        assert JOURNAL_5A not in {line.entry.series for line in records.plan().executable}
        before = j.recorder.max_notification_id()
        with pytest.raises(errors.SeriesOnHold):
            records.execute(proposal, h.archivist)
    assert j.recorder.max_notification_id() == before + 1
    refused = j.queries.history(proposal)[-1]
    assert (refused.type, refused.actor, refused.values["held"]) == (
        "ExecutionRefused",
        h.archivist,
        [JOURNAL_5A],
    )
    assert system.keyring.store.by_series(JOURNAL_5A).wrapped is not None
    assert j.queries.lesson(h.lesson_5a).topic == TOPIC_5A
    assert records.dispositions(str(proposal))[0].refusals == 1


def _dump(system: System) -> bytes:
    db = system.settings.database
    if db.backend == "sqlite":
        folder = system.settings.var_dir
        return b"".join(p.read_bytes() for p in folder.glob("ejournal.sqlite*"))
    server = f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}"
    return subprocess.run(
        ["pg_dump", "--dbname", server, "--schema", db.schema],
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout


def _archive(system: System) -> bytes:
    return b"".join(p.read_bytes() for p in system.settings.archive_dir.rglob("*") if p.is_file())


def test_after_execution_nothing_of_the_series_can_be_read_and_nothing_else_changed(
    system: System, h: History
) -> None:
    j = system.journal
    wrapped = system.keyring.store.by_series(JOURNAL_5A).wrapped
    events = {e.series: e.events for e in system.records.register(date(2032, 1, 2))}
    assert TOPIC_5A.encode() in _dump(system) and FILE_5A in _archive(system)

    certificate = dispose(system, h, date(2032, 1, 2), JOURNAL_5A)

    # the records read as Redacted, and cannot be rebuilt
    entries = j.queries.history(h.lesson_5a)
    assert entries and all(e.redacted for e in entries)
    assert {e.values["certificate_id"] for e in entries} == {certificate["certificate_id"]}
    with pytest.raises(errors.RecordDestroyed):
        j.load(Lesson, h.lesson_5a)
    # their view rows are gone; the history keeps frames only
    with system.views.reader() as reader:
        assert reader.get(grid.LESSONS, (str(h.lesson_5a),)) is None
        assert reader.select(grid.MARKS, {"lesson_id": str(h.lesson_5a)}) == []
        assert reader.get(catalog.GROUPS, (str(h.school.class_id),)) is None
        frames = reader.select(history_view.HISTORY, {"originator_id": str(h.lesson_5a)})
        assert frames and all(f["redacted"] == 1 and f["sealed"] is None for f in frames)
    # no plaintext in the database, no file, no wrapped key
    dump, archive = _dump(system), _archive(system)
    for text in (TOPIC_5A.encode(), REASON_5A.encode(), FILE_5A, wrapped):
        assert text not in dump and text not in archive
    assert FILE_5B in archive
    # the ledger verifies; 5Б is untouched
    assert system.ledger.verify().ok
    assert j.queries.lesson(h.lesson_5b).topic == TOPIC_5B and TOPIC_5B.encode() in dump
    assert not any(e.redacted for e in j.queries.history(h.lesson_5b))
    with system.views.reader() as reader:
        assert reader.get(grid.LESSONS, (str(h.lesson_5b),))["topic"] == TOPIC_5B
    # every step was an event, and the certificate lists exactly what was destroyed
    steps = [(e.type, e.actor) for e in j.queries.history(UUID(certificate["disposition_id"]))]
    assert steps == [
        ("Proposed", h.archivist),
        ("Approved", h.school.head),
        ("Numbered", h.archivist),
        ("Executed", h.archivist),
    ]
    assert (certificate["number"], certificate["act_year"]) == ("1", 2032)
    assert certificate["protocol"] == {"number": "7", "date": "2032-01-02"}
    [item] = certificate["items"]
    assert item["series"] == JOURNAL_5A and item["events"] == events[JOURNAL_5A]
    assert [f["path"] for f in item["files"]] == ["journal_2025-26_5А/journal.pdf"]
    assert certificate["totals"]["series"] == 1
    assert certificate["approved_by"] == str(h.school.head)
    assert certificate["proposed_by"] == certificate["executed_by"] == str(h.archivist)
    after = {e.series: e.state for e in system.records.register(date(2032, 1, 3))}
    assert [s for s, state in after.items() if state == "destroyed"] == [JOURNAL_5A]
    files = sorted(p.name for p in system.settings.certificates_dir.iterdir())
    assert files == ["akt-2032-001.json", "akt-2032-001.pdf"]


def test_destruction_in_one_process_is_effective_in_another(system: System, h: History):
    from dataclasses import replace

    from ejournal.bootstrap import build

    other_settings = replace(system.settings, key_recheck_seconds=0.0)
    with build(other_settings) as other:
        assert other.journal.queries.lesson(h.lesson_5a).topic == TOPIC_5A  # its key is cached
        assert other.views.reads.people.name(str(h.school.pupils[0])) != catalog.DESTROYED
        dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
        with pytest.raises(errors.RecordDestroyed):
            other.journal.queries.lesson(h.lesson_5a)
        assert all(e.redacted for e in other.journal.queries.history(h.lesson_5a))
        with pytest.raises(errors.RecordDestroyed):  # nor can it write into the series
            other.keyring.key_for_series(JOURNAL_5A)
        assert other.journal.queries.lesson(h.lesson_5b).topic == TOPIC_5B


def test_executing_twice_completes_and_changes_nothing_more(system: System, h: History):
    certificate = dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    position = system.journal.recorder.max_notification_id()
    with clock.travel(at(date(2032, 1, 3))):
        again = system.records.execute(UUID(certificate["disposition_id"]), h.archivist)
    assert again == certificate
    assert system.journal.recorder.max_notification_id() == position


def test_the_access_log_of_a_year_is_cut_off_with_the_year(system: System, h: History):
    with clock.travel(at(date(2026, 5, 20))):
        system.journal.access_log.record_access(
            h.school.teacher, "journal/grid", [h.school.pupils[0]]
        )
    assert states(system, date(2029, 12, 31))["access-log/2025-26"] == "closed"
    assert states(system, date(2030, 1, 1))["access-log/2025-26"] == "due"


def test_the_certificate_pdf_is_signed_by_the_school_when_it_has_a_signing_key(
    system: System, h: History
) -> None:
    from tests.archive_helpers import demo_pki, pyhanko_adesverify

    demo_pki(system.settings)
    dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    pdf = system.settings.certificates_dir / "akt-2032-001.pdf"
    assert b"/ByteRange" in pdf.read_bytes()
    root = system.settings.archiving.pki_dir / "root.pem"
    assert pyhanko_adesverify(pdf, root) == 0  # PAdES, trusted, timestamped


def test_without_a_signing_key_the_certificate_pdf_is_written_unsigned(
    system: System, h: History
) -> None:
    dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    pdf = system.settings.certificates_dir / "akt-2032-001.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and b"/ByteRange" not in pdf.read_bytes()


def test_a_certificate_that_cannot_be_signed_stops_the_execution_before_anything_is_destroyed(
    system: System, h: History
) -> None:
    def broken(pdf: bytes) -> bytes:
        raise OSError("the timestamp authority did not answer")

    system.records.infra.signer = broken
    with clock.travel(at(date(2032, 1, 2))):
        [proposal] = system.records.propose(h.archivist, series=[JOURNAL_5A])
        system.journal.retention.approve_disposition(proposal, h.school.head, "7", clock.today())
        with pytest.raises(errors.CertificateNotSigned):
            system.records.execute(proposal, h.archivist)
    assert system.keyring.store.by_series(JOURNAL_5A).wrapped is not None  # nothing destroyed
    assert system.journal.queries.lesson(h.lesson_5a).topic == TOPIC_5A
    assert system.journal.retention.disposition(proposal).state == "approved"
    assert not system.settings.certificates_dir.exists() or not any(
        system.settings.certificates_dir.iterdir()
    )
