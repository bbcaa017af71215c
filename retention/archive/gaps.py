"""The completeness check before the annual archive: what is missing from the year's
journals. Reads the existing views only (completeness report, catalogue, final marks).

- course journals of classes whose pupils lack a year mark (pupils in the class at year end);
- lessons without a topic (every course journal, extracurricular ones too);
- pupils without a term mark (pupils in the class at the end of that term);
- pupils without a decision of the pedagogical council (pupils in the class at year end).

Each gap says which volumes it leaves incomplete (``concerns``): a lesson without a topic
the class journal, a missing decision the summary sheet, a missing mark both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.policies import JournalRegulation
from projections.queries import completeness
from projections.store import Reader, Row
from projections.view import Sealer
from projections.views import catalog, final_marks
from retention import closing


@dataclass(frozen=True)
class Gap:
    """One finding: a course journal and what it lacks (names are short, «Фамилия И. О.»)."""

    group: str
    subject: str
    course_journal_id: str
    what: str
    items: tuple[str, ...]
    in_journal: bool = True
    in_summary: bool = True

    def concerns(self, group: str, kind: str) -> bool:
        """True when this gap leaves the volume of ``kind`` of ``group`` incomplete."""
        return self.group == group and (self.in_summary if kind == "summary" else self.in_journal)

    def line(self, limit: int = 6) -> str:
        """One line for the operator."""
        shown = ", ".join(self.items[:limit]) + (
            f" и ещё {len(self.items) - limit}" if len(self.items) > limit else ""
        )
        return f"{self.group} · {self.subject}: {self.what} ({len(self.items)}): {shown}"


class ArchiveIncomplete(Exception):
    """Raised when the year's journals are incomplete and the archive was not forced."""

    def __init__(self, gaps: list[Gap]) -> None:
        self.gaps = gaps
        super().__init__(f"журналы заполнены не полностью: {len(gaps)} замечаний")


def year_gaps(
    reader: Reader, sealer: Sealer, regulation: JournalRegulation, year_id: str, today: date
) -> list[Gap]:
    """Every gap of the year's course journals, ordered by class and subject."""
    year = reader.get(catalog.YEARS, (year_id,))
    if year is None:
        raise LookupError(f"no school year {year_id}")
    groups = {g["group_id"]: g for g in reader.select(catalog.GROUPS, {"year_id": year_id})}
    terms = sorted(reader.select(catalog.TERMS, {"year_id": year_id}), key=lambda t: t["number"])
    courses = sorted(
        reader.select(catalog.COURSES, {"year_id": year_id}),
        key=lambda c: (groups[c["group_id"]]["name"], c["subject"]),
    )
    topics = completeness.completeness_report(
        reader,
        regulation,
        first=date.fromisoformat(year["starts"]),
        last=date.fromisoformat(year["ends"]),
        as_of=min(today, date.fromisoformat(year["ends"])),
        year_id=year_id,
    ).missing_topics
    marks = _Marks(reader, sealer, terms, terms[-1]["ends"] if terms else year["ends"])
    found: list[Gap] = []
    for course in courses:
        group = groups[course["group_id"]]
        cid = course["course_journal_id"]
        missing = [
            f"{t.day[8:10]}.{t.day[5:7]} ур. {t.period}"
            for t in topics
            if t.course_journal_id == cid
        ]
        if missing:
            found.append(
                Gap(
                    group["name"],
                    course["subject"],
                    cid,
                    "уроки без темы",
                    tuple(missing),
                    in_summary=False,
                )
            )
        if group["kind"] == "class":
            found += marks.of(group, course)
    for name, undecided in _undecided(reader, year_id).items():
        lacking = tuple(sorted(marks.name(p) for p in undecided))
        what = "нет решения педагогического совета"
        found.append(Gap(name, "—", "", what, lacking, in_journal=False))
    return found


def _undecided(reader: Reader, year_id: str) -> dict[str, list[str]]:
    """Pupils without a council decision, by class name."""
    found: dict[str, list[str]] = {}
    for u in closing.undecided_pupils(reader, year_id):
        found.setdefault(u.group, []).append(u.student_id)
    return found


class _Marks:
    """Term and year marks missing in one class's course journal (names opened once)."""

    def __init__(self, reader: Reader, sealer: Sealer, terms: list[Row], last_day: str) -> None:
        self.reader, self.sealer, self.terms, self.last_day = reader, sealer, terms, last_day
        self.names: dict[str, str] = {}

    def name(self, person: str) -> str:
        """«Фамилия И. О.» of a pupil."""
        if person not in self.names:
            self.names[person] = catalog.display_name(self.reader, self.sealer, person, short=True)
        return self.names[person]

    def of(self, group: Row, course: Row) -> list[Gap]:
        """Pupils without a term mark (per term) and without a year mark."""
        cid, found = course["course_journal_id"], []
        members = catalog.Membership(self.reader, group["group_id"])
        pupils = sorted(members.periods)
        for term in self.terms:
            have = final_marks.term_marks(self.reader, cid, term["number"])
            lacking = [
                self.name(p) for p in pupils if members.on(p, term["ends"]) and p not in have
            ]
            if lacking:
                what = f"нет отметки за период «{term['title']}»"
                found.append(Gap(group["name"], course["subject"], cid, what, tuple(lacking)))
        given = final_marks.year_marks(self.reader, group["group_id"])
        lacking = [
            self.name(p) for p in pupils if members.on(p, self.last_day) and (p, cid) not in given
        ]
        if lacking:
            what = "нет годовой отметки"
            found.append(Gap(group["name"], course["subject"], cid, what, tuple(lacking)))
        return found
