"""Pupils and guardians for the administrator's pages: who is in which class or group and
since when, who has no class yet, whose guardians are whom. Read from the catalogue; names
and birth dates are opened from sealed rows only here, for display."""

from __future__ import annotations

import json
from dataclasses import dataclass

from projections.store import Reader
from projections.view import Sealer
from projections.views import catalog


@dataclass(frozen=True)
class PersonItem:
    """A pupil or a guardian as lists show them (personal data: staff pages only)."""

    person_id: str
    name: str
    birth_date: str = ""  # ISO date; pupils only
    phone: str = ""  # guardians only


@dataclass(frozen=True)
class Period:
    """One stay of a pupil in a class or group: from ``since`` up to the day before
    ``until`` (None: still there)."""

    group_id: str
    group_name: str
    group_kind: str
    student_id: str
    since: str
    until: str | None


def persons(reader: Reader, sealer: Sealer, person_ids: list[str]) -> list[PersonItem]:
    """These people with their details opened, by name."""
    items = []
    for person_id in person_ids:
        fields = catalog.person_fields(reader, sealer, person_id)
        if fields is None:
            items.append(PersonItem(person_id, catalog.DESTROYED))
            continue
        parts = (fields.get("surname", ""), fields.get("name", ""), fields.get("patronymic", ""))
        items.append(
            PersonItem(
                person_id,
                " ".join(p for p in parts if p),
                fields.get("birth_date", ""),
                fields.get("phone", ""),
            )
        )
    return sorted(items, key=lambda p: (p.name.casefold(), p.person_id))


def folded(text: str) -> str:
    """Text as a search compares it: case and «ё» ignored, spaces collapsed."""
    return " ".join(text.casefold().replace("ё", "е").split())


def matches(query: str, *texts: str) -> bool:
    """True when every word of ``query`` is found in one of ``texts`` (a name, a phone)."""
    words, haystack = folded(query).split(), [folded(t) for t in texts]
    return all(any(w in t for t in haystack) for w in words)


def search(reader: Reader, sealer: Sealer, query: str, kind: str | None = None) -> list[str]:
    """Ids of the people (of ``kind``: student, guardian, account) whose name — or, for a
    guardian, phone — holds every word of ``query``. The sealed names are opened here, in
    memory, one person at a time: no name, nor any token of one, is stored to search by
    (ADR 0020). An empty query finds nobody."""
    if not folded(query):
        return []
    rows = reader.select(catalog.PERSONS, {"kind": kind} if kind else None)
    found = []
    for row in rows:
        person_id = str(row["person_id"])
        data = sealer.open(bytes(row["sealed"]), person_id.encode())
        if data is None:
            continue
        fields = json.loads(data)
        parts = [fields.get(k, "") for k in ("surname", "name", "patronymic", "phone")]
        if matches(query, " ".join(parts[:3]), parts[3]):
            found.append(person_id)
    return found


def kind_of(reader: Reader, person_id: str) -> str | None:
    """``student``, ``guardian`` or ``account``; None for an unknown id."""
    row = reader.get(catalog.PERSONS, (person_id,))
    return None if row is None else str(row["kind"])


def of_kind(reader: Reader, kind: str) -> list[str]:
    """Ids of every person of ``kind`` (``student`` or ``guardian``)."""
    return [str(r["person_id"]) for r in reader.select(catalog.PERSONS, {"kind": kind})]


def periods(reader: Reader, *, group_id: str = "", student_id: str = "") -> list[Period]:
    """Stays in groups: of one group's pupils, or of one pupil in every group."""
    where = {"group_id": group_id} if group_id else {"student_id": student_id}
    rows = reader.select(catalog.MEMBERS, where)
    groups = {
        str(g["group_id"]): g
        for g in reader.select(catalog.GROUPS, within=("group_id", [r["group_id"] for r in rows]))
    }
    found = [
        Period(
            str(r["group_id"]),
            str(groups[r["group_id"]]["name"]) if r["group_id"] in groups else "",
            str(groups[r["group_id"]]["kind"]) if r["group_id"] in groups else "",
            str(r["student_id"]),
            str(r["since"]),
            str(r["until"]) if r["until"] else None,
        )
        for r in rows
    ]
    return sorted(found, key=lambda p: (p.since, p.group_name))


def without_class(reader: Reader) -> list[str]:
    """Pupils who are in no class now (registered, withdrawn, or not yet enrolled)."""
    classes = {str(g["group_id"]) for g in reader.select(catalog.GROUPS, {"kind": "class"})}
    placed = {
        str(r["student_id"])
        for r in reader.select(catalog.MEMBERS, within=("group_id", sorted(classes)))
        if r["until"] is None
    }
    return [s for s in of_kind(reader, "student") if s not in placed]


def guardians_of(reader: Reader, student_id: str) -> dict[str, str]:
    """A pupil's guardians: id → relation («мать», «опекун»)."""
    rows = reader.select(catalog.GUARDIANS, {"student_id": student_id})
    return {str(r["guardian_id"]): str(r["relation"]) for r in rows}
