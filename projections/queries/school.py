"""The school's structure for the administrator's pages: years, one year or group, and how
many pupils each group has on a day. Read from the catalogue; no personal data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.store import Reader
from projections.views import catalog


def years(reader: Reader) -> list[dict[str, Any]]:
    """Every school year, the latest first."""
    return sorted(reader.select(catalog.YEARS), key=lambda r: str(r["starts"]), reverse=True)


def year(reader: Reader, year_id: str) -> dict[str, Any] | None:
    """One school year, or None."""
    return reader.get(catalog.YEARS, (year_id,))


def group(reader: Reader, group_id: str) -> dict[str, Any] | None:
    """One class or extracurricular group, or None."""
    return reader.get(catalog.GROUPS, (group_id,))


def member_counts(reader: Reader, group_ids: Iterable[str], day: str) -> dict[str, int]:
    """How many pupils each group has on ``day`` (ISO date)."""
    counts: dict[str, int] = {}
    for row in reader.select(catalog.MEMBERS, within=("group_id", sorted(group_ids))):
        if row["since"] <= day and (row["until"] is None or day < row["until"]):
            counts[str(row["group_id"])] = counts.get(str(row["group_id"]), 0) + 1
    return counts
