"""Crash: the load of ``test_load`` while a killer SIGKILLs ``ejournal serve`` and
``ejournal worker`` at random moments (each restarted at once; at least
``EJOURNAL_RELIABILITY_KILLS`` kills) and PostgreSQL is restarted once mid-run. The teachers
send a form again when no answer came. After recovery: every acknowledged command is in the
event store exactly once, no command is there twice, every view equals a rebuild, and the
ledger verifies.

PostgreSQL is restarted with ``pg_ctlcluster --skip-systemctl-redirect <version> main
restart`` (a local Debian cluster). Where that is not possible the restart is left out with a
note in the figures — unless ``EJOURNAL_REQUIRE_PG_RESTART=1`` (CI), which makes it a failure.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.httpload.app import App
from tests.reliability.conftest import (
    CLIENTS,
    CRASH_SECONDS,
    KILLS,
    School,
    assert_nothing_lost,
    run_figures,
    write_figures,
)
from tests.reliability.harness import Load, check_all, describe

PG_CONF = Path("/etc/postgresql")


def pg_restart_command(server: str) -> tuple[list[str], str]:
    """The command restarting the local cluster, or why there is none."""
    if urlsplit(server).hostname not in ("127.0.0.1", "localhost", "::1"):
        return [], f"PostgreSQL at {urlsplit(server).hostname} is not this machine's"
    if shutil.which("pg_ctlcluster") is None or not PG_CONF.is_dir():
        return [], "pg_ctlcluster (Debian's postgresql-common) is not installed"
    versions = sorted(p.name for p in PG_CONF.iterdir() if (p / "main").is_dir())
    if not versions:
        return [], f"no cluster «main» under {PG_CONF}"
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        return [], "restarting PostgreSQL needs root or the postgres user"
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"], ""


class Killer(threading.Thread):
    """SIGKILLs the server or the worker at random moments and restarts it at once; restarts
    PostgreSQL once, about halfway."""

    def __init__(self, app: App, seconds: float, kills: int, pg_restart: list[str]) -> None:
        super().__init__(daemon=True)
        self.app, self.seconds, self.least = app, seconds, kills
        self.pg_restart = pg_restart
        self.kills: Counter[str] = Counter()
        self.died: Counter[str] = Counter()  # found dead before the killer came
        self.pg_restarts = 0
        self.pg_seconds = 0.0
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.rng = random.Random(8)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as error:
            self.error = error
        finally:
            self.done.set()

    def _run(self) -> None:
        began = time.monotonic()
        pause = self.seconds / (self.least + 2)
        restart_at = began + 0.45 * self.seconds
        while sum(self.kills.values()) < self.least or time.monotonic() < began + self.seconds:
            assert time.monotonic() < began + 4 * self.seconds, "the kills took too long"
            time.sleep(self.rng.uniform(0.3, 1.7) * pause)
            if self.pg_restart and not self.pg_restarts and time.monotonic() >= restart_at:
                started = time.monotonic()
                subprocess.run(self.pg_restart, check=True, capture_output=True, timeout=120)
                self.pg_seconds = time.monotonic() - started
                self.pg_restarts += 1
                continue
            self.kill("server" if self.rng.random() < 0.5 else "worker")

    def kill(self, name: str) -> None:
        proc = self.app.serve if name == "server" else self.app.worker
        assert proc is not None
        if proc.poll() is not None:
            self.died[name] += 1
        else:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            self.kills[name] += 1
        if name == "server":
            self.app.start_server()
        else:
            self.app.start_worker()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.alone
def test_kills_and_a_database_restart_lose_nothing(school: School) -> None:
    command, why_not = pg_restart_command(school.server)
    notes = list(school.notes)
    if why_not:
        if os.environ.get("EJOURNAL_REQUIRE_PG_RESTART") == "1":
            pytest.fail(f"EJOURNAL_REQUIRE_PG_RESTART=1 but {why_not}")
        notes.append(f"PostgreSQL restart left out: {why_not}")
    app = school.app
    app.start()
    load = Load(app, school.days, CLIENTS, uuid.uuid4().hex[:6])
    killer = Killer(app, CRASH_SECONDS, KILLS, command)
    began = time.monotonic()
    killer.start()
    load.run_for(CRASH_SECONDS, also=killer.done)
    seconds = time.monotonic() - began
    if killer.error is not None:
        raise killer.error
    for name in ("server", "worker"):  # the last one killed may still be starting
        proc = app.serve if name == "server" else app.worker
        assert proc is not None and proc.poll() is None, f"the {name} is not running"
    found, views_equal, rows, ledger = check_all(app, school.server, school.schema, load)

    figures = {
        "server kills survived": killer.kills["server"],
        "worker kills survived": killer.kills["worker"],
        "died without a kill": sum(killer.died.values()),
        "PostgreSQL restarts": killer.pg_restarts,
        "PostgreSQL restart, s": round(killer.pg_seconds, 1),
    } | run_figures(found, load, seconds, rows, views_equal, ledger)
    write_figures("crash", figures, notes + describe(found))
    print("\n".join(describe(found)))

    assert sum(killer.kills.values()) >= KILLS
    assert not killer.died, f"died without being killed: {dict(killer.died)}"
    assert killer.pg_restarts == (1 if command else 0)
    assert_nothing_lost(found, views_equal, ledger)
