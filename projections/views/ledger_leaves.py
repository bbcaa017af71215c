"""The ledger: every stored event, in log order, as a leaf of an RFC 9162 Merkle tree.

The view keeps the leaves and the tree's frontier (so the head is known after each event);
signed checkpoints are kept apart by the composition root (they are statements, not a view,
and a rebuild must not drop them). Events that should be followed by a checkpoint (a term
or the year closed) are noted in ``v_ledger_triggers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.school_year import SchoolYear
from projections import merkle
from projections.schema import Table
from projections.store import Reader, ViewStore
from projections.view import Applied, Handler, View, by_event, on

LEAVES = Table("v_ledger_leaves", (("position", "int"), ("leaf", "text")), ("position",))
STATE = Table(
    "v_ledger_state",
    (("id", "int"), ("size", "int"), ("last_position", "int"), ("frontier", "text")),
    ("id",),
)
TRIGGERS = Table("v_ledger_triggers", (("position", "int"), ("reason", "text")), ("position",))


def _frontier(text: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in text.split(",") if h]


def _append(store: ViewStore, _event: Any, applied: Applied) -> None:
    note = applied.notification
    leaf = merkle.leaf_hash(
        note.id, note.originator_id, note.originator_version, note.topic, note.state
    )
    state = store.get(STATE, (1,)) or {"id": 1, "size": 0, "last_position": 0, "frontier": ""}
    frontier = merkle.append(_frontier(state["frontier"]), state["size"], leaf)
    store.upsert(LEAVES, {"position": note.id, "leaf": leaf.hex()})
    store.upsert(
        STATE,
        {
            "id": 1,
            "size": state["size"] + 1,
            "last_position": note.id,
            "frontier": ",".join(h.hex() for h in frontier),
        },
    )


def _trigger(reason: str) -> Handler[object]:
    return lambda store, _e, applied: store.upsert(
        TRIGGERS, {"position": applied.position, "reason": reason}
    )


VIEW = View(
    name="ledger",
    title="Реестр целостности: дерево Меркла над журналом событий",
    tables=(LEAVES, STATE, TRIGGERS),
    every=_append,
    handlers=by_event(
        on(SchoolYear.TermClosed, _trigger("term closed")),
        on(SchoolYear.Closed, _trigger("school year closed")),
    ),
)


@dataclass(frozen=True)
class Head:
    """The tree head the view has reached."""

    size: int
    last_position: int
    root: bytes


def head(reader: Reader) -> Head:
    """The current tree head."""
    state = reader.get(STATE, (1,))
    if state is None:
        return Head(0, 0, merkle.EMPTY_ROOT)
    return Head(state["size"], state["last_position"], merkle.root(_frontier(state["frontier"])))


def leaves(reader: Reader) -> list[tuple[int, bytes]]:
    """Every (position, leaf), in log order."""
    return [(r["position"], bytes.fromhex(r["leaf"])) for r in reader.select(LEAVES)]
