"""Transfer packages validate with ``bagit``; the subject-access report of one pupil holds
all of their data and none of another's; the personal-data act lists what was destroyed."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import bagit
import pytest

from domain import clock, errors
from ejournal.bootstrap import System, build
from ejournal.policyfiles import load_policies
from ejournal.settings import Settings
from retention.archive import pdfa
from retention.service import act_stems
from tests.conftest import ROOT
from tests.integration.test_retention import dispose
from tests.retention_school import (
    FILE_5A,
    JOURNAL_5A,
    SUMMARY_5A,
    TOPIC_5A,
    make_history,
    person,
)
from tests.school import at


@pytest.fixture
def transferring(backend_settings: Settings) -> System:
    """A system whose class journals are transferred to an archive, not destroyed."""
    policies = load_policies(ROOT / "policies")
    journal_class = dataclasses.replace(
        policies.retention.classes["class-journal"], action="transfer"
    )
    classes = policies.retention.classes | {"class-journal": journal_class}
    retention = dataclasses.replace(policies.retention, classes=classes)
    with build(backend_settings, dataclasses.replace(policies, retention=retention)) as built:
        yield built


def test_a_transfer_package_validates_with_bagit(transferring: System, tmp_path: Path):
    system = transferring
    h = make_history(system)
    with clock.travel(at(date(2032, 1, 2))):
        [proposal] = system.records.propose(h.archivist, series=[JOURNAL_5A])
        system.journal.retention.approve_disposition(proposal, h.school.head, "7", clock.today())
        certificate = system.records.transfer(proposal, tmp_path / "out", h.archivist)
    package = Path(certificate["package"]["path"])
    bag = bagit.Bag(str(package))
    bag.validate()  # checksums and completeness
    assert bag.is_valid() and "sha256" in bag.algorithms
    events = json.loads((package / "data/series/journal_2025-26_5А/events.json").read_text())
    assert any(e.get("topic") == TOPIC_5A for e in events)
    assert {e["type"] for e in events} >= {"ClassGroup.Formed", "Lesson.MarkRecorded"}
    pdf = package / "data/series/journal_2025-26_5А/files/journal_2025-26_5А/journal.pdf"
    assert pdf.read_bytes() == FILE_5A
    checkpoint = json.loads((package / "data/ledger-checkpoint.json").read_text())
    assert checkpoint["format"] == "ejournal-checkpoint/v1" and checkpoint["size"] > 0
    inventory = json.loads((package / "data/inventory.json").read_text())
    assert [i["series"] for i in inventory["items"]] == [JOURNAL_5A]
    # the records left the school's custody: transferred, and unreadable here
    assert {e.series: e.state for e in system.records.register()}[JOURNAL_5A] == "transferred"
    with pytest.raises(errors.RecordDestroyed):
        system.journal.queries.lesson(h.lesson_5a)
    # a changed byte is caught
    (package / "data/inventory.json").write_text("{}")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(package)).validate()


def _text(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False)


def test_the_subject_access_report_holds_all_of_one_pupil_and_none_of_another(
    system: System,
) -> None:
    h = make_history(system)
    pupil, classmate = h.school.pupils[0], h.school.pupils[1]
    with clock.travel(at(date(2026, 7, 1))):
        system.journal.access_log.record_access(
            h.school.teacher, "journal/grid", [pupil, classmate]
        )
        report = system.records.subject_access(str(pupil))
    assert [(a["page"], a["actor"]) for a in report["access_log"]] == [
        ("journal/grid", str(h.school.teacher))
    ]
    assert report["identity"]["surname"] == "Смирнов"
    assert report["identity"]["birth_date"] == "2014-03-07"
    assert [g["surname"] for g in report["guardians"]] == ["Смирнова"]
    assert [(c["name"], c["year"]) for c in report["classes"]] == [("5А", "2025/26")]
    assert [m["value"] for m in report["marks"]] == ["5"]
    assert report["marks"][0]["subject"] == "Математика"
    assert [y["value"] for y in report["year_marks"]] == ["5"]
    assert report["history"][0]["type"] == "Registered"
    kept = {r["series"]: r["due_on"] for r in report["retention"]}
    assert kept[JOURNAL_5A] == "2032-01-01" and kept[SUMMARY_5A] == "2052-01-01"
    assert kept[person(pupil)] is None  # kept while the records that mention them are

    text = _text(report)
    others = [str(p) for p in (classmate, h.school.pupils[2], h.school.outsider)]
    for other in [*others, "Кузнецова", "Дарья", "Попов", "Чужой", "Пётр"]:
        assert other not in text
    # the classmate's own report has the corrected mark, and none of the first pupil
    other = system.records.subject_access(str(h.school.pupils[2]))
    assert [(m["value"], m["current"]) for m in other["marks"]] == [("3", False), ("4", True)]
    assert str(pupil) not in _text(other) and "Смирнов" not in _text(other)


def test_the_report_refuses_what_is_not_a_pupil(system: System) -> None:
    h = make_history(system)
    from retention.subject_access import NotAPupil

    with pytest.raises(NotAPupil):
        system.records.subject_access(str(h.guardian))


def test_the_personal_data_act_lists_the_subjects_and_their_events(system: System) -> None:
    h = make_history(system)
    pupil = h.school.pupils[0]
    dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    dispose(system, h, date(2052, 1, 2), SUMMARY_5A)
    certificate = dispose(system, h, date(2052, 1, 3), person(pupil))
    [subject] = certificate["personal_data"]
    assert subject["person_id"] == str(pupil) and subject["kind"] == "Student"
    assert [e["type"] for e in subject["events"]] == [
        "Student.Registered",
        "Student.GuardianLinked",
    ]
    assert all(e["time"] for e in subject["events"])  # taken before the key was destroyed
    files = sorted(p.name for p in system.settings.certificates_dir.iterdir())
    assert f"{act_stems(certificate)[1]}.pdf" in files
    pdf = (system.settings.certificates_dir / f"{act_stems(certificate)[1]}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdfa.check(pdf).passed
