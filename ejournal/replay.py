"""``ejournal replay``: any view as it stood at a moment, built in memory from the events.

Each entry maps a view name to the query it runs and the filters it needs. The same
functions serve the UI (``Views.reads`` methods with ``as_of``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from projections.service import Views
from projections.views import grid as grid_view

Options = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Replay:
    """A replayable view: what it needs and how it is queried."""

    needs: tuple[str, ...]
    query: Callable[[Views, datetime, Options], Any]


REPLAYS: dict[str, Replay] = {
    "grid": Replay(
        ("course", "term"), lambda v, at, o: v.reads.journal.grid(o["course"], o["term"], as_of=at)
    ),
    "class-journal": Replay(
        ("group", "term"),
        lambda v, at, o: v.reads.reports.class_journal(o["group"], o["term"], as_of=at),
    ),
    "term-marks": Replay(
        ("course", "term"),
        lambda v, at, o: v.reads.journal.term_marks(o["course"], o["term"], as_of=at),
    ),
    "year-marks": Replay(
        ("group",), lambda v, at, o: v.reads.journal.year_marks(o["group"], as_of=at)
    ),
    "diary": Replay(
        ("student",),
        lambda v, at, o: v.reads.reports.diary(
            o["student"],
            first=o.get("first"),
            last=o.get("last"),
            since=o.get("since"),
            year_id=o.get("year"),
            as_of=at,
        ),
    ),
    "attendance": Replay(
        ("group", "first", "last"),
        lambda v, at, o: v.reads.reports.attendance(o["group"], o["first"], o["last"], as_of=at),
    ),
    "completeness": Replay(
        ("group", "term"),
        lambda v, at, o: v.reads.reports.completeness(
            day=at.date(), group_id=o["group"], term=o["term"], as_of=at
        ),
    ),
    "history": Replay(("record",), lambda v, at, o: v.reads.audit.history(o["record"], as_of=at)),
    "summary": Replay(
        ("group",), lambda v, at, o: v.reads.reports.summary_sheet(o["group"], as_of=at)
    ),
}


def to_plain(value: Any) -> Any:
    """JSON-ready form of query results (dataclasses, tuples as keys, dates, ids)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            ("|".join(map(str, k)) if isinstance(k, tuple) else str(k)): to_plain(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def as_json(result: Any) -> str:
    """The result as indented JSON (Cyrillic kept readable)."""
    return json.dumps(to_plain(result), ensure_ascii=False, indent=1)


def render(views: Views, result: Any) -> str:
    """Text output: a table for grids (and class journals), indented JSON otherwise."""
    if isinstance(result, grid_view.Grid):
        return render_grid(views, result)
    grids = getattr(result, "grids", None)
    if isinstance(grids, tuple | list) and all(isinstance(g, grid_view.Grid) for g in grids):
        return "\n\n".join(render_grid(views, g) for g in grids)
    return as_json(result)


def render_grid(views: Views, grid: grid_view.Grid) -> str:
    """A grid as a text table: pupils × lessons, then the weighted average."""
    heads = [lesson.day[5:].replace("-", ".") for lesson in grid.lessons]
    lines = [
        f"{grid.subject}, период {grid.term}",
        "ФИО".ljust(24) + " ".join(h.rjust(6) for h in heads) + "  средний",
    ]
    names = {p: views.reads.people.name(p, short=True) for p in grid.pupils}
    for pupil in sorted(grid.pupils, key=lambda p: names[p]):
        cells = []
        for lesson in grid.lessons:
            marks = "/".join(
                c.value + ("*" if c.corrected else "")
                for c in grid.marks.get((pupil, lesson.lesson_id), ())
            )
            code = grid.attendance.get((pupil, lesson.lesson_id), "")
            cells.append((marks or code).rjust(6))
        average = grid.averages.get(pupil)
        lines.append(
            views.reads.people.name(pupil, short=True)[:23].ljust(24)
            + " ".join(cells)
            + f"  {average if average is not None else '—'}"
        )
    lines.append("* исправленная отметка")
    return "\n".join(lines)
