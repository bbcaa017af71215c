"""The summary sheet («сводная ведомость успеваемости») as pages: pupils × subjects with
year marks, each pupil's counts and standing, each subject's success and quality shares,
then the certification page."""

from __future__ import annotations

from projections.queries.summary import SummarySheet
from retention.archive.pager import MARGIN, WIDTH, Column, Pager
from retention.archive.render import Seal, certification, footer

USABLE = WIDTH - 2 * MARGIN
TOTALS = ("«5»", "«4»", "«3»", "«2»", "н/а", "Итог")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _standing(totals: object) -> str:
    if getattr(totals, "failing", False):
        return "неусп."
    if getattr(totals, "excellent", False):
        return "отл."
    if getattr(totals, "good", False):
        return "хор."
    if getattr(totals, "one_three", False):
        return "одна «3»"
    return "" if not getattr(totals, "marks", 0) else "усп."


def render_summary(
    sheet: SummarySheet, names: dict[str, str], group: str, year: str, school: str, seal: Seal
) -> tuple[bytes, int]:
    """The summary sheet's PDF (plain, before PDF/A) and its page count."""
    title = f"Сводная ведомость успеваемости {group}, {year} учебный год"
    pager = Pager(title, footer("summary", group, year), author=school, subject=seal.keywords())
    pager.heading(f"СВОДНАЯ ВЕДОМОСТЬ УЧЁТА УСПЕВАЕМОСТИ ОБУЧАЮЩИХСЯ {group} КЛАССА", 13)
    pager.wrap(MARGIN, f"{school} · {year} учебный год · годовые отметки", 9, USABLE)
    pager.y -= 4
    fixed = 16 + 150 + 22 * (len(TOTALS) - 1) + 40
    width = max(14.0, min(40.0, (USABLE - fixed) / max(len(sheet.subjects), 1)))
    columns = [Column("№", 16), Column("Обучающийся", 150, "l")]
    columns += [Column(s.subject, width) for s in sheet.subjects]
    columns += [Column(t, 22) for t in TOTALS[:-1]] + [Column(TOTALS[-1], 40)]
    rows = []
    for number, pupil in enumerate(sorted(sheet.pupils, key=names.__getitem__), 1):
        totals = sheet.pupil_totals[pupil]
        marks = [sheet.year.get((pupil, s.course_journal_id), "") for s in sheet.subjects]
        counts = [totals.fives, totals.fours, totals.threes, totals.twos, totals.not_attested]
        rows.append([str(number), names[pupil], *marks, *map(str, counts), _standing(totals)])
    blank = [""] * (len(TOTALS))
    for label, attr in (
        ("Успеваемость", "success_percent"),
        ("Качество знаний", "quality_percent"),
    ):
        shares = [
            _percent(getattr(sheet.subject_totals[s.course_journal_id], attr))
            for s in sheet.subjects
        ]
        rows.append(["", label, *shares, *blank[:-1], _percent(getattr(sheet, attr))])
    pager.table(columns, rows, header=64, size=7.5, again=title)
    certification(pager, seal, title)
    return pager.finish(), pager.page
