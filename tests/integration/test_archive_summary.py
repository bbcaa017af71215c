"""The summary sheet as an archival record (kept 25 years): what the PDF says, read back
with poppler's ``pdftotext``, is what the summary-sheet view holds — term, year, exam and
final marks, absences, the council's decisions with their protocol, the notes of corrected
marks; the class journal explains corrected year marks too; «…неполном заполнении» is
printed only in the volumes that lack something."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from domain import clock
from domain.grades import DECISIONS
from ejournal.archiving import archiver
from ejournal.bootstrap import System, build
from projections.queries.summary import SummarySheet
from retention.archive.service import Made
from tests.archive_helpers import (
    PROTOCOL_DAY,
    PROTOCOL_NO,
    YEAR_FIX_REASON,
    Complete,
    complete_school,
    demo_pki,
    pdf_text,
)
from tests.conftest import settings_for
from tests.school import at

ARCHIVE_DAY = at(date(2026, 6, 5), 11)


@pytest.fixture(scope="module")
def archived(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[System, list[Made], Complete]]:
    settings = settings_for(tmp_path_factory.mktemp("summary"))
    demo_pki(settings)
    with build(settings) as system:
        data = complete_school(system)
        with clock.travel(ARCHIVE_DAY):
            made = archiver(system).close_year(data.school.year_id, data.school.head)
        yield system, made, data


def _volume(made: list[Made], prefix: str) -> Path:
    return next(m for m in made if m.path.name.startswith(prefix)).path


def _section(text: str, start: str, end: str | None = None) -> str:
    """The text from the line holding ``start`` to the one holding ``end``."""
    after = text[text.index(start) :]
    return after[: after.index(end)] if end and end in after else after


def _row(section: str, name: str) -> list[str]:
    """The cells after ``name`` on its line («4 [2]» kept together)."""
    line = next(line for line in section.splitlines() if name in line)
    rest = line[line.index(name) + len(name) :]
    return re.findall(r"\S+(?: \[\d+\])?", rest)


def _expected(sheet: SummarySheet, pupil: str, course: str) -> list[str]:
    """The view's marks of a pupil in a subject, as the sheet prints them."""
    cells = [sheet.terms.get((pupil, course, t), "") for t in sheet.term_numbers]
    cells.append(sheet.year.get((pupil, course), ""))
    return cells


def _matches(printed: list[str], wanted: list[str]) -> bool:
    return len(printed) == len(wanted) and all(
        re.fullmatch(re.escape(w) + r"( \[\d+\])?", p) for p, w in zip(printed, wanted, strict=True)
    )


def test_the_summary_pdf_says_what_the_view_holds(archived) -> None:
    system, made, data = archived
    s = data.school
    sheet = system.views.reads.reports.summary_sheet(str(s.class_id))
    text = pdf_text(_volume(made, "summary-5А"))
    names = {p: system.views.reads.people.name(p) for p in sheet.pupils}
    assert sheet.pupils and not sheet.exams
    # per subject: term marks and the year mark, note numbers where corrected
    for subject in sheet.subjects:
        part = _section(
            text, f"{subject.subject} · 5А: отметки за периоды", "Решения педагогического"
        )
        for pupil in sheet.pupils:
            printed = _row(part, names[pupil])
            wanted = _expected(sheet, pupil, subject.course_journal_id)
            assert _matches(printed, wanted), (names[pupil], printed, wanted)
            for key, mark in sheet.corrected.items():
                if key[:2] == (pupil, subject.course_journal_id) and key[2] == "year":
                    assert printed[-1].startswith(f"{mark.value} [")
    # the overview: final (= year) marks, counts, standing, absences
    overview = _section(text, "СВОДНАЯ ВЕДОМОСТЬ", "Успеваемость")
    for pupil in sheet.pupils:
        printed = _row(overview, names[pupil])
        absent = sheet.absences[pupil]
        assert printed[-2:] == [str(absent.missed), str(absent.excused)], printed
        first = printed[0].split(" [")[0]
        assert first == sheet.final[pupil, sheet.subjects[0].course_journal_id]
    p0, p1, p2 = (str(p) for p in s.pupils)
    assert (sheet.absences[p1].missed, sheet.absences[p1].excused) == (2, 2)
    assert (sheet.absences[p2].missed, sheet.absences[p2].excused) == (1, 0)
    # success and quality rows stay
    totals = sheet.subject_totals[sheet.subjects[0].course_journal_id]
    assert re.search(rf"Успеваемость\s+{totals.success_percent:.1f}%", text)
    assert re.search(rf"Качество знаний\s+{totals.quality_percent:.1f}%", text)
    # the council's decisions with the protocol
    part = _section(text, "Решения педагогического совета")
    for pupil in sheet.pupils:
        decision = sheet.decisions[pupil]
        line = " ".join(next(x for x in part.splitlines() if names[pupil] in x).split())
        assert DECISIONS[decision.decision] in line
        assert f"{PROTOCOL_NO} {PROTOCOL_DAY:%d.%m.%Y}" in line
    assert sheet.decisions[p2].decision == "conditional"
    assert sheet.decisions[p0].protocol_date == PROTOCOL_DAY.isoformat()
    # the corrected year mark's note: old and new value, why
    flat = " ".join(text.split())
    assert "(годовая): было «4», стало «5»" in flat and YEAR_FIX_REASON in flat


def test_the_class_journal_explains_a_corrected_year_mark(archived) -> None:
    _, made, _ = archived
    flat = " ".join(pdf_text(_volume(made, "journal-5А")).split())
    number = re.search(r"5 \[(\d+)\]", flat.split("четвертные (триместровые) и годовые отметки")[1])
    assert number, "the corrected year mark carries no note number"
    note = f"[{number.group(1)}]"
    assert f"{note} " in flat and "(годовая): было «4», стало «5»" in flat
    assert YEAR_FIX_REASON in flat


def test_complete_volumes_do_not_say_they_are_incomplete(archived) -> None:
    _, made, _ = archived
    for item in made:
        assert "неполном заполнении" not in pdf_text(item.path), item.path.name


def test_only_volumes_that_lack_something_say_so(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    demo_pki(settings)
    with build(settings) as system:
        data = complete_school(system)
        j, s = system.journal, data.school
        with clock.travel(at(date(2026, 5, 21))):  # 5А: a late pupil with no marks
            late = j.people.register_student("Новикова", "Вера", "", date(2014, 2, 2), s.admin).id
            j.classes.enrol(s.class_id, late, date(2026, 5, 21), s.admin)
        with clock.travel(ARCHIVE_DAY):
            made = archiver(system).close_year(
                s.year_id, s.head, force=True, reason="Ученица прибыла 21.05"
            )
        texts = {m.path.name.split("-L")[0]: pdf_text(m.path) for m in made}
    said = {name: "неполном заполнении" in text for name, text in texts.items()}
    # the late pupil has no decision: the sheet says so in her row
    row = next(x for x in texts["summary-5А"].splitlines() if "решение не внесено" in x)
    assert "Новикова Вера" in row
    assert said == {
        "journal-5А": True,
        "summary-5А": True,
        "journal-5Б": False,
        "summary-5Б": False,
    }
