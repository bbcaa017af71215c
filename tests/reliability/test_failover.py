"""Failover with nothing lost (ADR 0028): the 30 teachers of ``test_load`` write to a primary
that replicates synchronously to a hot standby; mid-run the primary is killed (SIGKILL to
the postmaster and every process of it: the machine is gone) and the standby is promoted
with ``pg_ctl promote``. The product names both servers in one URL with
``target_session_attrs=read-write``, so its pools reconnect to whichever accepts writes; the
teachers send a form again when no answer came (the form key makes a re-sent form count
once). Afterwards, on the promoted server: every acknowledged command is in the event store
exactly once, no command is there twice, every view equals a rebuild, and the ledger
verifies; the seconds without an acknowledged write are measured.

The two servers are our own (``tests.standby``: initdb, pg_basebackup), never the shared one.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest

from domain import clock
from tests.httpload.app import App
from tests.httpload.school import school_year
from tests.reliability.conftest import (
    CLIENTS,
    LOAD_SECONDS,
    _policies_for,
    assert_nothing_lost,
    run_figures,
    write_figures,
)
from tests.reliability.harness import Command, Load, check_all, describe
from tests.standby import Pair, primary_and_standby

SCHEMA = "rel_failover"


class Failover(threading.Thread):
    """Kills the primary ``after`` seconds into the load, then promotes the standby."""

    def __init__(self, pair: Pair, after: float) -> None:
        super().__init__(daemon=True)
        self.pair, self.after = pair, after
        self.killed = self.promoted = 0.0
        self.done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            time.sleep(self.after)
            self.killed = time.monotonic()
            self.pair.primary.kill()
            self.pair.standby.promote()
            self.promoted = time.monotonic()
        except BaseException as error:
            self.error = error
        finally:
            self.done.set()


def unavailable_seconds(commands: list[Command], killed: float) -> float:
    """From the kill to the first acknowledged write sent after it."""
    after = [c.answered for c in commands if c.acknowledged and c.sent >= killed]
    assert after, "no write was acknowledged after the failover"
    return min(after) - killed


def lost_in_flight(commands: list[Command], killed: float) -> int:
    """Commands in flight at the kill (sent before it, answered after)."""
    return sum(1 for c in commands if c.sent < killed < (c.answered or float("inf")))


@pytest.mark.replica
@pytest.mark.slow
@pytest.mark.alone  # the load's figures are the machine's (make test-reliability's second pass)
def test_killing_the_primary_and_promoting_the_standby_loses_nothing(tmp_path: Path) -> None:
    with primary_and_standby(standby=False) as pair:
        folder = tmp_path / "school"
        folder.mkdir()
        policies, days, notes = _policies_for(clock.today(), folder)
        if not days:
            pytest.fail(f"no school day to enter lessons for on {clock.today()}")
        app = App(folder, f"{pair.multi_host_url()}&schema={SCHEMA}", threads=8)
        app.env["EJOURNAL_POLICIES_DIR"] = str(policies)
        try:
            # Two weeks: the failover needs a school, not its history (the load test seeds six).
            app.seed(school_year(clock.today()), weeks=2, cheap_passwords=True)
            # The standby is copied from the seeded primary, then every commit waits for it.
            pair.add_standby()
            pair.make_synchronous()
            app.start()
            load = Load(app, days, CLIENTS, uuid.uuid4().hex[:6])
            failover = Failover(pair, after=LOAD_SECONDS / 3)
            began = time.monotonic()
            failover.start()
            load.run_for(LOAD_SECONDS, also=failover.done)
            seconds = time.monotonic() - began
            if failover.error is not None:
                raise failover.error
            assert pair.standby.query("SELECT NOT pg_is_in_recovery()"), "not promoted"
            found, views_equal, rows, ledger = check_all(app, pair.standby.url(), SCHEMA, load)
        finally:
            app.stop()
        commands = load.commands
        down = unavailable_seconds(commands, failover.killed)
        figures = {
            "primary killed after, s": round(failover.killed - began, 1),
            "promotion took, s": round(failover.promoted - failover.killed, 1),
            "no write acknowledged for, s": round(down, 1),
            "in flight at the kill": lost_in_flight(commands, failover.killed),
        } | run_figures(found, load, seconds, rows, views_equal, ledger)
        write_figures("failover", figures, notes + describe(found))
        print("\n".join(describe(found)))
        shutil.rmtree(folder, ignore_errors=True)

    assert_nothing_lost(found, views_equal, ledger)
