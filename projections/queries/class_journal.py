"""The class journal: the grids of every subject of a class for a term, ordered by subject.

A query over the catalogue and the grid view; it keeps no tables of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.policies import GradingPolicy
from projections.queries.summary import subjects_of
from projections.store import Reader
from projections.views import catalog
from projections.views.grid import Grid, grid


@dataclass(frozen=True)
class ClassJournal:
    """A class's journal for a term: one grid per course journal."""

    group_id: str
    name: str
    term: int
    grids: tuple[Grid, ...]


def class_journal(reader: Reader, grading: GradingPolicy, group_id: str, term: int) -> ClassJournal:
    """Every course journal of a class with its grid for ``term``, ordered by subject."""
    group = reader.get(catalog.GROUPS, (group_id,))
    if group is None:
        raise LookupError(f"no class {group_id}")
    grids = tuple(
        grid(reader, grading, s.course_journal_id, term) for s in subjects_of(reader, group_id)
    )
    return ClassJournal(group_id, group["name"], term, grids)
