"""What a volume prints, as plain values: the class journal's parts and the correction
notes. ``retention.archive.content`` fills them from the views; ``render`` lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.policies import GradingPolicy


@dataclass(frozen=True)
class Note:
    """A correction footnote: what changed in which cell, old and new value, who, when, why."""

    number: int
    subject: str
    pupil: str
    where: str
    old: str
    new: str
    who: str
    when: str
    why: str
    approver: str = ""


@dataclass(frozen=True)
class GridRow:
    """A pupil's row of a term grid."""

    number: int
    pupil: str
    cells: tuple[str, ...]
    average: str
    final: str


@dataclass(frozen=True)
class Lesson:
    """A line of the lesson list («записи о проведённых занятиях»)."""

    day: str
    period: int
    topic: str
    homework: str


@dataclass(frozen=True)
class TermPart:
    """One subject in one term: the grid and the lessons."""

    title: str
    days: tuple[str, ...]
    rows: tuple[GridRow, ...]
    lessons: tuple[Lesson, ...]


@dataclass(frozen=True)
class SubjectPart:
    """One course journal of the volume."""

    course_journal_id: str
    subject: str
    teachers: str
    terms: tuple[TermPart, ...]
    finals: tuple[tuple[str, tuple[str, ...]], ...]  # pupil, (term marks..., year mark)
    #: How the term and year marks set other than their rounded averages, or corrected,
    #: were computed (ADR 0024): one paragraph each, as of the moment they were set.
    explained: tuple[str, ...] = ()


@dataclass(frozen=True)
class Book:
    """A class (or extracurricular group) journal for a year."""

    kind: str
    group_id: str
    group: str
    year: str
    school: str
    series: str
    class_teacher: str
    pupils: tuple[str, ...]
    term_titles: tuple[str, ...]
    subjects: tuple[SubjectPart, ...]
    notes: tuple[Note, ...]
    kinds: dict[str, str] = field(hash=False)


def kind_codes(grading: GradingPolicy) -> dict[str, str]:
    """A short code per kind of work for the grid («о», «д», «дк»…), unique, from its title."""
    codes: dict[str, str] = {}
    for code, kind in grading.kinds.items():
        words = kind.title.lower().replace("/", " ").split()
        short = words[0][:1]
        if short in codes.values():
            short = words[0][:2] if len(words) == 1 else words[0][:1] + words[1][:1]
        while short in codes.values():
            short += "'"
        codes[code] = short
    return codes
