"""Reading the records register: each series' state as of a day, holds, dispositions.

A series is open until its trigger cuts it off; then closed until its retention period
has run out; then due — unless a disposition has claimed it (proposed, approved) or
disposed of it (destroyed, transferred). A person's identity (``last_record_disposed``) is
cut off on the day the last series that mentions the person was disposed of.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.account import STAFF_ROLES
from domain.holds import Hold, SeriesFacts
from domain.policies import RecordClass, RetentionPolicy
from projections.store import Reader
from projections.view import Sealer
from projections.views import accounts as accounts_view
from projections.views import catalog
from projections.views.records_register import (
    DISPOSITIONS,
    FILES,
    HOLDS,
    ITEMS,
    MENTIONED,
    RECORDS,
    SERIES,
)

DISPOSED = ("destroyed", "transferred")
STATES = ("open", "closed", "due", "proposed", "approved", *DISPOSED, "permanent")


@dataclass(frozen=True)
class RegisterEntry:
    """One series in the register, as of a day."""

    series: str
    record_class: str
    year: str
    group: str
    state: str
    cut_off: date | None
    due_on: date | None
    events: int
    files: int
    holds: tuple[str, ...]
    disposition_id: str | None
    certificate_id: str | None
    disposed_at: datetime | None
    subjects: frozenset[str] = field(default_factory=frozenset)
    #: The number of the act a transferred series was handed over by («передано по акту
    #: № …»); "" otherwise.
    act_number: str = ""

    @property
    def held(self) -> bool:
        """Under at least one hold in force."""
        return bool(self.holds)

    def facts(self) -> SeriesFacts:
        """What holds are matched against."""
        return SeriesFacts(self.series, self.record_class, self.year, self.group, self.subjects)


@dataclass(frozen=True)
class HoldRow:
    """A hold, with its reasons opened."""

    hold_id: str
    kind: str
    value: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str = ""

    @property
    def active(self) -> bool:
        """In force."""
        return self.released_at is None

    def hold(self) -> Hold:
        """The domain's hold, for matching."""
        return Hold(
            UUID(self.hold_id),
            self.kind,
            self.value,
            self.reason,
            UUID(self.placed_by),
            self.placed_at,
            self.released_at,
        )


@dataclass(frozen=True)
class DispositionRow:
    """A disposition in the register, with its items and (once executed) certificate."""

    disposition_id: str
    action: str
    state: str
    as_of: date
    items: tuple[dict[str, Any], ...]
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    why: dict[str, Any]
    executed_by: str | None
    executed_at: datetime | None
    certificate: dict[str, Any] | None
    refusals: int


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _opened(sealer: Sealer, blob: Any, context: str) -> dict[str, Any]:
    """A sealed JSON value of the register (reasons), or {} when none."""
    opened = sealer.open(bytes(blob), context.encode()) if blob is not None else None
    return dict(json.loads(opened)) if opened else {}


def holds(reader: Reader, sealer: Sealer) -> list[HoldRow]:
    """Every hold, newest first."""
    found = []
    for r in reader.select(HOLDS):
        reasons = _opened(sealer, r["sealed"], f"hold/{r['hold_id']}")
        found.append(
            HoldRow(
                r["hold_id"],
                r["kind"],
                r["value"],
                reasons.get("reason", ""),
                r["placed_by"],
                datetime.fromisoformat(r["placed_at"]),
                r["released_by"],
                _dt(r["released_at"]),
                reasons.get("release_reason", ""),
            )
        )
    return sorted(found, key=lambda h: h.placed_at, reverse=True)


def dispositions(
    reader: Reader, sealer: Sealer, disposition_id: str | None = None
) -> list[DispositionRow]:
    """Every disposition (or one), newest first."""
    where = {"disposition_id": disposition_id} if disposition_id else None
    items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in reader.select(ITEMS, where):
        items[item["disposition_id"]].append(item)
    found = []
    for r in reader.select(DISPOSITIONS, where):
        why = _opened(sealer, r["sealed"], f"disposition/{r['disposition_id']}")
        found.append(
            DispositionRow(
                r["disposition_id"],
                r["action"],
                r["state"],
                date.fromisoformat(r["as_of"]),
                tuple(items[r["disposition_id"]]),
                r["proposed_by"],
                datetime.fromisoformat(r["proposed_at"]),
                r["approved_by"],
                _dt(r["approved_at"]),
                r["decided_by"],
                _dt(r["decided_at"]),
                why,
                r["executed_by"],
                _dt(r["executed_at"]),
                json.loads(r["certificate"]) if r["certificate"] else None,
                int(r["refusals"] or 0),
            )
        )
    return sorted(found, key=lambda d: d.proposed_at, reverse=True)


@dataclass(frozen=True)
class TransferredFile:
    """A file handed over to an archive: the act it went by and where it lay."""

    act_number: str
    transferred_at: datetime
    certificate_id: str
    series: str
    path: str
    package: str


def transferred_file(reader: Reader, sha256: str) -> TransferredFile | None:
    """The transfer act whose inventory lists a file with this SHA-256, if any (the file
    itself left the school's custody with the package)."""
    for d in reader.select(DISPOSITIONS, {"state": "transferred"}):
        certificate = json.loads(d["certificate"]) if d["certificate"] else {}
        for item in certificate.get("items", ()):
            for f in item.get("files", ()):
                if f.get("sha256") == sha256:
                    return TransferredFile(
                        str(certificate.get("number", "")),
                        datetime.fromisoformat(certificate["executed_at"]),
                        str(certificate.get("certificate_id", "")),
                        item["series"],
                        f["path"],
                        str(certificate.get("package", {}).get("name", "")),
                    )
    return None


def originators(reader: Reader, series: str) -> list[str]:
    """The records (aggregate ids) of a series."""
    return [r["originator_id"] for r in reader.select(RECORDS, {"series": series})]


def files(reader: Reader, series: str) -> list[dict[str, Any]]:
    """The files registered for a series."""
    return reader.select(FILES, {"series": series})


def mentions(reader: Reader, series: str) -> list[str]:
    """The person series a series mentions."""
    return sorted(r["subject"] for r in reader.select(MENTIONED, {"series": series}))


def mentioning(reader: Reader, person_series: str) -> list[str]:
    """The series that mention a person (whose records keep the person's identity)."""
    return sorted(r["series"] for r in reader.select(MENTIONED, {"subject": person_series}))


def active_staff(reader: Reader) -> set[str]:
    """The person series of active staff accounts: a staff role, and not locked until
    unlocked (a lock after failed logins, with an end, leaves the account active). The
    purpose of processing an employee's data lasts while they work: never due."""
    closed_for_good = {
        r["account_id"] for r in reader.select(accounts_view.LOCKS) if r["until"] is None
    }
    return {
        f"person/{r['account_id']}"
        for r in reader.select(catalog.ACCOUNTS)
        if set(filter(None, (r["roles"] or "").split(","))) & STAFF_ROLES
        and r["account_id"] not in closed_for_good
    }


class _Index:
    """Everything the states are computed from, read once."""

    def __init__(self, reader: Reader) -> None:
        self.rows = {r["series"]: r for r in reader.select(SERIES)}
        self.mentioned_by: dict[str, set[str]] = defaultdict(set)
        self.subjects: dict[str, set[str]] = defaultdict(set)
        for m in reader.select(MENTIONED):
            self.mentioned_by[m["subject"]].add(m["series"])
            self.subjects[m["series"]].add(m["subject"].partition("/")[2])
        self.files: dict[str, int] = defaultdict(int)
        for f in reader.select(FILES):
            self.files[f["series"]] += 1
        self.active_staff = active_staff(reader)
        transfers = {r["disposition_id"] for r in self.rows.values() if r["state"] == "transferred"}
        self.acts = {
            d["disposition_id"]: str(json.loads(d["certificate"]).get("number", ""))
            for d in (
                reader.select(DISPOSITIONS, within=("disposition_id", sorted(transfers)))
                if transfers
                else []
            )
            if d["certificate"]
        }

    def last_disposed(self, series: str) -> date | None:
        """The day the last series mentioning a person was disposed of (None: some kept)."""
        days = []
        for other in self.mentioned_by.get(series, ()):
            row = self.rows.get(other)
            if row is None or row["state"] not in DISPOSED:
                return None
            days.append(datetime.fromisoformat(row["disposed_at"]).date())
        return max(days, default=None)


def _state(
    row: dict[str, Any],
    record_class: RecordClass | None,
    due_on: date | None,
    cut_off: date | None,
    as_of: date,
) -> str:
    if row["state"]:
        return str(row["state"])
    if record_class is not None and record_class.permanent:
        return "permanent"
    if cut_off is None:
        return "open"
    return "due" if due_on is not None and due_on <= as_of else "closed"


def register(
    reader: Reader, policy: RetentionPolicy, as_of: date, active_holds: Iterable[Hold] = ()
) -> list[RegisterEntry]:
    """Every series in the register with its state as of ``as_of``, ordered by name."""
    index = _Index(reader)
    in_force = [h for h in active_holds if h.active]
    entries = []
    for name, row in sorted(index.rows.items()):
        record_class: RecordClass | None = policy.classes.get(row["record_class"])
        if record_class is not None and record_class.trigger == "last_record_disposed":
            cut_off = None if name in index.active_staff else index.last_disposed(name)
        else:
            cut_off = _date(row["cut_off"]) if record_class and not record_class.permanent else None
        due_on = record_class.due_on(cut_off) if record_class and cut_off else None
        subjects = set(index.subjects.get(name, ()))
        if name.startswith("person/"):
            subjects.add(name.partition("/")[2])
        facts = SeriesFacts(
            name, row["record_class"], row["year"] or "", row["grp"] or "", frozenset(subjects)
        )
        entries.append(
            RegisterEntry(
                series=name,
                record_class=row["record_class"],
                year=row["year"] or "",
                group=row["grp"] or "",
                state=_state(row, record_class, due_on, cut_off, as_of),
                cut_off=cut_off,
                due_on=due_on,
                events=int(row["events"] or 0),
                files=index.files.get(name, 0),
                holds=tuple(str(h.hold_id) for h in in_force if h.covers(facts)),
                disposition_id=row["disposition_id"],
                certificate_id=row["certificate_id"],
                disposed_at=_dt(row["disposed_at"]),
                subjects=frozenset(subjects),
                act_number=index.acts.get(row["disposition_id"], ""),
            )
        )
    return entries
