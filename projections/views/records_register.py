"""The records register («реестр дел»): every record series with its class, cut-off,
event count, files, the people it mentions, holds and dispositions.

Fed by the register's own events (``RecordSeries``, ``HoldRegister``, ``Disposition``),
the school year's closing and re-opening (the cut-off), and every event of the log (to
count events per series, and to note whom each series mentions: a person's identity is
kept while any series that mentions them is). Other kinds of records join by being
registered (any series whose prefix ``policies/retention.toml`` gives a class is); a field
that names a person joins by being listed in ``MENTIONS``.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.domain import AggregateCreated

from domain.base import SYSTEM_ACTOR, Redacted
from domain.clock import local_date
from domain.disposition import Disposition
from domain.holds import HoldRegister
from domain.records import RecordSeries
from domain.school_year import SchoolYear
from projections.schema import Table
from projections.store import ViewStore
from projections.view import Applied, Handler, View, by_event, on, when

#: Event fields naming a person the event's series mentions: that person's identity is
#: kept while the series is.
MENTIONS = ("student_id", "guardian_id", "teacher_id", "approver", "actor")
#: Event fields listing people the event's series mentions (an archive volume's pupils
#: and teachers): kept, and held, like ``MENTIONS``.
MENTIONS_MANY = ("mentions",)
#: Event fields naming the person whose records the event's own series belongs to (an
#: account of a pupil or parent): the series is kept while that person's identity is.
OWNED_BY = ("person_id",)
RETENTION = "retention"


def _text(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, "text") for name in names)


SERIES = Table(
    "v_register_series",
    (
        *_text("series", "entry_id", "record_class", "year", "grp", "year_id", "registered_at"),
        ("events", "int"),
        *_text("cut_off", "disposition_id", "state", "disposed_at", "certificate_id"),
        *_text("due_before", "due_after"),  # the last recomputation of its due date
    ),
    ("series",),
    (("year_id",), ("entry_id",), ("disposition_id",)),
)
RECORDS = Table(
    "v_register_records", _text("originator_id", "series"), ("originator_id",), (("series",),)
)
MENTIONED = Table(
    "v_register_mentions", _text("subject", "series"), ("subject", "series"), (("series",),)
)
FILES = Table(
    "v_register_files", (*_text("series", "path", "sha256"), ("size", "int")), ("series", "path")
)
YEARS = Table("v_register_years", _text("year_id", "year", "closed_on"), ("year_id",))
HOLDS = Table(
    "v_register_holds",
    (
        *_text("hold_id", "kind", "value", "placed_by", "placed_at", "released_by", "released_at"),
        ("sealed", "blob"),
    ),
    ("hold_id",),
)
DISPOSITIONS = Table(
    "v_register_dispositions",
    (
        *_text("disposition_id", "action", "state", "as_of"),
        ("items", "int"),
        *_text("proposed_by", "proposed_at", "approved_by", "approved_at", "decided_by"),
        *_text("decided_at", "executed_by", "executed_at", "certificate_id", "certificate"),
        ("refusals", "int"),
        ("sealed", "blob"),
    ),
    ("disposition_id",),
)
ITEMS = Table(
    "v_register_disposition_items",
    _text("disposition_id", "series", "record_class", "action", "cut_off", "due_on"),
    ("disposition_id", "series"),
    (("series",),),
)


# --- every event: counts, records, mentions --------------------------------------------------
def _series_of(store: ViewStore, e: Any) -> str | None:
    if isinstance(e, Redacted):  # destroyed: the keyring still knows the series
        if e.series and e.originator_version == 1:
            store.upsert(RECORDS, {"originator_id": e.originator_id, "series": e.series})
        return e.series or None
    series = getattr(e, "series", None)
    if isinstance(e, AggregateCreated) and isinstance(series, str) and series:
        store.upsert(RECORDS, {"originator_id": e.originator_id, "series": series})
        return series
    row = store.get(RECORDS, (str(e.originator_id),))
    return None if row is None else str(row["series"])


def _every(store: ViewStore, e: Any, _: Applied) -> None:
    series = _series_of(store, e)
    if series is None:
        return
    row = store.get(SERIES, (series,))
    if row is not None:  # one column changed: an update, not the whole row again
        store.update(SERIES, (series,), {"events": int(row["events"] or 0) + 1})
    if isinstance(e, Redacted):
        return
    for field in MENTIONS:
        person = getattr(e, field, None)
        if isinstance(person, UUID) and person != SYSTEM_ACTOR:
            subject = f"person/{person}"
            if subject != series and not (field == "actor" and series.startswith("person/")):
                store.upsert(MENTIONED, {"subject": subject, "series": series})
    for field in MENTIONS_MANY:
        for person in getattr(e, field, None) or ():
            if isinstance(person, UUID) and f"person/{person}" != series:
                store.upsert(MENTIONED, {"subject": f"person/{person}", "series": series})
    for field in OWNED_BY:
        person = getattr(e, field, None)
        if isinstance(person, UUID):
            store.upsert(MENTIONED, {"subject": series, "series": f"person/{person}"})


# --- the register's own events ---------------------------------------------------------------
def _registered(store: ViewStore, e: RecordSeries.Registered, _: Applied) -> None:
    year_id = str(e.year_id) if e.year_id else None
    if year_id is None and e.year:  # a series of a year whose records do not carry it
        found = store.select(YEARS, {"year": e.year})
        year_id = found[0]["year_id"] if found else None
    year = store.get(YEARS, (year_id,)) if year_id else None
    store.upsert(
        SERIES,
        {
            "series": e.record_series,
            "entry_id": e.originator_id,
            "record_class": e.record_class,
            "year": e.year,
            "grp": e.group,
            "year_id": year_id,
            "registered_at": when(e),
            "events": 0,
            "cut_off": year["closed_on"] if year else None,
            "state": "",
        },
    )


def _entry(store: ViewStore, e: Any) -> dict[str, Any] | None:
    rows = store.select(SERIES, {"entry_id": str(e.originator_id)})
    return rows[0] if rows else None


def _file(store: ViewStore, e: RecordSeries.FileRegistered, _: Applied) -> None:
    entry = _entry(store, e)
    if entry is not None:
        store.upsert(
            FILES, {"series": entry["series"], "path": e.path, "sha256": e.sha256, "size": e.size}
        )


def _update_entry(store: ViewStore, e: Any, changes: dict[str, Any]) -> None:
    entry = _entry(store, e)
    if entry is not None:
        store.update(SERIES, (entry["series"],), changes)


def _claimed(store: ViewStore, e: RecordSeries.Claimed, _: Applied) -> None:
    _update_entry(store, e, {"disposition_id": e.disposition_id, "state": "proposed"})


def _released(store: ViewStore, e: RecordSeries.Released, _: Applied) -> None:
    _update_entry(store, e, {"disposition_id": None, "state": ""})


def _rescheduled(store: ViewStore, e: RecordSeries.Rescheduled, _: Applied) -> None:
    """Due dates are computed from the cut-off and the schedule in force, which the event
    was recorded with; the series' row keeps its cut-off and notes the move, so that the
    register says «срок пересчитан» while the date is the one it moved to."""
    _update_entry(
        store,
        e,
        {
            "due_before": e.before.isoformat() if e.before else None,
            "due_after": e.after.isoformat() if e.after else None,
        },
    )


def _disposed(store: ViewStore, e: RecordSeries.Disposed, _: Applied) -> None:
    state = "destroyed" if e.action == "destroy" else "transferred"
    changes = {"state": state, "disposed_at": when(e), "certificate_id": e.certificate_id}
    _update_entry(store, e, changes)


# --- the year's cut-off ----------------------------------------------------------------------
def _year_opened(store: ViewStore, e: SchoolYear.Opened, _: Applied) -> None:
    store.upsert(YEARS, {"year_id": e.originator_id, "year": e.year, "closed_on": None})
    for row in store.select(SERIES, {"year": e.year}):  # registered before the year opened
        if not row["year_id"]:
            store.update(SERIES, (row["series"],), {"year_id": e.originator_id})


def _year_cut_off(closed: bool) -> Handler[SchoolYear.Closed | SchoolYear.Reopened]:
    def handle(store: ViewStore, e: SchoolYear.Closed | SchoolYear.Reopened, _: Applied) -> None:
        closed_on = local_date(when(e)).isoformat() if closed else None
        store.update(YEARS, (str(e.originator_id),), {"closed_on": closed_on})
        for row in store.select(SERIES, {"year_id": str(e.originator_id)}):
            store.update(SERIES, (row["series"],), {"cut_off": closed_on})

    return handle


# --- holds and dispositions ------------------------------------------------------------------
def _seal(applied: Applied, context: str, value: Any) -> bytes:
    data = json.dumps(value, ensure_ascii=False).encode()
    return applied.sealer.seal(RETENTION, data, context.encode())


def _hold_placed(store: ViewStore, e: HoldRegister.Placed, applied: Applied) -> None:
    store.upsert(
        HOLDS,
        {
            "hold_id": e.hold_id,
            "kind": e.kind,
            "value": e.value,
            "placed_by": e.actor,
            "placed_at": when(e),
            "sealed": _seal(applied, f"hold/{e.hold_id}", {"reason": e.reason}),
        },
    )


def _hold_released(store: ViewStore, e: HoldRegister.Released, applied: Applied) -> None:
    row = store.get(HOLDS, (str(e.hold_id),))
    if row is None:
        return
    opened = applied.sealer.open(bytes(row["sealed"]), f"hold/{e.hold_id}".encode())
    reasons = json.loads(opened) if opened else {}
    reasons["release_reason"] = e.reason
    store.update(
        HOLDS,
        (str(e.hold_id),),
        {
            "released_by": e.actor,
            "released_at": when(e),
            "sealed": _seal(applied, f"hold/{e.hold_id}", reasons),
        },
    )


def _proposed(store: ViewStore, e: Disposition.Proposed, _: Applied) -> None:
    store.upsert(
        DISPOSITIONS,
        {
            "disposition_id": e.originator_id,
            "action": e.action,
            "state": "proposed",
            "as_of": e.as_of,
            "items": len(e.items),
            "proposed_by": e.actor,
            "proposed_at": when(e),
            "refusals": 0,
        },
    )
    for item in e.items:
        row = {k: item[k] for k in ITEMS.column_names[1:]}
        store.upsert(ITEMS, {"disposition_id": e.originator_id, **row})
        # Whom the series mentions, kept with the proposal: once the series is destroyed
        # its events no longer tell (a rebuild would forget), and the people's identities
        # are judged on it.
        for subject in item.get("subjects", ()):
            if f"person/{subject}" != item["series"]:
                store.upsert(MENTIONED, {"subject": f"person/{subject}", "series": item["series"]})


def _approved(store: ViewStore, e: Disposition.Approved, _: Applied) -> None:
    key = (str(e.originator_id),)
    store.update(
        DISPOSITIONS, key, {"state": "approved", "approved_by": e.actor, "approved_at": when(e)}
    )
    for item in store.select(ITEMS, {"disposition_id": str(e.originator_id)}):
        store.update(SERIES, (item["series"],), {"state": "approved"})


def _decided(
    store: ViewStore, e: Disposition.Rejected | Disposition.ExecutionRefused, applied: Applied
) -> None:
    """Rejected, or an attempt to execute refused: who, when, and why (sealed)."""
    key = (str(e.originator_id),)
    row = store.get(DISPOSITIONS, key)
    if row is None:
        return
    changes: dict[str, Any] = {"decided_by": e.actor, "decided_at": when(e)}
    if isinstance(e, Disposition.ExecutionRefused):
        changes["refusals"] = int(row["refusals"] or 0) + 1
        why: dict[str, Any] = {"problems": e.problems, "held": e.held}
    else:
        changes["state"] = "rejected"
        why = {"reason": e.reason}
    changes["sealed"] = _seal(applied, f"disposition/{e.originator_id}", why)
    store.update(DISPOSITIONS, key, changes)


def _executed(state: str) -> Handler[Disposition.Executed | Disposition.Transferred]:
    def handle(
        store: ViewStore, e: Disposition.Executed | Disposition.Transferred, _: Applied
    ) -> None:
        changes = {
            "state": state,
            "executed_by": e.actor,
            "executed_at": when(e),
            "certificate_id": e.certificate_id,
            "certificate": json.dumps(e.certificate, ensure_ascii=False, sort_keys=True),
        }
        store.update(DISPOSITIONS, (str(e.originator_id),), changes)

    return handle


VIEW = View(
    name="register",
    title="Реестр дел: серии, классы, отсечка, сроки, приостановки, уничтожение",
    tables=(SERIES, RECORDS, MENTIONED, FILES, YEARS, HOLDS, DISPOSITIONS, ITEMS),
    every=_every,
    handlers=by_event(
        on(RecordSeries.Registered, _registered),
        on(RecordSeries.FileRegistered, _file),
        on(RecordSeries.Claimed, _claimed),
        on(RecordSeries.Released, _released),
        on(RecordSeries.Rescheduled, _rescheduled),
        on(RecordSeries.Disposed, _disposed),
        on(SchoolYear.Opened, _year_opened),
        on(SchoolYear.Closed, _year_cut_off(closed=True)),
        on(SchoolYear.Reopened, _year_cut_off(closed=False)),
        on(HoldRegister.Placed, _hold_placed),
        on(HoldRegister.Released, _hold_released),
        on(Disposition.Proposed, _proposed),
        on(Disposition.Approved, _approved),
        on(Disposition.Rejected, _decided),
        on(Disposition.ExecutionRefused, _decided),
        on(Disposition.Executed, _executed("executed")),
        on(Disposition.Transferred, _executed("transferred")),
    ),
)
