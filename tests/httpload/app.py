"""The app served the production way, for the tests and the web benchmark that drive it over
HTTP: the demo school seeded in a schema (``ejournal demo``), ``ejournal serve`` (waitress) and
``ejournal worker`` as subprocesses, a free port, a process's children.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ejournal.settings import Settings
from tests.httpload.client import Session, SetupError

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class App:
    """The demo school in a schema, served by ``ejournal serve`` beside ``ejournal worker``."""

    def __init__(self, folder: Path, database_url: str, threads: int, processes: int = 1) -> None:
        self.folder, self.threads, self.port = folder, threads, free_port()
        self.processes = processes
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EJOURNAL_")}
        self.env |= {
            "EJOURNAL_VAR_DIR": str(folder / "var"),
            "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
            "EJOURNAL_DATABASE_URL": database_url,
        }
        self.views_mode = Settings.from_env(self.env).views_mode
        #: Seconds ``serve`` may take to answer /healthz (a region builds every school first).
        self.ready_seconds = 60.0
        #: The server's and the worker's connections are named ``<this>-serve`` and
        #: ``<this>-worker`` in pg_stat_activity (libpq's PGAPPNAME).
        self.app_name = f"ejournal-{self.port}"
        self.serve: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        #: More options of ``ejournal worker`` (a benchmark's ``--lanes``).
        self.worker_args: list[str] = []
        self.profiled = False

    def seed(self, year: str, weeks: int | None = None, cheap_passwords: bool = False) -> str:
        """Run ``ejournal demo --year`` (only its first ``weeks`` weeks when given) unless the
        schema is seeded (``--keep``); its summary. ``cheap_passwords``: the accounts' hashes
        at the test suite's scrypt cost (``tests.tools.cheap_ejournal``), where the sign-ins
        are setup, not what is measured (the server stores them again at the production cost
        on the first sign-in)."""
        if (self.folder / "var" / "demo-logins.json").exists():
            return f"demo school of {self.folder} reused"
        self.folder.mkdir(parents=True, exist_ok=True)
        cli = [sys.executable, "-m", "tests.tools.cheap_ejournal"] if cheap_passwords else []
        proc = subprocess.Popen(
            [
                *(cli or [str(BIN / "ejournal")]),
                "demo",
                "--reset",
                "--year",
                year,
                *(["--weeks", str(weeks)] if weeks else []),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            out, _ = proc.communicate(timeout=1800)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise SetupError(f"`ejournal demo` failed: {out.strip().splitlines()[-1:]}")
        seeded = re.search(r"seeded in .*", out)
        return f"demo school {year}: {seeded.group(0) if seeded else 'seeded'}"

    def start(self, profile: Path | None = None) -> None:
        """Start the server and the worker (under py-spy when ``profile``); wait for /healthz."""
        self.profiled = profile is not None
        self.start_server(profile)
        self.start_worker(profile)

    def start_server(self, profile: Path | None = None) -> None:
        """Start ``ejournal serve`` (again, after it died) and wait for /healthz."""
        address = ["--host", HOST, "--port", str(self.port), "--threads", str(self.threads)]
        address += ["--processes", str(self.processes)]
        self.serve = self._spawn(["serve", *address], "serve", profile)
        deadline = time.monotonic() + self.ready_seconds
        probe = Session(HOST, self.port, "probe")
        while probe.request("GET", "/healthz").status != 200:
            if self.serve.poll() is not None or time.monotonic() > deadline:
                raise SetupError("`ejournal serve` did not come up")
            time.sleep(0.1)
        probe.conn.close()

    def start_worker(self, profile: Path | None = None) -> None:
        """Start ``ejournal worker`` (again, after it died)."""
        self.worker = self._spawn(["worker", *self.worker_args], "worker", profile)

    def _spawn(self, args: list[str], name: str, profile: Path | None) -> subprocess.Popen[bytes]:
        command = [str(BIN / "ejournal"), *args]
        if profile is not None:
            spy = shutil.which("py-spy", path=f"{BIN}:{os.environ.get('PATH', '')}")
            if spy is None:
                raise SetupError("py-spy not found (pip install py-spy)")
            out = profile / f"{name}.txt"
            command = [spy, "record", "--gil", "--nolineno", "--subprocesses", "-r", "200"]
            command += ["-f", "raw", "-o"]
            command += [str(out), "--", str(BIN / "ejournal"), *args]
        with (self.folder / f"{name}.log").open("ab") as log:
            env = {**self.env, "PGAPPNAME": f"{self.app_name}-{name}"}
            return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)

    def stop(self) -> None:
        """Stop both (py-spy writes its samples on SIGINT); kill what does not stop."""
        procs = [p for p in (self.serve, self.worker) if p is not None]
        # Under py-spy the app is py-spy's child: it must not outlive py-spy's stop.
        below = {d for p in procs for d in descendants(p.pid)} if self.profiled else set()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if self.profiled else signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in below:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        self.serve = self.worker = None

    def pids(self) -> dict[str, int]:
        """The server's and worker's process ids (not py-spy's)."""
        found = {}
        for name, proc in (("server", self.serve), ("worker", self.worker)):
            if proc is not None and not self.profiled:
                found[name] = proc.pid
        return found

    def queue_warnings(self) -> int:
        log = self.folder / "serve.log"
        return log.read_text(errors="replace").count("Task queue depth") if log.exists() else 0

    def log_tails(self, lines: int = 15) -> str:
        """The last ``lines`` of the server's and the worker's logs."""
        tails = []
        for name in ("serve", "worker"):
            log = self.folder / f"{name}.log"
            if log.exists():
                tail = log.read_text(errors="replace").strip().splitlines()[-lines:]
                tails.append(f"--- {name}.log (end)\n" + "\n".join(tail))
        return "\n".join(tails)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``."""
    found = children(pid)
    for child in list(found):
        found |= descendants(child)
    return found


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (none when it is gone)."""
    found: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return found
