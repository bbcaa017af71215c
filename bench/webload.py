"""The load side of ``bench/bench_web.py`` and ``bench/bench_scaling.py``: their shared
options and run set-up, closed-loop phases of concurrent browsers (the browsers and the
app's processes are ``tests.httpload``'s), CPU accounting from ``/proc``, the tables, and
sampling the server with py-spy.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg

from bench import common
from bench.common import percentile
from tests.httpload.app import App, children
from tests.httpload.client import Form, LessonForm, Session, alert

WAIT_TIMEOUT = 5.0  # seconds web.pages.saved waits for the views (Views.wait_for's default)
TICK = os.sysconf("SC_CLK_TCK")


# --- options and the run's place -----------------------------------------------------------------
def arguments(
    parser: argparse.ArgumentParser,
    *,
    clients: int,
    seconds: float,
    rounds: int,
    warmup: float,
    processes: int,
) -> None:
    """The options of a benchmark loading ``ejournal serve`` with browsers, and those every
    benchmark takes (``common.arguments``)."""
    add = parser.add_argument
    add("--clients", type=int, default=clients, help=f"concurrent browsers per figure ({clients})")
    add("--seconds", type=float, default=seconds, help=f"per figure and round ({seconds:g})")
    add("--rounds", type=int, default=rounds, help=f"interleaved rounds ({rounds})")
    add(
        "--warmup", type=float, default=warmup, help=f"seconds per figure, not counted ({warmup:g})"
    )
    add("--threads", type=int, default=8, help="waitress threads per process (8, as `serve`)")
    add("--processes", type=int, default=processes, help=f"`serve --processes` ({processes})")
    add("--keep", action="store_true", help="keep the schemas and folder (reused when seeded)")
    common.arguments(parser)


def place(schema: str, keep: bool) -> tuple[str, Path]:
    """The run's schema and folder: with ``keep`` ``schema`` itself and a fixed folder
    (reused when seeded), else a schema and a folder unique to the run."""
    name = schema.replace("_", "-")
    if keep:
        folder = Path(tempfile.gettempdir()) / f"ejournal-{name}-kept"
        folder.mkdir(parents=True, exist_ok=True)
        return schema, folder
    unique = f"{schema}_{uuid.uuid4().hex[:8]}"
    return unique, Path(tempfile.mkdtemp(prefix=f"ejournal-{name}-"))


def stopped(*_: object) -> None:
    """On SIGTERM: say so, then leave through the ``finally`` that cleans up."""
    print("\nstopped by SIGTERM: removing the schemas and the temporary directory", flush=True)
    sys.exit(143)


# --- CPU from /proc -------------------------------------------------------------------------------
def _cpu_of(pid: int | str) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _cpu_with_children(pid: int) -> float:
    """A process's CPU plus its live children's (``serve --processes N``)."""
    return _cpu_of(pid) + sum(_cpu_of(child) for child in children(pid))


def _app_backends(app: App) -> set[str] | None:
    """The process ids of the PostgreSQL backends serving the app's server and worker (by
    ``application_name``), so that other users of the server are not counted; None when
    the app is not on PostgreSQL (or the server cannot be asked)."""
    url = app.env.get("EJOURNAL_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    server = re.sub(r"([?&])schema=[^&]*&?", r"\1", url).rstrip("?&")
    try:
        with psycopg.connect(server, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name LIKE %s",
                (app.app_name + "-%",),
            ).fetchall()
    except psycopg.Error:
        return None
    return {str(r[0]) for r in rows}


def _postgres(app: App) -> dict[str, float]:
    """CPU seconds of each PostgreSQL process (the app's backends only when known)."""
    own = _app_backends(app)
    if own is not None:
        return {pid: _cpu_of(pid) for pid in own}
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if Path(entry.path, "comm").read_text().strip() == "postgres":
                    found[entry.name] = _cpu_of(entry.name)
            except OSError:
                continue
    return found


@dataclass
class Cpu:
    """CPU seconds so far: this process, the app's processes, PostgreSQL (the backends of the
    app's connections on PostgreSQL: other users of the server are left out), the machine."""

    bench: float
    app: dict[str, float]
    postgres: dict[str, float]
    busy: float
    total: float

    @classmethod
    def now(cls, app: App) -> Cpu:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        idle = ticks[3] + ticks[4]
        return cls(
            time.process_time(),
            {name: _cpu_with_children(pid) for name, pid in app.pids().items()},
            _postgres(app),
            (sum(ticks) - idle) / TICK,
            sum(ticks) / TICK,
        )

    def since(self, before: Cpu) -> dict[str, float]:
        """Seconds spent by each part between ``before`` and now (backends alive in both)."""
        spent = {"client": self.bench - before.bench}
        for name, value in self.app.items():
            spent[name] = value - before.app.get(name, value)
        spent["PostgreSQL"] = sum(
            v - before.postgres[pid] for pid, v in self.postgres.items() if pid in before.postgres
        )
        spent["busy"], spent["total"] = self.busy - before.busy, self.total - before.total
        return spent


# --- phases ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One request and the answer that counts as right (status; a redirect's target)."""

    method: str
    path: str
    form: Form | None = None
    status: int = 200
    location: str | None = None
    lesson: LessonForm | None = None
    label: str = ""


@dataclass(frozen=True)
class Endpoint:
    """A measured request: its clients and how each makes its next request."""

    name: str
    clients: Sequence[Any]
    next: Callable[[Any], Request]

    def alone(self) -> Endpoint:
        return replace(self, clients=self.clients[:1])


@dataclass
class Tally:
    """One endpoint's requests over all its phases."""

    name: str
    durations: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    bad: Counter[str] = field(default_factory=Counter)  # "status path → target": count
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    def percentile(self, q: float, label: str | None = None) -> float:
        """The ``q`` quantile in milliseconds (nearest rank), of ``label``'s requests only."""
        chosen = [d for d, x in zip(self.durations, self.labels, strict=True) if label in (None, x)]
        return percentile(chosen, q)

    @property
    def rate(self) -> float:
        return len(self.durations) / self.wall if self.wall else 0.0


def _client_loop(
    endpoint: Endpoint,
    client: Any,
    start: threading.Barrier,
    until: list[float],
    pace: float,
    out: list[Any],
) -> None:
    session: Session = client.session
    start.wait()
    due = time.perf_counter() + random.uniform(0, pace)
    while time.perf_counter() < until[0]:
        if pace:
            time.sleep(max(0.0, due - time.perf_counter()))
            due += pace
        request = endpoint.next(client)
        began = time.perf_counter()
        answer = session.request(request.method, request.path, request.form)
        took = time.perf_counter() - began
        right = answer.status == request.status and (
            request.location is None or answer.location == request.location
        )
        if right and request.lesson is not None:
            request.lesson.posted += 1
        problem = ""
        if not right:
            problem = f"{answer.status} {request.method} {request.path}"
            problem += f" → {answer.location}" if answer.location else f": {alert(answer)}"
        out.append((took, answer.status, request.label, problem))


def run_phase(
    endpoint: Endpoint, seconds: float, tally: Tally, app: App, pace: float = 0.0
) -> None:
    """Every client of ``endpoint`` in its own thread, requesting until ``seconds`` pass:
    the next request as soon as the answer came, or (``pace`` > 0) one every ``pace``
    seconds (sooner never; later when the answer came later)."""
    start = threading.Barrier(len(endpoint.clients) + 1)
    until = [0.0]
    results: list[list[Any]] = [[] for _ in endpoint.clients]
    threads = [
        threading.Thread(
            target=_client_loop, args=(endpoint, c, start, until, pace, results[k]), daemon=True
        )
        for k, c in enumerate(endpoint.clients)
    ]
    for thread in threads:
        thread.start()
    before = Cpu.now(app)
    until[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    tally.wall += time.perf_counter() - began
    for part, seconds_spent in Cpu.now(app).since(before).items():
        tally.cpu[part] = tally.cpu.get(part, 0.0) + seconds_spent
    for took, status, label, problem in (r for rs in results for r in rs):
        tally.durations.append(took)
        tally.labels.append(label)
        tally.statuses[status] += 1
        if problem:
            tally.bad[problem] += 1


def merge(into: Tally, phase: Tally) -> None:
    """Add one phase's requests, wall time and CPU to ``into``."""
    into.durations += phase.durations
    into.labels += phase.labels
    into.statuses.update(phase.statuses)
    into.bad.update(phase.bad)
    into.wall += phase.wall
    for part, seconds in phase.cpu.items():
        into.cpu[part] = into.cpu.get(part, 0.0) + seconds


# --- tables ---------------------------------------------------------------------------------------
def _ratio(value: float, base: float) -> str:
    return f"{value / base:5.2f}" if base else "    —"


def print_table(tallies: list[Tally], base: Tally, cpu: bool = True) -> None:
    """One row per endpoint: counts, throughput and percentiles with their ratios to
    ``base``; CPU ms per request of each process and the machine's busy share."""
    head = f"   {'endpoint':<26} {'n':>6} {'bad':>4} {'req/s':>7} {'×':>5}"
    for name in ("p50", "p95", "p99"):
        head += f" {name + ' ms':>8} {'×':>5}"
    head += f" {'max ms':>7}"
    if cpu:
        head += "  CPU ms/req: server worker    PG client  busy"
    print(head)
    for tally in tallies:
        row = f"   {tally.name:<26} {len(tally.durations):>6} {sum(tally.bad.values()):>4}"
        row += f" {tally.rate:>7.1f} {_ratio(tally.rate, base.rate)}"
        for q in (0.5, 0.95, 0.99):
            row += f" {tally.percentile(q):>8.1f} {_ratio(tally.percentile(q), base.percentile(q))}"
        row += f" {tally.percentile(1.0):>7.0f}"
        if cpu:
            n = max(1, len(tally.durations))
            row += "             "
            for part, width in (("server", 6), ("worker", 6), ("PostgreSQL", 5), ("client", 6)):
                row += f" {1000 * tally.cpu.get(part, 0.0) / n:>{width}.1f}"
            total = tally.cpu.get("total", 0.0)
            busy = tally.cpu.get("busy", 0.0) / total if total else 0.0
            row += f" {100 * busy:>4.0f}%"
        print(row)


def print_subrow(tally: Tally, label: str, base: Tally) -> None:
    """Percentiles of one kind of client of an endpoint (e.g. the diary's parents)."""
    n = tally.labels.count(label)
    row = f"   {'  … ' + label:<26} {n:>6} {'':>4} {'':>7} {'':>5}"
    for q in (0.5, 0.95, 0.99):
        value = tally.percentile(q, label)
        row += f" {value:>8.1f} {_ratio(value, base.percentile(q))}"
    print(row + f" {tally.percentile(1.0, label):>7.0f}")


def print_statuses(tally: Tally) -> None:
    """The statuses an endpoint got; every unexpected answer (non-2xx/3xx or a wrong
    redirect) with its count."""
    statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(tally.statuses.items()))
    errors = sum(n for s, n in tally.statuses.items() if not 200 <= s < 400)
    print(f"   {tally.name:<26} {statuses}; non-2xx/3xx: {errors}")
    for problem, n in tally.bad.most_common(5):
        print(f"      unexpected ×{n}: {problem}")


# --- profile --------------------------------------------------------------------------------------
def _package(frame: str) -> str:
    found = re.search(r"\(([^)]*)\)$", frame)
    path = found.group(1) if found else frame
    head = path.split("/", 1)[0]
    return head.removesuffix(".py") if "/" in path or head.endswith(".py") else path


def summarize(path: Path, keep: str, top: int = 16) -> None:
    """Where the sampled CPU (GIL held) went in the stacks that pass through ``keep`` (a
    request, a catch-up; not the start-up imports): by package of the running frame, the
    functions running, and the functions with the most samples below them."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or keep not in stack:
            continue
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        packages[_package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"   {path.name}: {total} samples in {keep} (GIL held, 200/s)")
    if not total:
        return
    shares = ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in packages.most_common(12))
    print(f"      own time by package: {shares}")
    print("      own time by function:")
    for frame, n in own.most_common(top // 2):
        print(f"      {100 * n / total:5.1f}%  {frame}")
    print("      time below a function (callers ≥ 90% left out):")
    for frame, n in [(f, n) for f, n in inclusive.most_common() if n < 0.9 * total][:top]:
        print(f"      {100 * n / total:5.1f}%  {frame}")


def profile(app: App, chosen: list[Endpoint], seconds: float, folder: Path) -> None:
    """Restart the server and worker under py-spy for each endpoint, run one phase, and
    print where their CPU went."""
    print(f"\n== profile (py-spy, {seconds:g} s per endpoint; figures slower under sampling)")
    for endpoint in chosen:
        out = folder / re.sub(r"[^a-z0-9]+", "-", endpoint.name.lower()).strip("-")
        out.mkdir(parents=True, exist_ok=True)
        app.stop()
        app.start(profile=out)
        for client in endpoint.clients:
            client.session.reconnect()
        tally = Tally(endpoint.name)
        run_phase(endpoint, seconds, tally, app)
        app.stop()
        print(
            f"   {endpoint.name}: {len(tally.durations)} requests, p50 {tally.percentile(0.5):.1f}"
            f" ms, p95 {tally.percentile(0.95):.1f} ms, bad {sum(tally.bad.values())}"
        )
        for name, keep in (("serve", "WSGITask.execute"), ("worker", "worker.py:")):
            if (out / f"{name}.txt").exists():
                summarize(out / f"{name}.txt", keep)
    app.start()
