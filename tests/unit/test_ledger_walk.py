"""The single pass of ``verify`` over the log (``projections.ledger._walk``): leaves
recomputed from the rows, the tree grown in place, roots at the checkpoint sizes, and the
first difference from the ledger's leaves — checked against the independent verifier
(tests/ledger_verifier.py, written from RFC 9162)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing
from uuid import UUID

import pytest

from projections import merkle
from projections.ledger import LogRow, _prefetched, _walk
from tests import ledger_verifier as lv

TOPIC = "domain.lesson:Lesson.MarkRecorded"


def _rows(ids: Sequence[int]) -> list[LogRow]:
    return [
        (i, UUID(int=i * 7919).bytes, i % 5 + 1, f"{TOPIC}{i % 3}", bytes([i % 256]) * (i % 40))
        for i in ids
    ]


def _leaves(rows: Sequence[LogRow]) -> list[tuple[int, bytes]]:
    return [(r[0], lv.leaf(r[0], UUID(bytes=r[1]), r[2], r[3], r[4])) for r in rows]


def _batched(items: Sequence[object], size: int) -> list[Sequence[object]]:
    return [items[n : n + size] for n in range(0, len(items), size)]


@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_roots_at_every_size_equal_the_verifiers(batch: int) -> None:
    rows = _rows([n for n in range(1, 90) if n % 11])  # gaps in the ids are not tampering
    leaves = _leaves(rows)
    sizes = set(range(len(rows) + 1))
    walk = _walk(_batched(rows, batch), _batched(leaves, batch), sizes)  # type: ignore[arg-type]
    assert (walk.events, walk.last, walk.first_bad) == (len(rows), rows[-1][0], None)
    for size in sizes:
        assert walk.roots[size] == lv.mth([leaf for _, leaf in leaves[:size]]), size
        if size:
            assert walk.last_ids[size] == rows[size - 1][0]


def test_an_unsealed_tail_is_hashed_but_not_compared() -> None:
    rows = _rows(range(1, 40))
    leaves = _leaves(rows)
    walk = _walk([rows], [leaves[:25]], {39})
    assert walk.first_bad is None
    assert walk.roots[39] == lv.mth([leaf for _, leaf in leaves])


def _first_bad(rows: list[LogRow], leaves: list[tuple[int, bytes]]) -> tuple[int | None, str]:
    walk = _walk(_batched(rows, 4), _batched(leaves, 5), set())  # type: ignore[arg-type]
    return walk.first_bad, walk.problem


def test_each_kind_of_difference_is_named() -> None:
    rows = _rows(range(1, 30))
    leaves = _leaves(rows)
    altered = [*rows[:10], (*rows[10][:4], b"forged"), *rows[11:]]
    assert _first_bad(altered, leaves) == (
        11,
        "event 11 was altered (its hash differs from the ledger)",
    )
    deleted = rows[:12] + rows[13:]
    assert _first_bad(deleted, leaves)[0] == 13
    assert "missing from the log" in _first_bad(deleted, leaves)[1]
    assert _first_bad(rows[:20], leaves)[0] == 21  # the tail truncated
    sealed_with_gap = leaves[:5] + leaves[6:]
    assert _first_bad(rows, sealed_with_gap) == (
        6,
        "event 6 was inserted (it is not in the ledger)",
    )


def test_the_lowest_bad_id_is_named_whatever_its_kind() -> None:
    rows = _rows(range(1, 30))
    leaves = _leaves(rows)
    # A forged row inserted at 8 (the ledger has a gap there), event 20 deleted.
    log = [r for r in rows if r[0] != 20]
    sealed = [leaf for leaf in leaves if leaf[0] != 8]
    assert _first_bad(log, sealed)[0] == 8
    # Event 5 deleted, event 9 altered.
    log = [r for r in rows if r[0] != 5]
    log[7] = (*log[7][:4], b"x")
    assert log[7][0] == 9
    assert _first_bad(log, leaves)[0] == 5


def test_other_originator_ids_hash_as_documented() -> None:
    row: LogRow = (3, b"not-a-uuid", 2, TOPIC, b"state")
    walk = _walk([[row]], [], {1})
    assert walk.roots[1] == merkle.leaf_hash(3, "not-a-uuid", 2, TOPIC, b"state")


def test_prefetched_batches_come_in_order_and_errors_reach_the_consumer() -> None:
    assert list(_prefetched(iter([[1], [2, 3], [4]]))) == [[1], [2, 3], [4]]

    def failing() -> Iterator[list[int]]:
        yield [1]
        raise ValueError("the cursor failed")

    batches = _prefetched(failing())
    assert next(batches) == [1]
    with pytest.raises(ValueError, match="the cursor failed"):
        next(batches)


def test_prefetching_stops_when_the_consumer_stops() -> None:
    fetched: list[int] = []

    def endless() -> Iterator[list[int]]:
        for n in itertools.count():
            fetched.append(n)
            yield [n]

    before = threading.active_count()
    with closing(_prefetched(endless(), depth=2)) as batches:
        assert next(batches) == [0]
    assert threading.active_count() == before  # the fetching thread is joined
    assert len(fetched) <= 5  # it fetched at most a few batches ahead
