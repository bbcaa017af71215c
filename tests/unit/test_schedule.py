"""The regional worker's lanes (``ejournal.worker.Schedule``, ADR 0035): a woken school's
views come before any school's sealing, which waits ``ledger_delay`` at most and runs at
once on a lane with nothing else due; access-log entries (a quiet notification) are due
later; a school not woken looks at its log only every idle interval; a failing school is
retried and stops no other; a school removed runs no more."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from types import SimpleNamespace
from typing import Any

import pytest

from ejournal.pools import QUIET, split_payload
from ejournal.worker import LANES, Schedule


class Jobs:
    """What the lanes ran, in order: ("views" | "ledger" | "tick", school)."""

    def __init__(self) -> None:
        self.done: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def note(self, kind: str, code: str) -> None:
        with self.lock:
            self.done.append((kind, code))

    def of(self, kind: str, code: str) -> int:
        with self.lock:
            return self.done.count((kind, code))

    def system(self, code: str, views: Callable[[], object] = lambda: None) -> Any:
        def catch_up(*, seal: bool = True) -> int:
            assert not seal, "the lanes seal apart from the views"
            views()
            self.note("views", code)
            return 1

        def seal() -> int:
            self.note("ledger", code)
            return 1

        return SimpleNamespace(
            views=SimpleNamespace(
                catch_up=catch_up,
                seal=seal,
                db=SimpleNamespace(waiting_for_locks=lambda _seconds: nullcontext()),
            ),
            ledger=SimpleNamespace(maybe_checkpoint=lambda: None),
        )


def until(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.005)
    return check()


class Held:
    """A school's views job that holds its lane: ``inside`` once it runs, until ``gate``."""

    def __init__(self) -> None:
        self.inside, self.gate = threading.Event(), threading.Event()

    def __call__(self) -> None:
        self.inside.set()
        self.gate.wait(20)


@contextmanager
def running(**kwargs: Any) -> Iterator[Schedule]:
    schedule = Schedule(**kwargs)
    try:
        yield schedule
    finally:
        schedule.stop()


def test_the_views_of_every_woken_school_come_before_any_sealing() -> None:
    jobs, held = Jobs(), Held()
    with running(lanes=1, ledger_delay=3600.0) as schedule:
        schedule.add("a", jobs.system("a", views=held))
        assert held.inside.wait(20)  # the lane is in a's views, held
        schedule.add("b", jobs.system("b"))
        schedule.add("c", jobs.system("c"))
        held.gate.set()
        assert until(lambda: len(jobs.done) == 6)
    assert jobs.done[:3] == [("views", "a"), ("views", "b"), ("views", "c")]
    assert sorted(jobs.done[3:]) == [("ledger", "a"), ("ledger", "b"), ("ledger", "c")]


def test_sealing_waits_no_longer_than_its_delay_while_views_keep_coming() -> None:
    """b's views, 2 ms each, are due again and again (each is notified anew while it runs):
    a's sealing still runs once its 0.3 s are up. a's views are held until b is due: with
    nothing else due the lane would seal a at once."""
    jobs, held = Jobs(), Held()
    with running(lanes=1, ledger_delay=0.3) as schedule:

        def again() -> None:  # b's views are due again and again
            schedule.wake("b")
            time.sleep(0.002)

        schedule.add("a", jobs.system("a", views=held))
        assert held.inside.wait(20)
        schedule.add("b", jobs.system("b", views=again))
        held.gate.set()
        assert until(lambda: jobs.of("ledger", "a") == 1, seconds=5)
        assert jobs.of("views", "b") > 3  # the lane was busy with b's views meanwhile


def test_a_quiet_wake_is_due_after_its_delay_and_a_plain_one_at_once() -> None:
    jobs = Jobs()
    with running(lanes=1, idle=3600.0, ledger_delay=0.0) as schedule:
        schedule.add("a", jobs.system("a"))
        assert until(lambda: jobs.of("ledger", "a") == 1)
        schedule.wake("a", 3600.0)  # access-log entries only: an hour away here
        time.sleep(0.1)
        assert jobs.of("views", "a") == 1
        schedule.wake("a", 7200.0)  # a later quiet one does not put it off, a plain one
        schedule.wake("a")  # brings it forward
        assert until(lambda: jobs.of("views", "a") == 2)


def test_a_school_not_woken_looks_at_its_log_only_every_idle_interval() -> None:
    """Ticks run every poll; the catch-up only at the start until a notification."""
    jobs, ticks = Jobs(), []
    with running(lanes=2, poll=0.01, idle=3600.0) as schedule:
        schedule.add("a", jobs.system("a"), tick=lambda: ticks.append(1))
        assert until(lambda: len(ticks) >= 20)  # twenty polls went by
        assert jobs.of("views", "a") == 1
        schedule.wake("a")
        assert until(lambda: jobs.of("views", "a") == 2)


def test_an_idle_school_is_caught_up_when_its_interval_has_passed() -> None:
    jobs = Jobs()
    with running(lanes=1, poll=0.01, idle=0.2) as schedule:
        schedule.add("a", jobs.system("a"))
        assert until(lambda: jobs.of("views", "a") >= 3, seconds=10)


def test_a_failing_school_is_retried_and_stops_no_other(caplog: pytest.LogCaptureFixture) -> None:
    jobs, failures = Jobs(), list[int]()

    def fail() -> None:
        if len(failures) < 2:
            failures.append(1)
            raise RuntimeError("a bug in one school's view")

    with running(lanes=1, poll=0.05) as schedule:
        schedule.add("bad", jobs.system("bad", views=fail))
        schedule.add("good", jobs.system("good"))
        assert until(lambda: jobs.of("ledger", "good") == 1)
        assert until(lambda: jobs.of("views", "bad") == 1)  # the third try went through
    assert len(failures) == 2
    assert "school bad: views failed" in caplog.text


def test_a_school_failing_again_and_again_is_retried_ever_more_slowly() -> None:
    """A bug in one school's view is logged with its traceback at each try: the tries thin
    out (every 10 ms they would be about 60 in 0.6 s)."""
    jobs, tries = Jobs(), list[float]()

    def fail() -> None:
        tries.append(time.monotonic())
        raise RuntimeError("a bug in one school's view")

    with running(lanes=1, poll=0.01) as schedule:
        schedule.add("bad", jobs.system("bad", views=fail))
        schedule.add("good", jobs.system("good"))
        time.sleep(0.6)
        assert jobs.of("ledger", "good") == 1
    assert 2 <= len(tries) <= 8, len(tries)


def test_a_removed_school_runs_no_more_and_removing_waits_for_its_job() -> None:
    jobs, held = Jobs(), Held()
    with running(lanes=1, ledger_delay=3600.0) as schedule:
        schedule.add("a", jobs.system("a", views=held))
        assert held.inside.wait(20)
        removed = threading.Thread(target=schedule.remove, args=("a",))
        removed.start()
        time.sleep(0.05)
        assert removed.is_alive()  # waits for the job in a lane
        held.gate.set()
        removed.join(20)
        assert not removed.is_alive()
        schedule.wake("a")
        time.sleep(0.1)
    assert jobs.done == [("views", "a")]  # no sealing and no second catch-up after removal


def test_the_payload_names_the_school_and_whether_it_is_quiet() -> None:
    assert split_payload("region_s001") == ("region_s001", False)
    assert split_payload("region_s001" + QUIET) == ("region_s001", True)
    assert split_payload("") == ("", False)


def test_the_worker_command_takes_one_to_64_lanes_and_defaults_to_the_schedules() -> None:
    from click.testing import CliRunner

    from ejournal.cli import main

    command = main.commands["worker"]
    option = next(p for p in command.params if p.name == "lanes")
    assert option.default == LANES
    refused = CliRunner().invoke(main, ["worker", "--lanes", "0"])
    assert refused.exit_code == 2 and "--lanes" in refused.output
