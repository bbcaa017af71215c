"""A primary and a hot standby of our own, built with PostgreSQL's own tools for the replica
and failover tests (ADR 0028) — never the shared server on 5432, whose configuration these
tests must not touch.

``initdb`` makes the primary in a temporary folder on a free port; ``pg_basebackup -R``
copies it into a standby that streams from it (physical replication) on another free port.
Run as root, the tools run as the ``postgres`` user (``runuser``), which owns the folder.
The binaries are PostgreSQL 15's (``EJOURNAL_PG_BIN`` overrides the folder). Missing, the
tests skip with a message saying so — or fail when ``EJOURNAL_REQUIRE_REPLICA=1`` (CI).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.httpload.app import children, free_port

PG_BIN = Path(os.environ.get("EJOURNAL_PG_BIN") or "/usr/lib/postgresql/15/bin")
TOOLS = ("initdb", "pg_ctl", "pg_basebackup")
REQUIRE = "EJOURNAL_REQUIRE_REPLICA"
DBNAME = "ejournal"


def unavailable() -> str:
    """Why the clusters cannot be built here (empty: they can)."""
    missing = [t for t in TOOLS if not (PG_BIN / t).is_file()]
    if missing:
        return f"PostgreSQL's {', '.join(missing)} not found in {PG_BIN} (EJOURNAL_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root, and runuser (util-linux) is missing"
    return ""


def skip_or_fail(why: str) -> None:
    """Skip the test saying why — or fail it when the replica tests are required."""
    message = f"replica tests: {why}"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{REQUIRE}=1 but {message}")
    pytest.skip(message)


class Cluster:
    """One PostgreSQL cluster of ours: its folder, port, and pg_ctl."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.data = folder / name
        self.port = free_port()
        self.log = folder / f"{name}.log"

    def tool(self, name: str, *args: str, timeout: float = 120) -> str:
        """Run one of PostgreSQL's programs (as postgres when we are root)."""
        command = [str(PG_BIN / name), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.folder
        )
        if done.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)}: {(done.stdout + done.stderr).strip()}")
        return done.stdout

    def configure(self, **settings: str) -> None:
        """Append settings to postgresql.auto.conf (read last: they win)."""
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = '{value}'\n")

    def start(self) -> None:
        self.tool("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(RuntimeError):
                self.tool("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster and every process of it at once: the machine is gone."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        for each in [pid, *children(pid)]:
            with suppress(ProcessLookupError):
                os.kill(each, signal.SIGKILL)

    def promote(self) -> None:
        self.tool("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "promote")

    def url(self, dbname: str = DBNAME) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        """The first column of the first row of ``statement`` (autocommit)."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]
            row = cur.fetchone() if cur.description else None
            return None if row is None else row[0]


class Pair:
    """A primary streaming to a hot standby."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.primary = Cluster(folder, "primary")
        self.standby = Cluster(folder, "standby")

    def init_primary(self) -> None:
        p = self.primary
        p.tool(
            "initdb",
            "-D",
            str(p.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        (self.folder / "sock").mkdir(exist_ok=True)
        _give_to_postgres(self.folder / "sock")
        p.configure(
            port=str(p.port),
            listen_addresses="127.0.0.1",
            unix_socket_directories=str(self.folder / "sock"),
            shared_buffers="32MB",
            max_connections="120",
            wal_keep_size="512MB",
            hot_standby_feedback="on",
        )
        p.start()
        with psycopg.connect(p.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DBNAME}")

    def add_standby(self) -> None:
        """Copy the primary (``pg_basebackup -R``: it streams from it) and start it."""
        p, s = self.primary, self.standby
        s.tool(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(p.port),
            "-U",
            "postgres",
            "-D",
            str(s.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            timeout=600,
        )
        s.configure(port=str(s.port), cluster_name="ejournal_standby")
        s.start()
        self.wait_streaming()

    def wait_streaming(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while (
            self.primary.query("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
            < 1
        ):
            assert time.monotonic() < deadline, "the standby does not stream"
            time.sleep(0.1)

    def make_synchronous(self) -> None:
        """Every commit waits until the standby has it on disk (``synchronous_commit=on``)."""
        self.primary.query("ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.primary.query("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 30
        while self.primary.query("SELECT sync_state FROM pg_stat_replication") != "sync":
            assert time.monotonic() < deadline, "the standby did not become synchronous"
            time.sleep(0.1)

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary has written."""
        head = self.primary.query("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while not self.standby.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (head,)):
            assert time.monotonic() < deadline, "the standby did not catch up"
            time.sleep(0.05)

    def multi_host_url(self) -> str:
        """The product's URL naming both servers: libpq takes the one accepting writes."""
        return (
            f"postgresql://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
            f"/{DBNAME}?target_session_attrs=read-write"
        )

    def close(self) -> None:
        for cluster in (self.standby, self.primary):
            cluster.stop()


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


@contextmanager
def primary_and_standby(*, standby: bool = True) -> Iterator[Pair]:
    """A primary (and, unless ``standby`` is False, a streaming hot standby), removed at the
    end. Skips (or fails when required) where the tools are missing."""
    why = unavailable()
    if why:
        skip_or_fail(why)
    folder = Path(tempfile.mkdtemp(prefix="ejournal-standby-"))
    _give_to_postgres(folder)
    pair = Pair(folder)
    try:
        pair.init_primary()
        if standby:
            pair.add_standby()
        yield pair
    finally:
        pair.close()
        shutil.rmtree(folder, ignore_errors=True)
