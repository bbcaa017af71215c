"""The ledger's tables: every sealed event, in log order, as a leaf of an RFC 9162 Merkle
tree, and the tree's frontier (so the head is known after each event).

They are kept by the ledger's own processor, ``projections.sealing.Keeper``, which seals a
stored row only after authenticating it (and records in ``v_ledger_halt`` where it stopped
when a row fails). Signed checkpoints are kept apart by ``projections.ledger`` (they are
statements, and a rebuild must not drop them). Events that should be followed by a
checkpoint (a term or the year closed) are noted in ``v_ledger_triggers``.
"""

from __future__ import annotations

from dataclasses import dataclass

from projections import merkle
from projections.schema import Table
from projections.store import Reader

LEAVES = Table("v_ledger_leaves", (("position", "int"), ("leaf", "text")), ("position",))
STATE = Table(
    "v_ledger_state",
    (("id", "int"), ("size", "int"), ("last_position", "int"), ("frontier", "text")),
    ("id",),
)
TRIGGERS = Table("v_ledger_triggers", (("position", "int"), ("reason", "text")), ("position",))


HALT = Table("v_ledger_halt", (("id", "int"), ("position", "int"), ("problem", "text")), ("id",))
#: Every table of the ledger (kept by ``projections.sealing.Keeper``).
TABLES = (LEAVES, STATE, TRIGGERS, HALT)


def frontier(text: str) -> list[bytes]:
    """The stored frontier: the roots of the perfect subtrees, largest first."""
    return [bytes.fromhex(h) for h in text.split(",") if h]


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
    return Head(state["size"], state["last_position"], merkle.root(frontier(state["frontier"])))


def leaves(reader: Reader) -> list[tuple[int, bytes]]:
    """Every (position, leaf), in log order."""
    return [(r["position"], bytes.fromhex(r["leaf"])) for r in reader.select(LEAVES)]
