"""The view worker outlives a database restart: the event store's own error (raised after
its retries) is waited out like psycopg's, not a crash (found by tests/reliability)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from eventsourcing.persistence import InterfaceError, OperationalError

from ejournal.worker import run_worker


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_worker_waits_out_an_unavailable_event_store(error: type[Exception]) -> None:
    stop = threading.Event()
    calls = []

    def catch_up() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise error("the database system is shutting down")
        stop.set()
        return 0

    system = SimpleNamespace(
        settings=SimpleNamespace(database=SimpleNamespace(backend="sqlite")),
        views=SimpleNamespace(catch_up=catch_up),
        ledger=SimpleNamespace(maybe_checkpoint=lambda: None),
    )
    run_worker(system, stop, poll=0.01)  # type: ignore[arg-type]
    assert len(calls) == 2
