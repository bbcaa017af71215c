"""Group commit: many threads' small independent writes saved in one transaction.

A thread that submits an item while no save is running becomes the leader: it takes every
item queued so far (its own included), saves them together and hands each submitter its
outcome. Items submitted meanwhile wait for the next leader — one of their own threads —
so nobody waits on a timer, and a lone writer saves at once. Every submitter returns only
after its item's transaction committed (or with that transaction's error): durability is
the same as saving alone, while concurrent writers share one commit (and one lock of the
event table) instead of queueing for one each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Save items in batches with ``save(items) -> results`` (one result per item)."""

    def __init__(self, save: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 500) -> None:
        self._save = save
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Slot[T, R]] = []
        self._saving = False

    def submit(self, item: T) -> R:
        """Save ``item`` (with whatever else is queued); return its result or raise."""
        slot: _Slot[T, R] = _Slot(item)
        with self._cond:
            self._queue.append(slot)
            while not slot.done:
                if self._saving:
                    self._cond.wait()
                    continue
                self._saving = True
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._saving = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run(self, batch: list[_Slot[T, R]]) -> None:
        try:
            results = self._save([s.item for s in batch])
            if len(results) != len(batch):
                raise AssertionError("group commit: one result per item expected")
        except BaseException as error:  # every submitter of the batch gets the error
            for s in batch:
                s.error, s.done = error, True
            return
        for s, result in zip(batch, results, strict=True):
            s.result, s.done = result, True
