"""The summary sheet («сводная ведомость успеваемости») of a class for its school year:
pupils × subjects with term, year, exam and final marks (exam and final ones where
``policies/grading.toml`` gives the class's grade exams; elsewhere the final mark is the
year mark), which of them were corrected, each pupil's absences over the year (lessons
missed, of them excused), the pedagogical council's decision with its protocol, per-pupil
counts of marks and standing, and per-subject success («успеваемость») and quality
(«качество знаний»).

A query over the catalogue and the final marks; it keeps no tables of its own.

Definitions, as school reports use them:

* a mark *passes* when it is one of its scale's ``passing`` values; «н/а» never passes;
* *quality* marks are the passing values of a numeric scale above its lowest passing one
  («4» and «5»); pass/fail subjects count for success but not for quality;
* a subject's shares are over the pupils who have a year mark in it (a pupil who left
  without one is not counted); a pupil's standing is over the year marks they have.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from domain.policies import AttendancePolicy, GradingPolicy, Scale
from projections.queries.attendance import attendance_report
from projections.store import Reader
from projections.views import catalog, final_marks
from projections.views.final_marks import CouncilDecision, FinalMark


@dataclass(frozen=True)
class Subject:
    """A column group of the sheet: one course journal of the class."""

    course_journal_id: str
    subject: str
    scale: str


@dataclass(frozen=True)
class PupilTotals:
    """A pupil's year marks counted as the sheet's right-hand columns show them.

    ``excellent``: every mark passes, numeric ones (at least one) all «5» («отличник»);
    ``good``: every mark passes, numeric ones are «4» or «5», at least one «4» («хорошист»);
    ``one_three``: every mark passes, exactly one «3», the other numeric ones «4» or «5»;
    ``failing``: some mark does not pass («2», «незач», «н/а»). All False without marks.
    """

    fives: int
    fours: int
    threes: int
    twos: int
    not_attested: int
    failed: int
    marks: int
    excellent: bool
    good: bool
    one_three: bool
    failing: bool

    @property
    def fours_and_fives(self) -> bool:
        """All marks «4» and «5» (excellent or good): counts for the class's quality."""
        return self.excellent or self.good


@dataclass(frozen=True)
class SubjectTotals:
    """A subject's results: counts and percentages (to one decimal; None without marks,
    and quality None for a pass/fail subject)."""

    marked: int
    passing: int
    quality: int | None
    success_percent: float | None
    quality_percent: float | None


@dataclass(frozen=True)
class Absences:
    """A pupil's lessons missed over the year and, of them, excused ones."""

    missed: int
    excused: int


@dataclass(frozen=True)
class SummarySheet:
    """The summary sheet of a class for its year: ``year[(pupil, course)]``,
    ``terms[(pupil, course, term)]``, ``exam[(pupil, course)]`` and ``final[(pupil, course)]``
    hold the marks (``exam`` empty and ``final`` equal to ``year`` without exams);
    ``corrected[(pupil, course, column)]`` the corrected ones, ``column`` being the term's
    number, «year», «exam» or «final»; pupils are ids, ordered by id."""

    group_id: str
    year_id: str
    term_numbers: tuple[int, ...]
    subjects: tuple[Subject, ...]
    pupils: tuple[str, ...]
    year: dict[tuple[str, str], str] = field(hash=False)
    terms: dict[tuple[str, str, int], str] = field(hash=False)
    pupil_totals: dict[str, PupilTotals] = field(hash=False)
    subject_totals: dict[str, SubjectTotals] = field(hash=False)
    success_percent: float | None
    quality_percent: float | None
    exams: bool = False
    exam: dict[tuple[str, str], str] = field(default_factory=dict, hash=False)
    final: dict[tuple[str, str], str] = field(default_factory=dict, hash=False)
    corrected: dict[tuple[str, str, str], FinalMark] = field(default_factory=dict, hash=False)
    absences: dict[str, Absences] = field(default_factory=dict, hash=False)
    decisions: dict[str, CouncilDecision] = field(default_factory=dict, hash=False)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, to one decimal; None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


def quality_values(scale: Scale) -> frozenset[str]:
    """Values that count for quality: passing values of a numeric scale above the lowest."""
    if not scale.numeric or not scale.passing:
        return frozenset()
    lowest = min(scale.passing, key=int)
    return frozenset(v for v in scale.passing if v != lowest)


def subject_totals(values: list[str], scale: Scale) -> SubjectTotals:
    """Counts and shares of one subject's year marks."""
    passing = sum(v in scale.passing for v in values)
    good = quality_values(scale)
    quality = sum(v in good for v in values) if scale.numeric else None
    return SubjectTotals(
        len(values),
        passing,
        quality,
        percent(passing, len(values)),
        None if quality is None else percent(quality, len(values)),
    )


def pupil_totals(marks: list[tuple[str, Scale]], grading: GradingPolicy) -> PupilTotals:
    """Counts and standing of one pupil's year marks (value and scale per subject)."""
    counts = Counter(v for v, scale in marks if scale.numeric)
    failed = sum(v not in scale.passing for v, scale in marks)
    numeric = [v for v, scale in marks if scale.numeric and v in scale.passing]
    passes = bool(marks) and not failed
    fives, fours, threes = counts["5"], counts["4"], counts["3"]
    return PupilTotals(
        fives=fives,
        fours=fours,
        threes=threes,
        twos=counts["2"],
        not_attested=sum(v in grading.term_scale_extra for v, _ in marks),
        failed=failed,
        marks=len(marks),
        excellent=passes and bool(numeric) and fives == len(numeric),
        good=passes and fours > 0 and fours + fives == len(numeric),
        one_three=passes and threes == 1 and fours + fives == len(numeric) - 1,
        failing=failed > 0,
    )


def subjects_of(reader: Reader, group_id: str) -> list[Subject]:
    """The course journals of a group, ordered by subject."""
    rows = reader.select(catalog.COURSES, {"group_id": group_id})
    rows.sort(key=lambda r: (r["subject"], r["course_journal_id"]))
    return [Subject(r["course_journal_id"], r["subject"], r["scale"]) for r in rows]


def _marks(
    reader: Reader, group_id: str, pupils: tuple[str, ...], courses: list[str]
) -> tuple[
    dict[tuple[str, str], FinalMark],
    dict[tuple[str, str, int], FinalMark],
    dict[tuple[str, str, str], FinalMark],
]:
    """Year marks by (pupil, course), term marks by (pupil, course, term), exam and final
    marks by (kind, pupil, course) of the sheet."""
    inside = set(pupils)
    year = {
        key: mark
        for key, mark in final_marks.year_marks(reader, group_id).items()
        if key[0] in inside and key[1] in courses
    }
    terms = {
        (m.student_id, m.course_journal_id, m.term or 0): m
        for m in final_marks.term_marks_of_courses(reader, courses)
        if m.student_id in inside
    }
    results = {
        key: mark
        for key, mark in final_marks.result_marks(reader, group_id).items()
        if key[1] in inside and key[2] in courses
    }
    return year, terms, results


def _absences(
    reader: Reader, policy: AttendancePolicy, group_id: str, year: dict[str, str]
) -> dict[str, Absences]:
    report = attendance_report(
        reader,
        policy,
        group_id,
        date.fromisoformat(year["starts"]),
        date.fromisoformat(year["ends"]),
    )
    return {
        str(line.student_id): Absences(line.absent, line.excused)
        for line in report.pupils
        if line.student_id is not None
    }


def summary_sheet(
    reader: Reader, grading: GradingPolicy, attendance: AttendancePolicy, group_id: str
) -> SummarySheet:
    """The summary sheet of a class: everyone who belonged to it during the year."""
    group = reader.get(catalog.GROUPS, (group_id,))
    if group is None:
        raise LookupError(f"no class {group_id}")
    year = reader.get(catalog.YEARS, (group["year_id"],))
    if year is None:
        raise LookupError(f"no school year {group['year_id']}")
    subjects = subjects_of(reader, group_id)
    pupils = tuple(catalog.Membership(reader, group_id).between(year["starts"], year["ends"]))
    scales = {s.course_journal_id: grading.scale(s.scale) for s in subjects}
    year_found, term_found, results = _marks(reader, group_id, pupils, list(scales))
    exams = group["grade"] in grading.exam_grades
    year_marks = {k: m.value for k, m in year_found.items()}
    exam = {(p, c): m.value for (kind, p, c), m in results.items() if kind == "exam"}
    final = (
        {(p, c): m.value for (kind, p, c), m in results.items() if kind == "final"}
        if exams
        else dict(year_marks)
    )
    corrected = {(p, c, str(t)): m for (p, c, t), m in term_found.items() if m.corrected}
    corrected |= {(p, c, "year"): m for (p, c), m in year_found.items() if m.corrected}
    if exams:
        corrected |= {(p, c, kind): m for (kind, p, c), m in results.items() if m.corrected}
    by_pupil = {
        p: pupil_totals(
            [(year_marks[p, c], scales[c]) for c in scales if (p, c) in year_marks], grading
        )
        for p in pupils
    }
    by_subject = {
        c: subject_totals([year_marks[p, c] for p in pupils if (p, c) in year_marks], scale)
        for c, scale in scales.items()
    }
    attested = [t for t in by_pupil.values() if t.marks]
    inside = set(pupils)
    return SummarySheet(
        group_id=group_id,
        year_id=year["year_id"],
        term_numbers=tuple(
            sorted(r["number"] for r in reader.select(catalog.TERMS, {"year_id": year["year_id"]}))
        ),
        subjects=tuple(subjects),
        pupils=pupils,
        year=year_marks,
        terms={k: m.value for k, m in term_found.items()},
        pupil_totals=by_pupil,
        subject_totals=by_subject,
        success_percent=percent(sum(not t.failing for t in attested), len(attested)),
        quality_percent=percent(sum(t.fours_and_fives for t in attested), len(attested)),
        exams=exams,
        exam=exam if exams else {},
        final=final,
        corrected=corrected,
        absences=_absences(reader, attendance, group_id, year),
        decisions={p: d for p, d in final_marks.decisions(reader, group_id).items() if p in inside},
    )
