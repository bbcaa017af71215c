"""A school's wake-up in the regional worker: a quiet notification (access-log entries
only) makes it due later, anything else at once; not woken, it looks at its log only every
idle interval (ADR 0034)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from ejournal.pools import QUIET, split_payload
from ejournal.worker import Wake, run_worker


def test_a_quiet_wake_is_not_due_until_its_delay_and_a_plain_one_is_due_at_once() -> None:
    wake = Wake()
    assert not wake.wait(0)
    wake.set_later(3600)
    assert not wake.wait(0.01)  # an hour away: not due
    wake.set_later(7200)  # a later quiet one does not put it off
    wake.set()
    assert wake.wait(0)
    wake.clear()
    assert not wake.wait(0)
    wake.set_later(0)
    assert wake.wait(0)


def test_a_plain_wake_ends_a_wait_that_a_quiet_one_started() -> None:
    wake = Wake()
    wake.set_later(3600)
    woke: list[bool] = []
    waiting = threading.Thread(target=lambda: woke.append(wake.wait(3600)))
    waiting.start()
    wake.set()
    waiting.join(30)
    assert woke == [True]


def test_the_payload_names_the_school_and_whether_it_is_quiet() -> None:
    assert split_payload("region_s001") == ("region_s001", False)
    assert split_payload("region_s001" + QUIET) == ("region_s001", True)
    assert split_payload("") == ("", False)


def test_a_regional_school_not_woken_catches_up_only_every_idle_interval() -> None:
    """Polled every 10 ms but never woken, a school's worker looks at its log once (at
    start) within an hour's idle interval; a notification makes it catch up at once; the
    tick still runs at every poll."""
    stop, wake = threading.Event(), Wake()
    catch_ups: list[int] = []
    ticks: list[int] = []

    def catch_up() -> int:
        catch_ups.append(1)
        return 0

    system = SimpleNamespace(
        settings=SimpleNamespace(database=SimpleNamespace(backend="postgres")),
        views=SimpleNamespace(catch_up=catch_up),
        ledger=SimpleNamespace(maybe_checkpoint=lambda: None),
    )
    worker = threading.Thread(
        target=run_worker,
        args=(system, stop, 0.01, lambda: ticks.append(1), wake),
        kwargs={"idle": 3600.0},
    )
    worker.start()
    try:
        while len(ticks) < 20:  # twenty polls went by
            threading.Event().wait(0.01)
        assert len(catch_ups) == 1
        wake.set()
        while len(catch_ups) < 2:
            threading.Event().wait(0.01)
    finally:
        stop.set()
        wake.set()
        worker.join(30)
    assert not worker.is_alive()
