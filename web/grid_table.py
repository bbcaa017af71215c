"""The journal grid's table as prepared HTML (ADR 0018): the page of a full term holds
thousands of cells, and a template macro per cell was half of the page's server time.

``columns`` says per lesson what its header shows (date, kind of work of the column and its
weight, whether the signed-in user may type into it); ``rows`` gives per pupil the cells of
the row as one ``Markup`` string. A cell is ``<td>`` with a ``<span class="mark">`` per mark
(``data-id`` the mark's id, ``data-t`` what the teacher types for it, ``data-v`` its value for
the colour) and a ``<span class="att">`` for the attendance code: simple markup that a link
or an attribute can be added to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from babel.numbers import format_decimal
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from domain import clock, rules
from domain.lesson import ColumnCell
from domain.policies import GradingPolicy, JournalRegulation, Policies, Scale
from projections.views.grid import Cell, Grid, GridLesson
from web import access
from web.pages import by_name


@dataclass(frozen=True)
class Column:
    """A lesson's column: its header and whether the user may type into it now."""

    lesson: GridLesson
    kind: str  # the column's kind of work: its marks' most common kind, else the default
    label: str  # «кр ×3»: the kind's short and weight
    title: str  # «Контрольная работа, вес 3»
    open: bool
    this_week: bool


def column_kind(cells: list[Cell], default: str) -> str:
    """The kind of work of a column: the most common kind of its marks (the default kind
    among equals, then the first in order), the default kind for a column without marks."""
    counts = Counter(c.kind for c in cells)
    if not counts:
        return default
    top = max(counts.values())
    tied = [k for k, n in counts.items() if n == top]
    return default if default in tied else tied[0]


def columns(
    grid: Grid,
    grading: GradingPolicy,
    regulation: JournalRegulation,
    today: date,
    may_enter: bool,
    late: bool,
    granted: frozenset[str] = frozenset(),
) -> list[Column]:
    """The grid's columns in order. A column is open to typing for a user who may enter
    marks in the course journal, on a lesson held (not in the future) and within the entry
    deadline — or for the roles that enter late (``late``), or a lesson of ``granted`` (an
    approved late-entry request of theirs); past the deadline otherwise the lesson's form
    offers the late-entry request."""
    by_lesson: dict[str, list[Cell]] = {}
    for (_pupil, lesson_id), cells in grid.marks.items():
        by_lesson.setdefault(lesson_id, []).extend(cells)
    monday = today - timedelta(days=today.weekday())
    words: dict[str, tuple[str, str]] = {}  # kind → (label, title), translated once a page
    for code, k in grading.kinds.items():
        words[code] = (
            f"{k.short} ×{k.weight}",
            _("%(kind)s, вес %(weight)s", kind=k.title, weight=k.weight),
        )
    found = []
    for lesson in grid.lessons:
        kind = column_kind(by_lesson.get(lesson.lesson_id, []), grading.default_kind)
        label, title = words.get(kind, (kind, kind))
        day = date.fromisoformat(lesson.day)
        found.append(
            Column(
                lesson,
                kind,
                label,
                title,
                may_enter
                and day <= today
                and (
                    late
                    or lesson.lesson_id in granted
                    or not rules.deadline_passed(regulation, day, today)
                ),
                monday <= day <= monday + timedelta(days=6),
            )
        )
    return found


@lru_cache(maxsize=4096)
def average(value: float | None, language: str) -> str:
    """A weighted average in the reader's ``language``: «4,25» (two places, always)."""
    return "" if value is None else format_decimal(value, "0.00", locale=language)


#: Marks' HTML by (mark id, of the column's kind, language): a mark that is not corrected
#: never changes (a correction is a new mark with a new id), so a process writes it once.
#: Bounded: emptied when full.
_WRITTEN: dict[tuple[str, bool, str], str] = {}
_WRITTEN_MAX = 200_000
#: Ways of writing one grid's rows kept in its ``memo`` (languages, history links…).
_MEMO_MAX = 16


class CellWriter:
    """Writes the cells of a grid's rows; the kinds' titles and shorts, the names of who
    corrected and approved, and the texts are looked up once per page."""

    def __init__(
        self, grading: GradingPolicy, names: dict[str, str], trail_url: str | None = None
    ) -> None:
        self.names = names
        self.language = str(get_locale())
        #: A mark's history address with ``{}`` for its id, for readers of histories
        #: (``audit.history``): each value then links to its trail; None: plain values.
        self.trail_url = trail_url
        self.kinds = {
            code: (
                escape(k.short),
                escape(_("%(kind)s, вес %(weight)s", kind=k.title, weight=k.weight)),
            )
            for code, k in grading.kinds.items()
        }

    def rows(self, grid: Grid, kinds: list[str]) -> dict[str, str]:
        """The pupils' rows of cells written so far for ``grid`` as this page writes them
        (same columns' kinds, language, history links and names of who corrected): kept in
        the grid's ``memo``, so a grid kept between pages (ADR 0022) is written once.
        ``row`` fills it."""
        memo = grid.memo
        staff = memo.get("staff")
        if staff is None:
            staff = memo["staff"] = tuple(
                sorted(
                    {
                        person
                        for cells in grid.marks.values()
                        for c in cells
                        if c.corrected
                        for person in (c.changed_by, c.approver)
                        if person
                    }
                )
            )
        key = (
            "rows",
            tuple(kinds),
            self.language,
            self.trail_url,
            tuple(self.names.get(p, "") for p in staff),
        )
        found: dict[str, str] | None = memo.get(key)
        if found is None:
            if len(memo) > _MEMO_MAX:  # a few ways of writing a grid; bounded all the same
                memo.clear()
                memo["staff"] = staff
            found = memo[key] = {}
        return found

    def row(self, grid: Grid, pupil: str, kinds: list[str]) -> str:
        """A pupil's cells, in lesson order, as one string (every text in it escaped)."""
        marks, attendance = grid.marks, grid.attendance
        written, mark = _WRITTEN, self.mark
        language = self.language + ("+trail" if self.trail_url else "")
        parts = []
        for lesson, kind in zip(grid.lessons, kinds, strict=True):
            key = (pupil, lesson.lesson_id)
            cells, code = marks.get(key, ()), attendance.get(key, "")
            if not cells and not code:
                parts.append("<td></td>")
                continue
            inner = []
            for cell in cells:
                if cell.corrected:
                    inner.append(mark(cell, kind))
                    continue
                found = written.get((cell.mark_id, cell.kind == kind, language))
                if found is None:
                    if len(written) >= _WRITTEN_MAX:
                        written.clear()
                    found = written[(cell.mark_id, cell.kind == kind, language)] = mark(cell, kind)
                inner.append(found)
            if code:
                inner.append(f'<span class="att">{escape(code)}</span>')
            parts.append(f"<td>{''.join(inner)}</td>")
        return "".join(parts)

    def mark(self, cell: Cell, column: str) -> str:
        """One mark: its value, the kind's short when it is not the column's (what the
        teacher types for it: «5кр»), the kind and weight in the title."""
        short, title = self.kinds.get(cell.kind, (escape(cell.kind), escape(cell.kind)))
        value = escape(cell.value)
        typed = value if cell.kind == column else value + short
        sub = "" if cell.kind == column else f"<sub>{short}</sub>"
        shown = value
        if self.trail_url:
            # the address is the app's own with a UUID in it; the value and title are escaped
            shown = Markup(  # noqa: S704
                f'<a class="trail" href="{self.trail_url.replace("{}", str(cell.mark_id))}" '
                f'title="{escape(_("История отметки"))}">{value}</a>'
            )
        if not cell.corrected:
            return (
                f'<span class="mark" data-id="{cell.mark_id}" data-v="{value}" data-t="{typed}" '
                f'title="{title}">{shown}{sub}</span>'
            )
        note = escape(self.note(cell))
        return (
            f'<span class="mark corrected" tabindex="0" data-id="{cell.mark_id}" '
            f'data-v="{value}" data-t="{typed}" title="{note}">{shown}{sub}<sup>*</sup>'
            f'<span class="note" role="tooltip">{note}</span></span>'
        )

    def note(self, cell: Cell) -> str:
        """What the «*» of a corrected mark says: before and after, who, when, why."""
        names = self.names
        approved = (
            _("; согласовал(а): %(name)s", name=names[cell.approver])
            if cell.approver and cell.approver != cell.changed_by and names.get(cell.approver)
            else ""
        )
        return str(
            _(
                "Исправлено: было «%(previous)s», стало «%(value)s»; %(who)s, "
                "%(when)s%(approved)s; причина: %(reason)s",
                previous=cell.previous or "—",
                value=cell.value,
                who=names.get(cell.changed_by, ""),
                when=_moment(cell.changed_at) if cell.changed_at else "",
                approved=approved,
                reason=cell.reason,
            )
        )


def head(cols: list[Column], lesson_url: str) -> Markup:
    """The header cells of the lessons: the date linking to the lesson's form (the topic in
    its title), the column's kind and weight; ``open`` and ``week`` as classes.
    ``lesson_url``: a lesson's address with ``{}`` for its id."""
    parts = []
    for c in cols:
        lesson = c.lesson
        classes = "day" + (" open" if c.open else "") + (" week" if c.this_week else "")
        parts.append(
            f'<th class="{classes}" id="col-{lesson.lesson_id}" data-lesson="{lesson.lesson_id}" '
            f'data-kind="{escape(c.kind)}"><a href="{lesson_url.format(lesson.lesson_id)}" '
            f'title="{escape(lesson.topic)}">{lesson.day[8:10]}.{lesson.day[5:7]}</a>'
            f'<small title="{escape(c.title)}">{escape(c.label)}</small></th>'
        )
    # every text went through ``escape``; the ids and days are the views' own
    return Markup("".join(parts))  # noqa: S704


def body(
    grid: Grid,
    pupils: list[str],
    names: dict[str, str],
    cols: list[Column],
    writer: CellWriter,
    finals: Mapping[str, Any],
    final_cell: Callable[[str, Any], str],
    years: Mapping[str, Any] | None = None,
    year_cell: Callable[[str, Any], str] | None = None,
) -> Markup:
    """Every pupil's row: number, name, the lessons' cells, the average and the term mark
    (``final_cell(pupil, mark)`` writes it), then in the grid of the year's last term the
    year mark (``year_cell(pupil, mark)`` of ``years``)."""
    kinds = [c.kind for c in cols]
    averages = grid.averages
    written = writer.rows(grid, kinds)
    parts = []
    for number, pupil in enumerate(pupils, 1):
        cells = written.get(pupil)
        if cells is None:
            cells = written[pupil] = writer.row(grid, pupil, kinds)
        parts.append(
            f'<tr data-pupil="{pupil}"><td class="num">{number}</td>'
            f'<td class="name">{escape(names.get(pupil, ""))}</td>'
            f"{cells}"
            f'<td class="avg">{average(averages.get(pupil), writer.language)}</td>'
            f"{final_cell(pupil, finals.get(pupil))}"
            f"{year_cell(pupil, years.get(pupil)) if years is not None and year_cell else ''}"
            "</tr>"
        )
    # the rows are written by this module and ``CellWriter``, every text escaped
    return Markup("".join(parts))  # noqa: S704


def _moment(text: str) -> str:
    """A view's ISO moment as «ДД.ММ.ГГГГ ЧЧ:ММ» in the school's time zone."""
    return datetime.fromisoformat(text).astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")


def colours(scale_colors: tuple[tuple[str, str], ...]) -> Markup:
    """CSS giving each value of the scale its colour (``policies/grading.toml``), on the
    screen and in print: one rule per value."""
    # the values are escaped by ``_css_text``, the colours checked by the policy's schema
    return Markup(  # noqa: S704
        "".join(f'table.grid .mark[data-v="{_css_text(v)}"]{{color:{c}}}' for v, c in scale_colors)
    )


def _css_text(value: str) -> str:
    """A value inside a CSS string (the colours are checked ``#rrggbb`` by the schema)."""
    return "".join(c if c.isalnum() else f"\\{ord(c):x} " for c in value)


def context(
    grid: Grid,
    names: dict[str, str],
    policies: Policies,
    today: date,
    finals: Mapping[str, Any],
    entry: Entry | None = None,
    years: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What ``journal/grid.html`` needs besides the course: the columns, the header and
    the rows as prepared HTML, the marks' colours, the kinds and codes for typing, and the
    column of today's week the page opens on. ``entry``: the signed-in user may enter marks
    (and, with ``late``, past the deadline); the term marks are then a choice. ``years``:
    the year marks by pupil, in the grid of the year's last term (a column «Год»)."""
    grading = policies.grading
    pupils = by_name(grid.pupils, names)
    may_enter, late = entry is not None, entry is not None and entry.late
    granted = entry.granted if entry is not None else frozenset()
    lesson_url = url_for("journal.lesson", lesson_id=_ZERO).replace(str(_ZERO), "{}")
    # the columns and their header, kept with a grid kept between pages (ADR 0022)
    key = (
        "columns",
        id(policies),
        today,
        may_enter,
        late,
        granted,
        str(get_locale()),
        lesson_url,
    )
    found = grid.memo.get(key)
    if found is None:
        cols = columns(grid, grading, policies.journal, today, may_enter, late, granted)
        found = grid.memo[key] = (cols, head(cols, lesson_url))
    cols, header = found
    iso = today.isoformat()
    return {
        "grid": grid,
        "pupils": pupils,
        "names": names,
        "columns": cols,
        "head": header,
        "body": body(
            grid,
            pupils,
            names,
            cols,
            CellWriter(
                grading,
                names,
                url_for("audit.mark_history", mark_id=_ZERO).replace(str(_ZERO), "{}")
                if access.scope("audit.history") is not None
                else None,
            ),
            finals,
            _linked(
                entry.final_cell if entry is not None else _final_text,
                _explained_url(grid.course_journal_id, grid.term),
            ),
            years,
            _linked(
                entry.year_cell if entry is not None else _year_text,
                _explained_url(grid.course_journal_id, 0),
            ),
        ),
        "years": years is not None,
        "colours": colours(grading.scale(grid.scale).colors),
        "trail": access.scope("audit.history") is not None,
        "kinds": grading.kinds,
        "codes": tuple(policies.attendance.codes),
        "now": next(
            (i for i, c in enumerate(cols) if c.this_week or c.lesson.day >= iso),
            len(cols) - 1,
        ),
    }


_ZERO = UUID(int=0)


def _explained_url(course_journal_id: str, term: int) -> str:
    """The address of a pupil's term (``term`` 0: year) mark explained, ``{}`` for the
    pupil's id."""
    return url_for(
        "journal.final_explained",
        course_journal_id=course_journal_id,
        term=term,
        student_id=_ZERO,
    ).replace(str(_ZERO), "{}")


def _corrected_star(final: Any) -> str:
    if not (final and final.corrected):
        return ""
    title = escape(_("Исправлено: %(reason)s", reason=final.reason))
    return f' <span class="corrected" title="{title}">*</span>'


def _linked(cell: Callable[[str, Any], str], link: str) -> Callable[[str, Any], str]:
    """``cell`` with a link to the mark's explanation (ADR 0024) when the mark is set."""
    title = escape(_("Как получена отметка"))
    text = escape(_("расчёт"))

    def write(pupil: str, final: Any) -> str:
        html = cell(pupil, final)
        if not final:
            return html
        anchor = f' <a class="explain" href="{link.format(pupil)}" title="{title}">{text}</a>'
        return html.removesuffix("</td>") + anchor + "</td>"

    return write


def _final_text(pupil: str, final: Any, classes: str = "final") -> str:
    """The term mark of a reader who may not set it."""
    value = escape(final.value) if final else ""
    return f'<td class="{classes}">{value}{_corrected_star(final)}</td>'


def _year_text(pupil: str, final: Any) -> str:
    """The year mark of a reader who may not set it."""
    return _final_text(pupil, final, "final year")


@dataclass(frozen=True)
class Entry:
    """A user who may enter marks in the grid: the term mark (and, in the year's last term,
    the year mark) is a choice among ``values`` (a refused form's choice kept from
    ``form``)."""

    values: tuple[str, ...]
    form: Mapping[str, str]
    late: bool
    label: str  # «Четвертная отметка: %(name)s», translated, with the placeholder
    names: Mapping[str, str]
    year_label: str = ""  # «Годовая отметка: %(name)s»
    #: Lessons past the deadline the user may enter under an approved late-entry request.
    granted: frozenset[str] = frozenset()

    options: dict[str, str] = field(default_factory=dict, compare=False)

    def final_cell(self, pupil: str, final: Any) -> str:
        """The term mark as a choice, named for screen readers by the pupil's name."""
        return self._choice(pupil, final, "final", "why", self.label, "final")

    def year_cell(self, pupil: str, final: Any) -> str:
        """The year mark as a choice (fields ``year-<pupil>``, ``ywhy-<pupil>``)."""
        return self._choice(pupil, final, "year", "ywhy", self.year_label, "final year")

    def _choice(
        self, pupil: str, final: Any, field: str, why_field: str, label: str, classes: str
    ) -> str:
        """A final mark's choice and, while it is not set, the box for the reason it
        differs from the rounded average."""
        if not self.options:
            self.options.update((v, str(escape(v))) for v in self.values)
        chosen = self.form.get(f"{field}-{pupil}", final.value if final else "")
        options = "".join(
            f"<option selected>{text}</option>" if v == chosen else f"<option>{text}</option>"
            for v, text in self.options.items()
        )
        named = escape(label.replace("%(name)s", self.names.get(pupil, "")))
        why = ""
        if not final or self.form.get(f"{why_field}-{pupil}"):
            hint = escape(_("Причина, если отметка отличается от округлённого среднего"))
            why = (
                f' <input name="{why_field}-{pupil}" class="why" maxlength="500" size="8"'
                f' value="{escape(self.form.get(f"{why_field}-{pupil}", ""))}"'
                f' placeholder="{escape(_("причина"))}" title="{hint}"'
                f' aria-label="{named}: {escape(_("причина"))}">'
            )
        return (
            f'<td class="{classes}"><select name="{field}-{pupil}" aria-label="{named}">'
            f'<option value=""></option>{options}</select>{why}{_corrected_star(final)}</td>'
        )


class CellsInvalid(Exception):
    """Cells of a column whose text is not marks and attendance codes: the Russian message
    per pupil id."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


#: The most a cell may hold: characters typed, and marks and codes.
CELL_CHARS, CELL_TOKENS = 60, 8


def parse_column(
    form: Mapping[str, str],
    pupils: Sequence[str],
    scale: Scale,
    grading: GradingPolicy,
    codes: Mapping[str, object],
) -> list[ColumnCell]:
    """The cells of a column form (``cell-<pupil>``: what was typed, ``was-<pupil>``: the
    ids of the marks the cell showed): each token of a cell is an attendance code («Н»), or
    a value of the scale, alone («5») or with a kind's short («5кр»). ``CellsInvalid``
    names every cell that is not."""
    shorts = {k.short: code for code, k in grading.kinds.items()}
    found, problems = [], {}
    for key, text in form.items():
        if not key.startswith("cell-"):
            continue
        pupil = key.removeprefix("cell-")
        try:
            if pupil not in pupils:
                raise ValueError(_("Обучающийся не из списка урока."))
            found.append(
                _cell(UUID(pupil), text, form.get(f"was-{pupil}", ""), scale, shorts, codes)
            )
        except ValueError as error:
            problems[pupil] = str(error)
    if problems:
        raise CellsInvalid(problems)
    return found


def _cell(
    pupil: UUID,
    text: str,
    was: str,
    scale: Scale,
    shorts: dict[str, str],
    codes: Mapping[str, object],
) -> ColumnCell:
    tokens = text.split()
    if len(text) > CELL_CHARS or len(tokens) > CELL_TOKENS:
        raise ValueError(_("В ячейке слишком много записей."))
    try:
        shown = tuple(UUID(i) for i in was.split())
    except ValueError:
        raise ValueError(_("Неверные отметки ячейки: обновите страницу.")) from None
    marks: list[tuple[str, str | None]] = []
    attendance = ""
    for token in tokens:
        if token.upper() in codes:
            if attendance:
                raise ValueError(_("Посещаемость указывается в ячейке один раз."))
            attendance = token.upper()
            continue
        marks.append(_mark(token, scale, shorts, codes))
    return ColumnCell(pupil, shown, tuple(marks), attendance)


def _mark(
    token: str, scale: Scale, shorts: dict[str, str], codes: Mapping[str, object]
) -> tuple[str, str | None]:
    """``(value, kind or None)`` of a typed mark: the longest value of the scale the token
    begins with, then nothing or a kind's short."""
    lowered = token.lower()
    for value in sorted(scale.values, key=len, reverse=True):
        if lowered.startswith(value.lower()):
            rest = lowered[len(value) :]
            if not rest:
                return value, None
            if rest in shorts:
                return value, shorts[rest]
    raise ValueError(
        _(
            "Не понято «%(token)s»: отметка — %(values)s (с видом работы, например "
            "«%(example)s»), посещаемость — %(codes)s.",
            token=token,
            values=", ".join(scale.values),
            example=scale.values[-1] + next(iter(shorts), ""),
            codes=", ".join(codes),
        )
    )
