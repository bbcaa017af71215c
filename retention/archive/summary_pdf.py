"""The summary sheet («сводная ведомость успеваемости») as pages, kept 25 years — after the
class journals are gone it is the only record of a pupil's year:

1. pupils × subjects with the final mark (the year mark where the class has no exams), each
   pupil's counts and standing, lessons missed over the year and, of them, excused ones;
   each subject's success and quality shares;
2. per subject, every pupil's term marks, year mark and, where the class has exams, the exam
   and final marks;
3. the pedagogical council's decision on every pupil with its protocol's number and date;
4. the notes of corrected marks («[N]» in a cell: old and new value, who, when, why);

then the certification page."""

from __future__ import annotations

from datetime import date

from domain.grades import DECISIONS
from projections.queries.summary import PupilTotals
from retention.archive.content import SummaryBook
from retention.archive.pager import MARGIN, WIDTH, Column, Pager
from retention.archive.render import Seal, certification, footer, note_text, organisation

USABLE = WIDTH - 2 * MARGIN
TOTALS = ("«5»", "«4»", "«3»", "«2»", "н/а", "Итог")
ABSENCES = ("Пропущено уроков", "из них по уваж. причине")
NAME = 150.0
NO_DECISION = "решение не внесено"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _standing(totals: PupilTotals) -> str:
    if totals.failing:
        return "неусп."
    if totals.excellent:
        return "отл."
    if totals.good:
        return "хор."
    if totals.one_three:
        return "одна «3»"
    return "усп." if totals.marks else ""


def ru_date(iso: str) -> str:
    """«28.05.2026» from an ISO date."""
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


def render_summary(
    book: SummaryBook, group: str, year: str, school: str, seal: Seal
) -> tuple[bytes, int]:
    """The summary sheet's PDF (plain, before PDF/A) and its page count."""
    title = f"Сводная ведомость успеваемости {group}, {year} учебный год"
    author = seal.profile.short_name or school
    pager = Pager(title, footer("summary", group, year), author=author, subject=seal.keywords())
    pager.heading(f"СВОДНАЯ ВЕДОМОСТЬ УЧЁТА УСПЕВАЕМОСТИ ОБУЧАЮЩИХСЯ {group} КЛАССА", 13)
    final = "итоговые отметки" if book.sheet.exams else "итоговые (годовые) отметки"
    organisation(pager, seal.profile, school)
    pager.wrap(MARGIN, f"{year} учебный год · {final}", 9, USABLE)
    pager.y -= 4
    overview(pager, book, title)
    for subject in book.sheet.subjects:
        pager.y -= 10
        subject_table(pager, book, subject.course_journal_id, subject.subject, group)
    pager.y -= 10
    decisions(pager, book, group)
    corrections(pager, book)
    certification(pager, seal, title)
    return pager.finish(), pager.page


def ordered(book: SummaryBook) -> list[str]:
    """Pupils in the order the sheet prints them (by full name)."""
    return sorted(book.sheet.pupils, key=book.names.__getitem__)


def overview(pager: Pager, book: SummaryBook, title: str) -> None:
    """Pupils × subjects: final marks, counts, standing, absences; success and quality."""
    sheet = book.sheet
    column = "final" if sheet.exams else "year"
    fixed = 16 + NAME + 22 * (len(TOTALS) - 1) + 40 + 2 * 44
    width = max(14.0, min(40.0, (USABLE - fixed) / max(len(sheet.subjects), 1)))
    columns = [Column("№", 16), Column("Обучающийся", NAME, "l")]
    columns += [Column(s.subject, width) for s in sheet.subjects]
    columns += [Column(t, 22) for t in TOTALS[:-1]] + [Column(TOTALS[-1], 40)]
    columns += [Column(t, 44) for t in ABSENCES]
    rows = []
    for number, pupil in enumerate(ordered(book), 1):
        totals = sheet.pupil_totals[pupil]
        marks = [book.cells.get((pupil, s.course_journal_id, column), "") for s in sheet.subjects]
        counts = [totals.fives, totals.fours, totals.threes, totals.twos, totals.not_attested]
        absent = sheet.absences.get(pupil)
        missed = [str(absent.missed), str(absent.excused)] if absent else ["", ""]
        rows.append(
            [str(number), book.names[pupil], *marks, *map(str, counts), _standing(totals), *missed]
        )
    blank = [""] * (len(TOTALS) - 1)
    for label, attr in (
        ("Успеваемость", "success_percent"),
        ("Качество знаний", "quality_percent"),
    ):
        shares = [
            _percent(getattr(sheet.subject_totals[s.course_journal_id], attr))
            for s in sheet.subjects
        ]
        rows.append(["", label, *shares, *blank, _percent(getattr(sheet, attr)), "", ""])
    pager.table(columns, rows, header=64, size=7.5, again=title)


def subject_table(pager: Pager, book: SummaryBook, course: str, subject: str, group: str) -> None:
    """One subject: every pupil's term marks, year mark (exam and final marks with exams)."""
    sheet = book.sheet
    heading = f"{subject} · {group}: отметки за периоды и годовая" + (
        ", экзаменационная и итоговая" if sheet.exams else ""
    )
    keys = [str(t) for t in sheet.term_numbers] + ["year"]
    titles = [book.term_titles.get(t, f"{t} период") for t in sheet.term_numbers] + ["Год"]
    if sheet.exams:
        keys += ["exam", "final"]
        titles += ["Экзамен", "Итог"]
    width = min(70.0, (USABLE - 16 - 200) / len(keys))
    columns = [Column("№", 16), Column("Обучающийся", 200, "l")]
    columns += [Column(t, width) for t in titles]
    rows = [
        [str(n), book.names[p], *(book.cells.get((p, course, k), "") for k in keys)]
        for n, p in enumerate(ordered(book), 1)
    ]
    pager.room(80)
    pager.heading(heading, 10)
    pager.table(columns, rows, header=18, size=8, again=heading)


def decisions(pager: Pager, book: SummaryBook, group: str) -> None:
    """The pedagogical council's decision on every pupil, with its protocol."""
    heading = f"Решения педагогического совета · {group}"
    columns = [
        Column("№", 16),
        Column("Обучающийся", 200, "l"),
        Column("Решение педагогического совета", 240, "l"),
        Column("Протокол №", 80),
        Column("Дата протокола", 80),
    ]
    rows = []
    for number, pupil in enumerate(ordered(book), 1):
        found = book.sheet.decisions.get(pupil)
        if found is None:
            rows.append([str(number), book.names[pupil], NO_DECISION, "", ""])
        else:
            rows.append(
                [
                    str(number),
                    book.names[pupil],
                    DECISIONS.get(found.decision, found.decision),
                    found.protocol_no,
                    ru_date(found.protocol_date),
                ]
            )
    pager.room(80)
    pager.heading(heading, 10)
    pager.table(columns, rows, header=18, size=8, again=heading)


def corrections(pager: Pager, book: SummaryBook) -> None:
    """The notes of the corrected marks shown in the sheet."""
    if not book.notes:
        return
    pager.y -= 8
    pager.room(40)
    pager.wrap(MARGIN, "Исправления:", 9, USABLE, bold=True)
    for note in book.notes:
        pager.wrap(MARGIN, f"{note.subject}: {note_text(note)}", 8, USABLE)
