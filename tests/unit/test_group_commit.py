"""Group commit: concurrent writers share transactions; each gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from domain.group_commit import GroupCommit


def test_a_lone_writer_is_saved_at_once_in_a_batch_of_its_own() -> None:
    batches: list[list[int]] = []

    def save(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        return [i * 10 for i in items]

    group = GroupCommit(save)
    assert group.submit(1) == 10
    assert group.submit(2) == 20
    assert batches == [[1], [2]]


def test_writers_arriving_during_a_save_share_the_next_one() -> None:
    batches: list[list[int]] = []
    first_started, release_first = threading.Event(), threading.Event()

    def save(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            first_started.set()
            assert release_first.wait(10)
        return [i * 10 for i in items]

    group = GroupCommit(save)
    results: dict[int, int] = {}

    def write(i: int) -> None:
        results[i] = group.submit(i)

    leader = threading.Thread(target=write, args=(0,))
    leader.start()
    assert first_started.wait(10)
    others = [threading.Thread(target=write, args=(i,)) for i in range(1, 9)]
    for t in others:
        t.start()
    while len(group._queue) < 8:  # every other writer is queued behind the running save
        threading.Event().wait(0.001)
    release_first.set()
    for t in [leader, *others]:
        t.join(10)
    assert results == {i: i * 10 for i in range(9)}
    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 9))  # one transaction for the eight
    assert len(batches) == 2


def test_every_writer_of_a_failed_batch_gets_the_error_and_later_ones_go_on() -> None:
    failing = {"on": True}

    def save(items: Sequence[str]) -> list[str]:
        if failing["on"]:
            raise OSError("disk full")
        return list(items)

    group = GroupCommit(save)
    with pytest.raises(OSError, match="disk full"):
        group.submit("a")
    failing["on"] = False
    assert group.submit("b") == "b"


def test_batches_are_bounded() -> None:
    sizes: list[int] = []
    gate = threading.Event()

    def save(items: Sequence[int]) -> list[int]:
        sizes.append(len(items))
        gate.wait(10)
        return list(items)

    group = GroupCommit(save, max_batch=3)
    threads = [threading.Thread(target=group.submit, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    while len(group._queue) < 9:
        threading.Event().wait(0.001)
    gate.set()
    for t in threads:
        t.join(10)
    assert sum(sizes) == 10
    assert max(sizes) <= 3
