"""The school's profile as documents print it: one row per school, the details sealed
under the profile's series key (the head's name is personal data)."""

from __future__ import annotations

import json

from domain.school_profile import ProfileInfo, SchoolProfile
from projections.schema import Table
from projections.store import Reader, ViewStore
from projections.view import Applied, Sealer, View, by_event, on, when

PROFILE = Table(
    "v_school_profile",
    (
        ("profile_id", "text"),
        ("school", "text"),
        ("series", "text"),
        ("details", "blob"),
        ("changed_at", "text"),
    ),
    ("profile_id",),
    (),
)


def _store(
    store: ViewStore,
    e: SchoolProfile.Recorded | SchoolProfile.Changed,
    applied: Applied,
    school: str,
    series: str,
) -> None:
    context = str(e.originator_id).encode()
    store.upsert(
        PROFILE,
        {
            "profile_id": e.originator_id,
            "school": school,
            "series": series,
            "details": applied.sealer.seal(series, json.dumps(e.profile).encode(), context),
            "changed_at": when(e),
        },
    )


def _recorded(store: ViewStore, e: SchoolProfile.Recorded, applied: Applied) -> None:
    _store(store, e, applied, e.school, e.series)


def _changed(store: ViewStore, e: SchoolProfile.Changed, applied: Applied) -> None:
    (row,) = store.select(PROFILE, {"profile_id": str(e.originator_id)})
    _store(store, e, applied, str(row["school"]), str(row["series"]))


VIEW = View(
    name="school_profile",
    title="Сведения о школе",
    tables=(PROFILE,),
    handlers=by_event(
        on(SchoolProfile.Recorded, _recorded),
        on(SchoolProfile.Changed, _changed),
    ),
)


def profile(reader: Reader, sealer: Sealer, school: str) -> ProfileInfo:
    """The school's profile (empty when never set, or unreadable)."""
    rows = reader.select(PROFILE, {"school": school})
    if not rows:
        return ProfileInfo()
    opened = sealer.open(bytes(rows[0]["details"]), str(rows[0]["profile_id"]).encode())
    return ProfileInfo.from_dict(json.loads(opened)) if opened else ProfileInfo()
