"""Record history: every event of every record — who, when, what and why — with the values
before and after a change («кто, когда, почему»).

Built **on demand** (ADR 0029): a record's history depends only on the record's own events,
so it is not kept in the database and not rebuilt with the views; ``OnDemand`` builds the
history tables of the records a query names from those records' stored events (the store
reads one record's events by its id), in memory, with the same handlers a stored view would
run — the same rows a full replay of the log gives, by construction.

Values can be personal data (a pupil's corrected names; free-text reasons), so an event's
values, its before/after values and its reason are kept in one blob sealed under the
record's series key; only the frame (position, record, version, time, actor, type) is
plain. A destroyed key leaves the frame and nothing else. The series of a record is known
only from its creation event, so it is kept in ``v_record_series``; the values a change
replaces are kept in ``v_history_marks`` and ``v_history_state`` (names sealed there too).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import AggregateCreated
from eventsourcing.persistence import Notification

from domain import auth_context, ids
from domain.account import Account
from domain.base import Redacted
from domain.grades import TermGrades, YearGrades
from domain.lesson import Lesson
from domain.people import Student
from projections.schema import Table
from projections.store import MemoryStore, Reader, Row, ViewStore
from projections.view import Applied, Sealer, View, event_name, stamped_after, when
from projections.views import grid


def _text(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, "text") for name in names)


HISTORY = Table(
    "v_history",
    (
        ("position", "int"),
        *_text("originator_id"),
        ("version", "int"),
        *_text("time", "actor", "type", "aggregate", "mark_id", "certificate_id"),
        ("redacted", "int"),
        ("sealed", "blob"),
    ),
    ("position",),
    (("originator_id",), ("mark_id",)),
    sealed_with=("originator_id", "version"),
)
SERIES = Table("v_record_series", _text("originator_id", "series"), ("originator_id",))
MARKS = Table(
    "v_history_marks",
    _text("mark_id", "value", "kind", "supersedes", "superseded_by"),
    ("mark_id",),
)
STATE = Table(
    "v_history_state",
    (*_text("originator_id", "item", "value"), ("sealed", "blob")),
    ("originator_id", "item"),
    sealed_with=("originator_id", "item"),
)

CANCELLED = "аннулирована"
#: Event attributes that are the row's frame, not its values.
_META = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "reason",
        auth_context.ATTRIBUTE,
    }
)
#: Never shown, not even sealed.
_HIDDEN = frozenset({"password_hash", "digest"})  # credentials: a password hash, a token digest
_NAMES = ("surname", "name", "patronymic", "birth_date")

Values = dict[str, Any]
Change = Callable[[ViewStore, Any, Applied, str], tuple[Values, Values]]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)  # UUID and anything else


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_jsonable)


# --- remembered state ------------------------------------------------------------------------
def _recall(store: ViewStore, e: Any, applied: Applied, item: str) -> Any:
    """The value last remembered for ``item`` of the event's record (None if none)."""
    row = store.get(STATE, (str(e.originator_id), item))
    if row is None:
        return None
    if row["sealed"] is not None:
        data = applied.sealer.open(bytes(row["sealed"]), f"{e.originator_id}/{item}".encode())
        return None if data is None else json.loads(data)
    return json.loads(row["value"])


def _swap(
    store: ViewStore, e: Any, applied: Applied, item: str, new: Values, series: str | None = None
) -> tuple[Values, Values]:
    """Remember ``new`` for ``item`` (sealed under ``series`` when given); return
    (before, after)."""
    before = _recall(store, e, applied, item) or {}
    text = _dumps(new)
    row: dict[str, Any] = {"originator_id": str(e.originator_id), "item": item}
    if series is None:
        row["value"] = text
    else:
        context = f"{e.originator_id}/{item}".encode()
        row["sealed"] = applied.sealer.seal(series, text.encode(), context)
    store.upsert(STATE, row)
    return before, json.loads(text)


def _setting(change: Change) -> Change:
    """The same bookkeeping for a first setting: remembered, but no before/after shown."""

    def handle(store: ViewStore, e: Any, applied: Applied, series: str) -> tuple[Values, Values]:
        change(store, e, applied, series)
        return {}, {}

    return handle


# --- before/after of each kind of change -------------------------------------------------------
def _replaces(
    item: Callable[[Any], str],
    *fields: str,
    sealed: bool = False,
    absent: Values | None = None,
    sealed_under: Callable[[Any], str] | None = None,
) -> Change:
    """A change of ``fields``, remembered per record under ``item(event)``; ``sealed``
    under the record's series for personal data (or under ``sealed_under(event)``, e.g. the
    pupil's own series); ``absent`` is "before" the first one."""

    def handle(store: ViewStore, e: Any, applied: Applied, series: str) -> tuple[Values, Values]:
        new = {f: getattr(e, f) for f in fields}
        under = sealed_under(e) if sealed_under else (series if sealed else None)
        before, after = _swap(store, e, applied, item(e), new, under)
        return before or dict(absent or {}), after

    return handle


_topic = _replaces(lambda e: "topic", "topic", "homework")
#: An attendance code is remembered sealed under the pupil's key: «Б» is health data.
_attendance = _replaces(
    lambda e: f"attendance:{e.student_id}",
    "code",
    absent={"code": ""},
    sealed_under=lambda e: ids.person_series(UUID(str(e.student_id))),
)
_term_mark = _replaces(lambda e: f"term:{e.student_id}", "value")
_year_mark = _replaces(lambda e: f"year:{e.course_journal_id}:{e.student_id}", "value")
_result = _replaces(lambda e: f"{e.kind}:{e.course_journal_id}:{e.student_id}", "value")
_decision = _replaces(
    lambda e: f"decision:{e.student_id}", "decision", "protocol_no", "protocol_date"
)
_details = _replaces(lambda e: "details", *_NAMES, sealed=True)
_requested = _setting(_replaces(lambda e: f"request:{e.request_id}", "mark_id"))


def _mark_value(store: ViewStore, mark_id: Any) -> Values:
    row = store.get(MARKS, (str(mark_id),))
    return {"value": row["value"], "kind": row["kind"]} if row else {}


def _mark(store: ViewStore, e: Any, _: Applied, __: str) -> tuple[Values, Values]:
    """A new mark; a correction also shows the value and kind it supersedes."""
    supersedes = getattr(e, "supersedes", None)
    row = {"mark_id": e.mark_id, "value": e.value, "kind": e.kind, "supersedes": supersedes}
    store.upsert(MARKS, row)
    if supersedes is None:
        return {}, {}
    store.update(MARKS, (str(supersedes),), {"superseded_by": e.mark_id})
    return _mark_value(store, supersedes), {"value": e.value, "kind": e.kind}


def _mark_cancelled(store: ViewStore, e: Any, _: Applied, __: str) -> tuple[Values, Values]:
    return _mark_value(store, e.mark_id), {"value": CANCELLED}


def _roles(grant: bool | None) -> Change:
    def handle(store: ViewStore, e: Any, applied: Applied, _: str) -> tuple[Values, Values]:
        if grant is None:  # created with its roles
            roles = set(e.roles)
        else:
            held = set((_recall(store, e, applied, "roles") or {}).get("roles", []))
            roles = held | {e.role} if grant else held - {e.role}
        return _swap(store, e, applied, "roles", {"roles": sorted(roles)})

    return handle


#: Before/after values, by event class (every other event is recorded with its values only).
_CHANGES: dict[type[Any], Change] = {
    Lesson.Held: _setting(_topic),
    Lesson.TopicChanged: _topic,
    Lesson.MarkRecorded: _mark,
    Lesson.MarkCorrected: _mark,
    Lesson.MarkCancelled: _mark_cancelled,
    Lesson.AttendanceMarked: _attendance,
    Lesson.AttendanceCorrected: _attendance,
    Lesson.CorrectionRequested: _requested,
    TermGrades.TermMarkSet: _setting(_term_mark),
    TermGrades.TermMarkCorrected: _term_mark,
    YearGrades.YearMarkSet: _setting(_year_mark),
    YearGrades.YearMarkCorrected: _year_mark,
    YearGrades.ResultMarkSet: _result,
    YearGrades.DecisionRecorded: _decision,
    Student.Registered: _setting(_details),
    Student.DetailsCorrected: _details,
    Account.Created: _setting(_roles(None)),
    Account.RoleGranted: _roles(True),
    Account.RoleRevoked: _roles(False),
    Account.RoleGrantConfirmed: _roles(True),
}


# --- the handler -----------------------------------------------------------------------------
def _series(store: ViewStore, e: Any) -> str:
    """The record's series: from its creation event, remembered for the later ones."""
    series = getattr(e, "series", None)
    if isinstance(e, AggregateCreated) and series:
        store.upsert(SERIES, {"originator_id": e.originator_id, "series": series})
        return str(series)
    row = store.get(SERIES, (str(e.originator_id),))
    return str(row["series"]) if row else f"record/{e.originator_id}"


def _mark_of(store: ViewStore, e: Any, applied: Applied) -> str | None:
    """The mark an event concerns (directly, or through its correction request)."""
    if getattr(e, "mark_id", None) is not None:
        return str(e.mark_id)
    if getattr(e, "request_id", None) is not None:
        found = _recall(store, e, applied, f"request:{e.request_id}")
        return None if found is None else str(found["mark_id"])
    return None


def _record(store: ViewStore, e: Any, applied: Applied) -> None:
    """Write the history row of one event (and the state its successors compare with).
    A destroyed event keeps its type, version and certificate, and no values."""
    row: dict[str, Any] = {
        "position": applied.position,
        "originator_id": e.originator_id,
        "version": e.originator_version,
    }
    if isinstance(e, Redacted):
        name = e.original_topic.rpartition(":")[2]
        row |= {"redacted": 1, "certificate_id": e.certificate_id}
    else:
        name = event_name(e)
        series = _series(store, e)
        row["mark_id"] = _mark_of(store, e, applied)
        change = _CHANGES.get(type(e))
        before, after = change(store, e, applied, series) if change else ({}, {})
        values = {k: v for k, v in vars(e).items() if k not in _META | _HIDDEN}
        reason = str(getattr(e, "reason", "") or "")
        by = auth_context.of_event(e)
        payload = _dumps(
            {
                "values": values,
                "before": before,
                "after": after,
                "reason": reason,
                "auth": by.stored() if by else {},
            }
        )
        context = f"{e.originator_id}/{e.originator_version}".encode()
        row |= {"time": when(e), "actor": getattr(e, "actor", None), "redacted": 0}
        row["sealed"] = applied.sealer.seal(series, payload.encode(), context)
    row["aggregate"], _, row["type"] = name.rpartition(".")
    store.upsert(HISTORY, row)


VIEW = View(
    name="history",
    title="История записей: кто, когда, почему; значения до и после",
    tables=(HISTORY, SERIES, MARKS, STATE),
    every=_record,
)


# --- on demand -------------------------------------------------------------------------------
#: One record's stored events, in version order, each with its position in the log (the
#: composition root reads them by the record's id: ``ejournal.record_log``).
RecordLog = Callable[[str], Sequence[Notification]]
#: A stored event → the event (None when it fails authentication: passed over).
Decode = Callable[[Notification], object | None]
#: The tables ``OnDemand`` builds; every other table is read from the views.
ON_DEMAND = frozenset(t.name for t in VIEW.tables)


class OnDemand:
    """A ``Reader`` of the views in which the history tables are built on demand: a query
    on them names its records (``originator_id``) or marks (``mark_id``: the grid view
    knows each mark's lesson), and those records' events are read by id, decoded and
    applied to the history's handlers in memory — once per record for this reader's life.
    With ``until``, events stamped after it are left out (an as-of replay)."""

    def __init__(
        self,
        base: Reader,
        log: RecordLog,
        decode: Decode,
        sealer: Sealer,
        until: datetime | None = None,
    ) -> None:
        self.base, self.log, self.decode, self.sealer, self.until = (
            base,
            log,
            decode,
            sealer,
            until,
        )
        self.memory = MemoryStore()
        self.built: set[str] = set()

    def build(self, records: Iterable[Any]) -> None:
        """Apply the events of each record not built yet."""
        for record in records:
            key = str(record)
            if key in self.built:
                continue
            self.built.add(key)
            for note in self.log(key):
                event = self.decode(note)
                if event is None or (self.until is not None and stamped_after(event, self.until)):
                    continue
                VIEW.apply(self.memory, event, Applied(note.id, self.sealer, note))

    def _lessons(self, marks: Iterable[Any]) -> list[str]:
        rows = self.base.select(grid.MARKS, within=("mark_id", [str(m) for m in marks]))
        return [str(r["lesson_id"]) for r in rows]

    def _records(
        self, table: Table, where: Mapping[str, Any], within: tuple[str, list[Any]] | None
    ) -> list[str]:
        """The records a query on ``table`` concerns; ``ValueError`` when it names none."""
        if "originator_id" in where:
            return [str(where["originator_id"])]
        if within is not None and within[0] == "originator_id":
            return [str(r) for r in within[1]]
        if table.name in (HISTORY.name, MARKS.name):
            if "mark_id" in where:
                return self._lessons([where["mark_id"]])
            if within is not None and within[0] == "mark_id":
                return self._lessons(within[1])
        raise ValueError(
            f"{table.name} is built per record on demand: select it by originator_id "
            "(or a mark's rows by mark_id)"
        )

    def get(self, table: Table, key: Sequence[Any]) -> Row | None:
        if table.name not in ON_DEMAND:
            return self.base.get(table, key)
        self.build(self._records(table, dict(zip(table.key, key, strict=True)), None))
        return self.memory.get(table, key)

    def select(
        self,
        table: Table,
        where: Mapping[str, Any] | None = None,
        within: tuple[str, Iterable[Any]] | None = None,
    ) -> list[Row]:
        if table.name not in ON_DEMAND:
            return self.base.select(table, where, within)
        listed = None if within is None else (within[0], list(within[1]))
        self.build(self._records(table, where or {}, listed))
        return self.memory.select(table, where, listed)


# --- queries ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryRow:
    """One event of a record as the history shows it; ``redacted`` when its data key was
    destroyed (values, before, after and reason are then empty)."""

    position: int
    version: int
    time: datetime | None
    actor: str | None
    type: str
    reason: str
    values: dict[str, Any] = field(hash=False)
    before: dict[str, Any] = field(hash=False)
    after: dict[str, Any] = field(hash=False)
    redacted: bool = False
    aggregate: str = ""
    certificate_id: str = ""
    #: How the actor was authenticated (``domain.auth_context``): kind, ref, name; empty
    #: for events saved before it was recorded.
    auth: dict[str, str] = field(default_factory=dict, hash=False)
    #: The record (aggregate) the event belongs to: the lesson of a mark's events.
    record_id: str = ""


#: History rows whose values hold an attendance code (``grid.Codes`` decides who sees it).
_ATTENDANCE_TYPES = frozenset({"AttendanceMarked", "AttendanceCorrected"})


def _codes_shown(opened: dict[str, Any]) -> dict[str, Any]:
    """An attendance event's values as the current reader may see them: a sensitive code
    («Б») as its ``shown_as`` for a reader not allowed it, and then no reason (it may name
    the illness). Unchanged outside ``grid.reading_codes`` (the CLI's operator)."""
    codes = grid.reading()
    if codes is None or codes.allowed:
        return opened
    parts = {k: dict(opened.get(k) or {}) for k in ("values", "before", "after")}
    hidden = False
    for part in parts.values():
        if "code" in part:
            shown = codes.shown(str(part["code"]))
            hidden |= shown != part["code"]
            part["code"] = shown
    return {**opened, **parts, "reason": "" if hidden else opened.get("reason", "")}


def _history_row(sealer: Sealer, row: Mapping[str, Any]) -> HistoryRow:
    payload: dict[str, Any] | None = None
    if not row["redacted"] and row["sealed"] is not None:
        context = f"{row['originator_id']}/{row['version']}".encode()
        data = sealer.open(bytes(row["sealed"]), context)
        payload = None if data is None else json.loads(data)
    opened = payload or {}
    if opened and row["type"] in _ATTENDANCE_TYPES:
        opened = _codes_shown(opened)
    return HistoryRow(
        position=int(row["position"]),
        version=int(row["version"]),
        time=datetime.fromisoformat(row["time"]) if row["time"] else None,
        actor=row["actor"],
        type=row["type"],
        reason=opened.get("reason", ""),
        values=opened.get("values", {}),
        before=opened.get("before", {}),
        after=opened.get("after", {}),
        redacted=payload is None,
        aggregate=row["aggregate"] or "",
        certificate_id=row["certificate_id"] or "",
        auth=opened.get("auth", {}),
        record_id=str(row["originator_id"]),
    )


def record_history(reader: Reader, sealer: Sealer, originator_id: UUID | str) -> list[HistoryRow]:
    """Every event of a record, in order (empty when the record is unknown)."""
    rows = reader.select(HISTORY, {"originator_id": str(originator_id)})
    return [_history_row(sealer, r) for r in rows]


def _chain(reader: Reader, mark_id: str) -> list[str]:
    """The ids of a mark's chain of corrections: the original first."""
    row = reader.get(MARKS, (mark_id,))
    seen: set[str] = set()
    while row is not None and row["supersedes"] and row["mark_id"] not in seen:
        seen.add(row["mark_id"])
        row = reader.get(MARKS, (row["supersedes"],))
    chain: list[str] = []
    while row is not None and row["mark_id"] not in chain:
        chain.append(row["mark_id"])
        row = reader.get(MARKS, (row["superseded_by"],)) if row["superseded_by"] else None
    return chain


def mark_history(reader: Reader, sealer: Sealer, mark_id: UUID | str) -> list[HistoryRow]:
    """A mark's story across corrections — entry, correction requests and decisions,
    corrections, cancellation — in order: who, when and why, for the grid's tooltip."""
    chain = _chain(reader, str(mark_id))
    if not chain:
        return []
    return [_history_row(sealer, r) for r in reader.select(HISTORY, within=("mark_id", chain))]
