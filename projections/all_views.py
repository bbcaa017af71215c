"""Every view, in processing order. A view's module defines its tables, handlers and
queries; this list is the one place that names them all. (The ledger is not a view: its
own processor, ``projections.sealing.Keeper``, authenticates each row before sealing it. The
records' history is not kept either: ``projections.views.history.OnDemand`` builds it per
record from the record's own events, ADR 0029.)"""

from __future__ import annotations

from projections.view import View
from projections.views import (
    access_log,
    accounts,
    api_tokens,
    archive,
    catalog,
    final_marks,
    grid,
    history,
    notifications,
    policy_versions,
    records_register,
    school_profile,
    timetable,
)

ALL: tuple[View, ...] = (
    catalog.VIEW,
    accounts.VIEW,
    grid.VIEW,
    final_marks.VIEW,
    access_log.VIEW,
    records_register.VIEW,
    api_tokens.VIEW,
    archive.VIEW,
    timetable.VIEW,
    school_profile.VIEW,
    notifications.VIEW,
    policy_versions.VIEW,
)


#: Views no longer kept in the database: their tables are dropped by ``Processor.setup``
#: (the history is built on demand per record since ADR 0029).
RETIRED: tuple[View, ...] = (history.VIEW,)


def by_name(name: str) -> View:
    """The view called ``name``; ``KeyError`` naming the known views."""
    for view in ALL:
        if view.name == name:
            return view
    raise KeyError(f"unknown view {name!r} (known: {', '.join(v.name for v in ALL)})")
