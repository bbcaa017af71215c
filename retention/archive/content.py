"""What a volume prints, gathered from the views into plain values (names decrypted here:
the PDF is the legal printout). Layout is ``retention.archive.render``'s business.

A class journal has, per subject, one grid per term (pupils × lessons: marks with their
kind, attendance codes, the weighted average and the term mark), the list of lessons with
dates, topics and homework, and the subject's term and year marks. Corrected and cancelled
marks carry a note number; the notes give the old value, the new one, who, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import clock, ids
from domain.grades import RESULT_KINDS
from domain.policies import AttendancePolicy, GradingPolicy
from projections.queries.summary import SummarySheet, subjects_of, summary_sheet
from projections.store import Reader, Row
from projections.view import Sealer
from projections.views import catalog, final_marks, grid, history
from retention.archive.model import Book, GridRow, Lesson, Note, SubjectPart, TermPart, kind_codes


def _local(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")


def _dm(day: str) -> str:
    return f"{day[8:10]}.{day[5:7]}"


class Gatherer:
    """Reads one volume's content from the views (one reader, names decrypted once)."""

    def __init__(self, reader: Reader, sealer: Sealer, grading: GradingPolicy) -> None:
        self.reader, self.sealer, self.grading = reader, sealer, grading
        self.codes_as_recorded = grid.Codes(sealer, AttendancePolicy({}), allowed=True)
        self.codes = kind_codes(grading)
        self._names: dict[str, str] = {}
        self.notes: list[Note] = []
        self._final_notes: dict[tuple[UUID, str, str], int] = {}

    def name(self, person_id: str | None, *, short: bool = False) -> str:
        """A person's (or an account's) name, decrypted; «система» for the system actor."""
        if not person_id:
            return ""
        if int(person_id.replace("-", ""), 16) == 0:
            return "система"
        key = f"{person_id}/{short}"
        if key not in self._names:
            self._names[key] = catalog.display_name(
                self.reader, self.sealer, person_id, short=short
            )
        return self._names[key]

    def note(self, subject: str, pupil: str, where: str, old: str, new: str, row: Row) -> int:
        """Add a footnote; return its number."""
        number = len(self.notes) + 1
        self.notes.append(
            Note(
                number,
                subject,
                pupil,
                where,
                old,
                new,
                self.name(row.get("who"), short=True),
                _local(row["when"]) if row.get("when") else "",
                row.get("why") or "",
                self.name(row.get("approver"), short=True),
            )
        )
        return number

    # --- the book --------------------------------------------------------------------------
    def book(self, group_id: str, kind: str) -> Book:
        """The journal of a class or an extracurricular group for its year."""
        group = self.reader.get(catalog.GROUPS, (group_id,))
        if group is None:
            raise LookupError(f"no class or group {group_id}")
        year = self.reader.get(catalog.YEARS, (group["year_id"],))
        assert year is not None
        terms = sorted(
            self.reader.select(catalog.TERMS, {"year_id": group["year_id"]}),
            key=lambda t: t["number"],
        )
        pupils = self.pupils_of(group_id)
        subjects = tuple(
            self.subject(s.course_journal_id, terms) for s in subjects_of(self.reader, group_id)
        )
        return Book(
            kind=kind,
            group_id=group_id,
            group=group["name"],
            year=year["year"],
            school=year["school"],
            series=group["series"],
            class_teacher=self.name(group["class_teacher_id"]),
            pupils=tuple(sorted(self.name(p) for p in pupils)),
            term_titles=tuple(t["title"] for t in terms),
            subjects=subjects,
            notes=tuple(self.notes),
            kinds={self.codes[c]: k.title for c, k in self.grading.kinds.items()},
        )

    def subject(self, course_id: str, terms: list[Row]) -> SubjectPart:
        """One course journal: a part per term with lessons or marks, then the finals."""
        course = self.reader.get(catalog.COURSES, (course_id,))
        assert course is not None
        teachers = ", ".join(
            self.name(r["teacher_id"], short=True)
            for r in self.reader.select(catalog.TEACHERS, {"course_journal_id": course_id})
        )
        parts = []
        for term in terms:
            # The volume is the journal itself (a document with the pupils' names): its
            # codes are printed as recorded, «Б» included, as in a paper journal.
            with grid.reading_codes(self.codes_as_recorded):
                page = grid.grid(self.reader, self.grading, course_id, term["number"])
            finals = final_marks.term_marks(self.reader, course_id, term["number"])
            if page.lessons or finals:
                record = ids.term_grades_id(UUID(course_id), term["number"])
                parts.append(self.term(course["subject"], term["title"], page, finals, record))
        table = self.finals(course, terms)
        return SubjectPart(
            course_id,
            course["subject"],
            teachers,
            tuple(parts),
            table,
            self.explained(course_id, terms),
        )

    def term(
        self,
        subject: str,
        title: str,
        page: grid.Grid,
        finals: dict[str, final_marks.FinalMark],
        record: UUID,
    ) -> TermPart:
        """The grid of one term with its notes."""
        fixes = self.fixes([lesson.lesson_id for lesson in page.lessons])
        rows = []
        for number, pupil in enumerate(sorted(page.pupils, key=self.name), 1):
            name = self.name(pupil, short=True)
            cells = []
            for lesson in page.lessons:
                cell = self.cell(page, pupil, lesson, fixes, subject, name)
                cells.append(cell)
            average = page.averages.get(pupil)
            rows.append(
                GridRow(
                    number,
                    name,
                    tuple(cells),
                    "" if average is None else f"{average:.2f}",
                    self.final(finals.get(pupil), subject, name, title, record),
                )
            )
        lessons = tuple(Lesson(_dm(x.day), x.period, x.topic, x.homework) for x in page.lessons)
        return TermPart(title, tuple(_dm(x.day) for x in page.lessons), tuple(rows), lessons)

    def cell(
        self,
        page: grid.Grid,
        pupil: str,
        lesson: grid.GridLesson,
        fixes: dict[tuple[str, str], list[Row]],
        subject: str,
        name: str,
    ) -> str:
        """A grid cell: attendance code, then each mark with its kind code and note numbers."""
        parts = [page.attendance.get((pupil, lesson.lesson_id), "")]
        for mark in page.marks.get((pupil, lesson.lesson_id), ()):
            parts.append(f"{mark.value}{self.codes.get(mark.kind, '')}")
        for fix in fixes.get((pupil, lesson.lesson_id), []):
            where = f"урок {_dm(lesson.day)}"
            number = self.note(subject, name, where, fix["old"], fix["new"], fix)
            parts.append(f"[{number}]")
        return " ".join(p for p in parts if p)

    def fixes(self, lesson_ids: list[str]) -> dict[tuple[str, str], list[Row]]:
        """Corrections and cancellations of marks of these lessons, by (pupil, lesson)."""
        rows = self.reader.select(grid.MARKS, within=("lesson_id", lesson_ids))
        by_id = {r["mark_id"]: r for r in rows}
        found: dict[tuple[str, str], list[Row]] = {}
        for r in sorted(rows, key=lambda r: r["recorded_at"]):
            key = (r["student_id"], r["lesson_id"])
            if r["supersedes"] and r["supersedes"] in by_id:
                old = by_id[r["supersedes"]]
                found.setdefault(key, []).append(
                    {
                        "old": old["value"],
                        "new": r["value"],
                        "who": r["entered_by"],
                        "when": r["recorded_at"],
                        "why": r["reason"],
                        "approver": r["approver"],
                    }
                )
            if r["cancelled"]:
                found.setdefault(key, []).append(
                    {
                        "old": r["value"],
                        "new": "аннулирована",
                        "who": None,
                        "when": r["changed_at"],
                        "why": r["reason"],
                        "approver": r["approver"],
                    }
                )
        return found

    def final(
        self, mark: final_marks.FinalMark | None, subject: str, pupil: str, where: str, record: UUID
    ) -> str:
        """A term or year mark, with a note when it was corrected (one note per mark)."""
        if mark is None:
            return ""
        if not mark.corrected:
            return mark.value
        key = (record, mark.student_id, mark.course_journal_id)
        if key not in self._final_notes:
            fix = {
                "who": mark.set_by,
                "when": mark.set_at,
                "why": mark.reason,
                "approver": mark.approver,
            }
            old = self.replaced_value(record, mark)
            self._final_notes[key] = self.note(subject, pupil, where, old, mark.value, fix)
        return f"{mark.value} [{self._final_notes[key]}]"

    def replaced_value(self, record: UUID, mark: final_marks.FinalMark) -> str:
        """The value a corrected term or year mark replaced, from the record's history."""
        for event in reversed(history.record_history(self.reader, self.sealer, record)):
            values = event.values
            if (
                event.type.endswith("Corrected")
                and values.get("student_id") == mark.student_id
                and values.get("course_journal_id", mark.course_journal_id)
                == mark.course_journal_id
            ):
                return str(event.before.get("value", "?"))
        return "?"

    def finals(self, course: Row, terms: list[Row]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each pupil's term marks and year mark in this subject."""
        course_id, group_id = course["course_journal_id"], course["group_id"]
        year_record = ids.year_grades_id(UUID(group_id), UUID(course["year_id"]))
        by_term = {
            t["number"]: final_marks.term_marks(self.reader, course_id, t["number"]) for t in terms
        }
        year = {
            p: m
            for (p, c), m in final_marks.year_marks(self.reader, group_id).items()
            if c == course_id
        }
        found = []
        for pupil in sorted(self.pupils_of(group_id), key=self.name):
            name = self.name(pupil, short=True)
            marks = [
                self.final(
                    by_term[t["number"]].get(pupil),
                    course["subject"],
                    name,
                    t["title"],
                    ids.term_grades_id(UUID(course_id), t["number"]),
                )
                for t in terms
            ]
            marks.append(
                self.final(year.get(pupil), course["subject"], name, "годовая", year_record)
            )
            found.append((name, tuple(marks)))
        return tuple(found)

    def explained(self, course_id: str, terms: list[Row]) -> tuple[str, ...]:
        """The explanations of this subject's term and year marks that were corrected or
        set other than their rounded averages (ADR 0024), as of their setting."""
        titles = {int(t["number"]): str(t["title"]) for t in terms}
        found = []
        for key, setting in sorted(
            final_marks.explained(self.reader, [course_id]).items(),
            key=lambda item: (item[0][1] or 99, self.name(item[0][2])),
        ):
            _, term, pupil = key
            basis = setting.basis
            if basis is None or (setting.what != "corrected" and not basis.differs(setting.value)):
                continue
            full = final_marks.explanation(self.reader, course_id, term or None, pupil)
            if full is None:
                continue
            where = titles.get(term, f"{term} четверть") if term else "годовая"
            found.append(self.explanation_text(full, self.name(pupil, short=True), where))
        return tuple(found)

    def explanation_text(self, found: final_marks.FinalExplanation, pupil: str, where: str) -> str:
        """One explanation as a paragraph of the volume (only glyphs of the embedded PT Sans:
        no arrows, no Σ)."""
        setting = found.current
        basis = setting.basis
        assert basis is not None
        kinds = {c: k.title.lower() for c, k in self.grading.kinds.items()}
        inputs = "; ".join(
            (f"{_dm(i.day)} " if i.day else f"{i.ref.removeprefix('term:')} четв. ")
            + f"«{i.value}» "
            + ("четвертная" if i.kind == "term" else kinds.get(i.kind, i.kind))
            + (f" ×{i.weight}" if i.counted else " (не входит в средний)")
            for i in basis.inputs
        )
        average = (
            f"средний взвешенный {basis.total} / {basis.weights} = "
            f"{basis.average_text.replace('.', ',')}; округление: дробная часть от "
            f"{basis.round_up_from.replace('.', ',')} — вверх, "
            f"округлённый средний «{basis.rounded or '—'}»"
            if basis.average is not None
            else "средний не вычисляется"
        )
        text = (
            f"{pupil} ({where}): выставлено «{setting.value}» — "
            f"{self.name(setting.set_by, short=True)}, {_local(setting.at)}. "
            f"Отметки: {inputs or 'нет'}. {average[:1].upper() + average[1:]}."
        )
        if setting.why:
            text += f" Причина отличия от среднего: {setting.why}."
        if setting.reason:
            text += f" Причина исправления: {setting.reason}."
        text += f" Правила оценивания: grading.toml, sha256 {basis.policy or 'не записана'}."
        for earlier in found.settings[:-1]:
            text += f" Ранее: «{earlier.value}» ({_local(earlier.at)}"
            if earlier.basis is not None and earlier.basis.rounded:
                text += f"; округлённый средний «{earlier.basis.rounded}»"
            text += (
                f"; {earlier.why or earlier.reason})." if earlier.why or earlier.reason else ")."
            )
        for change in found.later:
            what = (
                f"«{change.before}» отменена"
                if change.cancelled
                else f"«{change.before}» исправлена на «{change.after}»"
            )
            place = f"{change.term} четв." if change.term else _dm(change.day)
            text += (
                f" После выставления исправлено: {place} {what} ({_local(change.at)}"
                + (f"; {change.reason}" if change.reason else "")
                + ")."
            )
        return text

    def pupils_of(self, group_id: str) -> list[str]:
        """Everyone who belonged to the group during its school year."""
        group = self.reader.get(catalog.GROUPS, (group_id,))
        assert group is not None
        span = self.reader.get(catalog.YEARS, (group["year_id"],))
        assert span is not None
        return catalog.Membership(self.reader, group_id).between(span["starts"], span["ends"])


@dataclass(frozen=True)
class SummaryBook:
    """What the summary sheet prints: the sheet (from the view), pupils' full names, each
    mark cell as printed (``cells[(pupil, course, column)]``, «5 [2]» when corrected;
    ``column`` a term's number, «year», «exam» or «final») and the notes of corrections."""

    sheet: SummarySheet
    names: dict[str, str]
    term_titles: dict[int, str]
    cells: dict[tuple[str, str, str], str]
    notes: tuple[Note, ...]


def summary(
    reader: Reader,
    sealer: Sealer,
    grading: GradingPolicy,
    attendance: AttendancePolicy,
    group_id: str,
) -> SummaryBook:
    """The summary sheet of a class, its pupils' names (decrypted) and its corrections."""
    sheet = summary_sheet(reader, grading, attendance, group_id)
    names = {p: catalog.display_name(reader, sealer, p) for p in sheet.pupils}
    titles = {
        r["number"]: r["title"] for r in reader.select(catalog.TERMS, {"year_id": sheet.year_id})
    }
    gatherer = Gatherer(reader, sealer, grading)
    subjects = {s.course_journal_id: s.subject for s in sheet.subjects}
    values: dict[tuple[str, str, str], str] = {}
    for (p, c, t), value in sheet.terms.items():
        values[p, c, str(t)] = value
    for (p, c), value in sheet.year.items():
        values[p, c, "year"] = value
    for (p, c), value in sheet.exam.items():
        values[p, c, "exam"] = value
    if sheet.exams:
        for (p, c), value in sheet.final.items():
            values[p, c, "final"] = value
    cells: dict[tuple[str, str, str], str] = {}
    for pupil in sorted(sheet.pupils, key=names.__getitem__):
        name = gatherer.name(pupil, short=True)
        for course, subject in subjects.items():
            for column in [*map(str, sheet.term_numbers), "year", "exam", "final"]:
                key = (pupil, course, column)
                if key in values:
                    mark = sheet.corrected.get(key)
                    cells[key] = (
                        values[key]
                        if mark is None
                        else _corrected(gatherer, sheet, titles, key, mark, subject, name)
                    )
    return SummaryBook(sheet, names, titles, cells, tuple(gatherer.notes))


def _corrected(
    gatherer: Gatherer,
    sheet: SummarySheet,
    titles: dict[int, str],
    key: tuple[str, str, str],
    mark: final_marks.FinalMark,
    subject: str,
    name: str,
) -> str:
    """A corrected mark of the summary sheet with its note number («5 [2]»)."""
    pupil, course, column = key
    if column in RESULT_KINDS:
        old = final_marks.previous_result(gatherer.reader, sheet.group_id, column, course, pupil)
        fix = {"who": mark.set_by, "when": mark.set_at, "why": mark.reason}
        fix["approver"] = mark.approver or ""
        where = f"{RESULT_KINDS[column]} отметка"
        return f"{mark.value} [{gatherer.note(subject, name, where, old, mark.value, fix)}]"
    if column == "year":
        record = ids.year_grades_id(UUID(sheet.group_id), UUID(sheet.year_id))
        return gatherer.final(mark, subject, name, "годовая", record)
    record = ids.term_grades_id(UUID(course), int(column))
    where = titles.get(int(column), f"{column} период")
    return gatherer.final(mark, subject, name, where, record)
